// Health checks: the timing and verdicts on a simulated clock, and real probes (command,
// HTTP, TCP) against real processes and sockets.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"
#include "libs/testing/harness.h"
#include "services/agent/health_check.h"
#include "services/agent/health_prober.h"

namespace dcos::agent {
namespace {

using common::v1::HealthCheck;
const absl::Time kT0 = absl::FromUnixSeconds(1000);

HealthCheck Check(uint32_t failures, int delay_s = 15, int interval_s = 10, int grace_s = 10) {
  HealthCheck c;
  c.set_type(HealthCheck::TYPE_TCP);
  c.mutable_tcp()->set_port(80);
  c.mutable_delay()->set_seconds(delay_s);
  c.mutable_interval()->set_seconds(interval_s);
  c.mutable_grace_period()->set_seconds(grace_s);
  c.set_consecutive_failures(failures);
  return c;
}

TEST_CASE("checks start after the delay, one every interval, never two at once", "[health]") {
  HealthCheckState h(Check(3), kT0);
  CHECK_FALSE(h.TakeDue(kT0 + absl::Seconds(14)).has_value());
  auto first = h.TakeDue(kT0 + absl::Seconds(15));
  REQUIRE(first.has_value());
  CHECK_FALSE(h.TakeDue(kT0 + absl::Seconds(30)).has_value());  // still running
  h.Result(*first, true, kT0 + absl::Seconds(16));
  auto second = h.TakeDue(kT0 + absl::Seconds(25));
  REQUIRE(second.has_value());
  CHECK(*second == *first + 1);
  // A check that never reports is given up after timeout (20 s) + 5 s.
  CHECK_FALSE(h.TakeDue(kT0 + absl::Seconds(49)).has_value());
  CHECK(h.TakeDue(kT0 + absl::Seconds(50)).has_value());
}

TEST_CASE("health changes are reported; failures in the grace period are not", "[health]") {
  HealthCheckState h(Check(3, /*delay=*/0, /*interval=*/1, /*grace=*/10), kT0);
  absl::Time t = kT0;
  auto run = [&](bool ok) {
    auto seq = h.TakeDue(t);
    REQUIRE(seq.has_value());
    auto v = h.Result(*seq, ok, t);
    t += absl::Seconds(1);
    return v;
  };
  for (int i = 0; i < 5; ++i) {  // starting up: failures do not count
    auto v = run(false);
    CHECK_FALSE(v.report.has_value());
    CHECK_FALSE(v.kill);
  }
  CHECK_FALSE(h.healthy().has_value());
  auto v = run(true);
  CHECK(v.report == std::optional<bool>(true));
  CHECK_FALSE(run(true).report.has_value());  // no change, no report
  v = run(false);                              // after a success failures count, grace or not
  CHECK(v.report == std::optional<bool>(false));
  CHECK_FALSE(v.kill);
  v = run(false);
  CHECK_FALSE(v.report.has_value());
  CHECK_FALSE(v.kill);
  v = run(false);
  CHECK(v.kill);
  CHECK(h.consecutive_failures() == 3);
  // Results of other checks are ignored.
  CHECK_FALSE(h.Result(12345, true, t).report.has_value());
}

TEST_CASE("after the grace period failures count from the start; 0 never kills", "[health]") {
  HealthCheckState h(Check(0, 0, 1, 2), kT0);
  absl::Time t = kT0 + absl::Seconds(3);
  for (int i = 0; i < 10; ++i, t += absl::Seconds(1)) {
    auto seq = h.TakeDue(t);
    REQUIRE(seq.has_value());
    auto v = h.Result(*seq, false, t);
    CHECK(v.report.has_value() == (i == 0));
    CHECK_FALSE(v.kill);
  }
  CHECK(h.healthy() == std::optional<bool>(false));
  HealthCheckState restored(Check(3, 0), kT0);
  restored.Restore(true);
  auto seq = restored.TakeDue(kT0);
  CHECK_FALSE(restored.Result(*seq, true, kT0).report.has_value());
}

TEST_CASE("bad health checks name the field", "[health]") {
  HealthCheck c = Check(3);
  CHECK(ValidateHealthCheck(c, "task.health_check").ok());
  c.mutable_tcp()->set_port(0);
  CHECK(ValidateHealthCheck(c, "task.health_check").message() ==
        "task.health_check.tcp.port: must be 1..65535");
  c = Check(3);
  c.set_type(HealthCheck::TYPE_UNSPECIFIED);
  CHECK(ValidateHealthCheck(c, "hc").message() ==
        "hc.type: must be TYPE_COMMAND, TYPE_HTTP or TYPE_TCP");
  c = Check(3);
  c.mutable_interval()->set_seconds(0);
  c.mutable_interval()->set_nanos(500000000);
  CHECK(ValidateHealthCheck(c, "hc").message() == "hc.interval: must be at least 1s");
  c = Check(3);
  c.set_type(HealthCheck::TYPE_HTTP);
  c.mutable_http()->set_port(80);
  c.mutable_http()->set_scheme("https");
  CHECK(ValidateHealthCheck(c, "hc").message() == "hc.http.scheme: only \"http\" is supported");
  c.set_type(HealthCheck::TYPE_COMMAND);
  CHECK(ValidateHealthCheck(c, "hc").message() == "hc.command.value: required");
}

// A listening socket on 127.0.0.1 answering each connection with `reply` (if not empty).
class Server {
 public:
  explicit Server(std::string reply) : reply_(std::move(reply)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
    socklen_t len = sizeof(a);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    listen(fd_, 16);
    thread_ = std::thread([this] {
      for (;;) {
        int c = accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        if (!reply_.empty()) {
          char buf[1024];
          ssize_t n = read(c, buf, sizeof(buf));
          (void)n;
          ssize_t w = write(c, reply_.data(), reply_.size());
          (void)w;
        }
        close(c);
      }
    });
  }
  ~Server() {
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
  }
  uint32_t port() const { return port_; }

 private:
  std::string reply_;
  int fd_;
  uint32_t port_;
  std::thread thread_;
};

ProbeRequest Request(HealthCheck check, absl::Duration timeout = absl::Seconds(5)) {
  ProbeRequest r;
  r.check = std::move(check);
  r.host = "127.0.0.1";
  r.sandbox_dir = "/";
  r.environment = {{"PATH", "/usr/bin:/bin"}, {"WANT", "7"}};
  r.timeout = timeout;
  return r;
}

TEST_CASE("TCP and HTTP probes against real sockets", "[health][probe]") {
  HealthCheck tcp;
  tcp.set_type(HealthCheck::TYPE_TCP);
  {
    Server s("");
    tcp.mutable_tcp()->set_port(s.port());
    CHECK(RunProbe(Request(tcp)).healthy);
  }
  // Nothing listens there any more.
  ProbeResult closed = RunProbe(Request(tcp));
  CHECK_FALSE(closed.healthy);
  CHECK(closed.message.find("Connection refused") != std::string::npos);

  HealthCheck http;
  http.set_type(HealthCheck::TYPE_HTTP);
  {
    Server ok("HTTP/1.1 204 No Content\r\n\r\n");
    http.mutable_http()->set_port(ok.port());
    http.mutable_http()->set_path("/health");
    CHECK(RunProbe(Request(http)).healthy);
  }
  {
    Server bad("HTTP/1.0 503 Service Unavailable\r\n\r\n");
    http.mutable_http()->set_port(bad.port());
    ProbeResult r = RunProbe(Request(http));
    CHECK_FALSE(r.healthy);
    CHECK(r.message == "HTTP 503");
    http.mutable_http()->add_statuses(503);  // listed: healthy
    CHECK(RunProbe(Request(http)).healthy);
  }
}

TEST_CASE("command probes: exit status, environment, timeout", "[health][probe]") {
  HealthCheck c;
  c.set_type(HealthCheck::TYPE_COMMAND);
  c.mutable_command()->set_value("test \"$WANT\" = 7");
  CHECK(RunProbe(Request(c)).healthy);
  c.mutable_command()->set_value("exit 2");
  ProbeResult r = RunProbe(Request(c));
  CHECK_FALSE(r.healthy);
  CHECK(r.message == "the check command exited with status 2");
  c.mutable_command()->set_value("sleep 30");
  absl::Time start = absl::Now();
  r = RunProbe(Request(c, absl::Milliseconds(200)));
  CHECK_FALSE(r.healthy);
  CHECK(r.message == "timed out after 200ms");
  CHECK(absl::Now() - start < absl::Seconds(10));

  // Through the prober's worker threads.
  std::atomic<int> done{0};
  {
    PosixHealthProber prober(2, [&](const ProbeRequest&, const ProbeResult& result) {
      if (result.healthy) ++done;
    });
    c.mutable_command()->set_value("true");
    for (int i = 0; i < 4; ++i) prober.Probe(Request(c));
    REQUIRE(testing::WaitFor([&] { return done.load() == 4; }, absl::Seconds(10), "4 probes").ok());
  }
}

}  // namespace
}  // namespace dcos::agent
