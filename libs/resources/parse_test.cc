// The Mesos text grammar: what parses, how it prints, and errors that name the bad entry.

#include <catch2/catch.hpp>

#include "libs/resources/resources.h"

namespace dcos::resources {
namespace {

Resources P(absl::string_view text) {
  absl::StatusOr<Resources> r = Resources::Parse(text);
  INFO(text << " -> " << r.status().ToString());
  REQUIRE(r.ok());
  return *r;
}

std::string Error(absl::string_view text) {
  absl::StatusOr<Resources> r = Resources::Parse(text);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == absl::StatusCode::kInvalidArgument);
  return std::string(r.status().message());
}

TEST_CASE("parses every value type and prints it back", "[parse]") {
  Resources r = P("cpus:4;mem:2048;ports:[31000-32000];disks:{a,b};cpus(ads):8");
  CHECK(r.size() == 5);
  CHECK(r.ToString() == "cpus:4;mem:2048;ports:[31000-32000];disks:{a,b};cpus(ads):8");
  CHECK(r.ScalarMilli("cpus") == 12000);
  CHECK(r.Unreserved().ScalarMilli("cpus") == 4000);
  CHECK(r.ReservedFor("ads").ToString() == "cpus(ads):8");
  CHECK(r.RangesOf("ports").Count() == 1001);
  CHECK(r.SetOf("disks") == Set{"a", "b"});
  CHECK(P(r.ToString()) == r);
}

TEST_CASE("whitespace, empty entries and repeated names", "[parse]") {
  Resources r = P(" cpus : 1.5 ; ;mem:10;cpus:0.25; ports:[ 3-4 , 1-2 ];");
  CHECK(r.ToString() == "cpus:1.75;mem:10;ports:[1-4]");
  CHECK(P("").empty());
  CHECK(P(";;").empty());
}

TEST_CASE("zero and empty values vanish", "[parse]") {
  CHECK(P("cpus:0;ports:[];disks:{}").empty());
  CHECK(P("cpus:0.0001").empty());  // below the fixed-point precision
}

TEST_CASE("default role reserves unqualified entries", "[parse]") {
  absl::StatusOr<Resources> r = Resources::Parse("cpus:2;mem(*):5", "web");
  REQUIRE(r.ok());
  CHECK(r->ToString() == "cpus(web):2;mem:5");
  CHECK(Resources::Parse("cpus:1", "").status().message() == "default role: role '' is empty");
}

TEST_CASE("hierarchical roles parse", "[parse]") {
  CHECK(P("cpus(eng/dev):1").begin()->role() == "eng/dev");
}

TEST_CASE("errors name the offending entry", "[parse]") {
  CHECK(Error("cpus:4;mem:abc") ==
        "resource 'mem:abc': invalid scalar 'abc' (expected a number such as 4 or 0.5)");
  CHECK(Error("cpus4") == "resource 'cpus4': missing ':' (expected name:value, e.g. cpus:4)");
  CHECK(Error("cpus:-1") == "resource 'cpus:-1': value: must be >= 0, got -1");
  CHECK(Error("cpus:nan") == "resource 'cpus:nan': value: must be a finite number");
  CHECK(Error("cpus:") == "resource 'cpus:': missing value after ':'");
  CHECK(Error("ports:[5-3]") == "resource 'ports:[5-3]': invalid range '5-3': begin > end");
  CHECK(Error("ports:[1-2,x]") ==
        "resource 'ports:[1-2,x]': invalid range 'x' (expected begin-end, e.g. 31000-32000)");
  CHECK(Error("ports:[80]") ==
        "resource 'ports:[80]': invalid range '80' (expected begin-end, e.g. 31000-32000)");
  CHECK(Error("ports:[1-2") == "resource 'ports:[1-2': ranges must end with ']'");
  CHECK(Error("disks:{a,,b}") == "resource 'disks:{a,,b}': empty set item");
  CHECK(Error("disks:{a,a}") == "resource 'disks:{a,a}': duplicate set item 'a'");
  CHECK(Error("disks:{a") == "resource 'disks:{a': set must end with '}'");
  CHECK(Error("c pus:1") ==
        "resource 'c pus:1': resource name 'c pus' has an invalid character (allowed: "
        "[a-zA-Z0-9_.-])");
  CHECK(Error(":1") == "resource ':1': resource name '' must be 1..64 bytes long");
  CHECK(Error("cpus(ads:1") == "resource 'cpus(ads:1': role must be closed with ')'");
  CHECK(Error("cpus():1") == "resource 'cpus():1': role '' is empty");
  CHECK(Error("cpus:1;cpus:[1-2]") ==
        "resource 'cpus:[1-2]': type differs from an earlier 'cpus' entry (scalar, ranges and set "
        "do not mix)");
}

TEST_CASE("role grammar", "[parse]") {
  CHECK(ValidateRole("*").ok());
  CHECK(ValidateRole("ads").ok());
  CHECK(ValidateRole("a.b-c_d").ok());
  CHECK(ValidateRole("eng/dev/team-1").ok());
  for (const char* bad : {"", ".", "..", "-x", "a b", "a\tb", "a\\b", "/a", "a/", "a//b", "a/*",
                          "a/../b", "a/-b"}) {
    INFO(bad);
    CHECK_FALSE(ValidateRole(bad).ok());
  }
  CHECK_FALSE(ValidateRole(std::string(256, 'r')).ok());
}

}  // namespace
}  // namespace dcos::resources
