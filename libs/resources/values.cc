#include "libs/resources/values.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace dcos::resources {

int64_t ScalarToMilli(double value) { return std::llround(value * kScalarScale); }

double MilliToScalar(int64_t milli) { return static_cast<double>(milli) / kScalarScale; }

absl::Status ValidateScalar(double value, absl::string_view field) {
  if (!std::isfinite(value)) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": must be a finite number"));
  }
  if (value < 0) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": must be >= 0, got ", value));
  }
  if (value > kMaxScalar) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": must be <= ", kMaxScalar, ", got ", value));
  }
  return absl::OkStatus();
}

std::string FormatMilli(int64_t milli) {
  std::string out;
  if (milli < 0) {
    out = "-";
    milli = -milli;
  }
  absl::StrAppend(&out, milli / kScalarScale);
  int64_t frac = milli % kScalarScale;
  if (frac != 0) {
    std::string digits = absl::StrCat(frac + kScalarScale).substr(1);  // zero-padded to 3
    while (digits.back() == '0') digits.pop_back();
    absl::StrAppend(&out, ".", digits);
  }
  return out;
}

namespace {

constexpr uint64_t kMaxValue = std::numeric_limits<uint64_t>::max();

// True iff `a` (earlier) and `b` overlap or touch, so they coalesce into one range.
bool Touches(const Range& a, const Range& b) { return a.end == kMaxValue || b.begin <= a.end + 1; }

}  // namespace

Ranges::Ranges(std::vector<Range> any_order) : ranges_(std::move(any_order)) {
  std::sort(ranges_.begin(), ranges_.end(),
            [](const Range& a, const Range& b) { return a.begin < b.begin; });
  std::vector<Range> merged;
  merged.reserve(ranges_.size());
  for (const Range& r : ranges_) {
    if (!merged.empty() && Touches(merged.back(), r)) {
      merged.back().end = std::max(merged.back().end, r.end);
    } else {
      merged.push_back(r);
    }
  }
  ranges_ = std::move(merged);
}

uint64_t Ranges::Count() const {
  uint64_t total = 0;
  for (const Range& r : ranges_) {
    uint64_t n = r.end - r.begin;
    if (n == kMaxValue || total > kMaxValue - n - 1) return kMaxValue;
    total += n + 1;
  }
  return total;
}

void Ranges::Add(Range r) {
  // First range that ends at or after r.begin - 1 (could touch r).
  auto first = std::lower_bound(ranges_.begin(), ranges_.end(), r.begin,
                                [](const Range& x, uint64_t begin) {
                                  return x.end != kMaxValue && x.end + 1 < begin;
                                });
  auto last = first;
  while (last != ranges_.end() && Touches(r, *last)) {
    r.begin = std::min(r.begin, last->begin);
    r.end = std::max(r.end, last->end);
    ++last;
  }
  if (first == last) {
    ranges_.insert(first, r);
    return;
  }
  *first = r;
  ranges_.erase(first + 1, last);
}

void Ranges::Add(const Ranges& other) {
  if (other.empty()) return;
  if (ranges_.empty()) {
    ranges_ = other.ranges_;
    return;
  }
  if (other.ranges_.size() == 1) {
    Add(other.ranges_.front());
    return;
  }
  std::vector<Range> merged;
  merged.reserve(ranges_.size() + other.ranges_.size());
  auto a = ranges_.begin();
  auto b = other.ranges_.begin();
  while (a != ranges_.end() || b != other.ranges_.end()) {
    const Range* next;
    if (b == other.ranges_.end() || (a != ranges_.end() && a->begin <= b->begin)) {
      next = &*a++;
    } else {
      next = &*b++;
    }
    if (!merged.empty() && Touches(merged.back(), *next)) {
      merged.back().end = std::max(merged.back().end, next->end);
    } else {
      merged.push_back(*next);
    }
  }
  ranges_ = std::move(merged);
}

void Ranges::Subtract(const Ranges& other) {
  if (empty() || other.empty()) return;
  std::vector<Range> out;
  out.reserve(ranges_.size() + other.ranges_.size());
  auto b = other.ranges_.begin();
  for (Range a : ranges_) {
    // Skip subtrahends wholly before a.
    while (b != other.ranges_.end() && b->end < a.begin) ++b;
    auto cut = b;
    bool alive = true;
    while (cut != other.ranges_.end() && cut->begin <= a.end) {
      if (cut->begin > a.begin) out.push_back({a.begin, cut->begin - 1});
      if (cut->end >= a.end) {
        alive = false;
        break;
      }
      a.begin = cut->end + 1;
      ++cut;
    }
    if (alive) out.push_back(a);
  }
  ranges_ = std::move(out);
}

bool Ranges::Contains(const Ranges& other) const {
  auto a = ranges_.begin();
  for (const Range& r : other.ranges_) {
    while (a != ranges_.end() && a->end < r.begin) ++a;
    if (a == ranges_.end() || a->begin > r.begin || a->end < r.end) return false;
  }
  return true;
}

bool Ranges::Intersects(const Ranges& other) const {
  auto a = ranges_.begin();
  auto b = other.ranges_.begin();
  while (a != ranges_.end() && b != other.ranges_.end()) {
    if (a->end < b->begin) {
      ++a;
    } else if (b->end < a->begin) {
      ++b;
    } else {
      return true;
    }
  }
  return false;
}

std::string Ranges::ToString() const {
  return absl::StrCat("[",
                      absl::StrJoin(ranges_, ",",
                                    [](std::string* out, const Range& r) {
                                      absl::StrAppend(out, r.begin, "-", r.end);
                                    }),
                      "]");
}

void SetAdd(Set& into, const Set& other) {
  if (other.empty()) return;
  Set out;
  out.reserve(into.size() + other.size());
  std::set_union(into.begin(), into.end(), other.begin(), other.end(), std::back_inserter(out));
  into = std::move(out);
}

void SetSubtract(Set& from, const Set& other) {
  if (other.empty() || from.empty()) return;
  Set out;
  out.reserve(from.size());
  std::set_difference(from.begin(), from.end(), other.begin(), other.end(),
                      std::back_inserter(out));
  from = std::move(out);
}

bool SetContains(const Set& super, const Set& sub) {
  return std::includes(super.begin(), super.end(), sub.begin(), sub.end());
}

std::string SetToString(const Set& set) { return absl::StrCat("{", absl::StrJoin(set, ","), "}"); }

}  // namespace dcos::resources
