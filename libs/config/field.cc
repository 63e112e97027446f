#include "libs/config/schema.h"

#include <cstdio>
#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace dcos::config {

Field::Field(std::string name, Type type, void* dest, std::string help)
    : name_(std::move(name)), type_(type), dest_(dest), help_(std::move(help)) {
  default_ = Current();
}

void Field::Misuse(absl::string_view what) const {
  std::fprintf(stderr, "dcos::config: field \"%s\" (%s): %.*s\n", name_.c_str(),
               std::string(TypeName(type_)).c_str(), static_cast<int>(what.size()), what.data());
  std::abort();
}

Value Field::Current() const {
  switch (type_) {
    case Type::kString: return *static_cast<const std::string*>(dest_);
    case Type::kInt: return *static_cast<const int64_t*>(dest_);
    case Type::kDouble: return *static_cast<const double*>(dest_);
    case Type::kBool: return *static_cast<const bool*>(dest_);
    case Type::kDuration: return *static_cast<const absl::Duration*>(dest_);
    case Type::kStringList: return *static_cast<const std::vector<std::string>*>(dest_);
  }
  return Value{};
}

void Field::Store(const Value& value) {
  switch (type_) {
    case Type::kString: *static_cast<std::string*>(dest_) = std::get<std::string>(value); break;
    case Type::kInt: *static_cast<int64_t*>(dest_) = std::get<int64_t>(value); break;
    case Type::kDouble: *static_cast<double*>(dest_) = std::get<double>(value); break;
    case Type::kBool: *static_cast<bool*>(dest_) = std::get<bool>(value); break;
    case Type::kDuration:
      *static_cast<absl::Duration*>(dest_) = std::get<absl::Duration>(value);
      break;
    case Type::kStringList:
      *static_cast<std::vector<std::string>*>(dest_) = std::get<std::vector<std::string>>(value);
      break;
  }
}

Field& Field::Range(int64_t min, int64_t max) {
  if (min > max) Misuse("Range with min > max");
  if (type_ == Type::kDouble) {
    return Range(static_cast<double>(min), static_cast<double>(max));
  }
  if (type_ != Type::kInt) Misuse("integer Range on a field that is not an int");
  int_range_ = {min, max};
  return *this;
}

Field& Field::Range(double min, double max) {
  if (!(min <= max)) Misuse("Range with min > max");
  if (type_ != Type::kDouble) Misuse("double Range on a field that is not a double");
  double_range_ = {min, max};
  return *this;
}

Field& Field::DurationRange(absl::Duration min, absl::Duration max) {
  if (min > max) Misuse("DurationRange with min > max");
  if (type_ != Type::kDuration) Misuse("DurationRange on a field that is not a duration");
  duration_range_ = {min, max};
  return *this;
}

Field& Field::OneOf(std::vector<std::string> allowed) {
  if (type_ != Type::kString && type_ != Type::kStringList) {
    Misuse("OneOf on a field that is not a string or string list");
  }
  if (allowed.empty()) Misuse("OneOf with no allowed values");
  one_of_ = std::move(allowed);
  return *this;
}

Field& Field::Required() {
  required_ = true;
  return *this;
}

Field& Field::Check(std::function<absl::Status(absl::string_view value)> check) {
  if (!check) Misuse("Check with an empty function");
  checks_.push_back(std::move(check));
  return *this;
}

absl::Status Field::CheckValue(const Value& value) const {
  if (int_range_) {
    int64_t v = std::get<int64_t>(value);
    if (v < int_range_->first || v > int_range_->second) {
      return absl::InvalidArgumentError(absl::StrCat(v, " is out of range [", int_range_->first,
                                                     ", ", int_range_->second, "]"));
    }
  }
  if (double_range_) {
    double v = std::get<double>(value);
    if (v < double_range_->first || v > double_range_->second) {
      return absl::InvalidArgumentError(absl::StrCat(
          FormatDouble(v), " is out of range [", FormatDouble(double_range_->first), ", ",
          FormatDouble(double_range_->second), "]"));
    }
  }
  if (duration_range_) {
    absl::Duration v = std::get<absl::Duration>(value);
    if (v < duration_range_->first || v > duration_range_->second) {
      return absl::InvalidArgumentError(absl::StrCat(
          absl::FormatDuration(v), " is out of range [",
          absl::FormatDuration(duration_range_->first), ", ",
          absl::FormatDuration(duration_range_->second), "]"));
    }
  }
  if (!one_of_.empty()) {
    auto check_one = [this](const std::string& s) -> absl::Status {
      for (const std::string& a : one_of_) {
        if (s == a) return absl::OkStatus();
      }
      return absl::InvalidArgumentError(absl::StrCat(QuoteString(s), " is not one of: ",
                                                     absl::StrJoin(one_of_, ", ")));
    };
    if (type_ == Type::kString) {
      absl::Status s = check_one(std::get<std::string>(value));
      if (!s.ok()) return s;
    } else {
      for (const std::string& e : std::get<std::vector<std::string>>(value)) {
        absl::Status s = check_one(e);
        if (!s.ok()) return s;
      }
    }
  }
  if (!checks_.empty()) {
    std::string text = FormatValue(value);
    for (const auto& check : checks_) {
      absl::Status s = check(text);
      if (!s.ok()) return absl::InvalidArgumentError(s.message());
    }
  }
  return absl::OkStatus();
}

std::string Field::ConstraintText() const {
  std::vector<std::string> parts;
  if (required_) parts.push_back("required");
  if (int_range_) {
    parts.push_back(absl::StrCat("range [", int_range_->first, ", ", int_range_->second, "]"));
  }
  if (double_range_) {
    parts.push_back(absl::StrCat("range [", FormatDouble(double_range_->first), ", ",
                                 FormatDouble(double_range_->second), "]"));
  }
  if (duration_range_) {
    parts.push_back(absl::StrCat("range [", absl::FormatDuration(duration_range_->first), ", ",
                                 absl::FormatDuration(duration_range_->second), "]"));
  }
  if (!one_of_.empty()) parts.push_back(absl::StrCat("one of: ", absl::StrJoin(one_of_, ", ")));
  if (!checks_.empty()) parts.push_back("custom check");
  return absl::StrJoin(parts, "; ");
}

}  // namespace dcos::config
