// Tests of the parser: well-formed packets of every record shape, and hostile ones (pointer
// loops, forward pointers, truncation everywhere, lying counts, oversized labels and names,
// misplaced OPT records). Packets are built byte by byte so that nothing hides a mistake.

#include <catch2/catch.hpp>

#include <string>

#include "absl/strings/match.h"

#include "libs/dns/hostile_packets.h"
#include "libs/dns/parser.h"
#include "libs/dns/wire_test_util.h"

namespace dcos::dns {
namespace {

using testing::N;
using testing::PacketBuilder;

constexpr uint16_t kRd = 0x0100;

// Message or error text, for INFO.
absl::StatusOr<Message> Parse(const PacketBuilder& p) { return ParseMessage(p.span()); }

TEST_CASE("Parser: a plain query") {
  PacketBuilder p;
  p.Header(0xbeef, kRd, 1, 0, 0, 0).Labels({"web", "marathon", "mesos"}).U16(1).U16(1);
  absl::StatusOr<Message> m = Parse(p);
  REQUIRE(m.ok());
  CHECK(m->header.id == 0xbeef);
  CHECK(m->header.rd);
  CHECK_FALSE(m->header.qr);
  CHECK(m->header.opcode == Opcode::kQuery);
  REQUIRE(m->questions.size() == 1);
  CHECK(m->questions[0].name == N("web.marathon.mesos"));
  CHECK(m->questions[0].type == RRType::kA);
  CHECK(m->questions[0].klass == RRClass::kIN);
  CHECK_FALSE(m->edns.has_value());
}

TEST_CASE("Parser: every header flag and field") {
  PacketBuilder p;
  // QR, opcode 5 (UPDATE), AA, TC, RD, RA, Z, AD, CD, RCODE 3.
  p.Header(1, 0x8000 | (5 << 11) | 0x0400 | 0x0200 | 0x0100 | 0x0080 | 0x0040 | 0x0020 |
                  0x0010 | 3,
           0, 0, 0, 0);
  absl::StatusOr<WireHeader> w = ParseHeader(p.span());
  REQUIRE(w.ok());
  const Header& h = w->header;
  CHECK(h.qr);
  CHECK(h.opcode == Opcode::kUpdate);
  CHECK((h.aa && h.tc && h.rd && h.ra && h.ad && h.cd));
  CHECK(h.rcode == Rcode::kNXDomain);
  CHECK(ParseMessage(p.span()).ok());
}

TEST_CASE("Parser: zero questions is well-formed") {
  PacketBuilder p;
  p.Header(7, 0, 0, 0, 0, 0);
  absl::StatusOr<Message> m = Parse(p);
  REQUIRE(m.ok());
  CHECK(m->questions.empty());
}

TEST_CASE("Parser: a response with every decoded record type and compression") {
  PacketBuilder p;
  p.Header(9, 0x8400, 1, 6, 1, 1);
  const uint16_t qname = static_cast<uint16_t>(p.size());  // 12
  p.Labels({"web", "marathon", "mesos"}).U16(33).U16(1);
  const uint16_t marathon = qname + 4;
  const uint16_t mesos = qname + 13;
  // SRV, target written in full.
  p.Pointer(qname).RecordHeader(33, 1, 60, 6 + 26).U16(0).U16(1).U16(31000);
  const uint16_t target = static_cast<uint16_t>(p.size());
  p.Labels({"web-a1b2c-s1", "slave", "mesos"});
  // A record for the target, owner compressed to the SRV target.
  p.Pointer(target).RecordHeader(1, 1, 60, 4).U32(0x0a000001);
  // AAAA
  p.Pointer(target).RecordHeader(28, 1, 60, 16).Bytes(std::string(15, '\0') + "\x01");
  // CNAME and PTR with compressed rdata.
  p.Labels({"alias"}, false).Pointer(marathon).RecordHeader(5, 1, 30, 2).Pointer(qname);
  p.Labels({"1", "0", "0", "10", "in-addr", "arpa"}).RecordHeader(12, 1, 30, 2).Pointer(qname);
  // TXT stays opaque.
  p.Pointer(qname).RecordHeader(16, 1, 30, 4).Bytes("\x03" "abc");
  // Authority: SOA with compressed names.
  p.Pointer(mesos).RecordHeader(6, 1, 60, 4 + 2 + 5 + 2 + 20);
  p.Labels({"ns1"}, false).Pointer(mesos).Labels({"root"}, false).Pointer(mesos);
  p.U32(7).U32(60).U32(600).U32(86400).U32(5);
  // Additional: NS.
  p.Pointer(mesos).RecordHeader(2, 1, 60, 6).Labels({"ns1"}, false).Pointer(mesos);

  absl::StatusOr<Message> m = Parse(p);
  INFO(m.status().ToString());
  REQUIRE(m.ok());
  INFO(MessageToText(*m));
  REQUIRE(m->answers.size() == 6);
  CHECK(m->answers[0] == testing::Srv("web.marathon.mesos", 60, 0, 1, 31000,
                                      "web-a1b2c-s1.slave.mesos"));
  CHECK(m->answers[1] == testing::A("web-a1b2c-s1.slave.mesos", 60, "10.0.0.1"));
  CHECK(RDataToText(m->answers[2].data) == "0:0:0:0:0:0:0:1");
  CHECK(m->answers[3].name == N("alias.marathon.mesos"));
  CHECK(std::get<NameData>(m->answers[3].data).name == N("web.marathon.mesos"));
  CHECK(m->answers[4].name == N("1.0.0.10.in-addr.arpa"));
  CHECK(std::get<OpaqueData>(m->answers[5].data).bytes == "\x03" "abc");
  REQUIRE(m->authority.size() == 1);
  CHECK(m->authority[0] == testing::Soa("mesos", 60, "ns1.mesos", "root.mesos", 7, 5));
  REQUIRE(m->additional.size() == 1);
  CHECK(m->additional[0] == testing::Ns("mesos", 60, "ns1.mesos"));
}

TEST_CASE("Parser: EDNS0 OPT record") {
  PacketBuilder p;
  p.Header(1, 0x8000 | 0x0 /* low RCODE 0 */, 1, 0, 0, 1).Labels({"mesos"}).U16(6).U16(1);
  // Extended RCODE 1 (-> 16 BADVERS), version 0, DO set, two options.
  p.U8(0).RecordHeader(41, 4096, (1u << 24) | 0x8000, 4 + 8 + 4 + 0);
  p.U16(10).U16(8).Bytes("cookie!!").U16(65001).U16(0);
  absl::StatusOr<Message> m = Parse(p);
  REQUIRE(m.ok());
  REQUIRE(m->edns.has_value());
  CHECK(m->edns->udp_payload_size == 4096);
  CHECK(m->edns->version == 0);
  CHECK(m->edns->dnssec_ok);
  REQUIRE(m->edns->options.size() == 2);
  CHECK(m->edns->options[0] == EdnsOption{10, "cookie!!"});
  CHECK(m->edns->options[1] == EdnsOption{65001, ""});
  CHECK(m->header.rcode == Rcode::kBadVers);
  CHECK(m->additional.empty());
}

TEST_CASE("Parser: EDNS version above 0 is parsed (the server answers BADVERS)") {
  PacketBuilder p;
  p.Header(1, 0, 1, 0, 0, 1).Labels({"mesos"}).U16(1).U16(1);
  p.U8(0).RecordHeader(41, 512, 1u << 16, 0);
  absl::StatusOr<Message> m = Parse(p);
  REQUIRE(m.ok());
  CHECK(m->edns->version == 1);
}

TEST_CASE("Parser: every hostile packet is refused with its own error") {
  for (const testing::HostilePacket& h : testing::HostilePackets()) {
    DYNAMIC_SECTION(h.name << ": " << h.what) {
      absl::StatusOr<Message> m = ParseMessage(h.bytes);
      REQUIRE_FALSE(m.ok());
      INFO("got: " << m.status().ToString());
      CHECK(m.status().code() == absl::StatusCode::kInvalidArgument);
      CHECK(absl::StrContains(m.status().message(), h.error));
    }
  }
  CHECK_FALSE(ParseMessage({}).ok());
  CHECK_FALSE(ParseHeader(testing::HostilePackets()[0].bytes).ok());
}

TEST_CASE("Parser: the limits themselves are accepted") {
  SECTION("the longest legal name, reached through compression") {
    std::string l63(63, 'a');
    std::string l61(61, 'b');
    PacketBuilder p;
    p.Header(1, 0, 2, 0, 0, 0).Labels({l63, l63, l63}).U16(1).U16(1);
    p.Labels({l61}, false).Pointer(12).U16(1).U16(1);  // 62 + 193 = 255
    absl::StatusOr<Message> m = Parse(p);
    REQUIRE(m.ok());
    CHECK(m->questions[1].name.wire().size() == 255);
  }
  SECTION("127 compression hops") {
    CHECK(Parse(testing::PointerChain(127)).ok());
  }
}

TEST_CASE("ParseName: the name's own bytes must end before the given bound") {
  PacketBuilder p;
  p.Header(1, 0, 0, 0, 0, 0).Labels({"abc", "de"});
  size_t offset = 12;
  absl::StatusOr<Name> n = ParseName(p.span(), &offset, p.size());
  REQUIRE(n.ok());
  CHECK(offset == p.size());
  offset = 12;
  CHECK_FALSE(ParseName(p.span(), &offset, p.size() - 1).ok());
  CHECK(offset == 12);  // unchanged on error
}

}  // namespace
}  // namespace dcos::dns
