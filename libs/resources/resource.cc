#include "libs/resources/resource.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace dcos::resources {

absl::Status ValidateResourceName(absl::string_view name) {
  if (name.empty() || name.size() > 64) {
    return absl::InvalidArgumentError(
        absl::StrCat("resource name '", name, "' must be 1..64 bytes long"));
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    if (!ok) {
      return absl::InvalidArgumentError(absl::StrCat(
          "resource name '", name, "' has an invalid character (allowed: [a-zA-Z0-9_.-])"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateRole(absl::string_view role) {
  if (role == kUnreservedRole) return absl::OkStatus();
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("role '", role, "' ", why));
  };
  if (role.empty()) return bad("is empty");
  if (role.size() > 255) return bad("is longer than 255 bytes");
  for (char c : role) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '\\') {
      return bad("has a whitespace, control or '\\' character");
    }
  }
  for (absl::string_view part : absl::StrSplit(role, '/')) {
    if (part.empty()) return bad("has an empty component (leading, trailing or double '/')");
    if (part == "." || part == "..") return bad("has a '.' or '..' component");
    if (part == "*") return bad("has a '*' component ('*' is only valid as the whole role)");
    if (part.front() == '-') return bad("has a component starting with '-'");
  }
  return absl::OkStatus();
}

Resource Resource::Scalar(std::string name, int64_t milli, std::string role) {
  Resource r;
  r.name_ = std::move(name);
  r.type_ = ValueType::kScalar;
  r.milli_ = milli;
  r.SetRole(std::move(role));
  return r;
}

Resource Resource::OfRanges(std::string name, Ranges ranges, std::string role) {
  Resource r;
  r.name_ = std::move(name);
  r.type_ = ValueType::kRanges;
  r.ranges_ = std::move(ranges);
  r.SetRole(std::move(role));
  return r;
}

Resource Resource::OfSet(std::string name, Set items, std::string role) {
  Resource r;
  r.name_ = std::move(name);
  r.type_ = ValueType::kSet;
  r.set_ = std::move(items);
  r.SetRole(std::move(role));
  return r;
}

bool Resource::empty() const {
  switch (type_) {
    case ValueType::kScalar:
      return milli_ <= 0;
    case ValueType::kRanges:
      return ranges_.empty();
    case ValueType::kSet:
      return set_.empty();
  }
  return true;
}

void Resource::SetRole(std::string role) {
  role_ = std::move(role);
  dynamic_.reset();
  reservation_ = role_ == kUnreservedRole ? ReservationType::kNone : ReservationType::kStatic;
}

void Resource::SetDynamicReservation(std::string role, DynamicReservation info) {
  role_ = std::move(role);
  reservation_ = ReservationType::kDynamic;
  dynamic_ = std::make_shared<const DynamicReservation>(std::move(info));
}

bool Resource::Combinable(const Resource& a, const Resource& b) {
  if (a.type_ != b.type_ || a.reservation_ != b.reservation_ || a.name_ != b.name_ ||
      a.role_ != b.role_) {
    return false;
  }
  if (a.dynamic_ == b.dynamic_) return true;
  return a.dynamic_ != nullptr && b.dynamic_ != nullptr && *a.dynamic_ == *b.dynamic_;
}

void Resource::AddValue(const Resource& other) {
  switch (type_) {
    case ValueType::kScalar:
      milli_ += other.milli_;
      break;
    case ValueType::kRanges:
      ranges_.Add(other.ranges_);
      break;
    case ValueType::kSet:
      SetAdd(set_, other.set_);
      break;
  }
}

void Resource::SubtractValue(const Resource& other) {
  switch (type_) {
    case ValueType::kScalar:
      milli_ = milli_ > other.milli_ ? milli_ - other.milli_ : 0;
      break;
    case ValueType::kRanges:
      ranges_.Subtract(other.ranges_);
      break;
    case ValueType::kSet:
      SetSubtract(set_, other.set_);
      break;
  }
}

bool Resource::ContainsValue(const Resource& other) const {
  switch (type_) {
    case ValueType::kScalar:
      return milli_ >= other.milli_;
    case ValueType::kRanges:
      return ranges_.Contains(other.ranges_);
    case ValueType::kSet:
      return SetContains(set_, other.set_);
  }
  return false;
}

std::string Resource::ToString() const {
  std::string out = name_;
  if (reserved()) absl::StrAppend(&out, "(", role_, ")");
  out += ':';
  switch (type_) {
    case ValueType::kScalar:
      absl::StrAppend(&out, FormatMilli(milli_));
      break;
    case ValueType::kRanges:
      absl::StrAppend(&out, ranges_.ToString());
      break;
    case ValueType::kSet:
      absl::StrAppend(&out, SetToString(set_));
      break;
  }
  return out;
}

bool operator==(const Resource& a, const Resource& b) {
  if (!Resource::Combinable(a, b)) return false;
  switch (a.type_) {
    case ValueType::kScalar:
      return a.milli_ == b.milli_;
    case ValueType::kRanges:
      return a.ranges_ == b.ranges_;
    case ValueType::kSet:
      return a.set_ == b.set_;
  }
  return false;
}

}  // namespace dcos::resources
