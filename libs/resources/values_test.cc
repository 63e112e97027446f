// Scalars (fixed point), Ranges (coalescing in any order) and sets.

#include <catch2/catch.hpp>

#include <limits>

#include "libs/resources/values.h"

namespace dcos::resources {
namespace {

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

TEST_CASE("scalars are fixed point with three decimals", "[values]") {
  CHECK(ScalarToMilli(0.0001) == 0);
  CHECK(ScalarToMilli(0.0005) == 1);  // rounds to nearest
  CHECK(ScalarToMilli(0.1) + ScalarToMilli(0.2) == ScalarToMilli(0.3));
  CHECK(ScalarToMilli(4096) == 4096000);
  CHECK(MilliToScalar(1500) == 1.5);
}

TEST_CASE("FormatMilli prints the shortest decimal", "[values]") {
  CHECK(FormatMilli(4000) == "4");
  CHECK(FormatMilli(500) == "0.5");
  CHECK(FormatMilli(1) == "0.001");
  CHECK(FormatMilli(1230) == "1.23");
  CHECK(FormatMilli(0) == "0");
  CHECK(FormatMilli(-2500) == "-2.5");
}

TEST_CASE("ValidateScalar names the field", "[values]") {
  CHECK(ValidateScalar(1.5, "x").ok());
  absl::Status s = ValidateScalar(-1, "resources[0].scalar.value");
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK(s.message() == "resources[0].scalar.value: must be >= 0, got -1");
  CHECK(!ValidateScalar(std::numeric_limits<double>::quiet_NaN(), "x").ok());
  CHECK(!ValidateScalar(std::numeric_limits<double>::infinity(), "x").ok());
  CHECK(!ValidateScalar(2e12, "x").ok());
}

TEST_CASE("Ranges coalesce overlapping and adjacent ranges given in any order", "[values]") {
  Ranges r({{10, 20}, {1, 5}, {6, 8}, {15, 30}, {40, 40}});
  CHECK(r.ToString() == "[1-8,10-30,40-40]");
  CHECK(r.Count() == 8 + 21 + 1);
  CHECK(r.num_ranges() == 3);
}

TEST_CASE("Ranges::Add merges single ranges into place", "[values]") {
  Ranges r;
  r.Add({31000, 31000});
  r.Add({31002, 31005});
  CHECK(r.ToString() == "[31000-31000,31002-31005]");
  r.Add({31001, 31001});  // bridges both neighbours
  CHECK(r.ToString() == "[31000-31005]");
  r.Add({1, 2});
  r.Add({50000, 50010});
  CHECK(r.ToString() == "[1-2,31000-31005,50000-50010]");
  r.Add({0, 60000});
  CHECK(r.ToString() == "[0-60000]");
}

TEST_CASE("Ranges handle the ends of uint64", "[values]") {
  Ranges r({{kMax - 1, kMax}, {0, 0}});
  CHECK(r.num_ranges() == 2);
  r.Add({1, kMax - 2});
  CHECK(r.num_ranges() == 1);
  CHECK(r.Count() == kMax);  // saturates
  r.Subtract(Ranges({{kMax, kMax}}));
  CHECK(r.ranges().back().end == kMax - 1);
}

TEST_CASE("Ranges::Subtract splits and removes", "[values]") {
  Ranges r({{31000, 32000}});
  r.Subtract(Ranges({{31100, 31100}, {31500, 31600}, {31990, 32500}}));
  CHECK(r.ToString() == "[31000-31099,31101-31499,31601-31989]");
  r.Subtract(Ranges({{0, 31000}}));
  CHECK(r.ToString() == "[31001-31099,31101-31499,31601-31989]");
  r.Subtract(Ranges({{0, 40000}}));
  CHECK(r.empty());
}

TEST_CASE("Ranges::Contains and Intersects", "[values]") {
  Ranges r({{1, 10}, {20, 30}});
  CHECK(r.Contains(Ranges({{2, 3}, {25, 30}})));
  CHECK(r.Contains(Ranges()));
  CHECK_FALSE(r.Contains(Ranges({{9, 21}})));
  CHECK_FALSE(r.Contains(Ranges({{31, 31}})));
  CHECK(r.Intersects(Ranges({{10, 19}})));
  CHECK_FALSE(r.Intersects(Ranges({{11, 19}, {31, 40}})));
}

TEST_CASE("sets union, subtract and include", "[values]") {
  Set s = {"a", "c"};
  SetAdd(s, {"b", "c"});
  CHECK(s == Set{"a", "b", "c"});
  CHECK(SetContains(s, {"a", "c"}));
  CHECK_FALSE(SetContains(s, {"d"}));
  SetSubtract(s, {"a", "z"});
  CHECK(SetToString(s) == "{b,c}");
}

}  // namespace
}  // namespace dcos::resources
