#include "libs/config/value.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace dcos::config {
namespace {

absl::Status Expected(absl::string_view what, absl::string_view got) {
  return absl::InvalidArgumentError(absl::StrCat("expected ", what, ", got ", QuoteString(got)));
}

absl::string_view Article(Type type) {
  switch (type) {
    case Type::kString: return "a string";
    case Type::kInt: return "an integer";
    case Type::kDouble: return "a number";
    case Type::kBool: return "a boolean";
    case Type::kDuration: return "a duration";
    case Type::kStringList: return "a list of strings";
  }
  return "?";
}

bool IsDecimalInteger(absl::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

absl::StatusOr<Value> ParseInt(absl::string_view s) {
  int64_t v = 0;
  if (!IsDecimalInteger(s)) return Expected("an integer", s);
  if (!absl::SimpleAtoi(s, &v)) {
    return absl::InvalidArgumentError(
        absl::StrCat("integer ", s, " is out of the 64-bit range"));
  }
  return v;
}

absl::StatusOr<Value> ParseDouble(absl::string_view s) {
  double v = 0;
  if (s.empty() || absl::ascii_isspace(static_cast<unsigned char>(s.front())) ||
      absl::ascii_isspace(static_cast<unsigned char>(s.back())) || !absl::SimpleAtod(s, &v)) {
    return Expected("a number", s);
  }
  if (!std::isfinite(v)) return Expected("a finite number", s);
  return v;
}

// "10", "-3", "1.5": a number with no unit.
bool IsBareNumber(absl::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  bool digits = false;
  bool dot = false;
  for (char c : s) {
    if (absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      digits = true;
    } else if (c == '.' && !dot) {
      dot = true;
    } else {
      return false;
    }
  }
  return digits;
}

absl::StatusOr<Value> ParseDuration(absl::string_view s) {
  if (IsBareNumber(s)) {
    if (s == "0") return absl::ZeroDuration();
    return absl::InvalidArgumentError(absl::StrCat(
        "duration ", QuoteString(s), " has no unit; write e.g. \"", s, "s\" or \"", s, "ms\""));
  }
  absl::Duration d;
  if (!absl::ParseDuration(s, &d)) {
    return Expected("a duration such as \"10s\", \"500ms\" or \"1m30s\"", s);
  }
  if (d == absl::InfiniteDuration() || d == -absl::InfiniteDuration()) {
    return Expected("a finite duration", s);
  }
  return d;
}

absl::StatusOr<Value> ParseFlagBool(absl::string_view s) {
  std::string v = absl::AsciiStrToLower(s);
  if (v == "true" || v == "yes" || v == "1") return true;
  if (v == "false" || v == "no" || v == "0") return false;
  return Expected("a boolean (true/false, yes/no, 1/0)", s);
}

absl::StatusOr<Value> ParseYamlBool(absl::string_view s) {
  std::string v = absl::AsciiStrToLower(s);
  if (v == "true" || v == "yes" || v == "on") return true;
  if (v == "false" || v == "no" || v == "off") return false;
  return Expected("a boolean (true or false)", s);
}

}  // namespace

absl::string_view TypeName(Type type) {
  switch (type) {
    case Type::kString: return "string";
    case Type::kInt: return "int";
    case Type::kDouble: return "double";
    case Type::kBool: return "bool";
    case Type::kDuration: return "duration";
    case Type::kStringList: return "string list";
  }
  return "?";
}

absl::StatusOr<Value> ParseFlagValue(Type type, absl::string_view text) {
  switch (type) {
    case Type::kString: return std::string(text);
    case Type::kInt: return ParseInt(text);
    case Type::kDouble: return ParseDouble(text);
    case Type::kBool: return ParseFlagBool(text);
    case Type::kDuration: return ParseDuration(text);
    case Type::kStringList: {
      std::vector<std::string> list;
      if (absl::StripAsciiWhitespace(text).empty()) return list;
      for (absl::string_view part : absl::StrSplit(text, ',')) {
        part = absl::StripAsciiWhitespace(part);
        if (part.empty()) {
          return absl::InvalidArgumentError(
              absl::StrCat("empty element in list ", QuoteString(text)));
        }
        list.emplace_back(part);
      }
      return list;
    }
  }
  return absl::InternalError("unknown type");
}

absl::StatusOr<Value> ParseYamlValue(Type type, const YamlNode& node) {
  if (type == Type::kStringList) {
    if (node.kind != YamlNode::Kind::kSequence) {
      return absl::InvalidArgumentError(
          absl::StrCat("expected a list of strings, got ", KindName(node.kind)));
    }
    std::vector<std::string> list;
    for (size_t i = 0; i < node.items.size(); ++i) {
      if (node.items[i].kind != YamlNode::Kind::kScalar) {
        return absl::InvalidArgumentError(absl::StrCat("element ", i, ": expected a string, got ",
                                                       KindName(node.items[i].kind)));
      }
      list.push_back(node.items[i].scalar);
    }
    return list;
  }
  if (node.kind != YamlNode::Kind::kScalar) {
    std::string hint = type == Type::kString && node.kind == YamlNode::Kind::kNull
                           ? " (write \"\" for an empty string)"
                           : "";
    return absl::InvalidArgumentError(
        absl::StrCat("expected ", Article(type), ", got ", KindName(node.kind), hint));
  }
  if (type == Type::kString) return node.scalar;
  if (node.quoted && type != Type::kDuration) {
    return absl::InvalidArgumentError(absl::StrCat("expected ", Article(type),
                                                   ", got the quoted string ",
                                                   QuoteString(node.scalar)));
  }
  switch (type) {
    case Type::kInt: return ParseInt(node.scalar);
    case Type::kDouble: return ParseDouble(node.scalar);
    case Type::kBool: return ParseYamlBool(node.scalar);
    case Type::kDuration: return ParseDuration(node.scalar);
    default: return absl::InternalError("unknown type");
  }
}

std::string FormatDouble(double d) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d);
  return std::string(buf, ec == std::errc() ? end : buf);
}

std::string QuoteString(absl::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\x%02x", c);
          out.append(buf);
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
  return out;
}

std::string FormatValue(const Value& value) {
  struct Visitor {
    std::string operator()(const std::string& s) const { return s; }
    std::string operator()(int64_t i) const { return absl::StrCat(i); }
    std::string operator()(double d) const { return FormatDouble(d); }
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(absl::Duration d) const { return absl::FormatDuration(d); }
    std::string operator()(const std::vector<std::string>& l) const {
      return absl::StrJoin(l, ",");
    }
  };
  return std::visit(Visitor{}, value);
}

std::string YamlValue(const Value& value) {
  struct Visitor {
    std::string operator()(const std::string& s) const { return QuoteString(s); }
    std::string operator()(int64_t i) const { return absl::StrCat(i); }
    std::string operator()(double d) const { return FormatDouble(d); }
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(absl::Duration d) const { return absl::FormatDuration(d); }
    std::string operator()(const std::vector<std::string>& l) const {
      std::string out = "[";
      for (size_t i = 0; i < l.size(); ++i) {
        if (i > 0) out.append(", ");
        out.append(QuoteString(l[i]));
      }
      out.push_back(']');
      return out;
    }
  };
  return std::visit(Visitor{}, value);
}

}  // namespace dcos::config
