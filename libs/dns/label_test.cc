// Tests of label sanitising (Mesos-DNS's RFC 1123 / RFC 952 rules, see label.h).

#include <catch2/catch.hpp>

#include <string>

#include "libs/dns/label.h"

namespace dcos::dns {
namespace {

TEST_CASE("SanitizeLabel RFC 1123: lower-case, invalid bytes to '-', trim, 63 bytes") {
  CHECK(SanitizeLabel("Web") == "web");
  CHECK(SanitizeLabel("my_app.v2") == "my-app-v2");
  CHECK(SanitizeLabel("my app!") == "my-app");
  CHECK(SanitizeLabel("--x--") == "x");
  CHECK(SanitizeLabel("9lives") == "9lives");
  CHECK(SanitizeLabel("___") == "");
  CHECK(SanitizeLabel("") == "");
  CHECK(SanitizeLabel("caf\xc3\xa9") == "caf");  // non-ASCII bytes become '-', then trimmed
  std::string long_name = std::string(62, 'a') + "-b" + std::string(10, 'c');
  CHECK(SanitizeLabel(long_name) == std::string(62, 'a'));  // cut at 63, trailing '-' trimmed
  CHECK(SanitizeLabel(std::string(100, 'z')).size() == 63);
}

TEST_CASE("SanitizeLabel RFC 952: starts with a letter, 24 bytes") {
  CHECK(SanitizeLabel("9lives", LabelRule::kRfc952) == "lives");
  CHECK(SanitizeLabel("-1-a", LabelRule::kRfc952) == "a");
  CHECK(SanitizeLabel(std::string(30, 'q'), LabelRule::kRfc952) == std::string(24, 'q'));
  CHECK(SanitizeLabel("123", LabelRule::kRfc952) == "");
}

TEST_CASE("SanitizeDomainFragment: per-label, empty labels dropped") {
  CHECK(SanitizeDomainFragment("Foo.Bar..baz") == "foo.bar.baz");
  CHECK(SanitizeDomainFragment("bar.foo") == "bar.foo");
  CHECK(SanitizeDomainFragment("...") == "");
  CHECK(SanitizeDomainFragment("a_b.c d") == "a-b.c-d");
}

}  // namespace
}  // namespace dcos::dns
