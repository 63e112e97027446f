#include "libs/resources/resources.h"

#include <utility>

#include "absl/strings/str_join.h"

namespace dcos::resources {

int Resources::Find(const Resource& r) const {
  for (size_t i = 0; i < items_.size(); ++i) {
    if (Resource::Combinable(items_[i], r)) return static_cast<int>(i);
  }
  return -1;
}

void Resources::Add(const Resource& r) {
  if (r.empty()) return;
  int i = Find(r);
  if (i < 0) {
    items_.push_back(r);
  } else {
    items_[static_cast<size_t>(i)].AddValue(r);
  }
}

void Resources::Subtract(const Resource& r) {
  if (r.empty()) return;
  int i = Find(r);
  if (i < 0) return;
  Resource& mine = items_[static_cast<size_t>(i)];
  mine.SubtractValue(r);
  if (mine.empty()) items_.erase(items_.begin() + i);
}

bool Resources::Contains(const Resource& r) const {
  if (r.empty()) return true;
  int i = Find(r);
  return i >= 0 && items_[static_cast<size_t>(i)].ContainsValue(r);
}

Resources& Resources::operator+=(const Resources& other) {
  if (&other == this) {
    Resources copy = other;
    return *this += copy;
  }
  if (items_.empty()) {
    items_ = other.items_;
    return *this;
  }
  for (const Resource& r : other.items_) Add(r);
  return *this;
}

Resources& Resources::operator-=(const Resources& other) {
  if (&other == this) {
    items_.clear();
    return *this;
  }
  for (const Resource& r : other.items_) {
    if (items_.empty()) break;
    Subtract(r);
  }
  return *this;
}

bool Resources::Contains(const Resources& other) const {
  for (const Resource& r : other.items_) {
    if (!Contains(r)) return false;
  }
  return true;
}

bool operator==(const Resources& a, const Resources& b) {
  if (a.items_.size() != b.items_.size()) return false;
  for (const Resource& r : a.items_) {
    int i = b.Find(r);
    if (i < 0 || !(b.items_[static_cast<size_t>(i)] == r)) return false;
  }
  return true;
}

Resources Resources::Unreserved() const {
  return Filter([](const Resource& r) { return !r.reserved(); });
}

Resources Resources::Reserved() const {
  return Filter([](const Resource& r) { return r.reserved(); });
}

Resources Resources::ReservedFor(absl::string_view role) const {
  return Filter([role](const Resource& r) { return r.reserved() && r.role() == role; });
}

Resources Resources::AllocatableTo(absl::string_view role) const {
  return Filter([role](const Resource& r) { return !r.reserved() || r.role() == role; });
}

Resources Resources::Scalars() const {
  return Filter([](const Resource& r) { return r.type() == ValueType::kScalar; });
}

Resources Resources::Flatten(absl::string_view role) const {
  Resources out;
  for (Resource r : items_) {
    r.SetRole(std::string(role));
    out.Add(r);
  }
  return out;
}

bool Resources::HasReserved() const {
  for (const Resource& r : items_) {
    if (r.reserved()) return true;
  }
  return false;
}

bool Resources::HasUnreserved() const {
  for (const Resource& r : items_) {
    if (!r.reserved()) return true;
  }
  return false;
}

int64_t Resources::ScalarMilli(absl::string_view name) const {
  int64_t total = 0;
  for (const Resource& r : items_) {
    if (r.type() == ValueType::kScalar && r.name() == name) total += r.milli();
  }
  return total;
}

Ranges Resources::RangesOf(absl::string_view name) const {
  Ranges out;
  for (const Resource& r : items_) {
    if (r.type() == ValueType::kRanges && r.name() == name) out.Add(r.ranges());
  }
  return out;
}

Set Resources::SetOf(absl::string_view name) const {
  Set out;
  for (const Resource& r : items_) {
    if (r.type() == ValueType::kSet && r.name() == name) SetAdd(out, r.set());
  }
  return out;
}

std::string Resources::ToString() const {
  return absl::StrJoin(items_, ";", [](std::string* out, const Resource& r) {
    out->append(r.ToString());
  });
}

}  // namespace dcos::resources
