// Tests of relaying upstream answers: ID restored, question checked, UDP truncation by
// re-encoding, SERVFAIL when upstreams failed or answered nonsense.

#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"
#include "libs/dns/parser.h"
#include "libs/dns/wire_test_util.h"
#include "libs/dns/writer.h"
#include "services/mesos-dns/core/relay.h"

namespace dcos::dns::core {
namespace {

using dns::testing::Query;

std::vector<uint8_t> Wire(const Message& m) { return *Encode(m); }

Message UpstreamAnswer(const Message& query, uint16_t id, int records) {
  Message m = query;
  m.header.id = id;
  m.header.qr = true;
  m.header.ra = true;
  for (int i = 0; i < records; ++i) {
    m.answers.push_back(dns::testing::A("www.example.com", 300, absl::StrCat("93.184.216.", i)));
  }
  return m;
}

Message Relay(const Message& query, const absl::StatusOr<std::vector<uint8_t>>& upstream,
              Transport transport = Transport::kUdp) {
  std::vector<uint8_t> out;
  RelayUpstreamAnswer(Wire(query), upstream, transport, ResponderOptions{}, &out);
  absl::StatusOr<Message> m = ParseMessage(out);
  REQUIRE(m.ok());
  return *m;
}

TEST_CASE("Relay: the upstream answer with the client's ID") {
  Message query = Query("www.example.com", RRType::kA, 0x1111);
  Message m = Relay(query, Wire(UpstreamAnswer(query, 0x9999, 2)));
  CHECK(m.header.id == 0x1111);
  CHECK(m.answers.size() == 2);
  CHECK(m.header.ra);
}

TEST_CASE("Relay: too big for the client's UDP limit -> re-encoded, truncated, TC") {
  Message query = Query("www.example.com", RRType::kA, 0x2222);
  Message m = Relay(query, Wire(UpstreamAnswer(query, 1, 40)));  // 40 * 16 + ... > 512
  CHECK(m.header.id == 0x2222);
  CHECK(m.header.tc);
  CHECK(m.answers.empty());
  // Over TCP it goes through whole.
  m = Relay(query, Wire(UpstreamAnswer(query, 1, 40)), Transport::kTcp);
  CHECK_FALSE(m.header.tc);
  CHECK(m.answers.size() == 40);
  // With EDNS0 the client's size (up to ours) applies, and the OPT record is ours.
  Message edns_query = Query("www.example.com", RRType::kA, 3, Edns{4096, 0, true, {}});
  m = Relay(edns_query, Wire(UpstreamAnswer(query, 1, 40)));
  CHECK_FALSE(m.header.tc);
  REQUIRE(m.edns.has_value());
  CHECK(m.edns->udp_payload_size == 1232);
  CHECK(m.edns->dnssec_ok);
}

TEST_CASE("Relay: SERVFAIL when upstreams failed or answered something else") {
  Message query = Query("www.example.com", RRType::kA, 0x3333);
  Message m = Relay(query, absl::UnavailableError("all upstreams timed out"));
  CHECK(m.header.rcode == Rcode::kServFail);
  CHECK(m.header.id == 0x3333);
  CHECK(m.questions.size() == 1);

  CHECK(Relay(query, std::vector<uint8_t>{1, 2, 3}).header.rcode == Rcode::kServFail);
  Message other = UpstreamAnswer(Query("evil.example.com", RRType::kA), 1, 1);
  CHECK(Relay(query, Wire(other)).header.rcode == Rcode::kServFail);
  Message not_response = UpstreamAnswer(query, 1, 1);
  not_response.header.qr = false;
  CHECK(Relay(query, Wire(not_response)).header.rcode == Rcode::kServFail);
}

TEST_CASE("Relay: upstream NXDOMAIN passes through") {
  Message query = Query("nope.example.com", RRType::kA, 7);
  Message nx = UpstreamAnswer(query, 1, 0);
  nx.header.rcode = Rcode::kNXDomain;
  std::vector<uint8_t> out;
  CHECK(RelayUpstreamAnswer(Wire(query), Wire(nx), Transport::kUdp, ResponderOptions{}, &out) ==
        Rcode::kNXDomain);
}

TEST_CASE("Relay: a query without a header gives nothing to send") {
  std::vector<uint8_t> out = {1};
  CHECK(RelayUpstreamAnswer(std::vector<uint8_t>{1, 2}, std::vector<uint8_t>{}, Transport::kUdp,
                            ResponderOptions{}, &out) == Rcode::kFormErr);
  CHECK(out.empty());
}

}  // namespace
}  // namespace dcos::dns::core
