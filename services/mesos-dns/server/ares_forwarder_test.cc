// Tests of AresForwarder against real upstream servers on loopback (dcos-dns servers
// authoritative for another zone): answers, the next resolver after a silent one or a REFUSED,
// errors when all fail, the pending limit, and forwarding end to end through a DnsServer.

#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>

#include "absl/strings/match.h"

#include "absl/strings/str_cat.h"
#include "libs/clock/clock.h"
#include "libs/dns/parser.h"
#include "libs/dns/wire_test_util.h"
#include "libs/dns/writer.h"
#include "services/mesos-dns/core/record_builder.h"
#include "services/mesos-dns/core/test_util.h"
#include "services/mesos-dns/server/ares_forwarder.h"
#include "services/mesos-dns/server/dns_server.h"

namespace dcos::dns::server {
namespace {

using dns::testing::Query;

// A dcos-dns server authoritative for `domain`, with leader.<domain> at `leader_ip`.
struct Upstream {
  Upstream(const std::string& domain, const std::string& leader_ip, bool forwarding = false)
      : holder(Build(domain, leader_ip)) {
    DnsServerOptions options;
    options.port = 0;
    options.udp_threads = 1;
    options.responder.forwarding_enabled = forwarding;
    server = *DnsServer::Start(options, &holder, nullptr, clock::RealClock::Default());
  }
  static std::shared_ptr<const core::RecordSet> Build(const std::string& domain,
                                                      const std::string& leader_ip) {
    core::RecordConfig config;
    config.domain = domain;
    auto b = *core::RecordBuilder::Create(config);
    common::v1::MasterInfo leader = core::testing::MakeLeader(leader_ip);
    b->SetLeader(&leader);
    return b->Publish();
  }
  std::string address() const { return absl::StrCat("127.0.0.1:", server->port()); }

  SnapshotHolder holder;
  std::unique_ptr<DnsServer> server;
};

// A UDP socket that never answers: a dead resolver.
struct Silent {
  Silent() {
    fd = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    socklen_t len = sizeof(a);
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~Silent() { close(fd); }
  std::string address() const { return absl::StrCat("127.0.0.1:", port); }
  int fd;
  uint16_t port;
};

absl::StatusOr<std::vector<uint8_t>> Ask(Forwarder& f, const Message& query) {
  std::promise<absl::StatusOr<std::vector<uint8_t>>> promise;
  auto future = promise.get_future();
  f.Forward(*Encode(query), [&promise](absl::StatusOr<std::vector<uint8_t>> answer) {
    promise.set_value(std::move(answer));
  });
  return future.get();
}

std::unique_ptr<AresForwarder> Make(std::vector<std::string> resolvers,
                                    absl::Duration timeout = absl::Milliseconds(300)) {
  AresForwarderOptions options;
  options.resolvers = std::move(resolvers);
  options.timeout_per_resolver = timeout;
  absl::StatusOr<std::unique_ptr<AresForwarder>> f = AresForwarder::Create(options);
  REQUIRE(f.ok());
  return *std::move(f);
}

std::string LeaderIn(const absl::StatusOr<std::vector<uint8_t>>& answer) {
  REQUIRE(answer.ok());
  absl::StatusOr<Message> m = ParseMessage(*answer);
  REQUIRE(m.ok());
  REQUIRE(m->answers.size() == 1);
  return RDataToText(m->answers[0].data);
}

TEST_CASE("AresForwarder: bad resolver lists are refused") {
  CHECK(AresForwarder::Create(AresForwarderOptions{}).status().code() ==
        absl::StatusCode::kInvalidArgument);
  AresForwarderOptions options;
  options.resolvers = {"10.0.0.1", "resolver.example.com"};
  absl::StatusOr<std::unique_ptr<AresForwarder>> f = AresForwarder::Create(options);
  CHECK(f.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StrContains(f.status().message(), "resolvers[1]"));
}

TEST_CASE("AresForwarder: the upstream's answer") {
  Upstream upstream("example", "10.9.0.1");
  auto f = Make({upstream.address()});
  CHECK(LeaderIn(Ask(*f, Query("leader.example", RRType::kA))) == "10.9.0.1");
  // NXDOMAIN is an answer, not a failure.
  absl::StatusOr<std::vector<uint8_t>> nx = Ask(*f, Query("nope.example", RRType::kA));
  REQUIRE(nx.ok());
  CHECK(ParseMessage(*nx)->header.rcode == Rcode::kNXDomain);
}

TEST_CASE("AresForwarder: the next resolver after a silent one or a REFUSED") {
  Silent dead;
  Upstream refusing("other", "10.9.0.9");  // not authoritative for "example": REFUSED
  Upstream good("example", "10.9.0.2");
  auto f = Make({dead.address(), refusing.address(), good.address()});
  CHECK(LeaderIn(Ask(*f, Query("leader.example", RRType::kA))) == "10.9.0.2");
}

TEST_CASE("AresForwarder: an error when every resolver fails") {
  Silent dead1;
  Silent dead2;
  auto f = Make({dead1.address(), dead2.address()}, absl::Milliseconds(100));
  absl::StatusOr<std::vector<uint8_t>> a = Ask(*f, Query("leader.example", RRType::kA));
  CHECK(a.status().code() == absl::StatusCode::kDeadlineExceeded);

  Upstream refusing("other", "10.9.0.9");
  auto g = Make({refusing.address()});
  a = Ask(*g, Query("leader.example", RRType::kA));
  CHECK_FALSE(a.ok());
}

TEST_CASE("AresForwarder: queries pending at destruction are cancelled") {
  Silent dead;
  auto f = Make({dead.address()}, absl::Seconds(30));
  std::promise<absl::Status> promise;
  f->Forward(*Encode(Query("leader.example", RRType::kA)),
             [&promise](absl::StatusOr<std::vector<uint8_t>> a) { promise.set_value(a.status()); });
  f.reset();
  CHECK(promise.get_future().get().code() == absl::StatusCode::kCancelled);
}

TEST_CASE("AresForwarder: end to end through a DnsServer, over UDP") {
  Upstream upstream("example", "10.9.0.3");
  auto forwarder = Make({upstream.address()});
  Upstream mesos("mesos", "10.1.0.1");  // only for its record set
  DnsServerOptions options;
  options.port = 0;
  std::unique_ptr<DnsServer> server =
      *DnsServer::Start(options, &mesos.holder, forwarder.get(), clock::RealClock::Default());

  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(server->port());
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
  for (auto [name, id] : {std::pair{"leader.example", 0x0101}, std::pair{"leader.mesos", 0x0202}}) {
    std::vector<uint8_t> q = *Encode(Query(name, RRType::kA, static_cast<uint16_t>(id)));
    REQUIRE(send(fd, q.data(), q.size(), 0) > 0);
    pollfd p{fd, POLLIN, 0};
    REQUIRE(poll(&p, 1, 5000) == 1);
    uint8_t buf[4096];
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    absl::StatusOr<Message> m = ParseMessage(absl::Span<const uint8_t>(buf, n));
    REQUIRE(m.ok());
    CHECK(m->header.id == id);
    REQUIRE(m->answers.size() == 1);
    CHECK(RDataToText(m->answers[0].data) ==
          (std::string(name) == "leader.example" ? "10.9.0.3" : "10.1.0.1"));
  }
  close(fd);
  server->Stop();
}

}  // namespace
}  // namespace dcos::dns::server
