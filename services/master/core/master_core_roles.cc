// MasterCore: role weights and quotas at run time (Mesos's UPDATE_WEIGHTS / UPDATE_QUOTA).

#include <cmath>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/resources/resource.h"
#include "libs/resources/values.h"
#include "services/master/core/master_core.h"
#include "services/master/core/role_policy.h"

namespace dcos::master {
namespace {

absl::Status FieldError(const std::string& field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", what));
}

absl::Status CheckGuarantee(const common::v1::Resource& r, const std::string& field) {
  if (absl::Status s = resources::ValidateResourceName(r.name()); !s.ok()) {
    return FieldError(field + ".name", s.message());
  }
  if (r.type() != common::v1::Value::TYPE_SCALAR) {
    return FieldError(field + ".type",
                      absl::StrCat("'", r.name(), "' is not a scalar (quota is cpus, mem, ...)"));
  }
  const double v = r.scalar().value();
  if (!std::isfinite(v) || !resources::ScalarInBounds(v)) {
    return FieldError(field + ".scalar.value",
                      absl::StrCat("must be a finite number >= 0 and <= ", resources::kMaxScalar,
                                   ", got ", v));
  }
  if ((!r.role().empty() && r.role() != resources::kUnreservedRole) || r.has_reservation()) {
    return FieldError(field, "a quota guarantee is unreserved (no role, no reservation)");
  }
  return absl::OkStatus();
}


// Only what the allocator reads of a guarantee: name, type, value.
common::v1::Resource Normalized(const common::v1::Resource& r) {
  common::v1::Resource out;
  out.set_name(r.name());
  out.set_type(common::v1::Value::TYPE_SCALAR);
  out.mutable_scalar()->set_value(r.scalar().value());
  return out;
}

// A role named in an update: valid, not "*" unless `star_ok`, and named once.
absl::Status CheckRole(const std::string& role, const std::string& field, bool star_ok,
                       std::set<std::string>& seen) {
  if (absl::Status s = resources::ValidateRole(role); !s.ok()) {
    return FieldError(field, s.message());
  }
  if (!star_ok && role == resources::kUnreservedRole) {
    return FieldError(field, "quota cannot be set for '*'");
  }
  if (!seen.insert(role).second) return FieldError(field, absl::StrCat("'", role, "' is named twice"));
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateWeights(const google::protobuf::RepeatedPtrField<v1::WeightInfo>& weights,
                             const std::string& field) {
  std::set<std::string> seen;
  for (int i = 0; i < weights.size(); ++i) {
    const std::string f = absl::StrCat(field, "[", i, "]");
    const v1::WeightInfo& w = weights[i];
    if (absl::Status s = CheckRole(w.role(), f + ".role", true, seen); !s.ok()) return s;
    if (!std::isfinite(w.weight())) return FieldError(f + ".weight", "must be finite");
    if (w.weight() <= 0) {
      return FieldError(f + ".weight", absl::StrCat("must be > 0, got ", w.weight()));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateQuotas(const google::protobuf::RepeatedPtrField<v1::QuotaConfig>& quotas,
                            const std::string& field) {
  std::set<std::string> seen;
  for (int i = 0; i < quotas.size(); ++i) {
    const std::string f = absl::StrCat(field, "[", i, "]");
    const v1::QuotaConfig& q = quotas[i];
    if (absl::Status s = CheckRole(q.role(), f + ".role", false, seen); !s.ok()) return s;
    std::set<std::string> names;
    for (int j = 0; j < q.guarantees_size(); ++j) {
      const std::string g = absl::StrCat(f, ".guarantees[", j, "]");
      if (absl::Status s = CheckGuarantee(q.guarantees(j), g); !s.ok()) return s;
      if (!names.insert(q.guarantees(j).name()).second) {
        return FieldError(g + ".name", absl::StrCat("'", q.guarantees(j).name(),
                                                    "' is named twice"));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status MasterCore::UpdateWeights(const v1::UpdateWeightsRequest& request, absl::Time) {
  if (absl::Status s = ValidateWeights(request.weights(), "weights"); !s.ok()) return s;
  RolePolicyMaps next(policy_);
  for (const v1::WeightInfo& w : request.weights()) next.weights[w.role()] = w.weight();
  return ChangePolicy(next.ToProto());
}

absl::Status MasterCore::UpdateQuota(const v1::UpdateQuotaRequest& request, absl::Time) {
  if (absl::Status s = ValidateQuotas(request.configs(), "configs"); !s.ok()) return s;
  RolePolicyMaps next(policy_);
  for (const v1::QuotaConfig& q : request.configs()) {
    std::vector<common::v1::Resource>& g = next.quotas[q.role()];
    g.clear();
    for (const common::v1::Resource& r : q.guarantees()) g.push_back(Normalized(r));
  }
  return ChangePolicy(next.ToProto());
}

absl::Status MasterCore::ChangePolicy(v1::RolePolicy next) {
  ApplyPolicy(std::move(next));
  RegistryOp op;
  op.kind = RegistryOp::Kind::kSetPolicy;
  op.policy = policy_;
  outbox_.registry.push_back(std::move(op));
  return absl::OkStatus();
}

void MasterCore::RecoverPolicy(const v1::RolePolicy& policy) {
  // Sorted and keyed as the core keeps it (a hand-written registry node may be in any order).
  ApplyPolicy(RolePolicyMaps(policy).ToProto());
}

void MasterCore::ApplyPolicy(v1::RolePolicy next) {
  RolePolicyMaps before(policy_);
  RolePolicyMaps after(next);
  for (const auto& [role, weight] : before.weights) {
    if (after.weights.count(role) == 0) allocator_->SetWeight(role, 1.0);
  }
  for (const auto& [role, weight] : after.weights) {
    auto it = before.weights.find(role);
    if (it == before.weights.end() || it->second != weight) allocator_->SetWeight(role, weight);
  }
  for (const auto& [role, guarantees] : before.quotas) {
    if (after.quotas.count(role) == 0 || after.quotas[role].empty()) {
      allocator_->SetQuota(role, {});
    }
  }
  for (const auto& [role, guarantees] : after.quotas) {
    if (!guarantees.empty()) allocator_->SetQuota(role, guarantees);
  }
  policy_ = std::move(next);
  allocation_wanted_ = true;  // a changed share or guarantee may change the next offers
}

}  // namespace dcos::master
