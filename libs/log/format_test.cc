#include <catch2/catch.hpp>

#include "libs/log/format.h"

namespace dcos::log {
namespace {

Record Sample() {
  Record r;
  r.time = absl::FromUnixMicros(1795638001123456);  // 2026-11-25T20:20:01.123456Z
  r.level = Level::kInfo;
  r.component = "dcos-master";
  r.msg = "listening";
  r.fields = {{"addr", "127.0.0.1:5050", false}, {"port", "5050", true}};
  return r;
}

TEST_CASE("timestamps are RFC 3339 UTC with microseconds") {
  REQUIRE(FormatTimestamp(absl::FromUnixMicros(1795638001123456)) ==
          "2026-11-25T20:20:01.123456Z");
  REQUIRE(FormatTimestamp(absl::FromUnixSeconds(0)) == "1970-01-01T00:00:00.000000Z");
}

TEST_CASE("text format puts time, level, component, message and fields on one line") {
  REQUIRE(FormatText(Sample()) ==
          "2026-11-25T20:20:01.123456Z INFO dcos-master listening addr=127.0.0.1:5050 port=5050");
}

TEST_CASE("text format omits an empty component") {
  Record r = Sample();
  r.component.clear();
  r.fields.clear();
  r.level = Level::kWarning;
  REQUIRE(FormatText(r) == "2026-11-25T20:20:01.123456Z WARNING listening");
}

TEST_CASE("text values are quoted only when needed") {
  auto text = [](absl::string_view v) {
    std::string out;
    AppendTextValue(&out, v);
    return out;
  };
  REQUIRE(text("plain") == "plain");
  REQUIRE(text("a\\b") == "a\\b");
  REQUIRE(text("") == "\"\"");
  REQUIRE(text("two words") == "\"two words\"");
  REQUIRE(text("k=v") == "\"k=v\"");
  REQUIRE(text("say \"hi\"") == "\"say \\\"hi\\\"\"");
  REQUIRE(text("a\nb") == "\"a\\nb\"");
  REQUIRE(text("tab\there") == "\"tab\\there\"");
  REQUIRE(text(std::string("nul\0x", 5)) == "\"nul\\x00x\"");
  REQUIRE(text("back\\slash and space") == "\"back\\\\slash and space\"");
}

TEST_CASE("text message keeps spaces but never breaks the line") {
  Record r = Sample();
  r.fields.clear();
  r.msg = "disk full\nretrying";
  REQUIRE(FormatText(r) == "2026-11-25T20:20:01.123456Z INFO dcos-master disk full\\nretrying");
}

TEST_CASE("json format writes a flat object with numbers unquoted") {
  REQUIRE(FormatJson(Sample()) ==
          "{\"ts\":\"2026-11-25T20:20:01.123456Z\",\"level\":\"info\",\"component\":"
          "\"dcos-master\",\"msg\":\"listening\",\"addr\":\"127.0.0.1:5050\",\"port\":5050}");
}

TEST_CASE("json levels are lower case and an empty component is omitted") {
  Record r = Sample();
  r.component.clear();
  r.fields.clear();
  r.level = Level::kError;
  REQUIRE(FormatJson(r) ==
          "{\"ts\":\"2026-11-25T20:20:01.123456Z\",\"level\":\"error\",\"msg\":\"listening\"}");
}

TEST_CASE("json strings escape quotes, backslashes and control characters") {
  auto json = [](absl::string_view v) {
    std::string out;
    AppendJsonString(&out, v);
    return out;
  };
  REQUIRE(json("") == "\"\"");
  REQUIRE(json("a\"b") == "\"a\\\"b\"");
  REQUIRE(json("a\\b") == "\"a\\\\b\"");
  REQUIRE(json("l1\nl2\r\t") == "\"l1\\nl2\\r\\t\"");
  REQUIRE(json(std::string("\0\x01\x1f", 3)) == "\"\\u0000\\u0001\\u001f\"");
  REQUIRE(json("caf\xc3\xa9") == "\"caf\xc3\xa9\"");  // UTF-8 passes through
  REQUIRE(json("</script>") == "\"</script>\"");
}

TEST_CASE("FormatRecord dispatches on the format") {
  REQUIRE(FormatRecord(Format::kText, Sample()) == FormatText(Sample()));
  REQUIRE(FormatRecord(Format::kJson, Sample()) == FormatJson(Sample()));
}

}  // namespace
}  // namespace dcos::log
