// A leading dcos-master that loses its dcos-zk session steps down at once: it exits (status 1,
// for its supervisor to restart it) and writes nothing to the registry after it lost the
// session. Two ways to lose it, each with three real dcos-zk members and two real masters:
// - the leader is frozen (SIGSTOP) past its session timeout: the standby takes over; when the
//   old leader runs again, with an operator's MarkAgentGone waiting on its socket, it exits
//   within seconds and the registry does not record the call;
// - the leader is cut off from dcos-zk by a partition that drops packets (a blackholed
//   TcpProxy between it and dcos-zk; it still runs and its clients still reach it): it exits
//   within its session timeout, when the ensemble may expire its session.
// Either way the old leader's session was surely alive (its client's account, in its exit
// line) only until before the standby led: never two leaders.

#include <signal.h>

#include <cstdio>
#include <optional>
#include <thread>

#include <catch2/catch.hpp>
#include <grpcpp/create_channel.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "libs/testing/harness.h"
#include "libs/testing/process.h"
#include "libs/testing/tcp_proxy.h"
#include "protos/master/v1/operator.grpc.pb.h"
#include "tests/master/master_cluster.h"
#include "tests/master/sim_clients.h"
#include "tests/zk/zk_ensemble.h"

namespace dcos::testing {
namespace {

using Registry = std::map<std::string, std::vector<std::string>>;

// Why the master said it exits ("why" of its last log line), for the test's output.
std::string ExitReason(const TestProcess& p) {
  std::string log = p.Log();
  size_t at = log.rfind("exiting for the supervisor");
  return at == std::string::npos ? "(no exit line)" : log.substr(at, log.find('\n', at) - at);
}

// When the master logged the first line containing `text` (each line starts with its RFC 3339
// time, on the same clock as absl::Now): the moment it acted, without the delay of a poll.
std::optional<absl::Time> LoggedAt(const TestProcess& p, const std::string& text) {
  std::string log = p.Log();
  size_t at = log.find(text);
  if (at == std::string::npos) return std::nullopt;
  size_t start = log.rfind('\n', at);
  start = start == std::string::npos ? 0 : start + 1;
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, log.substr(start, log.find(' ', start) - start), &t,
                       &err)) {
    return std::nullopt;
  }
  return t;
}

// Until when the master's dcos-zk session was surely alive, from its exit line (libs/zk's
// expiry reason: "... it was alive until <RFC 3339>"); nullopt if it does not say.
std::optional<absl::Time> AliveUntil(const TestProcess& p) {
  const std::string log = p.Log();
  const std::string mark = "it was alive until ";
  size_t at = log.find(mark);
  if (at == std::string::npos) return std::nullopt;
  at += mark.size();
  absl::Time t;
  std::string err;
  const size_t end = log.find_first_of(" \"\n", at);
  if (!absl::ParseTime(absl::RFC3339_full, log.substr(at, end - at), &t, &err)) {
    return std::nullopt;
  }
  return t;
}

// Registers `n` agents (agent-1..n) with the master at `address`; returns their ids, sorted.
std::vector<std::string> RegisterAgents(const std::string& address, int n) {
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  std::vector<std::unique_ptr<SimAgent>> agents;
  for (int i = 1; i <= n; ++i) {
    agents.push_back(std::make_unique<SimAgent>(channel, RegisterMessage(absl::StrCat("agent-", i))));
  }
  std::vector<std::string> ids;
  REQUIRE(WaitFor([&] {
            ids.clear();
            for (auto& a : agents) {
              auto r = a->Find([](const auto& m) { return m.has_registered(); });
              if (r) ids.push_back(r->registered().agent_id().value());
            }
            return ids.size() == agents.size();
          }, absl::Seconds(10), "the agents registered").ok());
  std::sort(ids.begin(), ids.end());
  return ids;
}

TEST_CASE("dcos-master HA: a leader frozen past its session exits when it runs again, writing "
          "nothing") {
  ZkTestEnsemble zk({"--zk.min_session_timeout=500ms"});
  REQUIRE(zk.StartAll().ok());
  std::string dir = MakeTempDir("masters-stop");
  // A long re-registration window: the new leader marks no agent unreachable within the
  // test, so the registry changes only if the old leader writes to it.
  const std::vector<std::string> flags = {"--master.agent_reregister_timeout=60s"};
  Master a = StartMaster("master-a", zk, dir, flags);
  REQUIRE(WaitFor([&] { return Elected(a.address); }, absl::Seconds(20), "master-a to lead").ok());
  Master b = StartMaster("master-b", zk, dir, flags);

  const std::vector<std::string> ids = RegisterAgents(a.address, 2);
  const Registry before = {{"admitted", ids}, {"unreachable", {}}, {"gone", {}}};
  REQUIRE(WaitFor([&] { return ReadRegistry(zk) == before; }, absl::Seconds(10),
                  "both agents admitted in the registry").ok());
  // An operator connected to the leader before it freezes: the call sent while it is frozen
  // waits in its socket and is read as soon as it runs again.
  auto op_a = OperatorAt(a.address);
  {
    grpc::ClientContext ctx;
    mv1::GetLeaderResponse resp;
    REQUIRE(op_a->GetLeader(&ctx, {}, &resp).ok());
  }

  const absl::Time stopped = absl::Now();
  a.process->Signal(SIGSTOP);
  REQUIRE(WaitFor([&] { return Elected(b.address); }, absl::Seconds(20), "master-b to lead").ok());
  std::printf("SIGSTOP of the leader -> the standby leads: %s\n",
              absl::FormatDuration(absl::Now() - stopped).c_str());
  // agent-1 follows the new leader; agent-2 stays away (RECOVERED for the whole test).
  auto channel_b = grpc::CreateChannel(b.address, grpc::InsecureChannelCredentials());
  SimAgent back(channel_b, Reregister("agent-1", ids[0], "", ""));
  REQUIRE(WaitFor([&] {
            return back.Find([](const auto& m) { return m.has_reregistered(); }).has_value();
          }, absl::Seconds(10), "agent-1 re-registered with master-b").ok());

  // While frozen, the old leader is asked to mark agent-2 gone (a registry write).
  grpc::Status gone_call;
  std::thread caller([&] {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
    mv1::MarkAgentGoneRequest req;
    req.mutable_agent_id()->set_value(ids[1]);
    mv1::MarkAgentGoneResponse resp;
    gone_call = op_a->MarkAgentGone(&ctx, req, &resp);
  });
  const absl::Time resumed = absl::Now();
  a.process->Signal(SIGCONT);
  absl::StatusOr<int> code = a.process->WaitExit(absl::Seconds(5));
  const absl::Duration took = absl::Now() - resumed;
  caller.join();
  std::printf("SIGCONT -> the old leader exits: %s (%s)\n", absl::FormatDuration(took).c_str(),
              ExitReason(*a.process).c_str());
  INFO(a.process->Log());
  REQUIRE(code.ok());
  CHECK(*code == 1);  // Exit(): for its supervisor to restart it
  // Never two leaders: the old one's session was surely alive only until before the new one
  // led (both by their logs).
  std::optional<absl::Time> a_alive_until = AliveUntil(*a.process);
  std::optional<absl::Time> b_leads = LoggedAt(*b.process, "dcos-master leading");
  REQUIRE(a_alive_until.has_value());
  REQUIRE(b_leads.has_value());
  CHECK(*a_alive_until < *b_leads);
  CHECK_FALSE(gone_call.ok());  // never acknowledged ...
  CHECK(ReadRegistry(zk) == before);  // ... nor recorded
  // The new leader still leads, with agent-1 back and agent-2 still awaited.
  CHECK(Elected(b.address));
  std::map<std::string, mv1::Agent::State> states;
  for (const mv1::Agent& agent : Agents(b.address)) {
    states[agent.agent_info().id().value()] = agent.state();
  }
  CHECK(states == std::map<std::string, mv1::Agent::State>{
                      {ids[0], mv1::Agent::STATE_ACTIVE}, {ids[1], mv1::Agent::STATE_RECOVERED}});

  b.process->Signal(SIGTERM);
  code = b.process->WaitExit(absl::Seconds(10));
  REQUIRE(code.ok());
  CHECK(*code == 0);
}

TEST_CASE("dcos-master HA: a leader cut off from dcos-zk exits within its session timeout, "
          "before the standby leads") {
  ZkTestEnsemble zk({"--zk.min_session_timeout=500ms"});
  REQUIRE(zk.StartAll().ok());
  std::string dir = MakeTempDir("masters-partition");
  // The leader reaches dcos-zk only through a proxy to the ensemble's leader (so no redirect
  // ever shows it another member's real address: the proxy is the whole of its link).
  int zk_leader = 0;
  REQUIRE(WaitFor([&] {
            zk::v1::StatusResponse s;
            if (!zk.Status(1, &s).ok() || !s.leader().known()) return false;
            zk_leader = zk.IdOf(absl::StrCat(s.leader().address().ip(), ":",
                                             s.leader().address().port()));
            return zk_leader != 0;
          }, absl::Seconds(20), "the dcos-zk leader").ok());
  auto proxy = TcpProxy::Start(zk.address(zk_leader));
  REQUIRE(proxy.ok());
  const absl::Duration session = absl::Seconds(1);
  Master a = StartMaster("master-a", (*proxy)->address(), dir,
                         {"--master.agent_reregister_timeout=60s"});
  REQUIRE(WaitFor([&] { return Elected(a.address); }, absl::Seconds(20), "master-a to lead").ok());
  Master b = StartMaster("master-b", zk, dir, {"--master.agent_reregister_timeout=60s"});
  const std::vector<std::string> ids = RegisterAgents(a.address, 2);
  const Registry before = {{"admitted", ids}, {"unreachable", {}}, {"gone", {}}};
  REQUIRE(WaitFor([&] { return ReadRegistry(zk) == before; }, absl::Seconds(10),
                  "both agents admitted in the registry").ok());

  const absl::Time cut = absl::Now();
  (*proxy)->Blackhole();
  REQUIRE(WaitFor([&] { return !a.process->Running() && Elected(b.address); }, absl::Seconds(20),
                  "master-a to exit and master-b to lead").ok());
  absl::StatusOr<int> code = a.process->WaitExit(absl::ZeroDuration());
  REQUIRE(code.ok());
  CHECK(*code == 1);
  // When each acted, from their logs (polling would add its own delays).
  std::optional<absl::Time> a_exits = LoggedAt(*a.process, "exiting for the supervisor");
  std::optional<absl::Time> b_leads = LoggedAt(*b.process, "dcos-master leading");
  REQUIRE(a_exits.has_value());
  REQUIRE(b_leads.has_value());
  // Until when its session was surely alive: the client's own account, in the exit line.
  std::optional<absl::Time> a_alive_until = AliveUntil(*a.process);
  REQUIRE(a_alive_until.has_value());
  std::printf("blackhole between the leader and dcos-zk -> its session alive until: %s, it "
              "exits: %s (%s); the standby leads: %s\n",
              absl::FormatDuration(*a_alive_until - cut).c_str(),
              absl::FormatDuration(*a_exits - cut).c_str(), ExitReason(*a.process).c_str(),
              absl::FormatDuration(*b_leads - cut).c_str());
  // It steps down when its session may have expired (ZkClient::session_alive_until, at most
  // the timeout after the cut), not when an attach to the silent member gives up (5 s later,
  // before libs/zk cut the keeper's waits to alive_until). The ensemble expires the session
  // no earlier than alive_until, and the standby leads only after that (and its registry
  // load): the order that makes two leaders impossible, whatever the load. Its exit line is
  // written tens of ms before the standby leads on a quiet machine, later if the process waits
  // for a core, so only its bound is checked.
  CHECK(*a_alive_until - cut <= session);
  CHECK(*a_alive_until < *b_leads);
  CHECK(*a_exits - cut < session + absl::Seconds(1));
  CHECK(ReadRegistry(zk) == before);

  b.process->Signal(SIGTERM);
  code = b.process->WaitExit(absl::Seconds(10));
  REQUIRE(code.ok());
  CHECK(*code == 0);
}

}  // namespace
}  // namespace dcos::testing
