// Resources <-> dcos.common.v1.Resource, with validation of untrusted protos.

#include <algorithm>
#include <string>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "libs/resources/resources.h"
#include "libs/status/status_macros.h"

namespace dcos::resources {
namespace {

using common::v1::ReservationInfo;
using common::v1::Value;

absl::Status FieldError(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", what));
}

absl::Status ApplyReservation(const common::v1::Resource& p, const std::string& f, Resource& r) {
  std::string role = p.role().empty() ? std::string(kUnreservedRole) : p.role();
  if (absl::Status s = ValidateRole(role); !s.ok()) return FieldError(f + ".role", s.message());
  const ReservationInfo& info = p.reservation();
  if (role == kUnreservedRole) {
    if (info.type() != ReservationInfo::TYPE_UNSPECIFIED || !info.role().empty()) {
      return FieldError(f + ".reservation", "set on an unreserved (role '*') resource");
    }
    return absl::OkStatus();
  }
  if (!info.role().empty() && info.role() != role) {
    return FieldError(f + ".reservation.role",
                      absl::StrCat("'", info.role(), "' differs from role '", role, "'"));
  }
  if (info.type() == ReservationInfo::TYPE_DYNAMIC) {
    DynamicReservation dyn;
    dyn.principal = info.principal();
    for (const auto& l : info.labels().labels()) dyn.labels.emplace_back(l.key(), l.value());
    r.SetDynamicReservation(std::move(role), std::move(dyn));
    return absl::OkStatus();
  }
  if (!info.principal().empty() || info.labels().labels_size() > 0) {
    return FieldError(f + ".reservation",
                      "principal and labels are only valid for TYPE_DYNAMIC reservations");
  }
  r.SetRole(std::move(role));
  return absl::OkStatus();
}

absl::StatusOr<Resource> FromOne(const common::v1::Resource& p, const std::string& f) {
  if (absl::Status s = ValidateResourceName(p.name()); !s.ok()) {
    return FieldError(f + ".name", s.message());
  }
  Resource r;
  switch (p.type()) {
    case Value::TYPE_SCALAR: {
      // The field's name is built only for an error (a failover converts 200,000 of these).
      if (!ScalarInBounds(p.scalar().value())) {
        return ValidateScalar(p.scalar().value(), f + ".scalar.value");
      }
      r = Resource::Scalar(p.name(), ScalarToMilli(p.scalar().value()));
      break;
    }
    case Value::TYPE_RANGES: {
      std::vector<Range> ranges;
      for (int j = 0; j < p.ranges().range_size(); ++j) {
        const Value::Range& pr = p.ranges().range(j);
        if (pr.begin() > pr.end()) {
          return FieldError(absl::StrCat(f, ".ranges.range[", j, "]"),
                            absl::StrCat("begin ", pr.begin(), " > end ", pr.end()));
        }
        ranges.push_back({pr.begin(), pr.end()});
      }
      r = Resource::OfRanges(p.name(), Ranges(std::move(ranges)));
      break;
    }
    case Value::TYPE_SET: {
      Set items;
      for (int j = 0; j < p.set().item_size(); ++j) {
        if (p.set().item(j).empty()) {
          return FieldError(absl::StrCat(f, ".set.item[", j, "]"), "empty item");
        }
        items.push_back(p.set().item(j));
      }
      std::sort(items.begin(), items.end());
      auto dup = std::adjacent_find(items.begin(), items.end());
      if (dup != items.end()) {
        return FieldError(f + ".set.item", absl::StrCat("duplicate item '", *dup, "'"));
      }
      r = Resource::OfSet(p.name(), std::move(items));
      break;
    }
    default:
      return FieldError(f + ".type", absl::StrCat("must be TYPE_SCALAR, TYPE_RANGES or TYPE_SET, got ",
                                                  Value::Type_Name(p.type())));
  }
  DCOS_RETURN_IF_ERROR(ApplyReservation(p, f, r));
  return r;
}

Value::Type ProtoType(ValueType t) {
  switch (t) {
    case ValueType::kScalar:
      return Value::TYPE_SCALAR;
    case ValueType::kRanges:
      return Value::TYPE_RANGES;
    case ValueType::kSet:
      return Value::TYPE_SET;
  }
  return Value::TYPE_UNSPECIFIED;
}

}  // namespace

namespace {

// Validates `protos` and adds them to `out` (partly, on an error).
absl::Status AddProtos(const google::protobuf::RepeatedPtrField<common::v1::Resource>& protos,
                       absl::string_view field, Resources& out) {
  // The type of each name seen so far: a list, as a resource list holds a handful of names (a
  // master converts 100,000 of these lists in a failover).
  absl::InlinedVector<std::pair<absl::string_view, ValueType>, 8> types;
  for (int i = 0; i < protos.size(); ++i) {
    std::string f = absl::StrCat(field, "[", i, "]");
    DCOS_ASSIGN_OR_RETURN(Resource r, FromOne(protos.Get(i), f));
    absl::string_view name = protos.Get(i).name();
    auto seen = std::find_if(types.begin(), types.end(),
                             [&](const auto& t) { return t.first == name; });
    if (seen == types.end()) {
      types.emplace_back(name, r.type());
    } else if (seen->second != r.type()) {
      return FieldError(f + ".type", absl::StrCat("differs from an earlier '", r.name(),
                                                  "' resource (scalar, ranges and set do not mix)"));
    }
    out.Add(std::move(r));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Resources> Resources::FromProto(
    const google::protobuf::RepeatedPtrField<common::v1::Resource>& protos,
    absl::string_view field) {
  Resources out;
  if (protos.empty()) return out;
  out.Mutable().reserve(static_cast<size_t>(protos.size()));
  DCOS_RETURN_IF_ERROR(AddProtos(protos, field, out));
  if (out.empty()) out.clear();
  return out;
}

absl::StatusOr<Resources> Resources::SumOfProtos(
    absl::Span<const google::protobuf::RepeatedPtrField<common::v1::Resource>* const> lists,
    absl::string_view field) {
  Resources out;
  for (const auto* protos : lists) DCOS_RETURN_IF_ERROR(AddProtos(*protos, field, out));
  if (out.empty()) out.clear();
  return out;
}

void Resources::ToProto(google::protobuf::RepeatedPtrField<common::v1::Resource>* out) const {
  out->Reserve(out->size() + static_cast<int>(size()));
  for (const Resource& r : items()) {
    common::v1::Resource* p = out->Add();
    p->set_name(r.name());
    p->set_type(ProtoType(r.type()));
    switch (r.type()) {
      case ValueType::kScalar:
        p->mutable_scalar()->set_value(MilliToScalar(r.milli()));
        break;
      case ValueType::kRanges:
        for (const Range& range : r.ranges().ranges()) {
          Value::Range* pr = p->mutable_ranges()->add_range();
          pr->set_begin(range.begin);
          pr->set_end(range.end);
        }
        break;
      case ValueType::kSet:
        for (const std::string& item : r.set()) p->mutable_set()->add_item(item);
        break;
    }
    p->set_role(r.role());
    if (!r.reserved()) continue;
    ReservationInfo* info = p->mutable_reservation();
    info->set_role(r.role());
    if (const DynamicReservation* dyn = r.dynamic()) {
      info->set_type(ReservationInfo::TYPE_DYNAMIC);
      info->set_principal(dyn->principal);
      for (const auto& [key, value] : dyn->labels) {
        common::v1::Label* l = info->mutable_labels()->add_labels();
        l->set_key(key);
        l->set_value(value);
      }
    } else {
      info->set_type(ReservationInfo::TYPE_STATIC);
    }
  }
}

}  // namespace dcos::resources
