#pragma once

// Typed configuration values: parsing from flag strings and YAML nodes, and rendering back to
// text. Pure functions; error messages carry no source or field name (schema.cc adds them).

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/config/yaml_reader.h"

namespace dcos::config {

// The order matches the alternatives of Value.
enum class Type { kString, kInt, kDouble, kBool, kDuration, kStringList };

using Value =
    std::variant<std::string, int64_t, double, bool, absl::Duration, std::vector<std::string>>;

// "string", "int", "double", "bool", "duration", "string list".
absl::string_view TypeName(Type type);

// Parses a command-line value. Bools: true/false/yes/no/1/0 (any case). Lists: comma-separated,
// elements trimmed, "" is the empty list. Errors: InvalidArgument `expected an integer, got "x"`.
absl::StatusOr<Value> ParseFlagValue(Type type, absl::string_view text);

// Converts a YAML node. Numbers and bools must be plain (unquoted) scalars; bools are YAML
// booleans (true/false, yes/no, on/off). Errors: `expected a string, got a map`, ...
absl::StatusOr<Value> ParseYamlValue(Type type, const YamlNode& node);

// Canonical text of a value, as given to Check() functions and shown in messages:
// 5050, 0.5, true, 1m30s, a,b,c.
std::string FormatValue(const Value& value);

// The value as YAML that ParseYamlValue reads back to the same value.
std::string YamlValue(const Value& value);

// A double in its shortest round-trip form.
std::string FormatDouble(double d);

// A YAML/JSON double-quoted string literal.
std::string QuoteString(absl::string_view s);

}  // namespace dcos::config
