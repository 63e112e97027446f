// Tests of the DNS server over real sockets on loopback: UDP and TCP answers, pipelining,
// truncation over UDP with the full answer over TCP, snapshot swaps, forwarding (answers,
// failures, over both transports), malformed packets, TCP limits and idle timeouts.

#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "libs/clock/clock.h"
#include "libs/dns/parser.h"
#include "libs/dns/wire_test_util.h"
#include "libs/testing/harness.h"
#include "libs/dns/writer.h"
#include "services/mesos-dns/core/record_builder.h"
#include "services/mesos-dns/core/test_util.h"
#include "services/mesos-dns/server/dns_server.h"

namespace dcos::dns::server {
namespace {

using dns::testing::Query;

std::shared_ptr<const core::RecordSet> Records(int agents, const std::string& leader_ip) {
  auto builder = *core::RecordBuilder::Create(core::RecordConfig{});
  master::v1::ClusterState state;
  *state.mutable_leader() = core::testing::MakeLeader(leader_ip);
  for (int i = 0; i < agents; ++i) {
    *state.add_agents() = core::testing::MakeAgent(absl::StrCat("a-S", i),
                                                   absl::StrCat("10.0.", i / 250, ".", i % 250 + 1));
  }
  builder->Reset(state);
  return builder->Publish();
}

// A forwarder answering from a function, on its own thread (as c-ares would).
class FakeForwarder : public Forwarder {
 public:
  explicit FakeForwarder(std::function<absl::StatusOr<std::vector<uint8_t>>(const Message&)> f)
      : answer_(std::move(f)) {}
  ~FakeForwarder() override {
    for (std::thread& t : threads_) t.join();
  }
  void Forward(std::vector<uint8_t> query, Done done) override {
    absl::MutexLock lock(&mu_);
    ++calls_;
    threads_.emplace_back([this, query = std::move(query), done = std::move(done)] {
      absl::StatusOr<Message> m = ParseMessage(query);
      done(m.ok() ? answer_(*m) : absl::InternalError("unparseable"));
    });
  }
  int calls() {
    absl::MutexLock lock(&mu_);
    return calls_;
  }

 private:
  std::function<absl::StatusOr<std::vector<uint8_t>>(const Message&)> answer_;
  absl::Mutex mu_;
  int calls_ = 0;
  std::vector<std::thread> threads_;
};

absl::StatusOr<std::vector<uint8_t>> ExampleAnswer(const Message& query) {
  Message m = query;
  m.header.id = 0xabcd;  // an upstream library's own ID
  m.header.qr = true;
  m.answers.push_back(dns::testing::A("www.example.com", 300, "93.184.216.34"));
  return *Encode(m);
}

int Connect(int type, uint16_t port) {
  const int fd = socket(AF_INET, type, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
  return fd;
}

bool Readable(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, timeout_ms) == 1;
}

// Sends one UDP query; the response, or nullopt after `timeout_ms`.
std::optional<Message> Udp(uint16_t port, const std::vector<uint8_t>& packet,
                           int timeout_ms = 3000) {
  const int fd = Connect(SOCK_DGRAM, port);
  REQUIRE(send(fd, packet.data(), packet.size(), 0) == static_cast<ssize_t>(packet.size()));
  std::optional<Message> out;
  if (Readable(fd, timeout_ms)) {
    uint8_t buf[65536];
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    REQUIRE(n > 0);
    absl::StatusOr<Message> m = ParseMessage(absl::Span<const uint8_t>(buf, n));
    REQUIRE(m.ok());
    out = *m;
  }
  close(fd);
  return out;
}

std::optional<Message> Udp(uint16_t port, const Message& query) {
  return Udp(port, *Encode(query));
}

void SendFramed(int fd, const std::vector<uint8_t>& packet) {
  std::vector<uint8_t> framed = {static_cast<uint8_t>(packet.size() >> 8),
                                 static_cast<uint8_t>(packet.size())};
  framed.insert(framed.end(), packet.begin(), packet.end());
  REQUIRE(send(fd, framed.data(), framed.size(), 0) == static_cast<ssize_t>(framed.size()));
}

// Reads exactly n bytes (or fewer when the peer closes / 3 s pass).
std::vector<uint8_t> ReadN(int fd, size_t n) {
  std::vector<uint8_t> out;
  uint8_t buf[65536];
  while (out.size() < n && Readable(fd, 3000)) {
    const ssize_t r = recv(fd, buf, std::min(sizeof(buf), n - out.size()), 0);
    if (r <= 0) break;
    out.insert(out.end(), buf, buf + r);
  }
  return out;
}

std::optional<Message> ReadFramed(int fd) {
  std::vector<uint8_t> length = ReadN(fd, 2);
  if (length.size() < 2) return std::nullopt;
  std::vector<uint8_t> body = ReadN(fd, (size_t{length[0]} << 8) | length[1]);
  absl::StatusOr<Message> m = ParseMessage(body);
  REQUIRE(m.ok());
  return *m;
}

// The peer closed: recv returns 0 within 3 s.
bool Closed(int fd) {
  if (!Readable(fd, 3000)) return false;
  uint8_t b;
  return recv(fd, &b, 1, 0) == 0;
}

struct Fixture {
  explicit Fixture(Forwarder* forwarder = nullptr, TcpOptions tcp = {},
                   const clock::Clock* clock = clock::RealClock::Default())
      : holder(Records(200, "10.1.0.1")) {
    DnsServerOptions options;
    options.port = 0;
    options.tcp = tcp;
    absl::StatusOr<std::unique_ptr<DnsServer>> s =
        DnsServer::Start(options, &holder, forwarder, clock);
    REQUIRE(s.ok());
    server = *std::move(s);
  }
  SnapshotHolder holder;
  std::unique_ptr<DnsServer> server;
};

TEST_CASE("Server: UDP answers; a new snapshot is served at once") {
  Fixture f;
  std::optional<Message> m = Udp(f.server->port(), Query("leader.mesos", RRType::kA, 77));
  REQUIRE(m.has_value());
  CHECK(m->header.id == 77);
  REQUIRE(m->answers.size() == 1);
  CHECK(RDataToText(m->answers[0].data) == "10.1.0.1");

  f.holder.Store(Records(200, "10.1.0.2"));
  m = Udp(f.server->port(), Query("leader.mesos", RRType::kA));
  REQUIRE(m.has_value());
  CHECK(RDataToText(m->answers[0].data) == "10.1.0.2");
  CHECK(f.server->stats().udp_queries.load() == 2);
  CHECK(f.server->stats().rcode(Rcode::kNoError) == 2);
  CHECK(f.server->stats().qtype(RRType::kA) == 2);
  CHECK(f.server->stats().qtype(RRType::kSRV) == 0);
  // Both answers timed (observed after the send: wait for the second).
  auto timed = [&] {
    uint64_t n = 0;
    for (const auto& b : f.server->stats().latency_buckets) n += b.load();
    return n;
  };
  CHECK(dcos::testing::WaitFor([&] { return timed() == 2; }, absl::Seconds(5), "2 timed").ok());
}

TEST_CASE("Server: query types counted by slot, others together") {
  CHECK(QtypeSlot(RRType::kA) == 0);
  CHECK(QtypeSlot(RRType::kCNAME) == kCountedQtypes.size() - 1);
  CHECK(QtypeSlot(RRType::kAXFR) == kCountedQtypes.size());
  ServerStats stats;
  stats.ObserveLatency(absl::Microseconds(30), 3);
  stats.ObserveLatency(absl::Seconds(1), 1);
  CHECK(stats.latency_buckets[2].load() == 3);  // (25 us, 50 us]
  CHECK(stats.latency_buckets.back().load() == 1);
  CHECK(stats.latency_sum_ns.load() == 90000 + 1000000000);
}

TEST_CASE("Server: truncated over UDP, whole over TCP, pipelined") {
  Fixture f;
  std::optional<Message> udp = Udp(f.server->port(), Query("slave.mesos", RRType::kA, 1));
  REQUIRE(udp.has_value());
  CHECK(udp->header.tc);
  CHECK(udp->answers.empty());

  const int fd = Connect(SOCK_STREAM, f.server->port());
  // Two queries in one write.
  std::vector<uint8_t> both;
  for (uint16_t id : {11, 12}) {
    std::vector<uint8_t> q = *Encode(Query(id == 11 ? "slave.mesos" : "leader.mesos",
                                           RRType::kA, id));
    both.push_back(static_cast<uint8_t>(q.size() >> 8));
    both.push_back(static_cast<uint8_t>(q.size()));
    both.insert(both.end(), q.begin(), q.end());
  }
  REQUIRE(send(fd, both.data(), both.size(), 0) == static_cast<ssize_t>(both.size()));
  std::optional<Message> first = ReadFramed(fd);
  std::optional<Message> second = ReadFramed(fd);
  REQUIRE(first.has_value());
  REQUIRE(second.has_value());
  CHECK(first->header.id == 11);
  CHECK_FALSE(first->header.tc);
  CHECK(first->answers.size() == 200);
  CHECK(second->header.id == 12);
  CHECK(second->answers.size() == 1);
  close(fd);
  CHECK(f.server->stats().tcp_queries.load() == 2);
  CHECK(f.server->stats().truncated.load() == 1);
}

TEST_CASE("Server: a UDP port held by another socket is refused, even a SO_REUSEPORT one") {
  // Another process's server with SO_REUSEPORT (same user) would silently share the port and
  // get half of the queries: the server must not join it.
  const int other = socket(AF_INET, SOCK_DGRAM, 0);
  const int one = 1;
  REQUIRE(setsockopt(other, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) == 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(other, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
  socklen_t len = sizeof(a);
  REQUIRE(getsockname(other, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  SnapshotHolder holder(Records(1, "10.1.0.1"));
  DnsServerOptions options;
  options.port = ntohs(a.sin_port);
  absl::StatusOr<std::unique_ptr<DnsServer>> s =
      DnsServer::Start(options, &holder, nullptr, clock::RealClock::Default());
  CHECK(s.status().code() == absl::StatusCode::kFailedPrecondition);  // EADDRINUSE
  CHECK(s.status().message().find("in use") != absl::string_view::npos);
  close(other);
  // Free again: served.
  CHECK(DnsServer::Start(options, &holder, nullptr, clock::RealClock::Default()).ok());
}

TEST_CASE("Server: malformed packets — FORMERR with a header, silence without") {
  Fixture f;
  CHECK_FALSE(Udp(f.server->port(), std::vector<uint8_t>{1, 2, 3}, 300).has_value());
  dns::testing::PacketBuilder loop;
  loop.Header(0x5555, 0x0100, 1, 0, 0, 0).Labels({"a"}, false).Pointer(12).U16(1).U16(1);
  std::optional<Message> m = Udp(f.server->port(), loop.bytes());
  REQUIRE(m.has_value());
  CHECK(m->header.rcode == Rcode::kFormErr);
  CHECK(m->header.id == 0x5555);
  CHECK(f.server->stats().dropped.load() == 1);
  // The server is still there.
  CHECK(Udp(f.server->port(), Query("leader.mesos", RRType::kA)).has_value());
}

TEST_CASE("Server: names outside the domain — forwarded, relayed, SERVFAIL on failure") {
  SECTION("answered") {
    FakeForwarder forwarder(ExampleAnswer);
    Fixture f(&forwarder);
    std::optional<Message> m = Udp(f.server->port(), Query("www.example.com", RRType::kA, 99));
    REQUIRE(m.has_value());
    CHECK(m->header.id == 99);
    REQUIRE(m->answers.size() == 1);
    CHECK(RDataToText(m->answers[0].data) == "93.184.216.34");

    const int fd = Connect(SOCK_STREAM, f.server->port());
    SendFramed(fd, *Encode(Query("www.example.com", RRType::kA, 100)));
    std::optional<Message> tcp = ReadFramed(fd);
    REQUIRE(tcp.has_value());
    CHECK(tcp->header.id == 100);
    CHECK(tcp->answers.size() == 1);
    close(fd);
    CHECK(forwarder.calls() == 2);
    CHECK(f.server->stats().forwarded.load() == 2);
  }
  SECTION("every upstream failed") {
    FakeForwarder forwarder([](const Message&) -> absl::StatusOr<std::vector<uint8_t>> {
      return absl::DeadlineExceededError("all upstreams timed out");
    });
    Fixture f(&forwarder);
    std::optional<Message> m = Udp(f.server->port(), Query("www.example.com", RRType::kA, 5));
    REQUIRE(m.has_value());
    CHECK(m->header.rcode == Rcode::kServFail);
    CHECK(m->header.id == 5);
  }
  SECTION("no forwarder: REFUSED") {
    Fixture f;
    std::optional<Message> m = Udp(f.server->port(), Query("www.example.com", RRType::kA));
    REQUIRE(m.has_value());
    CHECK(m->header.rcode == Rcode::kRefused);
  }
}

TEST_CASE("Server: TCP limits — connection count, zero-length messages, idle timeout") {
  clock::SimClock clock;
  TcpOptions tcp;
  tcp.max_connections = 2;
  tcp.idle_timeout = absl::Seconds(10);
  Fixture f(nullptr, tcp, &clock);
  const int a = Connect(SOCK_STREAM, f.server->port());
  const int b = Connect(SOCK_STREAM, f.server->port());
  // Both are served (which also proves both were accepted before the third arrives).
  for (int fd : {a, b}) {
    SendFramed(fd, *Encode(Query("leader.mesos", RRType::kA)));
    CHECK(ReadFramed(fd).has_value());
  }
  const int c = Connect(SOCK_STREAM, f.server->port());
  CHECK(Closed(c));
  CHECK(f.server->stats().tcp_rejected.load() == 1);

  // A zero-length message ends the connection.
  const uint8_t zero[2] = {0, 0};
  REQUIRE(send(a, zero, 2, 0) == 2);
  CHECK(Closed(a));

  // Idle past the timeout: closed.
  clock.Advance(absl::Seconds(11));
  CHECK(Closed(b));
  for (int fd : {a, b, c}) close(fd);
}

TEST_CASE("Server: stops cleanly with connections open") {
  Fixture f;
  const int fd = Connect(SOCK_STREAM, f.server->port());
  // A query answered first: the server holds the connection (accepted, idle) when it stops.
  // Without it, Stop could close the listener before the accept and the client would see a
  // reset instead of the close this test is about.
  SendFramed(fd, *Encode(Query("leader.mesos", RRType::kA)));
  REQUIRE(ReadFramed(fd).has_value());
  f.server->Stop();
  CHECK(Closed(fd));
  close(fd);
}

}  // namespace
}  // namespace dcos::dns::server
