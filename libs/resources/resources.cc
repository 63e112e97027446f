#include "libs/resources/resources.h"

#include <utility>

#include "absl/strings/str_join.h"

namespace dcos::resources {

const std::vector<Resource>& Resources::items() const {
  static const std::vector<Resource>* const kEmpty = new std::vector<Resource>();
  return items_ ? *items_ : *kEmpty;
}

std::vector<Resource>& Resources::Mutable() {
  if (!items_) {
    items_ = std::make_shared<std::vector<Resource>>();
  } else if (items_.use_count() > 1) {
    items_ = std::make_shared<std::vector<Resource>>(*items_);
  }
  return *items_;
}

int Resources::Find(const Resource& r) const {
  const std::vector<Resource>& items = this->items();
  for (size_t i = 0; i < items.size(); ++i) {
    if (Resource::Combinable(items[i], r)) return static_cast<int>(i);
  }
  return -1;
}

Resources Resources::CpusMem(double cpus, double mem_mib) {
  Resources r;
  r.Add(Resource::Scalar("cpus", ScalarToMilli(cpus)));
  r.Add(Resource::Scalar("mem", ScalarToMilli(mem_mib)));
  return r;
}

void Resources::Add(const Resource& r) {
  if (r.empty()) return;
  int i = Find(r);
  if (i < 0) {
    Mutable().push_back(r);
  } else {
    Mutable()[static_cast<size_t>(i)].AddValue(r);
  }
}

void Resources::Add(Resource&& r) {
  if (r.empty()) return;
  int i = Find(r);
  if (i < 0) {
    Mutable().push_back(std::move(r));
  } else {
    Mutable()[static_cast<size_t>(i)].AddValue(r);
  }
}

void Resources::Subtract(const Resource& r) {
  if (r.empty()) return;
  int i = Find(r);
  if (i < 0) return;
  std::vector<Resource>& items = Mutable();
  Resource& mine = items[static_cast<size_t>(i)];
  mine.SubtractValue(r);
  if (mine.empty()) items.erase(items.begin() + i);
  if (items.empty()) items_.reset();
}

bool Resources::Contains(const Resource& r) const {
  if (r.empty()) return true;
  int i = Find(r);
  return i >= 0 && items()[static_cast<size_t>(i)].ContainsValue(r);
}

Resources& Resources::operator+=(const Resources& other) {
  if (other.empty()) return *this;
  if (empty()) {
    items_ = other.items_;  // share
    return *this;
  }
  // Holding a reference keeps other's entries alive and unchanged while ours change, even when
  // they are the same entries (a += a).
  std::shared_ptr<std::vector<Resource>> keep = other.items_;
  for (const Resource& r : *keep) Add(r);
  return *this;
}

Resources& Resources::operator-=(const Resources& other) {
  if (items_ == other.items_) {  // a - a, or a copy of it
    items_.reset();
    return *this;
  }
  std::shared_ptr<std::vector<Resource>> keep = other.items_;
  if (!keep) return *this;
  for (const Resource& r : *keep) {
    if (empty()) break;
    Subtract(r);
  }
  return *this;
}

bool Resources::Contains(const Resources& other) const {
  if (items_ == other.items_) return true;
  for (const Resource& r : other.items()) {
    if (!Contains(r)) return false;
  }
  return true;
}

bool operator==(const Resources& a, const Resources& b) {
  if (a.items_ == b.items_) return true;
  if (a.size() != b.size()) return false;
  for (const Resource& r : a.items()) {
    int i = b.Find(r);
    if (i < 0 || !(b.items()[static_cast<size_t>(i)] == r)) return false;
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
  for (Resource r : items()) {
    r.SetRole(std::string(role));
    out.Add(r);
  }
  return out;
}

bool Resources::HasReserved() const {
  for (const Resource& r : items()) {
    if (r.reserved()) return true;
  }
  return false;
}

bool Resources::HasUnreserved() const {
  for (const Resource& r : items()) {
    if (!r.reserved()) return true;
  }
  return false;
}

int64_t Resources::ScalarMilli(absl::string_view name) const {
  int64_t total = 0;
  for (const Resource& r : items()) {
    if (r.type() == ValueType::kScalar && r.name() == name) total += r.milli();
  }
  return total;
}

Ranges Resources::RangesOf(absl::string_view name) const {
  Ranges out;
  for (const Resource& r : items()) {
    if (r.type() == ValueType::kRanges && r.name() == name) out.Add(r.ranges());
  }
  return out;
}

Set Resources::SetOf(absl::string_view name) const {
  Set out;
  for (const Resource& r : items()) {
    if (r.type() == ValueType::kSet && r.name() == name) SetAdd(out, r.set());
  }
  return out;
}

std::string Resources::ToString() const {
  return absl::StrJoin(items(), ";", [](std::string* out, const Resource& r) {
    out->append(r.ToString());
  });
}

}  // namespace dcos::resources
