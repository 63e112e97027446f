#pragma once

// The one place yaml-cpp is used: parses YAML text into a plain tree and turns every yaml-cpp
// exception into an absl::Status. Nothing else in libs/config includes yaml-cpp.

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace dcos::config {

struct YamlNode {
  enum class Kind { kNull, kScalar, kSequence, kMap };
  Kind kind = Kind::kNull;
  std::string scalar;  // kScalar only
  bool quoted = false;  // kScalar written as '...' or "..." (or tagged !!str): a string literal
  std::vector<YamlNode> items;                             // kSequence
  std::vector<std::pair<std::string, YamlNode>> entries;  // kMap, in document order
};

// "null", "a scalar", "a sequence", "a map".
absl::string_view KindName(YamlNode::Kind kind);

// Parses one YAML document. Empty text gives a kNull node. Returns InvalidArgument with the
// parser's line and column for malformed YAML and for map keys that are not scalars.
absl::StatusOr<YamlNode> ParseYaml(absl::string_view text);

}  // namespace dcos::config
