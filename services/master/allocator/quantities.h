#pragma once

// Dense scalar quantities for DRF: allocations and totals as small int64 (milli unit) vectors
// indexed by resource kind, so shares are computed without looking names up.

#include <cstdint>
#include <string>
#include <vector>

#include <array>

#include "absl/strings/string_view.h"
#include "libs/resources/resources.h"

namespace dcos::master::allocator {

// Scalar quantities by kind index (see Kinds). Missing trailing kinds count as zero.
class Quantities {
 public:
  int64_t Get(size_t kind) const { return kind < size_ ? data()[kind] : 0; }
  void Add(size_t kind, int64_t milli);
  Quantities& operator+=(const Quantities& other);
  Quantities& operator-=(const Quantities& other);
  bool IsZero() const;
  size_t size() const { return size_; }
  void Clear() {
    size_ = 0;
    inline_.fill(0);
    heap_.clear();
  }
  friend bool operator==(const Quantities& a, const Quantities& b);

  // True iff every kind of `this` is >= the same kind of `other`.
  bool Covers(const Quantities& other) const;

 private:
  // The first kinds live inline (no allocation for the usual cpus/mem/disk/gpus); more kinds
  // move everything to the heap.
  static constexpr size_t kInline = 6;
  const int64_t* data() const { return size_ > kInline ? heap_.data() : inline_.data(); }
  int64_t* data() { return size_ > kInline ? heap_.data() : inline_.data(); }
  void Grow(size_t n);

  size_t size_ = 0;
  std::array<int64_t, kInline> inline_{};
  std::vector<int64_t> heap_;
};

// The resource names that have been seen as scalars, each given a dense index. Grows only.
class Kinds {
 public:
  // Index of `name`, added if new.
  size_t Intern(absl::string_view name);
  // Index of `name`, or -1.
  int Find(absl::string_view name) const;
  size_t size() const { return names_.size(); }
  const std::string& name(size_t kind) const { return names_[kind]; }

  // Adds the scalar entries of `r` (all roles) to `q`, interning new names.
  void AddScalars(const resources::Resources& r, Quantities& q);
  // The same for only the entries `pred` accepts.
  template <typename Pred>
  void AddScalarsIf(const resources::Resources& r, Quantities& q, Pred pred) {
    for (const resources::Resource& e : r) {
      if (e.type() == resources::ValueType::kScalar && pred(e)) q.Add(Intern(e.name()), e.milli());
    }
  }
  Quantities Of(const resources::Resources& r) {
    Quantities q;
    AddScalars(r, q);
    return q;
  }

  // Unreserved scalar resources with these quantities (for reporting).
  resources::Resources ToResources(const Quantities& q) const;

 private:
  std::vector<std::string> names_;
};

// max over kinds of allocated / total (kinds with total 0 are ignored). 0 when nothing counts.
double DominantShare(const Quantities& allocated, const Quantities& total);

}  // namespace dcos::master::allocator
