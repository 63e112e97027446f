#include "libs/config/schema.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "libs/status/status_macros.h"

namespace dcos::config {
namespace {

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "dcos::config: %s\n", message.c_str());
  std::abort();
}

bool ValidName(absl::string_view name) {
  if (name.empty()) return false;
  for (absl::string_view seg : absl::StrSplit(name, '.')) {
    if (seg.empty()) return false;
    for (char c : seg) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') {
        return false;
      }
    }
  }
  return true;
}

std::string FieldError(absl::string_view source, absl::string_view name, absl::string_view msg) {
  return absl::StrCat(source, ": field \"", name, "\": ", msg);
}

size_t EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

absl::Status ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno;
    std::string why = err != 0 ? std::strerror(err) : "cannot open";
    std::string msg = absl::StrCat("config ", path, ": cannot read file: ", why);
    if (err == ENOENT) return absl::NotFoundError(msg);
    if (err == EACCES) return absl::PermissionDeniedError(msg);
    return absl::InvalidArgumentError(msg);
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) {
    return absl::InvalidArgumentError(absl::StrCat("config ", path, ": error reading file"));
  }
  *out = buf.str();
  return absl::OkStatus();
}

}  // namespace

// ---- Registration ----

Field& Schema::Add(std::string name, Type type, void* dest, std::string help) {
  if (!ValidName(name)) Die(absl::StrCat("invalid field name \"", name, "\""));
  if (dest == nullptr) Die(absl::StrCat("field \"", name, "\" has a null destination"));
  if (name == "help" || name == "h" || name == "config") {
    Die(absl::StrCat("field name \"", name, "\" is reserved for the command line"));
  }
  if (fields_.count(name) > 0) Die(absl::StrCat("field \"", name, "\" registered twice"));
  if (IsSection(name)) {
    Die(absl::StrCat("field \"", name, "\" is also a section of other fields"));
  }
  for (size_t dot = name.find('.'); dot != std::string::npos; dot = name.find('.', dot + 1)) {
    if (fields_.count(name.substr(0, dot)) > 0) {
      Die(absl::StrCat("field \"", name, "\" is under field \"", name.substr(0, dot), "\""));
    }
  }
  auto* field = new Field(name, type, dest, std::move(help));
  fields_.emplace(std::move(name), std::unique_ptr<Field>(field));
  return *field;
}

Field& Schema::String(std::string name, std::string* dest, std::string help) {
  return Add(std::move(name), Type::kString, dest, std::move(help));
}
Field& Schema::Int(std::string name, int64_t* dest, std::string help) {
  return Add(std::move(name), Type::kInt, dest, std::move(help));
}
Field& Schema::Double(std::string name, double* dest, std::string help) {
  return Add(std::move(name), Type::kDouble, dest, std::move(help));
}
Field& Schema::Bool(std::string name, bool* dest, std::string help) {
  return Add(std::move(name), Type::kBool, dest, std::move(help));
}
Field& Schema::Duration(std::string name, absl::Duration* dest, std::string help) {
  return Add(std::move(name), Type::kDuration, dest, std::move(help));
}
Field& Schema::StringList(std::string name, std::vector<std::string>* dest, std::string help) {
  return Add(std::move(name), Type::kStringList, dest, std::move(help));
}

const Field* Schema::Find(absl::string_view name) const {
  auto it = fields_.find(name);
  return it == fields_.end() ? nullptr : it->second.get();
}

bool Schema::IsSection(absl::string_view prefix) const {
  std::string dotted = absl::StrCat(prefix, ".");
  auto it = fields_.lower_bound(dotted);
  return it != fields_.end() && absl::StartsWith(it->first, dotted);
}

std::string Schema::UnknownField(absl::string_view name) const {
  std::string out = absl::StrCat("unknown field \"", name, "\"");
  const std::string* best = nullptr;
  size_t best_distance = 3;  // suggest only close names
  for (const auto& [candidate, field] : fields_) {
    size_t d = EditDistance(name, candidate);
    if (d < best_distance) {
      best_distance = d;
      best = &candidate;
    }
  }
  if (best != nullptr) absl::StrAppend(&out, " (did you mean \"", *best, "\"?)");
  return out;
}

// ---- Loading ----

void Schema::WalkYaml(const YamlNode& map, const std::string& prefix, const std::string& source,
                      Update::Overlay* out, std::vector<std::string>* errors) const {
  for (const auto& [key, node] : map.entries) {
    std::string name = prefix.empty() ? key : absl::StrCat(prefix, ".", key);
    if (const Field* field = Find(name)) {
      if (out->count(name) > 0) {
        errors->push_back(absl::StrCat(source, ": field \"", name, "\" is set twice"));
        continue;
      }
      absl::StatusOr<Value> value = ParseYamlValue(field->type(), node);
      absl::Status s = value.ok() ? field->CheckValue(*value) : value.status();
      if (!s.ok()) {
        errors->push_back(FieldError(source, name, s.message()));
        continue;
      }
      out->emplace(name, Update::Staged{*std::move(value), source});
    } else if (IsSection(name)) {
      if (node.kind == YamlNode::Kind::kMap) {
        WalkYaml(node, name, source, out, errors);
      } else if (node.kind != YamlNode::Kind::kNull) {
        errors->push_back(FieldError(
            source, name, absl::StrCat("expected a map of ", name, ".* fields, got ",
                                       KindName(node.kind))));
      }
    } else {
      errors->push_back(absl::StrCat(source, ": ", UnknownField(name)));
    }
  }
}

absl::Status Schema::Update::LoadYamlString(absl::string_view yaml, absl::string_view source) {
  std::string src = absl::StrCat("config ", source);
  absl::StatusOr<YamlNode> root = ParseYaml(yaml);
  if (!root.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(src, ": ", root.status().message()));
  }
  if (root->kind == YamlNode::Kind::kNull) return absl::OkStatus();
  if (root->kind != YamlNode::Kind::kMap) {
    return absl::InvalidArgumentError(absl::StrCat(
        src, ": expected a map of fields at the top level, got ", KindName(root->kind)));
  }
  Overlay loaded;
  std::vector<std::string> errors;
  schema_->WalkYaml(*root, "", src, &loaded, &errors);
  if (!errors.empty()) return absl::InvalidArgumentError(absl::StrJoin(errors, "\n"));
  for (auto& [name, staged] : loaded) staged_[name] = std::move(staged);
  return absl::OkStatus();
}

absl::Status Schema::Update::LoadYamlFile(const std::string& path) {
  std::string text;
  DCOS_RETURN_IF_ERROR(ReadFile(path, &text));
  return LoadYamlString(text, path);
}

absl::Status Schema::Update::Set(absl::string_view name, absl::string_view value,
                                 absl::string_view source) {
  const Field* field = schema_->Find(name);
  if (field == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": ", schema_->UnknownField(name)));
  }
  absl::StatusOr<Value> parsed = ParseFlagValue(field->type(), value);
  absl::Status s = parsed.ok() ? field->CheckValue(*parsed) : parsed.status();
  if (!s.ok()) return absl::InvalidArgumentError(FieldError(source, name, s.message()));
  staged_[std::string(name)] = Staged{*std::move(parsed), std::string(source)};
  return absl::OkStatus();
}

absl::Status Schema::Update::Validate() const { return schema_->ValidateWith(staged_); }

void Schema::Update::Commit() {
  for (auto& [name, staged] : staged_) {
    Field* field = schema_->fields_.find(name)->second.get();
    field->Store(staged.value);
    field->source_ = staged.source;
  }
  staged_.clear();
}

absl::Status Schema::LoadYamlFile(const std::string& path) {
  Update update(this);
  DCOS_RETURN_IF_ERROR(update.LoadYamlFile(path));
  update.Commit();
  return absl::OkStatus();
}

absl::Status Schema::LoadYamlString(absl::string_view yaml, absl::string_view source) {
  Update update(this);
  DCOS_RETURN_IF_ERROR(update.LoadYamlString(yaml, source));
  update.Commit();
  return absl::OkStatus();
}

absl::Status Schema::Set(absl::string_view name, absl::string_view value,
                         absl::string_view source) {
  Update update(this);
  DCOS_RETURN_IF_ERROR(update.Set(name, value, source));
  update.Commit();
  return absl::OkStatus();
}

// ---- Validation ----

absl::Status Schema::Validate() const { return ValidateWith({}); }

absl::Status Schema::ValidateWith(const Update::Overlay& staged) const {
  std::vector<std::string> errors;
  for (const auto& [name, field] : fields_) {
    auto it = staged.find(name);
    Value value = it != staged.end() ? it->second.value : field->Current();
    const std::string& source = it != staged.end() ? it->second.source : field->source_;
    if (field->required_) {
      bool missing = false;
      if (field->type_ == Type::kString) {
        missing = std::get<std::string>(value).empty();
      } else if (field->type_ == Type::kStringList) {
        missing = std::get<std::vector<std::string>>(value).empty();
      } else {
        missing = source.empty();
      }
      if (missing) {
        errors.push_back(absl::StrCat("field \"", name,
                                      "\" is required: set it in the config file or with --",
                                      name));
        continue;
      }
    }
    absl::Status s = field->CheckValue(value);
    if (s.ok()) continue;
    if (source.empty()) {
      errors.push_back(absl::StrCat("field \"", name, "\": ", s.message(), " (the default)"));
    } else {
      errors.push_back(FieldError(source, name, s.message()));
    }
  }
  if (errors.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrJoin(errors, "\n"));
}

// ---- Help and dump ----

std::string Schema::Help() const {
  std::string out;
  for (const auto& [name, field] : fields_) {
    absl::StrAppend(&out, "--", name, " (", TypeName(field->type_),
                    ") default: ", YamlValue(field->default_));
    std::string constraints = field->ConstraintText();
    if (!constraints.empty()) absl::StrAppend(&out, "; ", constraints);
    absl::StrAppend(&out, "\n");
    if (!field->help_.empty()) absl::StrAppend(&out, "    ", field->help_, "\n");
  }
  return out;
}

std::string Schema::Dump() const {
  // Sorted names keep every section's fields contiguous, so each section key is written once.
  std::string out;
  std::vector<std::string> open;  // the sections of the previous field
  for (const auto& [name, field] : fields_) {
    std::vector<std::string> segs = absl::StrSplit(name, '.');
    size_t common = 0;
    while (common < open.size() && common + 1 < segs.size() && open[common] == segs[common]) {
      ++common;
    }
    for (size_t i = common; i + 1 < segs.size(); ++i) {
      absl::StrAppend(&out, std::string(2 * i, ' '), segs[i], ":\n");
    }
    absl::StrAppend(&out, std::string(2 * (segs.size() - 1), ' '), segs.back(), ": ",
                    YamlValue(field->Current()), "\n");
    segs.pop_back();
    open = std::move(segs);
  }
  return out;
}

}  // namespace dcos::config
