// Tests of every answer shape of the Responder, end to end through the wire: queries are
// encoded with the writer, answered from a RecordSet built by RecordBuilder, and the responses
// parsed back.

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "absl/strings/str_cat.h"
#include "libs/dns/parser.h"
#include "libs/dns/wire_test_util.h"
#include "libs/dns/writer.h"
#include "services/mesos-dns/core/record_builder.h"
#include "services/mesos-dns/core/responder.h"
#include "services/mesos-dns/core/test_util.h"

namespace dcos::dns::core {
namespace {

using dns::testing::N;
using dns::testing::PacketBuilder;
using dns::testing::Query;

std::shared_ptr<const RecordSet> Records(int extra_agents = 0) {
  RecordConfig config;
  config.soa_minttl = 30;
  config.self_addresses = {"127.0.5.1"};
  auto builder = *RecordBuilder::Create(config);
  master::v1::ClusterState state;
  *state.mutable_leader() = testing::MakeLeader("10.1.0.1");
  *state.add_agents() = testing::MakeAgent("a-S1", "10.0.3.1");
  *state.add_agents() = testing::MakeAgent("a-S2", "10.0.3.2");
  for (int i = 0; i < extra_agents; ++i) {
    *state.add_agents() = testing::MakeAgent(absl::StrCat("x-S", i + 10),
                                             absl::StrCat("10.0.4.", i + 1));
  }
  *state.add_frameworks() = testing::MakeFramework("fw-1", "marathon");
  for (int i = 1; i <= 2; ++i) {
    testing::TaskSpec spec;
    spec.id = absl::StrCat("web.", i);
    spec.name = "web";
    spec.agent_id = absl::StrCat("a-S", i);
    spec.port_ranges = {{31000u + i, 31000u + i}};
    *state.add_tasks() = testing::MakeTask(spec);
  }
  builder->Reset(state);
  return builder->Publish();
}

struct Exchange {
  Outcome outcome;
  std::vector<uint8_t> wire;
  Message response;
};

Exchange Ask(Responder& responder, const RecordSet& records, const std::vector<uint8_t>& packet,
             Transport transport = Transport::kUdp, uint32_t rotate = 0) {
  Exchange x;
  x.outcome = responder.Answer(records, packet, transport, rotate, &x.wire);
  if (x.outcome.disposition == Disposition::kReply) {
    absl::StatusOr<Message> parsed = ParseMessage(x.wire);
    INFO(parsed.status().ToString());
    REQUIRE(parsed.ok());
    x.response = *std::move(parsed);
    CHECK(x.response.header.rcode == x.outcome.rcode);
    if (responder.options().set_truncate_bit) {
      CHECK(x.response.header.tc == x.outcome.truncated);
    }
  }
  return x;
}

Exchange Ask(Responder& responder, const RecordSet& records, const Message& query,
             Transport transport = Transport::kUdp, uint32_t rotate = 0) {
  absl::StatusOr<std::vector<uint8_t>> packet = Encode(query);
  REQUIRE(packet.ok());
  return Ask(responder, records, *packet, transport, rotate);
}

std::vector<std::string> Texts(const std::vector<ResourceRecord>& records) {
  std::vector<std::string> out;
  for (const ResourceRecord& r : records) out.push_back(RecordToText(r));
  return out;
}

TEST_CASE("Responder: an A query") {
  auto records = Records();
  Responder r(ResponderOptions{});
  Exchange x = Ask(r, *records, Query("web.marathon.mesos", RRType::kA, 0x4321));
  REQUIRE(x.outcome.disposition == Disposition::kReply);
  const Message& m = x.response;
  CHECK(m.header.id == 0x4321);
  CHECK(m.header.qr);
  CHECK(m.header.aa);
  CHECK(m.header.rd);
  CHECK(m.header.ra);
  CHECK_FALSE(m.header.tc);
  CHECK(m.header.rcode == Rcode::kNoError);
  REQUIRE(m.questions.size() == 1);
  CHECK(m.questions[0].name == N("web.marathon.mesos"));
  CHECK(Texts(m.answers) == std::vector<std::string>{"web.marathon.mesos. 60 IN A 10.0.3.1",
                                                     "web.marathon.mesos. 60 IN A 10.0.3.2"});
  CHECK(m.authority.empty());
  CHECK_FALSE(m.edns.has_value());
  CHECK(x.outcome.qtype == RRType::kA);
}

TEST_CASE("Responder: names match without case; the answer takes the question's spelling") {
  auto records = Records();
  Responder r(ResponderOptions{});
  Exchange x = Ask(r, *records, Query("WEB.Marathon.MESOS", RRType::kA));
  REQUIRE(x.response.answers.size() == 2);
  CHECK(x.response.answers[0].name.ToText() == "WEB.Marathon.MESOS.");
}

TEST_CASE("Responder: rotation starts the answer at another record") {
  auto records = Records();
  Responder r(ResponderOptions{});
  Exchange x = Ask(r, *records, Query("web.marathon.mesos", RRType::kA), Transport::kUdp, 1);
  CHECK(Texts(x.response.answers) ==
        std::vector<std::string>{"web.marathon.mesos. 60 IN A 10.0.3.2",
                                 "web.marathon.mesos. 60 IN A 10.0.3.1"});
}

TEST_CASE("Responder: NXDOMAIN with the SOA and the negative TTL") {
  auto records = Records();
  Responder r(ResponderOptions{});
  Exchange x = Ask(r, *records, Query("nope.marathon.mesos", RRType::kA));
  CHECK(x.response.header.rcode == Rcode::kNXDomain);
  CHECK(x.response.header.aa);
  CHECK(x.response.answers.empty());
  REQUIRE(x.response.authority.size() == 1);
  CHECK(RecordToText(x.response.authority[0]) ==
        "mesos. 30 IN SOA ns1.mesos. root.ns1.mesos. 1 60 600 86400 30");
}

TEST_CASE("Responder: NODATA for a name without the type, and for empty non-terminals") {
  auto records = Records();
  Responder r(ResponderOptions{});
  for (auto [name, type] : {std::pair{"web.marathon.mesos", RRType::kAAAA},
                            std::pair{"web.marathon.mesos", RRType::kTXT},
                            std::pair{"_tcp.marathon.mesos", RRType::kSRV},
                            std::pair{"marathon.mesos", RRType::kA},
                            std::pair{"marathon.slave.mesos", RRType::kANY}}) {
    INFO(name << " " << RRTypeName(type));
    Exchange x = Ask(r, *records, Query(name, type));
    CHECK(x.response.header.rcode == Rcode::kNoError);
    CHECK(x.response.header.aa);
    CHECK(x.response.answers.empty());
    REQUIRE(x.response.authority.size() == 1);
    CHECK(x.response.authority[0].type == RRType::kSOA);
    CHECK(x.response.authority[0].ttl == 30);
  }
}

TEST_CASE("Responder: SRV answers carry the targets' addresses") {
  auto records = Records();
  Responder r(ResponderOptions{});
  Exchange x = Ask(r, *records, Query("_web._tcp.marathon.mesos", RRType::kSRV));
  REQUIRE(x.response.answers.size() == 2);
  CHECK(x.response.answers[0].type == RRType::kSRV);
  REQUIRE(x.response.additional.size() == 2);
  for (const ResourceRecord& rr : x.response.additional) CHECK(rr.type == RRType::kA);
  const auto& target = std::get<SrvData>(x.response.answers[0].data).target;
  CHECK((x.response.additional[0].name == target || x.response.additional[1].name == target));
}

TEST_CASE("Responder: SOA, NS (with the server's address) and ANY at the apex") {
  auto records = Records();
  Responder r(ResponderOptions{});
  Exchange soa = Ask(r, *records, Query("mesos", RRType::kSOA));
  CHECK(Texts(soa.response.answers) ==
        std::vector<std::string>{"mesos. 60 IN SOA ns1.mesos. root.ns1.mesos. 1 60 600 86400 30"});
  Exchange ns = Ask(r, *records, Query("mesos", RRType::kNS));
  CHECK(Texts(ns.response.answers) == std::vector<std::string>{"mesos. 60 IN NS ns1.mesos."});
  CHECK(Texts(ns.response.additional) == std::vector<std::string>{"ns1.mesos. 60 IN A 127.0.5.1"});
  Exchange any = Ask(r, *records, Query("mesos", RRType::kANY));
  REQUIRE(any.response.answers.size() == 2);
  CHECK(any.response.answers[0].type == RRType::kNS);
  CHECK(any.response.answers[1].type == RRType::kSOA);
}

TEST_CASE("Responder: names outside the domain are forwarded, or refused") {
  auto records = Records();
  Responder forwarding(ResponderOptions{});
  Exchange x = Ask(forwarding, *records, Query("www.example.com", RRType::kA));
  CHECK(x.outcome.disposition == Disposition::kForward);
  CHECK(x.wire.empty());
  x = Ask(forwarding, *records, Query("mesosx", RRType::kA));
  CHECK(x.outcome.disposition == Disposition::kForward);

  ResponderOptions options;
  options.forwarding_enabled = false;
  options.recursion_available = false;
  Responder refusing(options);
  x = Ask(refusing, *records, Query("www.example.com", RRType::kA));
  REQUIRE(x.outcome.disposition == Disposition::kReply);
  CHECK(x.response.header.rcode == Rcode::kRefused);
  CHECK_FALSE(x.response.header.aa);
  CHECK_FALSE(x.response.header.ra);
  CHECK(x.response.questions.size() == 1);
}

TEST_CASE("Responder: malformed packets: dropped without a header, FORMERR with one") {
  auto records = Records();
  Responder r(ResponderOptions{});
  std::vector<uint8_t> tiny = {0x12, 0x34, 0x01};
  CHECK(Ask(r, *records, tiny).outcome.disposition == Disposition::kDrop);
  CHECK(Ask(r, *records, std::vector<uint8_t>{}).outcome.disposition == Disposition::kDrop);

  PacketBuilder loop;
  loop.Header(0x7777, 0x0100, 1, 0, 0, 0).Labels({"a", "b"}, false).Pointer(14).U16(1).U16(1);
  Exchange x = Ask(r, *records, loop.bytes());
  REQUIRE(x.outcome.disposition == Disposition::kReply);
  CHECK(x.response.header.id == 0x7777);
  CHECK(x.response.header.qr);
  CHECK(x.response.header.rd);
  CHECK(x.response.header.rcode == Rcode::kFormErr);
  CHECK(x.response.questions.empty());

  // A response is never answered (no reflection loops between servers).
  Message response = Query("web.marathon.mesos", RRType::kA);
  response.header.qr = true;
  CHECK(Ask(r, *records, response).outcome.disposition == Disposition::kDrop);
}

TEST_CASE("Responder: FORMERR for 0 or 2 questions and for QTYPE OPT") {
  auto records = Records();
  Responder r(ResponderOptions{});
  Message none = Query("web.marathon.mesos", RRType::kA);
  none.questions.clear();
  CHECK(Ask(r, *records, none).response.header.rcode == Rcode::kFormErr);
  Message two = Query("web.marathon.mesos", RRType::kA);
  two.questions.push_back(two.questions[0]);
  Exchange x = Ask(r, *records, two);
  CHECK(x.response.header.rcode == Rcode::kFormErr);
  CHECK(x.response.questions.empty());
  CHECK(Ask(r, *records, Query("mesos", RRType::kOPT)).response.header.rcode == Rcode::kFormErr);
}

TEST_CASE("Responder: NOTIMP for opcodes other than QUERY") {
  auto records = Records();
  Responder r(ResponderOptions{});
  for (Opcode op : {Opcode::kNotify, Opcode::kUpdate, Opcode::kStatus, Opcode::kIQuery}) {
    Message q = Query("mesos", RRType::kSOA);
    q.header.opcode = op;
    Exchange x = Ask(r, *records, q);
    CHECK(x.response.header.rcode == Rcode::kNotImp);
    CHECK(x.response.header.opcode == op);
  }
}

TEST_CASE("Responder: REFUSED for other classes and for zone transfers") {
  auto records = Records();
  Responder r(ResponderOptions{});
  Message chaos = Query("version.bind", RRType::kTXT);
  chaos.questions[0].klass = RRClass::kCH;
  CHECK(Ask(r, *records, chaos).response.header.rcode == Rcode::kRefused);
  CHECK(Ask(r, *records, Query("mesos", RRType::kAXFR), Transport::kTcp).response.header.rcode ==
        Rcode::kRefused);
  CHECK(Ask(r, *records, Query("mesos", RRType::kIXFR)).response.header.rcode == Rcode::kRefused);
  Message any_class = Query("web.marathon.mesos", RRType::kA);
  any_class.questions[0].klass = RRClass::kANY;
  CHECK(Ask(r, *records, any_class).response.answers.size() == 2);
}

TEST_CASE("Responder: EDNS0 — OPT answered with our size and the DO bit; BADVERS") {
  auto records = Records();
  Responder r(ResponderOptions{});
  Exchange x = Ask(r, *records, Query("web.marathon.mesos", RRType::kA, 1, Edns{4096, 0, true, {}}));
  REQUIRE(x.response.edns.has_value());
  CHECK(x.response.edns->udp_payload_size == 1232);
  CHECK(x.response.edns->dnssec_ok);
  CHECK(x.response.edns->version == 0);
  CHECK(x.response.answers.size() == 2);

  x = Ask(r, *records, Query("web.marathon.mesos", RRType::kA, 1, Edns{4096, 1, false, {}}));
  CHECK(x.response.header.rcode == Rcode::kBadVers);
  REQUIRE(x.response.edns.has_value());
  CHECK(x.response.edns->version == 0);
  CHECK(x.response.answers.empty());
}

TEST_CASE("Responder: truncation by transport and EDNS0 size") {
  // slave.mesos with 102 agents: 102 * 16 = 1632 bytes of answers.
  auto records = Records(100);
  Responder r(ResponderOptions{});
  const Message plain = Query("slave.mesos", RRType::kA);

  Exchange udp = Ask(r, *records, plain);
  CHECK(udp.response.header.tc);
  CHECK(udp.outcome.truncated);
  CHECK(udp.response.answers.empty());  // one RRset, dropped whole
  CHECK(udp.wire.size() <= 512);

  Exchange edns = Ask(r, *records, Query("slave.mesos", RRType::kA, 1, Edns{4096, 0, false, {}}));
  CHECK(edns.response.header.tc);  // capped at our 1232
  CHECK(edns.wire.size() <= 1232);
  CHECK(edns.response.edns.has_value());

  ResponderOptions big;
  big.max_udp_payload = 4096;
  Responder r4096(big);
  edns = Ask(r4096, *records, Query("slave.mesos", RRType::kA, 1, Edns{4096, 0, false, {}}));
  CHECK_FALSE(edns.response.header.tc);
  CHECK(edns.response.answers.size() == 102);
  // A client advertising less than 512 still gets 512.
  edns = Ask(r4096, *records, Query("slave.mesos", RRType::kA, 1, Edns{100, 0, false, {}}));
  CHECK(edns.response.header.tc);

  Exchange tcp = Ask(r, *records, plain, Transport::kTcp);
  CHECK_FALSE(tcp.response.header.tc);
  CHECK(tcp.response.answers.size() == 102);

  ResponderOptions no_tc;
  no_tc.set_truncate_bit = false;
  Responder quiet(no_tc);
  udp = Ask(quiet, *records, plain);
  CHECK_FALSE(udp.response.header.tc);
  CHECK(udp.response.answers.empty());
}

TEST_CASE("Responder: AnswerWithError gives SERVFAIL for a forwarded query") {
  Responder r(ResponderOptions{});
  Message query = Query("www.example.com", RRType::kA, 99, Edns{1232, 0, false, {}});
  std::vector<uint8_t> out;
  r.AnswerWithError(query, Rcode::kServFail, Transport::kUdp, &out);
  absl::StatusOr<Message> m = ParseMessage(out);
  REQUIRE(m.ok());
  CHECK(m->header.id == 99);
  CHECK(m->header.rcode == Rcode::kServFail);
  CHECK(m->questions.size() == 1);
  CHECK(m->edns.has_value());
}

TEST_CASE("Responder: extreme but valid queries") {
  auto records = Records();
  Responder r(ResponderOptions{});
  std::string l63(63, 'x');
  Exchange x = Ask(r, *records, Query(absl::StrCat(l63, ".", l63, ".", l63, ".mesos"), RRType::kA));
  CHECK(x.response.header.rcode == Rcode::kNXDomain);
  Message flags = Query("web.marathon.mesos", RRType::kA);
  flags.header.cd = true;
  flags.header.ad = true;
  x = Ask(r, *records, flags);
  CHECK(x.response.header.cd);
  CHECK_FALSE(x.response.header.ad);
}

TEST_CASE("Responder: every seed corpus packet is answered within limits or dropped") {
  auto records = Records(100);
  Responder r(ResponderOptions{});
  int files = 0;
  int replies = 0;
  for (const auto& entry : std::filesystem::directory_iterator("libs/dns/testdata/corpus")) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::vector<uint8_t> packet((std::istreambuf_iterator<char>(in)), {});
    INFO(entry.path().filename().string());
    ++files;
    for (Transport t : {Transport::kUdp, Transport::kTcp}) {
      std::vector<uint8_t> out;
      Outcome o = r.Answer(*records, packet, t, 7, &out);
      if (o.disposition != Disposition::kReply) continue;
      ++replies;
      CHECK(out.size() <= (t == Transport::kUdp ? 1232u : 65535u));
      absl::StatusOr<Message> m = ParseMessage(out);
      REQUIRE(m.ok());
      CHECK(m->header.qr);
      CHECK(m->header.id == ParseHeader(packet)->header.id);
    }
  }
  CHECK(files >= 40);
  CHECK(replies >= 40);
}

}  // namespace
}  // namespace dcos::dns::core
