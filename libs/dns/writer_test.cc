// Tests of the writer: exact bytes of compressed names, round trips through the parser, SRV
// targets left uncompressed, truncation by whole RRsets with and without EDNS0, rotation.

#include <catch2/catch.hpp>

#include <string>

#include "absl/strings/str_cat.h"
#include "libs/dns/parser.h"
#include "libs/dns/wire_test_util.h"
#include "libs/dns/writer.h"

namespace dcos::dns {
namespace {

using testing::N;

Message RoundTrip(const Message& m, WriterOptions options = {kMaxMessageSize, true}) {
  absl::StatusOr<std::vector<uint8_t>> wire = Encode(m, options);
  REQUIRE(wire.ok());
  CHECK(wire->size() <= options.limit);
  absl::StatusOr<Message> back = ParseMessage(*wire);
  INFO(back.status().ToString());
  REQUIRE(back.ok());
  return *back;
}

Message Response(absl::string_view qname, RRType type) {
  Message m = testing::Query(qname, type);
  m.header.qr = true;
  m.header.aa = true;
  return m;
}

RRset ASet(absl::string_view name, int count) {
  RRset set{N(name), RRType::kA, RRClass::kIN, 60, {}};
  for (int i = 0; i < count; ++i) {
    set.data.emplace_back(
        AData{{10, 0, static_cast<uint8_t>(i / 256), static_cast<uint8_t>(i)}});
  }
  return set;
}

// Starts a message for "slave.mesos A" (29 bytes with the header).
void StartSlaveQuery(MessageWriter& w, std::vector<uint8_t>* out, WriterOptions options,
                     const std::optional<Edns>& edns = std::nullopt) {
  Header h;
  h.qr = true;
  w.Start(h, options, edns, out);
  REQUIRE(w.AddQuestion(Question{N("slave.mesos"), RRType::kA, RRClass::kIN}));
}

// Finishes the message and parses it back.
Message Finished(MessageWriter& w, const std::vector<uint8_t>& out) {
  w.Finish();
  absl::StatusOr<Message> m = ParseMessage(out);
  REQUIRE(m.ok());
  return *m;
}

TEST_CASE("Writer: exact bytes of a compressed answer") {
  Message m = Response("web.marathon.mesos", RRType::kA);
  m.answers.push_back(testing::A("web.marathon.mesos", 60, "10.0.0.1"));
  m.answers.push_back(testing::A("web.marathon.mesos", 60, "10.0.0.2"));
  absl::StatusOr<std::vector<uint8_t>> wire = Encode(m);
  REQUIRE(wire.ok());
  // 12 header + 20 name + 4 + 2 * (2 pointer + 10 + 4).
  CHECK(wire->size() == 12 + 20 + 4 + 2 * 16);
  CHECK((*wire)[36] == 0xC0);
  CHECK((*wire)[37] == 12);  // the answer's owner points at the question name
  CHECK(RoundTrip(m) == m);
}

TEST_CASE("Writer: suffixes match without regard to case; the first spelling is kept") {
  Message m = Response("WEB.Marathon.mesos", RRType::kA);
  m.answers.push_back(testing::A("x.marathon.MESOS", 60, "10.0.0.1"));
  absl::StatusOr<std::vector<uint8_t>> wire = Encode(m);
  REQUIRE(wire.ok());
  // The answer owner is "x" + a pointer to "Marathon.mesos" in the question.
  CHECK(wire->size() == 12 + 20 + 4 + (2 + 2) + 10 + 4);
  Message back = RoundTrip(m);
  CHECK(back.questions[0].name.ToText() == "WEB.Marathon.mesos.");
  CHECK(back.answers[0].name.ToText() == "x.Marathon.mesos.");
  CHECK(back == m);  // names compare case-insensitively
}

TEST_CASE("Writer: SRV targets are written in full; later names may point into them") {
  Message m = Response("_web._tcp.marathon.mesos", RRType::kSRV);
  m.answers.push_back(testing::Srv("_web._tcp.marathon.mesos", 60, 0, 1, 31000,
                                   "web-abcde-s1.marathon.slave.mesos"));
  m.additional.push_back(testing::A("web-abcde-s1.marathon.slave.mesos", 60, "10.0.0.1"));
  absl::StatusOr<std::vector<uint8_t>> wire = Encode(m);
  REQUIRE(wire.ok());
  const size_t question = 12 + 26 + 4;
  const size_t srv_rdata = question + 2 + 10;
  // The target follows priority/weight/port in full: 13 "web-abcde-s1" 8 "marathon" ...
  CHECK((*wire)[srv_rdata + 6] == 12);
  CHECK((*wire)[srv_rdata + 6 + 13] == 8);
  const size_t target_length = 1 + 12 + 1 + 8 + 1 + 5 + 1 + 5 + 1;
  const size_t additional = srv_rdata + 6 + target_length;
  // The additional record's owner is one pointer to the SRV target.
  CHECK((*wire)[additional] == 0xC0);
  CHECK((*wire)[additional + 1] == srv_rdata + 6);
  CHECK(RoundTrip(m) == m);
}

TEST_CASE("Writer: SOA and NS data names are compressed") {
  Message m = Response("mesos", RRType::kSOA);
  m.answers.push_back(testing::Soa("mesos", 60, "ns1.mesos", "root.ns1.mesos", 42, 60));
  m.authority.push_back(testing::Ns("mesos", 60, "ns1.mesos"));
  absl::StatusOr<std::vector<uint8_t>> wire = Encode(m);
  REQUIRE(wire.ok());
  // question 7+4; SOA: 2 + 10 + (4 + 2) + (5 + 2) + 20; NS: 2 + 10 + 2.
  CHECK(wire->size() == 12 + 11 + 2 + 10 + 6 + 7 + 20 + 2 + 10 + 2);
  CHECK(RoundTrip(m) == m);
}

TEST_CASE("Writer: every record shape round-trips, with EDNS0 and a 12-bit RCODE") {
  Message m = Response("a.mesos", RRType::kANY);
  m.header.rcode = Rcode::kBadVers;
  m.header.ra = true;
  m.header.cd = true;
  m.answers.push_back(testing::A("a.mesos", 1, "1.2.3.4"));
  m.answers.push_back(testing::Aaaa("a.mesos", 2, {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}));
  m.answers.push_back(ResourceRecord{N("a.mesos"), RRType::kCNAME, RRClass::kIN, 3,
                                     NameData{N("b.mesos")}});
  m.answers.push_back(ResourceRecord{N("4.3.2.1.in-addr.arpa"), RRType::kPTR, RRClass::kIN, 4,
                                     NameData{N("a.mesos")}});
  m.answers.push_back(ResourceRecord{N("a.mesos"), static_cast<RRType>(65280), RRClass::kCH, 5,
                                     OpaqueData{std::string("\0\1\2", 3)}});
  m.edns = Edns{4096, 0, true, {EdnsOption{10, "12345678"}}};
  Message back = RoundTrip(m);
  INFO(MessageToText(back));
  CHECK(back == m);
  CHECK(back.header.rcode == Rcode::kBadVers);
}

TEST_CASE("Writer: Encode refuses an RCODE it cannot carry") {
  Message m = Response("a.mesos", RRType::kA);
  m.header.rcode = Rcode::kBadVers;
  CHECK(Encode(m).status().code() == absl::StatusCode::kInvalidArgument);
  m.header.rcode = static_cast<Rcode>(4096);
  m.edns = Edns{};
  CHECK(Encode(m).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("Writer: an RRset that does not fit in 512 bytes is dropped whole and TC set") {
  std::vector<uint8_t> out;
  MessageWriter w;
  StartSlaveQuery(w, &out, WriterOptions{512, true});
  // 12 + 17 = 29 bytes so far; each A record is 16 bytes: 30 fit (509), 31 do not.
  CHECK(w.AddRRset(Section::kAnswer, ASet("slave.mesos", 30)));
  CHECK(w.size() == 509);
  CHECK_FALSE(w.AddRRset(Section::kAnswer, ASet("x.mesos", 1)));
  CHECK(w.truncated());
  // Nothing later is taken, even what would fit.
  CHECK_FALSE(w.AddRRset(Section::kAdditional, ASet("y", 1)));
  const Message back = Finished(w, out);
  CHECK(back.header.tc);
  CHECK(back.answers.size() == 30);
  CHECK(back.additional.empty());
}

TEST_CASE("Writer: one RRset too large for UDP leaves an empty, truncated answer") {
  std::vector<uint8_t> out;
  MessageWriter w;
  StartSlaveQuery(w, &out, WriterOptions{512, true});
  CHECK_FALSE(w.AddRRset(Section::kAnswer, ASet("slave.mesos", 31)));
  const Message back = Finished(w, out);
  CHECK(out.size() == 29);
  CHECK(back.header.tc);
  CHECK(back.answers.empty());
  CHECK(back.questions.size() == 1);
}

TEST_CASE("Writer: additional RRsets that do not fit are dropped without TC") {
  std::vector<uint8_t> out;
  MessageWriter w;
  StartSlaveQuery(w, &out, WriterOptions{512, true});
  CHECK(w.AddRRset(Section::kAnswer, ASet("slave.mesos", 20)));
  CHECK_FALSE(w.AddRRset(Section::kAdditional, ASet("big.mesos", 20)));
  CHECK(w.AddRRset(Section::kAdditional, ASet("small.mesos", 1)));  // later, smaller: fits
  CHECK_FALSE(w.truncated());
  const Message back = Finished(w, out);
  CHECK_FALSE(back.header.tc);
  CHECK(back.answers.size() == 20);
  REQUIRE(back.additional.size() == 1);
  CHECK(back.additional[0].name == N("small.mesos"));
}

TEST_CASE("Writer: the OPT record's room is reserved and it survives truncation") {
  std::vector<uint8_t> out;
  MessageWriter w;
  Edns edns{1232, 0, false, {}};
  StartSlaveQuery(w, &out, WriterOptions{1232, true}, edns);
  // 29 + 11 (OPT) = 40; (1232 - 40) / 16 = 74.5: 74 records fit, 75 do not.
  CHECK(w.AddRRset(Section::kAnswer, ASet("slave.mesos", 74)));
  CHECK_FALSE(w.AddRRset(Section::kAuthority, ASet("mesos", 1)));
  Message back = Finished(w, out);
  CHECK(out.size() == 29 + 74 * 16 + 11);
  CHECK(back.header.tc);
  CHECK(back.edns.has_value());
  CHECK(back.answers.size() == 74);

  StartSlaveQuery(w, &out, WriterOptions{1232, true}, edns);
  CHECK_FALSE(w.AddRRset(Section::kAnswer, ASet("slave.mesos", 75)));
  back = Finished(w, out);
  CHECK(back.header.tc);
  CHECK(back.edns.has_value());
}

TEST_CASE("Writer: without SetTruncateBit the answer is cut but TC stays clear") {
  std::vector<uint8_t> out;
  MessageWriter w;
  StartSlaveQuery(w, &out, WriterOptions{512, false});
  CHECK_FALSE(w.AddRRset(Section::kAnswer, ASet("slave.mesos", 40)));
  const Message back = Finished(w, out);
  CHECK_FALSE(back.header.tc);
}

TEST_CASE("Writer: limits are clamped to [512, 65535]") {
  std::vector<uint8_t> out;
  MessageWriter w;
  StartSlaveQuery(w, &out, WriterOptions{100, true});
  CHECK(w.AddRRset(Section::kAnswer, ASet("slave.mesos", 30)));  // 509 bytes: 512 applies
  StartSlaveQuery(w, &out, WriterOptions{1u << 20, true});
  CHECK_FALSE(w.AddRRset(Section::kAnswer, ASet("slave.mesos", 5000)));  // 80 KB
  StartSlaveQuery(w, &out, WriterOptions{1u << 20, true});
  CHECK(w.AddRRset(Section::kAnswer, ASet("slave.mesos", 4000)));  // 64,029 bytes
}

TEST_CASE("Writer: rotation starts the RRset at another record") {
  std::vector<uint8_t> out;
  MessageWriter w;
  StartSlaveQuery(w, &out, WriterOptions{512, true});
  w.AddRRset(Section::kAnswer, ASet("web.mesos", 3), 4);  // 4 % 3 = 1
  const Message back = Finished(w, out);
  REQUIRE(back.answers.size() == 3);
  CHECK(RDataToText(back.answers[0].data) == "10.0.0.1");
  CHECK(RDataToText(back.answers[1].data) == "10.0.0.2");
  CHECK(RDataToText(back.answers[2].data) == "10.0.0.0");
}

TEST_CASE("Writer: a 64 KB TCP answer with names beyond pointer range round-trips") {
  // 1000 SRV records with distinct, uncompressed targets (about 49 KB): the message passes
  // 16 KB, after which new suffixes can no longer be pointed at, but older ones still can.
  Message m = Response("_big._tcp.marathon.mesos", RRType::kSRV);
  for (int i = 0; i < 1000; ++i) {
    m.answers.push_back(testing::Srv("_big._tcp.marathon.mesos", 60, 0, 1,
                                     static_cast<uint16_t>(1000 + i),
                                     absl::StrCat("big-", i, ".marathon.slave.mesos")));
  }
  absl::StatusOr<std::vector<uint8_t>> wire = Encode(m);
  REQUIRE(wire.ok());
  CHECK(wire->size() > 0x4000);
  Message back = RoundTrip(m);
  CHECK(back == m);
}

}  // namespace
}  // namespace dcos::dns
