#pragma once

// A RolePolicy (every role's weight and quota) as maps by role: what an update edits, what
// master.weights / master.quotas build, and back to the proto (sorted by role; a role with
// no guarantee has no quota).

#include <map>
#include <string>
#include <vector>

#include "protos/common/v1/resources.pb.h"
#include "protos/master/v1/roles.pb.h"

namespace dcos::master {

struct RolePolicyMaps {
  std::map<std::string, double> weights;
  std::map<std::string, std::vector<common::v1::Resource>> quotas;

  RolePolicyMaps() = default;
  explicit RolePolicyMaps(const v1::RolePolicy& p) {
    for (const v1::WeightInfo& w : p.weights()) weights[w.role()] = w.weight();
    for (const v1::QuotaConfig& q : p.quotas()) {
      quotas[q.role()].assign(q.guarantees().begin(), q.guarantees().end());
    }
  }
  v1::RolePolicy ToProto() const {
    v1::RolePolicy p;
    for (const auto& [role, weight] : weights) {
      v1::WeightInfo* w = p.add_weights();
      w->set_role(role);
      w->set_weight(weight);
    }
    for (const auto& [role, guarantees] : quotas) {
      if (guarantees.empty()) continue;
      v1::QuotaConfig* q = p.add_quotas();
      q->set_role(role);
      for (const common::v1::Resource& r : guarantees) *q->add_guarantees() = r;
    }
    return p;
  }
};

}  // namespace dcos::master
