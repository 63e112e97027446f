// dcos-dns as a process beside one real dcos-master (static master list): forwarding to a
// local upstream resolver (and SERVFAIL when it is dead, REFUSED when forwarding is off), a
// name with hundreds of records truncated over UDP and whole over TCP, hostile packets
// answered with FORMERR or dropped without harm, the gRPC lookup API and metrics from outside,
// the last records served while the master is gone, bad configuration refused.

#include <signal.h>

#include <random>

#include <catch2/catch.hpp>
#include <grpcpp/create_channel.h>

#include "absl/strings/str_cat.h"
#include "libs/clock/clock.h"
#include "libs/dns/hostile_packets.h"
#include "libs/dns/parser.h"
#include "libs/testing/harness.h"
#include "libs/testing/process.h"
#include "protos/dns/v1/dns.grpc.pb.h"
#include "services/mesos-dns/core/record_builder.h"
#include "services/mesos-dns/core/test_util.h"
#include "services/mesos-dns/server/dns_server.h"
#include "tests/dns/dns_test_util.h"

namespace dcos::testing {
namespace {

struct OneMaster {
  std::string address;
  std::unique_ptr<TestProcess> process;
};

OneMaster StartOneMaster(const std::string& dir) {
  OneMaster m{absl::StrCat("127.0.0.1:", FreePort()), nullptr};
  m.process = StartMaster("master", m.address, {"--master.allocation_interval=50ms"}, dir);
  return m;
}

// A master alone (in-memory registry) and a dcos-dns following it, forwarding off.
struct MasterAndDns {
  std::string dir;
  OneMaster master;
  DnsProcess dns;

  explicit MasterAndDns(const std::string& prefix, std::vector<std::string> flags = {})
      : dir(MakeTempDir(prefix)), master(StartOneMaster(dir)) {
    flags.push_back("--dns.masters=" + master.address);
    flags.push_back("--dns.forwarding_enabled=false");
    dns = StartDns("dns", dir, flags);
  }
};

// A small authoritative server for the zone "upstream" on loopback: the upstream resolver
// dcos-dns forwards to (our own DnsServer over its own record set).
struct Upstream {
  std::unique_ptr<dns::server::SnapshotHolder> holder;
  std::unique_ptr<dns::server::DnsServer> server;

  Upstream() {
    dns::core::RecordConfig config;
    config.domain = "upstream";
    auto builder = *dns::core::RecordBuilder::Create(config);
    master::v1::ClusterState state;
    *state.mutable_leader() = dns::core::testing::MakeLeader("10.9.9.9");
    builder->Reset(state);
    holder = std::make_unique<dns::server::SnapshotHolder>(builder->Publish());
    dns::server::DnsServerOptions options;
    options.port = 0;
    options.responder.forwarding_enabled = false;
    auto s = dns::server::DnsServer::Start(options, holder.get(), nullptr,
                                           clock::RealClock::Default());
    REQUIRE(s.ok());
    server = *std::move(s);
  }
};

TEST_CASE("dcos-dns: forwarding to a local upstream; SERVFAIL when it is dead; REFUSED when off") {
  const std::string dir = MakeTempDir("dns-forward");
  OneMaster master = StartOneMaster(dir);
  Upstream upstream;
  const std::string dead = absl::StrCat("127.0.0.1:", FreePort());
  DnsProcess dns = StartDns(
      "dns", dir,
      {"--dns.masters=" + master.address, "--dns.upstream_timeout=300ms",
       absl::StrCat("--dns.resolvers=", dead, ",127.0.0.1:", upstream.server->port())});
  // The dead resolver first: after it fails the next one answers.
  DigResult dig = Dig(dns.ip, dns.dns_port, {"leader.upstream", "+short"});
  CHECK(dig.output == "10.9.9.9\n");
  dig = Dig(dns.ip, dns.dns_port, {"nothing.upstream"});
  CHECK(dig.output.find("status: NXDOMAIN") != std::string::npos);
  dig = Dig(dns.ip, dns.dns_port, {"leader.upstream", "+tcp", "+short"});
  CHECK(dig.output == "10.9.9.9\n");
  CHECK(upstream.server->stats().udp_queries.load() >= 2);
  CHECK(WaitMetric(dns.metrics, "dcos_dns_forwarded_total", [](double v) { return v >= 3; })
            .ok());

  // Every resolver dead: SERVFAIL.
  DnsProcess lonely = StartDns("dns-dead-upstream", dir,
                               {"--dns.masters=" + master.address,
                                "--dns.upstream_timeout=200ms", "--dns.resolvers=" + dead});
  dig = Dig(lonely.ip, lonely.dns_port, {"leader.upstream", "+tries=1", "+time=5"});
  CHECK(dig.output.find("status: SERVFAIL") != std::string::npos);

  // Forwarding off: REFUSED, and the domain still answered.
  DnsProcess off = StartDns("dns-no-forwarding", dir,
                            {"--dns.masters=" + master.address, "--dns.forwarding_enabled=false"});
  dig = Dig(off.ip, off.dns_port, {"leader.upstream"});
  CHECK(dig.output.find("status: REFUSED") != std::string::npos);
  dig = Dig(off.ip, off.dns_port, {"leader.mesos", "+short"});
  CHECK(dig.output == "127.0.0.1\n");
}

TEST_CASE("dcos-dns: 300 instances of one app — truncated over UDP, whole over TCP") {
  MasterAndDns c("dns-big");
  const DnsProcess& dns = c.dns;
  SimCluster cluster(c.master.address, "marathon");
  std::vector<SimCluster::TaskSpec> tasks;
  for (int i = 0; i < 300; ++i) {
    tasks.push_back({absl::StrCat("big.", i), "big", static_cast<uint32_t>(31000 + i),
                     absl::StrCat("10.200.", i / 200, ".", i % 200 + 1)});
  }
  cluster.Launch(tasks);
  for (const auto& task : tasks) cluster.Report(task, common::v1::TASK_RUNNING);
  REQUIRE(WaitFor([&] {
            absl::StatusOr<std::string> page = HttpGet(dns.metrics, "/metrics");
            return Answers(dns.ip, dns.dns_port, "big.marathon.mesos", RRType::kA).size() > 0 &&
                   page.ok();
          }, absl::Seconds(20), "big resolvable").ok());
  // All 300 RUNNING updates applied: the SRV set over TCP is complete.
  auto count = [](const std::string& out, const std::string& what) {
    size_t n = 0;
    for (size_t at = out.find(what); at != std::string::npos; at = out.find(what, at + 1)) ++n;
    return n;
  };
  REQUIRE(WaitFor([&] {
            DigResult d = Dig(dns.ip, dns.dns_port,
                              {"big.marathon.mesos", "A", "+tcp", "+short"});
            return count(d.output, "10.200.") == 300;
          }, absl::Seconds(20), "300 A records over TCP").ok());

  // UDP without EDNS0: 512 bytes, TC set; dig retries over TCP by itself.
  DigResult udp = Dig(dns.ip, dns.dns_port, {"big.marathon.mesos", "A", "+ignore", "+noedns"});
  CHECK(udp.output.find(" tc ") != std::string::npos);
  CHECK(udp.output.find("MSG SIZE  rcvd: ") != std::string::npos);
  CHECK(count(udp.output, "10.200.") < 300);
  DigResult retried = Dig(dns.ip, dns.dns_port, {"big.marathon.mesos", "A", "+noedns"});
  CHECK(count(retried.output, "\tA\t10.200.") == 300);
  CHECK(retried.output.find(" tc ") == std::string::npos);
  // SRV: 300 records, their targets' addresses in the additional section over TCP.
  DigResult srv = Dig(dns.ip, dns.dns_port, {"_big._tcp.marathon.mesos", "SRV", "+tcp"});
  CHECK(count(srv.output, "\tSRV\t0 1 ") == 300);
  CHECK(srv.output.find("ADDITIONAL SECTION") != std::string::npos);
  DigResult srv_udp =
      Dig(dns.ip, dns.dns_port, {"_big._tcp.marathon.mesos", "SRV", "+ignore", "+bufsize=1232"});
  CHECK(srv_udp.output.find(" tc ") != std::string::npos);
  // Mixed case: case-insensitive, the answer in the question's case.
  DigResult mixed = Dig(dns.ip, dns.dns_port, {"BiG.MaRaThOn.MeSoS", "A", "+tcp"});
  CHECK(count(mixed.output, "BiG.MaRaThOn.MeSoS.\t60\tIN\tA\t") == 300);

  CHECK(WaitMetric(dns.metrics, "dcos_dns_truncated_total", [](double v) { return v >= 2; })
            .ok());
  CHECK(WaitMetric(dns.metrics, "dcos_dns_requests_total{transport=\"tcp\"}",
                   [](double v) { return v >= 4; })
            .ok());
}

TEST_CASE("dcos-dns: hostile packets get FORMERR or nothing, and the server carries on") {
  MasterAndDns c("dns-hostile");
  const DnsProcess& dns = c.dns;
  int formerr = 0, silent = 0;
  for (const auto& hostile : dns::testing::HostilePackets()) {
    INFO(hostile.name << ": " << hostile.what);
    std::optional<std::vector<uint8_t>> reply =
        UdpExchange(dns.ip, dns.dns_port, hostile.bytes, absl::Milliseconds(300));
    if (!reply.has_value()) {
      ++silent;
      continue;
    }
    absl::StatusOr<Message> m = dns::ParseMessage(*reply);
    REQUIRE(m.ok());
    CHECK(m->header.rcode == Rcode::kFormErr);
    CHECK(m->header.id == ((uint16_t{hostile.bytes[0]} << 8) | hostile.bytes[1]));
    ++formerr;
  }
  WARN(formerr << " hostile packets answered FORMERR, " << silent << " dropped");
  CHECK(formerr > 0);
  // Random bytes, seeded (printed): never a crash.
  const uint64_t seed = std::random_device{}();
  INFO("random packets seed " << seed);
  std::mt19937_64 rng(seed);
  for (int i = 0; i < 2000; ++i) {
    std::vector<uint8_t> junk(rng() % 600);
    for (uint8_t& b : junk) b = static_cast<uint8_t>(rng());
    if (junk.size() > 2) junk[2] &= 0x7f;  // mostly queries (QR clear), so they are parsed
    (void)UdpExchange(dns.ip, dns.dns_port, junk, absl::Milliseconds(i % 100 == 0 ? 50 : 0));
  }
  CHECK(dns.process->Running());
  DigResult dig = Dig(dns.ip, dns.dns_port, {"leader.mesos", "+short"});
  CHECK(dig.output == "127.0.0.1\n");
  dig = Dig(dns.ip, dns.dns_port, {"leader.mesos", "+short", "+tcp"});
  CHECK(dig.output == "127.0.0.1\n");
  CHECK(WaitMetric(dns.metrics, "dcos_dns_responses_total{rcode=\"FORMERR\"}",
                   [&](double v) { return v >= formerr; })
            .ok());
}

TEST_CASE("dcos-dns: the lookup API from outside; the last records outlive the master") {
  MasterAndDns c("dns-api", {"--dns.domain=cluster.test"});
  const DnsProcess& dns = c.dns;
  OneMaster& master = c.master;
  SimCluster cluster(master.address, "marathon");
  SimCluster::TaskSpec web{"web.1", "web", 31080, ""};
  cluster.Launch({web});
  cluster.Report(web, common::v1::TASK_RUNNING);
  REQUIRE(WaitFor([&] {
            return !Answers(dns.ip, dns.dns_port, "web.marathon.cluster.test", RRType::kA)
                        .empty();
          }, absl::Seconds(10), "web resolvable").ok());

  auto stub = dns::v1::Dns::NewStub(grpc::CreateChannel(dns.grpc,
                                                        grpc::InsecureChannelCredentials()));
  {
    grpc::ClientContext ctx;
    dns::v1::LookupServiceRequest req;
    req.set_service("_web._tcp.marathon.cluster.test");
    dns::v1::LookupServiceResponse resp;
    REQUIRE(stub->LookupService(&ctx, req, &resp).ok());
    REQUIRE(resp.records_size() == 1);
    CHECK(resp.records(0).ip() == "127.0.3.1");
    CHECK(resp.records(0).port() == 31080);
  }
  {
    grpc::ClientContext ctx;
    dns::v1::LookupHostRequest req;
    req.set_host("web.marathon.mesos");
    dns::v1::LookupHostResponse resp;
    grpc::Status s = stub->LookupHost(&ctx, req, &resp);
    CHECK(s.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK(s.error_message().find("not in cluster.test") != std::string::npos);
  }
  {
    grpc::ClientContext ctx;
    dns::v1::EnumerateResponse resp;
    REQUIRE(stub->Enumerate(&ctx, {}, &resp).ok());
    REQUIRE(resp.frameworks_size() == 1);
    CHECK(resp.frameworks(0).tasks(0).id() == "web.1");
    CHECK(resp.fresh());
  }
  {
    grpc::ClientContext ctx;
    dns::v1::GetConfigResponse resp;
    REQUIRE(stub->GetConfig(&ctx, {}, &resp).ok());
    CHECK(resp.config().domain() == "cluster.test");
    CHECK(resp.config().masters(0) == master.address);
  }

  // The master goes away: the records stay, Enumerate says they are not fresh.
  master.process->Signal(SIGKILL);
  REQUIRE(master.process->WaitExit(absl::Seconds(10)).ok());
  REQUIRE(WaitFor([&] {
            grpc::ClientContext ctx;
            dns::v1::EnumerateResponse resp;
            return stub->Enumerate(&ctx, {}, &resp).ok() && !resp.fresh();
          }, absl::Seconds(10), "not fresh").ok());
  DigResult dig = Dig(dns.ip, dns.dns_port, {"web.marathon.cluster.test", "+short"});
  CHECK(dig.output == "127.0.3.1\n");
  CHECK(WaitMetric(dns.metrics, "dcos_dns_master_connected", [](double v) { return v == 0; })
            .ok());
  CHECK(WaitMetric(dns.metrics, "dcos_dns_queries_total{qtype=\"A\"}",
                   [](double v) { return v >= 2; })
            .ok());
  CHECK(WaitMetric(dns.metrics, "dcos_dns_answer_seconds_count", [](double v) { return v >= 2; })
            .ok());
  CHECK(HealthStatus(dns.grpc, grpc::InsecureChannelCredentials()).value_or("") == "SERVING");
}

TEST_CASE("dcos-dns: bad configuration is refused, naming the field") {
  const std::string dir = MakeTempDir("dns-config");
  auto run = [&](const std::string& name, std::vector<std::string> args) {
    auto p = TestProcess::Start({name, Runfile("services/mesos-dns/dcos-dns"), args, dir});
    REQUIRE(p.ok());
    absl::StatusOr<int> code = (*p)->WaitExit(absl::Seconds(20));
    REQUIRE(code.ok());
    return std::make_pair(*code, (*p)->Log());
  };
  auto [code, log] = run("bad-master", {"--dns.masters=master-1", "--metrics.listen="});
  CHECK(code == 2);
  CHECK(log.find("dns.masters") != std::string::npos);
  std::tie(code, log) = run("no-master", {"--metrics.listen=", "--grpc.listen=127.0.0.1:0",
                                          "--dns.forwarding_enabled=false"});
  CHECK(code == 1);
  CHECK(log.find("dns.zk, dns.masters") != std::string::npos);
  std::tie(code, log) = run("bad-domain", {"--dns.domain=a..b", "--dns.masters=10.0.0.1:5050"});
  CHECK(code == 2);
  CHECK(log.find("dns.domain") != std::string::npos);
}

}  // namespace
}  // namespace dcos::testing
