// Tests of Name: presentation and wire forms, limits, case-insensitive equality and hashing.

#include <catch2/catch.hpp>

#include <string>

#include "absl/container/flat_hash_set.h"
#include "libs/dns/name.h"

namespace dcos::dns {
namespace {

Name N(absl::string_view text) {
  absl::StatusOr<Name> n = Name::FromText(text);
  REQUIRE(n.ok());
  return *n;
}

TEST_CASE("Name: text round trip, with or without the final dot") {
  CHECK(N("web.marathon.mesos").ToText() == "web.marathon.mesos.");
  CHECK(N("web.marathon.mesos.").ToText() == "web.marathon.mesos.");
  CHECK(N("web.marathon.mesos").label_count() == 3);
  CHECK(N("web.marathon.mesos").wire() == absl::string_view("\3web\10marathon\5mesos\0", 20));
  CHECK(N(".").IsRoot());
  CHECK(N(".").wire() == absl::string_view("\0", 1));
  CHECK(Name().ToText() == ".");
}

TEST_CASE("Name: escapes in presentation form") {
  Name n = N("a\\.b.c\\\\d.\\001\\255x");
  REQUIRE(n.label_count() == 3);
  CHECK(n.label(0) == "a.b");
  CHECK(n.label(1) == "c\\d");
  CHECK(n.label(2) == absl::string_view("\x01\xffx", 3));
  CHECK(n.ToText() == "a\\.b.c\\\\d.\\001\\255x.");
  CHECK(N(n.ToText()) == n);
  CHECK(N("a\\.").label(0) == "a.");  // an escaped final dot is part of the label
  CHECK(N("a\\.").label_count() == 1);
}

TEST_CASE("Name: malformed text is refused") {
  for (const char* bad : {"", "a..b", ".a", "..", "a\\", "a\\25", "a\\256", "a\\2x5"}) {
    INFO(bad);
    CHECK(Name::FromText(bad).status().code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("Name: label and name length limits") {
  std::string l63(63, 'a');
  CHECK(Name::FromText(l63 + ".mesos").ok());
  CHECK_FALSE(Name::FromText(l63 + "a.mesos").ok());
  // 4 labels of 63 bytes: 4 * 64 + 1 = 257 > 255; 3 labels of 63 plus one of 61: 255.
  CHECK_FALSE(Name::FromText(l63 + "." + l63 + "." + l63 + "." + l63).ok());
  std::string l61(61, 'b');
  absl::StatusOr<Name> max = Name::FromText(l63 + "." + l63 + "." + l63 + "." + l61);
  REQUIRE(max.ok());
  CHECK(max->wire().size() == 255);
  CHECK_FALSE(max->Child("x").ok());
  CHECK_FALSE(N("mesos").Child("").ok());
  CHECK_FALSE(N("mesos").Child(std::string(64, 'x')).ok());
}

TEST_CASE("Name: FromWire takes exactly one uncompressed name") {
  CHECK(Name::FromWire(absl::string_view("\3web\0", 5))->ToText() == "web.");
  CHECK_FALSE(Name::FromWire(absl::string_view("\3web", 4)).ok());          // no final zero
  CHECK_FALSE(Name::FromWire(absl::string_view("\3web\0x", 6)).ok());       // trailing byte
  CHECK_FALSE(Name::FromWire(absl::string_view("\xc0\x0c", 2)).ok());       // pointer
  CHECK_FALSE(Name::FromWire(absl::string_view("\x40", 1)).ok());           // label type 01
  CHECK_FALSE(Name::FromWire(absl::string_view("\5ab\0", 4)).ok());         // label overruns
  CHECK_FALSE(Name::FromWire("").ok());
}

TEST_CASE("Name: comparison and hashing ignore case, keep it for output") {
  Name upper = N("WEB.Marathon.MESOS");
  Name lower = N("web.marathon.mesos");
  CHECK(upper == lower);
  CHECK(upper.ToText() == "WEB.Marathon.MESOS.");
  CHECK(upper.Lowercased().ToText() == "web.marathon.mesos.");
  CHECK(N("web.marathon.mesos") != N("web.marathon.mesos.x"));
  CHECK(N("web1.mesos") != N("web2.mesos"));
  absl::flat_hash_set<Name> set = {lower};
  CHECK(set.contains(upper));
  CHECK_FALSE(set.contains(N("web.marathon")));
}

TEST_CASE("Name: subdomains, parents, suffixes, children") {
  Name zone = N("mesos");
  CHECK(N("a.b.MESOS").IsSubdomainOf(zone));
  CHECK(N("mesos").IsSubdomainOf(zone));
  CHECK_FALSE(N("xmesos").IsSubdomainOf(zone));
  CHECK_FALSE(N("mesos.com").IsSubdomainOf(zone));
  CHECK(N("anything").IsSubdomainOf(Name()));
  CHECK(N("a.b.mesos").Parent() == N("b.mesos"));
  CHECK(N("a.b.mesos").Suffix(3).IsRoot());
  CHECK(N("a.b.mesos").Suffix(0) == N("a.b.mesos"));
  CHECK(*zone.Child("leader") == N("leader.mesos"));
  CHECK(N("a.b").labels() == std::vector<absl::string_view>{"a", "b"});
  CHECK(*Name::FromLabels({"x", "y"}) == N("x.y"));
  CHECK_FALSE(Name::FromLabels({"x", ""}).ok());
}

}  // namespace
}  // namespace dcos::dns
