#include "libs/config/yaml_reader.h"

#include <exception>

#include <yaml-cpp/yaml.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace dcos::config {
namespace {

// Aliases are expanded while converting; this bounds the work a file of nested aliases
// ("billion laughs") can cause.
constexpr int kMaxNodes = 100000;

// Converts a yaml-cpp node; may throw YAML::Exception (caught by ParseYaml).
absl::StatusOr<YamlNode> Convert(const YAML::Node& node, int* budget) {
  if (--*budget < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("document has more than ", kMaxNodes, " nodes (after expanding aliases)"));
  }
  YamlNode out;
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      out.kind = YamlNode::Kind::kNull;
      return out;
    case YAML::NodeType::Scalar:
      out.kind = YamlNode::Kind::kScalar;
      out.scalar = node.Scalar();
      out.quoted = node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str";
      return out;
    case YAML::NodeType::Sequence:
      out.kind = YamlNode::Kind::kSequence;
      for (const YAML::Node& item : node) {
        absl::StatusOr<YamlNode> child = Convert(item, budget);
        if (!child.ok()) return child.status();
        out.items.push_back(*std::move(child));
      }
      return out;
    case YAML::NodeType::Map:
      out.kind = YamlNode::Kind::kMap;
      for (const auto& kv : node) {
        if (!kv.first.IsScalar()) {
          return absl::InvalidArgumentError(absl::StrCat(
              "map key at line ", kv.first.Mark().line + 1, " is not a plain name"));
        }
        absl::StatusOr<YamlNode> child = Convert(kv.second, budget);
        if (!child.ok()) return child.status();
        out.entries.emplace_back(kv.first.Scalar(), *std::move(child));
      }
      return out;
  }
  return out;
}

}  // namespace

absl::string_view KindName(YamlNode::Kind kind) {
  switch (kind) {
    case YamlNode::Kind::kNull: return "null";
    case YamlNode::Kind::kScalar: return "a scalar";
    case YamlNode::Kind::kSequence: return "a sequence";
    case YamlNode::Kind::kMap: return "a map";
  }
  return "?";
}

absl::StatusOr<YamlNode> ParseYaml(absl::string_view text) {
  try {
    YAML::Node root = YAML::Load(std::string(text));
    int budget = kMaxNodes;
    return Convert(root, &budget);
  } catch (const YAML::Exception& e) {
    if (e.mark.is_null()) return absl::InvalidArgumentError(absl::StrCat("invalid YAML: ", e.msg));
    return absl::InvalidArgumentError(absl::StrCat("invalid YAML at line ", e.mark.line + 1,
                                                   ", column ", e.mark.column + 1, ": ", e.msg));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("invalid YAML: ", e.what()));
  }
}

}  // namespace dcos::config
