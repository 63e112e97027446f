#include <catch2/catch.hpp>

#include "libs/config/value.h"

namespace dcos::config {
namespace {

TEST_CASE("flag integers: decimal only, 64-bit range") {
  REQUIRE(std::get<int64_t>(*ParseFlagValue(Type::kInt, "-9223372036854775808")) == INT64_MIN);
  REQUIRE(std::get<int64_t>(*ParseFlagValue(Type::kInt, "+7")) == 7);
  for (const char* bad : {"", " 1", "1 ", "1.0", "1e3", "0x10", "9223372036854775808", "--1"}) {
    INFO(bad);
    REQUIRE_FALSE(ParseFlagValue(Type::kInt, bad).ok());
  }
}

TEST_CASE("flag doubles and bools") {
  REQUIRE(std::get<double>(*ParseFlagValue(Type::kDouble, "1e-3")) == 0.001);
  REQUIRE(std::get<double>(*ParseFlagValue(Type::kDouble, "3")) == 3.0);
  REQUIRE_FALSE(ParseFlagValue(Type::kDouble, "nan").ok());
  REQUIRE_FALSE(ParseFlagValue(Type::kDouble, " 1").ok());
  for (const char* t : {"true", "TRUE", "yes", "1"}) {
    REQUIRE(std::get<bool>(*ParseFlagValue(Type::kBool, t)));
  }
  for (const char* f : {"false", "No", "0"}) {
    REQUIRE_FALSE(std::get<bool>(*ParseFlagValue(Type::kBool, f)));
  }
  REQUIRE_FALSE(ParseFlagValue(Type::kBool, "on").ok());  // YAML-only spelling
}

TEST_CASE("durations need a unit, except zero") {
  REQUIRE(std::get<absl::Duration>(*ParseFlagValue(Type::kDuration, "0")) == absl::ZeroDuration());
  REQUIRE(std::get<absl::Duration>(*ParseFlagValue(Type::kDuration, "-1.5s")) ==
          absl::Milliseconds(-1500));
  REQUIRE_FALSE(ParseFlagValue(Type::kDuration, "inf").ok());
  REQUIRE_FALSE(ParseFlagValue(Type::kDuration, "-5").ok());
}

TEST_CASE("YAML scalars: booleans are YAML booleans, numbers must be unquoted") {
  YamlNode on{YamlNode::Kind::kScalar, "on", false, {}, {}};
  REQUIRE(std::get<bool>(*ParseYamlValue(Type::kBool, on)));
  YamlNode quoted_true{YamlNode::Kind::kScalar, "true", true, {}, {}};
  REQUIRE(ParseYamlValue(Type::kBool, quoted_true).status().message() ==
          "expected a boolean, got the quoted string \"true\"");
  YamlNode quoted_duration{YamlNode::Kind::kScalar, "5s", true, {}, {}};
  REQUIRE(std::get<absl::Duration>(*ParseYamlValue(Type::kDuration, quoted_duration)) ==
          absl::Seconds(5));
}

TEST_CASE("YAML parsing reports quoting, nulls and syntax errors") {
  auto root = ParseYaml("a: 'x'\nb: x\nc: ~\nd: null\ne:\n");
  REQUIRE(root.ok());
  REQUIRE(root->entries.size() == 5);
  REQUIRE(root->entries[0].second.quoted);
  REQUIRE_FALSE(root->entries[1].second.quoted);
  for (size_t i = 2; i < 5; ++i) REQUIRE(root->entries[i].second.kind == YamlNode::Kind::kNull);
  REQUIRE(ParseYaml("").value().kind == YamlNode::Kind::kNull);
  REQUIRE(ParseYaml("a: [1").status().code() == absl::StatusCode::kInvalidArgument);
  // Nested aliases: 10^7 nodes once expanded.
  std::string laughs = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i <= 6; ++i) {
    std::string prev = "*a" + std::to_string(i - 1);
    laughs += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [" + prev;
    for (int j = 1; j < 10; ++j) laughs += ", " + prev;
    laughs += "]\n";
  }
  REQUIRE(ParseYaml(laughs).status().message() ==
          "document has more than 100000 nodes (after expanding aliases)");
  REQUIRE(ParseYaml("? [a]\n: 1\n").status().message() == "map key at line 1 is not a plain name");
}

TEST_CASE("formatting values") {
  REQUIRE(FormatValue(Value{int64_t{5050}}) == "5050");
  REQUIRE(FormatValue(Value{0.1}) == "0.1");
  REQUIRE(FormatValue(Value{absl::Seconds(90)}) == "1m30s");
  REQUIRE(FormatValue(Value{std::vector<std::string>{"a", "b"}}) == "a,b");
  REQUIRE(YamlValue(Value{std::string("a\"b\n")}) == "\"a\\\"b\\n\"");
  REQUIRE(YamlValue(Value{std::vector<std::string>{}}) == "[]");
  REQUIRE(QuoteString(std::string("\x01", 1)) == "\"\\x01\"");
}

}  // namespace
}  // namespace dcos::config
