// dcos-dns in a real cluster: three dcos-zk members, two dcos-master processes (one leads),
// dcos-dns finding the leader through dcos-zk, a simulated agent and framework on the real
// master's APIs. Tasks made RUNNING resolve (A and SRV, checked with dig) a few milliseconds
// later (the delays are printed), and disappear as fast when they end; leader.<domain> follows
// a kill -9 of the leading master, and the tasks come back with their agent.

#include <signal.h>

#include <algorithm>

#include <catch2/catch.hpp>
#include <grpcpp/create_channel.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/testing/harness.h"
#include "libs/testing/process.h"
#include "protos/master/v1/operator.grpc.pb.h"
#include "tests/dns/dns_test_util.h"
#include "tests/zk/zk_ensemble.h"

namespace dcos::testing {
namespace {

struct Master {
  std::string ip;
  std::string address;
  std::unique_ptr<TestProcess> process;
};

// A master on its own loopback address (so that leader.mesos tells them apart).
Master StartHaMaster(const std::string& name, const std::string& ip, const ZkTestEnsemble& zk,
                     const std::string& dir) {
  Master m{ip, absl::StrCat(ip, ":", FreePort()), nullptr};
  m.process = StartMaster(name, m.address,
                          {"--master.zk=" + zk.Joined(), "--master.zk_session_timeout=1s",
                           "--master.agent_ping_timeout=300ms",
                           "--master.allocation_interval=50ms",
                           "--master.agent_reregister_timeout=5s"},
                          dir);
  return m;
}

// "ip:port" of the leader as `master` knows it (GetLeader's LeaderInfo); "" if none is known.
std::string LeaderSeenBy(const std::string& master) {
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
  mv1::GetLeaderResponse resp;
  if (!mv1::Operator::NewStub(grpc::CreateChannel(master, grpc::InsecureChannelCredentials()))
           ->GetLeader(&ctx, {}, &resp)
           .ok() ||
      !resp.leader().known()) {
    return "";
  }
  return absl::StrCat(resp.leader().address().ip(), ":", resp.leader().address().port());
}

std::string Percentiles(std::vector<absl::Duration> d) {
  std::sort(d.begin(), d.end());
  auto at = [&](double q) {
    return absl::FormatDuration(d[std::min(d.size() - 1, static_cast<size_t>(q * d.size()))]);
  };
  return absl::StrCat("n=", d.size(), " p50=", at(0.5), " p99=", at(0.99),
                      " max=", absl::FormatDuration(d.back()));
}

bool HasAnswer(const Message& m) { return !m.answers.empty(); }
bool IsNxdomain(const Message& m) { return m.header.rcode == Rcode::kNXDomain; }

TEST_CASE("dcos-dns: tasks resolvable right after RUNNING, gone when ended; leader.<domain> "
          "follows a master failover") {
  ZkTestEnsemble zk({"--zk.min_session_timeout=500ms"});
  REQUIRE(zk.StartAll().ok());
  const std::string dir = MakeTempDir("dns-cluster");
  Master a = StartHaMaster("master-a", "127.0.2.1", zk, dir);
  Master b = StartHaMaster("master-b", "127.0.2.2", zk, dir);
  Master* leader = nullptr;
  Master* standby = nullptr;
  // Both name the same leader (the leader itself only once it leads).
  REQUIRE(WaitFor([&] {
            const std::string seen = LeaderSeenBy(a.address);
            if (seen.empty() || seen != LeaderSeenBy(b.address)) return false;
            leader = seen == a.address ? &a : &b;
            standby = seen == a.address ? &b : &a;
            return seen == a.address || seen == b.address;
          }, absl::Seconds(20), "one elected master").ok());

  // dcos-dns finds the leader through dcos-zk only.
  DnsProcess dns = StartDns("dns", dir,
                            {"--dns.zk=" + zk.Joined(), "--dns.zk_session_timeout=2s",
                             "--dns.forwarding_enabled=false", "--dns.ttl=5s"});
  CHECK(Answers(dns.ip, dns.dns_port, "leader.mesos", RRType::kA) ==
        std::set<std::string>{leader->ip});
  DigResult dig = Dig(dns.ip, dns.dns_port, {"leader.mesos", "+short"});
  CHECK(dig.output == leader->ip + "\n");

  SimCluster cluster(leader->address, "marathon");
  // Tasks made RUNNING one after another: each is timed from the agent's RUNNING update to
  // the first answer with its A record (polled every millisecond).
  std::vector<absl::Duration> to_resolvable;
  std::vector<absl::Duration> to_gone;
  std::vector<SimCluster::TaskSpec> tasks;
  for (int i = 0; i < 20; ++i) {
    tasks.push_back({absl::StrCat("app", i, ".instance-1"), absl::StrCat("app", i),
                     static_cast<uint32_t>(31000 + i), ""});
  }
  cluster.Launch(tasks);
  for (const auto& task : tasks) {
    const std::string name = task.name + ".marathon.mesos";
    CHECK(Answers(dns.ip, dns.dns_port, name, RRType::kA).empty());  // STAGING: no record
    cluster.Report(task, common::v1::TASK_RUNNING);
    absl::StatusOr<absl::Duration> took =
        TimeUntil(dns.ip, dns.dns_port, name, RRType::kA, HasAnswer, absl::Seconds(10));
    REQUIRE(took.ok());
    to_resolvable.push_back(*took);
  }
  WARN("task RUNNING -> resolvable (agent update -> master -> dcos-dns -> answer): "
       << Percentiles(to_resolvable));

  // dig sees the A and SRV records of the first task.
  dig = Dig(dns.ip, dns.dns_port, {"app0.marathon.mesos", "A", "+short"});
  CHECK(dig.output == "127.0.3.1\n");
  dig = Dig(dns.ip, dns.dns_port, {"_app0._tcp.marathon.mesos", "SRV", "+short"});
  CHECK(dig.output.find("0 1 31000 app0-") == 0);
  CHECK(dig.output.find(".marathon.slave.mesos.") != std::string::npos);
  dig = Dig(dns.ip, dns.dns_port, {"_app0._tcp.marathon.mesos", "SRV"});
  CHECK(dig.output.find("status: NOERROR") != std::string::npos);
  CHECK(dig.output.find("ADDITIONAL SECTION") != std::string::npos);  // the target's address

  // The first ten end: each is gone (NXDOMAIN) right after its terminal update.
  for (int i = 0; i < 10; ++i) {
    cluster.Report(tasks[i], i % 2 ? common::v1::TASK_FINISHED : common::v1::TASK_KILLED);
    absl::StatusOr<absl::Duration> took =
        TimeUntil(dns.ip, dns.dns_port, tasks[i].name + ".marathon.mesos", RRType::kA,
                  IsNxdomain, absl::Seconds(10));
    REQUIRE(took.ok());
    to_gone.push_back(*took);
  }
  WARN("task ended -> NXDOMAIN: " << Percentiles(to_gone));
  dig = Dig(dns.ip, dns.dns_port, {"app0.marathon.mesos", "A"});
  CHECK(dig.output.find("status: NXDOMAIN") != std::string::npos);
  CHECK(dig.output.find("AUTHORITY SECTION") != std::string::npos);  // the SOA
  // Freshness as dcos-dns measured it.
  CHECK(WaitMetric(dns.metrics, "dcos_dns_freshness_lag_seconds_count{origin=\"received\"}",
                   [](double v) { return v >= 30; })
            .ok());
  CHECK(WaitMetric(dns.metrics, "dcos_dns_master_connected", [](double v) { return v == 1; })
            .ok());
  CHECK(WaitMetric(dns.metrics, "dcos_dns_zk_following", [](double v) { return v == 1; }).ok());
  absl::StatusOr<std::string> page = HttpGet(dns.metrics, "/metrics");
  REQUIRE(page.ok());
  WARN("dcos-dns freshness lag (status timestamp -> served): sum "
       << Metric(*page, "dcos_dns_freshness_lag_seconds_sum{origin=\"status\"}").value_or(-1)
       << " s over "
       << Metric(*page, "dcos_dns_freshness_lag_seconds_count{origin=\"status\"}").value_or(-1)
       << " events");

  // kill -9 of the leading master: leader.mesos moves to the standby once dcos-zk says so.
  cluster.Disconnect();
  const absl::Time killed = absl::Now();
  leader->process->Signal(SIGKILL);
  REQUIRE(leader->process->WaitExit(absl::Seconds(10)).ok());
  REQUIRE(WaitFor([&] {
            return Answers(dns.ip, dns.dns_port, "leader.mesos", RRType::kA) ==
                   std::set<std::string>{standby->ip};
          }, absl::Seconds(20), "leader.mesos on the standby").ok());
  WARN("kill -9 of the leader -> leader.mesos names the new one: "
       << absl::FormatDuration(absl::Now() - killed));
  dig = Dig(dns.ip, dns.dns_port, {"leader.mesos", "+short"});
  CHECK(dig.output == standby->ip + "\n");
  dig = Dig(dns.ip, dns.dns_port, {"_leader._tcp.mesos", "SRV", "+short"});
  CHECK(dig.output.find(standby->address.substr(standby->address.find(':') + 1)) !=
        std::string::npos);

  // The agent re-registers with its running tasks on the new leader: they resolve again.
  {
    mv1::AgentMessage m;
    auto* re = m.mutable_reregister_agent();
    mv1::AgentMessage reg = RegisterMessage("agent-127.0.3.1");
    *re->mutable_agent_info() = reg.register_agent().agent_info();
    re->mutable_agent_info()->mutable_id()->set_value(cluster.agent_id());
    for (int i = 10; i < 20; ++i) {
      cv1::Task* t = re->add_tasks();
      t->set_name(tasks[i].name);
      t->mutable_task_id()->set_value(tasks[i].id);
      t->mutable_framework_id()->set_value(cluster.framework_id());
      t->mutable_agent_id()->set_value(cluster.agent_id());
      t->set_state(cv1::TASK_RUNNING);
      *t->add_resources() = Scalar("cpus", 0.01);
      *t->add_resources() = Scalar("mem", 1);
    }
    auto channel = grpc::CreateChannel(standby->address, grpc::InsecureChannelCredentials());
    cv1::FrameworkInfo info = Framework("marathon");
    info.mutable_id()->set_value(cluster.framework_id());
    SimFramework framework(channel, info);
    SimAgent agent(channel, m);
    REQUIRE(WaitFor([&] {
              return Answers(dns.ip, dns.dns_port, "app15.marathon.mesos", RRType::kA) ==
                     std::set<std::string>{"127.0.3.1"};
            }, absl::Seconds(20), "app15 back with its agent").ok());
    CHECK(Answers(dns.ip, dns.dns_port, "app5.marathon.mesos", RRType::kA).empty());
  }

  dns.process->Signal(SIGTERM);
  absl::StatusOr<int> code = dns.process->WaitExit(absl::Seconds(10));
  REQUIRE(code.ok());
  CHECK(*code == 0);
}

}  // namespace
}  // namespace dcos::testing
