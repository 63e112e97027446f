#pragma once

// One named resource of one type, possibly reserved for a role: the compact C++ form of
// dcos.common.v1.Resource. Resources (resources.h) is a collection of these.

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "libs/resources/values.h"

namespace dcos::resources {

// The role of unreserved resources.
inline constexpr absl::string_view kUnreservedRole = "*";

enum class ValueType : uint8_t { kScalar, kRanges, kSet };

enum class ReservationType : uint8_t {
  kNone,     // unreserved (role "*")
  kStatic,   // from the agent's --resources, e.g. `cpus(ads):8`
  kDynamic,  // made by a RESERVE operation
};

// Who made a dynamic reservation, and its labels (UNRESERVE must name the same ones).
struct DynamicReservation {
  std::string principal;
  std::vector<std::pair<std::string, std::string>> labels;
  friend bool operator==(const DynamicReservation&, const DynamicReservation&) = default;
};

// Checks a resource name: 1..64 bytes of [a-zA-Z0-9_.-].
absl::Status ValidateResourceName(absl::string_view name);

// Checks a role (Mesos grammar): "*", or 1..255 bytes of '/'-separated components, none empty,
// none "." or "..", "*" or starting with '-', with no whitespace, control characters or '\'.
absl::Status ValidateRole(absl::string_view role);

class Resource {
 public:
  // Factories. They do not validate; use Resources::Parse / FromProto for untrusted input.
  static Resource Scalar(std::string name, int64_t milli, std::string role = "*");
  static Resource OfRanges(std::string name, Ranges ranges, std::string role = "*");
  static Resource OfSet(std::string name, Set items, std::string role = "*");

  const std::string& name() const { return name_; }
  ValueType type() const { return type_; }
  const std::string& role() const { return role_; }
  ReservationType reservation_type() const { return reservation_; }
  bool reserved() const { return reservation_ != ReservationType::kNone; }
  // Null unless reservation_type() == kDynamic.
  const DynamicReservation* dynamic() const { return dynamic_.get(); }

  // Value accessors; each is meaningful only for its type.
  int64_t milli() const { return milli_; }
  const Ranges& ranges() const { return ranges_; }
  const Set& set() const { return set_; }

  // True iff it holds nothing: scalar <= 0, no ranges, no items.
  bool empty() const;

  // Reserves for `role` (static), or unreserves when role is "*".
  void SetRole(std::string role);
  // Makes a dynamic reservation for `role` (not "*").
  void SetDynamicReservation(std::string role, DynamicReservation info);

  // True iff `a` and `b` can be added/subtracted: same name, type, role and reservation.
  static bool Combinable(const Resource& a, const Resource& b);

  // Value arithmetic. Requires Combinable(*this, other). Subtraction never goes below empty.
  void AddValue(const Resource& other);
  void SubtractValue(const Resource& other);
  bool ContainsValue(const Resource& other) const;

  // Mesos text form: `cpus:4`, `cpus(ads):8`, `ports:[1-2]`, `disks:{a,b}`.
  std::string ToString() const;

  friend bool operator==(const Resource& a, const Resource& b);

 private:
  friend class Resources;

  std::string name_;
  std::string role_ = std::string(kUnreservedRole);
  std::shared_ptr<const DynamicReservation> dynamic_;
  Ranges ranges_;
  Set set_;
  int64_t milli_ = 0;
  ValueType type_ = ValueType::kScalar;
  ReservationType reservation_ = ReservationType::kNone;
};

}  // namespace dcos::resources
