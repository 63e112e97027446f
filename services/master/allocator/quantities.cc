#include "services/master/allocator/quantities.h"

#include <algorithm>

namespace dcos::master::allocator {

void Quantities::Grow(size_t n) {
  if (n <= size_) return;
  if (n > kInline) {
    if (size_ <= kInline) heap_.assign(inline_.begin(), inline_.begin() + static_cast<std::ptrdiff_t>(size_));
    heap_.resize(n, 0);
  }
  size_ = n;
}

void Quantities::Add(size_t kind, int64_t milli) {
  Grow(kind + 1);
  data()[kind] += milli;
}

Quantities& Quantities::operator+=(const Quantities& other) {
  Grow(other.size_);
  int64_t* d = data();
  const int64_t* o = other.data();
  for (size_t i = 0; i < other.size_; ++i) d[i] += o[i];
  return *this;
}

Quantities& Quantities::operator-=(const Quantities& other) {
  Grow(other.size_);
  int64_t* d = data();
  const int64_t* o = other.data();
  for (size_t i = 0; i < other.size_; ++i) d[i] -= o[i];
  return *this;
}

bool Quantities::IsZero() const {
  return std::all_of(data(), data() + size_, [](int64_t x) { return x == 0; });
}

bool operator==(const Quantities& a, const Quantities& b) {
  size_t n = std::max(a.size_, b.size_);
  for (size_t i = 0; i < n; ++i) {
    if (a.Get(i) != b.Get(i)) return false;
  }
  return true;
}

bool Quantities::Covers(const Quantities& other) const {
  for (size_t i = 0; i < other.size_; ++i) {
    if (Get(i) < other.Get(i)) return false;
  }
  return true;
}

size_t Kinds::Intern(absl::string_view name) {
  for (size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == name) return i;
  }
  names_.emplace_back(name);
  return names_.size() - 1;
}

int Kinds::Find(absl::string_view name) const {
  for (size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == name) return static_cast<int>(i);
  }
  return -1;
}

void Kinds::AddScalars(const resources::Resources& r, Quantities& q) {
  for (const resources::Resource& e : r) {
    if (e.type() == resources::ValueType::kScalar) q.Add(Intern(e.name()), e.milli());
  }
}

resources::Resources Kinds::ToResources(const Quantities& q) const {
  resources::Resources out;
  for (size_t i = 0; i < q.size() && i < names_.size(); ++i) {
    out.Add(resources::Resource::Scalar(names_[i], q.Get(i)));
  }
  return out;
}

double DominantShare(const Quantities& allocated, const Quantities& total) {
  double share = 0;
  size_t n = std::min(allocated.size(), total.size());
  for (size_t i = 0; i < n; ++i) {
    int64_t t = total.Get(i);
    if (t <= 0) continue;
    share = std::max(share, static_cast<double>(allocated.Get(i)) / static_cast<double>(t));
  }
  return share;
}

}  // namespace dcos::master::allocator
