#pragma once

// Resources: a bag of Resource values with Mesos's arithmetic — the unit the master, the
// allocator, the agents and the frameworks all count in.
//
//   DCOS_ASSIGN_OR_RETURN(Resources total, Resources::Parse("cpus:4;mem:2048;ports:[31000-32000]"));
//   Resources task = *Resources::Parse("cpus:1;mem:512;ports:[31000-31000]");
//   if (total.Contains(task)) total -= task;   // cpus:3;mem:1536;ports:[31001-32000]
//
// Invariants: no entry is empty and no two entries are combinable (same name, type, role and
// reservation are merged into one). Entries keep insertion order (for printing); equality and
// containment ignore order.
//
// Arithmetic (Mesos semantics):
//   a + b   scalars add (fixed point, thousandths), ranges and sets are unioned
//   a - b   scalars subtract but never below zero, ranges and sets lose b's values;
//           entries that become empty disappear. (a + b) - b == a whenever the ranges and sets of
//           a and b are disjoint (always for scalars).
//   a.Contains(b)   b ⊆ a: every entry of b is covered by the combinable entry of a
//
// A value type with copy-on-write storage: a copy shares the entries (one reference count) until
// either side changes, so handing the same resources from an agent to an offer, an allocation
// record and a refuse filter allocates nothing, and a value compared with or subtracted from a
// copy of itself is answered without looking at the entries. Distinct values may be used from
// different threads; one value must not be mutated concurrently, like any value.

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "libs/resources/resource.h"
#include "libs/resources/values.h"
#include "protos/common/v1/resources.pb.h"

namespace dcos::resources {

class Resources {
 public:
  using const_iterator = std::vector<Resource>::const_iterator;

  Resources() = default;

  // Parses the Mesos text grammar: `name[(role)]:value` entries separated by ';', where value is
  // a scalar `4.5`, ranges `[31000-32000,33000-33005]` or a set `{a,b}`. Entries without a role
  // get `default_role` (a static reservation unless "*"). Entries of the same name must have the
  // same type; repeated entries add up. Empty input (or empty entries) are allowed. Errors
  // (InvalidArgument) quote the offending entry and say what is wrong with it.
  static absl::StatusOr<Resources> Parse(absl::string_view text,
                                         absl::string_view default_role = kUnreservedRole);

  // Validates and converts protos. `field` prefixes error messages, e.g.
  // "agent.resources[2].scalar.value: must be >= 0, got -1".
  static absl::StatusOr<Resources> FromProto(
      const google::protobuf::RepeatedPtrField<common::v1::Resource>& protos,
      absl::string_view field = "resources");
  // FromProto of each list, added up (as +=), without a value per list: e.g. the resources of
  // an agent's tasks. Fails if any list does.
  static absl::StatusOr<Resources> SumOfProtos(
      absl::Span<const google::protobuf::RepeatedPtrField<common::v1::Resource>* const> lists,
      absl::string_view field = "resources");
  // Unreserved `cpus` and `mem` (MiB): what a task asks for.
  static Resources CpusMem(double cpus, double mem_mib);
  // Appends one proto per entry.
  void ToProto(google::protobuf::RepeatedPtrField<common::v1::Resource>* out) const;

  // The text form, entries joined by ';' (parses back to an equal value for static roles).
  std::string ToString() const;

  bool empty() const { return items().empty(); }
  size_t size() const { return items().size(); }
  const_iterator begin() const { return items().begin(); }
  const_iterator end() const { return items().end(); }
  void clear() { items_.reset(); }

  void Add(const Resource& r);
  void Add(Resource&& r);
  void Subtract(const Resource& r);
  bool Contains(const Resource& r) const;

  Resources& operator+=(const Resources& other);
  Resources& operator-=(const Resources& other);
  friend Resources operator+(Resources a, const Resources& b) { return a += b; }
  friend Resources operator-(Resources a, const Resources& b) { return a -= b; }
  bool Contains(const Resources& other) const;
  friend bool operator==(const Resources& a, const Resources& b);

  // Filters (each returns a new value).
  Resources Unreserved() const;
  // Reserved for any role.
  Resources Reserved() const;
  Resources ReservedFor(absl::string_view role) const;
  // What a framework in `role` may be offered: unreserved plus reserved for `role`.
  Resources AllocatableTo(absl::string_view role) const;
  // Only the scalar entries.
  Resources Scalars() const;
  // Every entry moved to `role` (static reservation, or unreserved for "*"), then merged.
  Resources Flatten(absl::string_view role = kUnreservedRole) const;
  template <typename Pred>
  Resources Filter(Pred pred) const {
    Resources out;
    for (const Resource& r : items()) {
      if (pred(r)) out.Mutable().push_back(r);
    }
    return out;
  }

  bool HasReserved() const;
  bool HasUnreserved() const;

  // Totals of one name across roles and reservations: milli units of a scalar, the union of
  // ranges, the union of sets. Zero / empty when absent or of another type.
  int64_t ScalarMilli(absl::string_view name) const;
  double Scalar(absl::string_view name) const { return MilliToScalar(ScalarMilli(name)); }
  Ranges RangesOf(absl::string_view name) const;
  Set SetOf(absl::string_view name) const;

 private:
  const std::vector<Resource>& items() const;
  // The entries, for changing: unshared first (copied if another value shares them).
  std::vector<Resource>& Mutable();
  // Index of the entry combinable with `r`, or -1.
  int Find(const Resource& r) const;

  std::shared_ptr<std::vector<Resource>> items_;  // null when empty
};

}  // namespace dcos::resources
