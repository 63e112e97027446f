#pragma once

// The three value types a resource can hold, as compact C++ values (no protobuf):
//
//   scalars  fixed point, thousandths (Mesos semantics: 0.0001 is 0, 0.1 + 0.2 == 0.3)
//   Ranges   inclusive uint64 ranges, always kept sorted and coalesced
//   sets     sorted vectors of distinct strings
//
// Pure value types: no I/O, no shared state; safe to use from any thread (as values are).

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace dcos::resources {

// Scalar quantities are stored as int64 thousandths ("milli units").
inline constexpr int64_t kScalarScale = 1000;
// The largest scalar one resource may hold (1e12, e.g. a trillion MiB): sums of thousands of
// them stay far from int64 overflow.
inline constexpr double kMaxScalar = 1e12;

// `value` rounded to the nearest thousandth, as milli units. Requires a finite value with
// |value| <= kMaxScalar (validate first with ParseScalar / ValidateScalar).
int64_t ScalarToMilli(double value);
double MilliToScalar(int64_t milli);

// Whether `value` is finite, >= 0 and <= kMaxScalar.
inline bool ScalarInBounds(double value) { return value >= 0 && value <= kMaxScalar; }
// Checks that `value` is finite, >= 0 and <= kMaxScalar. The error names `field`.
absl::Status ValidateScalar(double value, absl::string_view field);

// Shortest decimal text of a milli quantity: 4000 -> "4", 500 -> "0.5", 1 -> "0.001".
std::string FormatMilli(int64_t milli);

// An inclusive range [begin, end], begin <= end.
struct Range {
  uint64_t begin = 0;
  uint64_t end = 0;
  friend bool operator==(const Range& a, const Range& b) = default;
};

// A set of uint64 values as sorted, non-overlapping, non-adjacent inclusive ranges.
// Every mutation keeps that form, so equality is structural.
class Ranges {
 public:
  Ranges() = default;
  // From ranges in any order, overlapping or not. Requires begin <= end for each.
  explicit Ranges(std::vector<Range> any_order);

  bool empty() const { return ranges_.empty(); }
  // Number of disjoint ranges.
  size_t num_ranges() const { return ranges_.size(); }
  // Number of values covered, saturating at UINT64_MAX.
  uint64_t Count() const;
  const std::vector<Range>& ranges() const { return ranges_; }

  // Union.
  void Add(Range r);
  void Add(const Ranges& other);
  // Difference: removes every value of `other`.
  void Subtract(const Ranges& other);
  // True iff every value of `other` is in this.
  bool Contains(const Ranges& other) const;
  bool Intersects(const Ranges& other) const;

  // "[31000-32000,33000-33005]".
  std::string ToString() const;

  friend bool operator==(const Ranges& a, const Ranges& b) = default;

 private:
  std::vector<Range> ranges_;
};

// A sorted vector of distinct strings.
using Set = std::vector<std::string>;

// Union, difference and inclusion on sorted sets.
void SetAdd(Set& into, const Set& other);
void SetSubtract(Set& from, const Set& other);
bool SetContains(const Set& super, const Set& sub);
// "{a,b}".
std::string SetToString(const Set& set);

}  // namespace dcos::resources
