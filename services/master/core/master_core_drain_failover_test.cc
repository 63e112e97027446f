// A drain survives a master failover: the old leader writes it into the registry (with its
// grace period and mark_gone) and a deactivation with it; the new leader recovers them from
// the registry, offers the agent to no one, kills its tasks when it re-registers and marks it
// gone once drained if asked. A deactivation alone (DeactivateAgent) survives the same way and
// kills nothing. The registry between the two leaders is the in-memory one (a single
// master's), through the ops the old leader's core emitted.

#include <string>
#include <utility>
#include <vector>

#include "services/master/core/master_core_test_cluster.h"
#include "services/master/registry.h"

namespace dcos::master {
namespace {

using common::v1::TaskStatus;
using testing::Cluster;
using testing::Uuid;

// The registry the old leader wrote: its core's ops applied to an in-memory registry.
RegistryContents Written(const Cluster& old_leader) {
  InMemoryRegistry registry;
  REQUIRE(registry.Apply(old_leader.registry).ok());
  absl::StatusOr<RegistryContents> contents = registry.Load();
  REQUIRE(contents.ok());
  return *std::move(contents);
}

// A new leader ("m2") over what the old one wrote, knowing the agents' AgentInfos (to build
// their re-registrations with Report).
struct NewLeader {
  explicit NewLeader(const Cluster& old_leader) : c(Config()) {
    c.now = old_leader.now + absl::Seconds(5);
    c.infos = old_leader.infos;
    RegistryContents contents = Written(old_leader);
    c.core.RecoverRegistry(std::move(contents.admitted), std::move(contents.unreachable),
                           contents.gone, contents.states, c.now);
    c.Drain();
  }
  static MasterCoreConfig Config() {
    MasterCoreConfig config = Cluster::Defaults();
    config.master_info.set_id("m2");
    config.agent_reregister_timeout = absl::Seconds(30);
    return config;
  }
  Cluster c;
};

const v1::Agent* AgentOf(Cluster& c, const std::string& agent) {
  for (const v1::Agent& a : c.S().agents()) {
    if (a.agent_info().id().value() == agent) return &a;
  }
  return nullptr;
}

// Whether the framework holds an offer of `agent`.
bool Offered(Cluster& c, const std::string& fid, const std::string& agent) {
  for (const common::v1::Offer& o : c.Outstanding(fid)) {
    if (o.agent_id().value() == agent) return true;
  }
  return false;
}

// The agent's re-registration with its tasks `tasks` of framework `fid` (named in the report,
// as an agent does).
v1::Reregister Report(Cluster& c, const std::string& agent, const std::string& fid,
                      const std::vector<std::string>& tasks) {
  std::vector<std::pair<std::string, std::string>> keys;
  for (const std::string& t : tasks) keys.emplace_back(fid, t);
  v1::Reregister r = c.Report(agent, keys);
  *r.add_frameworks() = Cluster::KnownFramework(fid);
  return r;
}

TEST_CASE("drain failover: the drain is written into the agent's entry, with its grace period") {
  Cluster c;
  auto [agent, s] = c.StartOne("t1");
  const size_t ops = c.registry.size();
  REQUIRE(c.core.DrainAgent(agent, absl::Seconds(5), /*mark_gone=*/true, c.now).ok());
  c.Drain();
  REQUIRE(c.registry.size() == ops + 1);
  const RegistryOp& op = c.registry.back();
  CHECK(op.kind == RegistryOp::Kind::kAdmit);  // rewritten where it is
  CHECK(op.agent.id().value() == agent);
  CHECK(op.state.drain().max_grace_period().seconds() == 5);
  CHECK(op.state.drain().mark_gone());
  CHECK(op.state.deactivated());

  // Without a grace period the drain is recorded all the same.
  std::string other = c.AddAgent("a2");
  REQUIRE(c.core.DrainAgent(other, std::nullopt, /*mark_gone=*/false, c.now).ok());
  c.Drain();
  CHECK(c.registry.back().state.has_drain());
  CHECK(!c.registry.back().state.drain().has_max_grace_period());
  CHECK(Written(c).states.size() == 2);
}

TEST_CASE("drain failover: no offers of the draining agent, its tasks killed when it returns") {
  Cluster old;
  auto [agent, s] = old.StartOne("t1");
  REQUIRE(old.core.DrainAgent(agent, absl::Seconds(5), /*mark_gone=*/false, old.now).ok());
  old.Drain();
  REQUIRE(old.Kills(agent).size() == 1);  // lost with the old leader, say

  NewLeader n(old);
  Cluster& c = n.c;
  const v1::Agent* recovered = AgentOf(c, agent);
  REQUIRE(recovered != nullptr);
  CHECK(recovered->state() == v1::Agent::STATE_RECOVERED);
  CHECK(recovered->drain_state() == v1::Agent::DRAIN_STATE_DRAINING);
  CHECK(recovered->deactivated());
  CHECK(recovered->drain_max_grace_period().seconds() == 5);

  // The framework is back and another agent registers: offers flow, none of the drained one.
  absl::StatusOr<MasterCore::Subscription> back =
      c.core.Subscribe(Cluster::KnownFramework(s.framework_id), c.now);
  REQUIRE(back.ok());
  c.Drain();
  const size_t ops = c.registry.size();
  const size_t first = c.Reregister(Report(c, agent, s.framework_id, {"t1"}));
  CHECK(c.registry.size() == ops);  // in the registry as it is: nothing written
  std::vector<v1::KillTask> kills = c.Kills(agent, first);
  REQUIRE(kills.size() == 1);
  CHECK(kills[0].task_id().value() == "t1");
  CHECK(kills[0].kill_policy().grace_period().seconds() == 5);
  std::string fresh = c.AddAgent("a2");
  for (int i = 0; i < 3; ++i) c.Advance(absl::Seconds(1));
  CHECK(Offered(c, s.framework_id, fresh));
  CHECK(!Offered(c, s.framework_id, agent));

  // Killed: drained, still offered to no one until an operator reactivates it.
  c.Update(agent, s.framework_id, "t1", common::v1::TASK_KILLED, Uuid('k'));
  CHECK(c.Updates(s.framework_id, "t1").back().reason() == TaskStatus::REASON_AGENT_DRAINING);
  // DRAINED once the framework has acknowledged the task's end.
  CHECK(AgentOf(c, agent)->drain_state() == v1::Agent::DRAIN_STATE_DRAINING);
  c.Ack(*back, agent, "t1");
  CHECK(AgentOf(c, agent)->drain_state() == v1::Agent::DRAIN_STATE_DRAINED);
  c.Advance(absl::Seconds(2));
  CHECK(!Offered(c, s.framework_id, agent));
  REQUIRE(c.core.ReactivateAgent(agent, c.now).ok());
  c.Drain();
  CHECK(c.registry.back().agent.id().value() == agent);
  CHECK(!c.registry.back().state.has_drain());
  CHECK(!c.registry.back().state.deactivated());
  CHECK(Written(c).states.empty());
  c.Advance(absl::Seconds(2));
  CHECK(Offered(c, s.framework_id, agent));
  CHECK(c.port.errors() == 0);
}

TEST_CASE("drain failover: with mark_gone the agent is gone once drained by the new leader") {
  Cluster old;
  auto [agent, s] = old.StartOne("t1");
  REQUIRE(old.core.DrainAgent(agent, absl::Seconds(3), /*mark_gone=*/true, old.now).ok());
  old.Drain();

  NewLeader n(old);
  Cluster& c = n.c;
  // An operator who drains it again at the new leader (as a retrying tool would) changes
  // nothing: a recovered agent has not said what it runs, so it is not drained yet.
  REQUIRE(c.core.DrainAgent(agent, absl::Seconds(3), /*mark_gone=*/true, c.now).ok());
  c.Drain();
  CHECK(c.AgentState(agent) == v1::Agent::STATE_RECOVERED);

  const size_t first = c.Reregister(Report(c, agent, s.framework_id, {"t1"}));
  REQUIRE(c.Kills(agent, first).size() == 1);
  CHECK(c.AgentState(agent) == v1::Agent::STATE_ACTIVE);
  c.Update(agent, s.framework_id, "t1", common::v1::TASK_KILLED, Uuid('k'));
  // Not gone while the end of its last task is unacknowledged: the framework is away, and
  // the agent holds the update it will need.
  CHECK(c.AgentState(agent) == v1::Agent::STATE_ACTIVE);
  absl::StatusOr<MasterCore::Subscription> back =
      c.core.Subscribe(Cluster::KnownFramework(s.framework_id), c.now);
  REQUIRE(back.ok());
  c.Drain();
  c.Update(agent, s.framework_id, "t1", common::v1::TASK_KILLED, Uuid('k'));  // the retry
  CHECK(c.AgentState(agent) == v1::Agent::STATE_ACTIVE);
  c.Ack(*back, agent, "t1");
  // Its last task ended and acknowledged: gone (Shutdown, registry), and it stays gone for a
  // third leader.
  CHECK(c.AgentState(agent) == v1::Agent::STATE_GONE);
  CHECK(c.registry.back().kind == RegistryOp::Kind::kMarkGone);
  CHECK(c.agent_msgs[agent].back().has_shutdown());
  RegistryContents third = Written(c);
  CHECK(third.states.empty());
  CHECK(c.port.errors() == 0);
}

TEST_CASE("drain failover: an agent that comes back with nothing running is gone at once") {
  Cluster old;
  auto [agent, s] = old.StartOne("t1");
  REQUIRE(old.core.DrainAgent(agent, std::nullopt, /*mark_gone=*/true, old.now).ok());
  old.Drain();

  NewLeader n(old);
  Cluster& c = n.c;
  REQUIRE(c.core.ReregisterAgent(c.Report(agent, {}), c.now).ok());
  c.Drain();
  CHECK(c.AgentState(agent) == v1::Agent::STATE_GONE);
  CHECK(c.registry.back().kind == RegistryOp::Kind::kMarkGone);
  // A gone agent never re-registers.
  CHECK(c.core.ReregisterAgent(c.Report(agent, {}), c.now).code() ==
        absl::StatusCode::kFailedPrecondition);
  CHECK(c.port.errors() == 0);
}

TEST_CASE("drain failover: an unreachable draining agent keeps its drain through both") {
  Cluster old;
  auto [agent, s] = old.StartOne("t1", /*partition_aware=*/true);
  REQUIRE(old.core.DrainAgent(agent, absl::Seconds(7), /*mark_gone=*/false, old.now).ok());
  old.Drain();
  old.Partition(agent);
  REQUIRE(old.registry.back().kind == RegistryOp::Kind::kMarkUnreachable);
  CHECK(old.registry.back().state.drain().max_grace_period().seconds() == 7);

  NewLeader n(old);
  Cluster& c = n.c;
  CHECK(c.AgentState(agent) == v1::Agent::STATE_UNREACHABLE);
  CHECK(AgentOf(c, agent)->deactivated());
  const size_t first = c.Reregister(Report(c, agent, s.framework_id, {"t1"}));
  CHECK(c.port.errors() == 0);
  // Admitted again with its drain, and its task killed.
  RegistryContents now = Written(c);
  REQUIRE(now.admitted.size() == 1);
  REQUIRE(now.states.count(agent) == 1);
  CHECK(now.states[agent].drain().max_grace_period().seconds() == 7);
  std::vector<v1::KillTask> kills = c.Kills(agent, first);
  REQUIRE(kills.size() == 1);
  CHECK(kills[0].kill_policy().grace_period().seconds() == 7);
  c.Advance(absl::Seconds(2));
  CHECK(c.Outstanding(s.framework_id).empty());
  CHECK(c.port.errors() == 0);
}

TEST_CASE("drain failover: a reactivation is written too, so the new leader offers the agent") {
  Cluster old;
  std::string agent = old.AddAgent("a1");
  REQUIRE(old.core.DrainAgent(agent, absl::Seconds(5), /*mark_gone=*/false, old.now).ok());
  old.Drain();
  REQUIRE(old.core.ReactivateAgent(agent, old.now).ok());
  old.Drain();
  CHECK(Written(old).states.empty());

  NewLeader n(old);
  Cluster& c = n.c;
  const v1::Agent* recovered = AgentOf(c, agent);
  REQUIRE(recovered != nullptr);
  CHECK(recovered->drain_state() == v1::Agent::DRAIN_STATE_UNSPECIFIED);
  CHECK(!recovered->deactivated());
  MasterCore::Subscription s = c.Subscribe("fw");
  c.Reregister(c.Report(agent, {}));
  c.Advance(absl::Seconds(2));
  CHECK(Offered(c, s.framework_id, agent));
  CHECK(c.port.errors() == 0);
}

}  // namespace
}  // namespace dcos::master

namespace dcos::master {
namespace {

TEST_CASE("deactivate: no offers of the agent, its task runs on, and a new leader keeps it so") {
  Cluster old;
  auto [agent, s] = old.StartOne("t1");
  // The rest of its resources, once the launch's refuse filter (5 s) is over.
  for (int i = 0; i < 10 && !Offered(old, s.framework_id, agent); ++i) {
    old.Advance(absl::Seconds(1));
  }
  REQUIRE(Offered(old, s.framework_id, agent));
  const size_t ops = old.registry.size();
  REQUIRE(old.core.DeactivateAgent(agent, old.now).ok());
  old.Drain();
  CHECK(!Offered(old, s.framework_id, agent));  // rescinded
  REQUIRE(old.registry.size() == ops + 1);
  CHECK(old.registry.back().state.deactivated());
  CHECK(!old.registry.back().state.has_drain());
  CHECK(old.Kills(agent).empty());  // a deactivation kills nothing
  const v1::Agent* deactivated = AgentOf(old, agent);
  REQUIRE(deactivated != nullptr);
  CHECK(deactivated->deactivated());
  CHECK(deactivated->drain_state() == v1::Agent::DRAIN_STATE_UNSPECIFIED);
  CHECK(old.core.GetStats().agents_deactivated == 1);
  // Idempotent: nothing written again.
  REQUIRE(old.core.DeactivateAgent(agent, old.now).ok());
  old.Drain();
  CHECK(old.registry.size() == ops + 1);
  // Bad requests change nothing.
  CHECK(old.core.DeactivateAgent("", old.now).code() == absl::StatusCode::kInvalidArgument);
  CHECK(old.core.DeactivateAgent("unknown", old.now).code() == absl::StatusCode::kNotFound);
  old.Advance(absl::Seconds(5));
  CHECK(!Offered(old, s.framework_id, agent));

  // A new leader: the agent is back, still deactivated, its task still running.
  NewLeader n(old);
  Cluster& c = n.c;
  absl::StatusOr<MasterCore::Subscription> back =
      c.core.Subscribe(Cluster::KnownFramework(s.framework_id), c.now);
  REQUIRE(back.ok());
  c.Drain();
  const size_t first = c.Reregister(Report(c, agent, s.framework_id, {"t1"}));
  CHECK(c.Kills(agent, first).empty());
  CHECK(c.AgentState(agent) == v1::Agent::STATE_ACTIVE);
  CHECK(AgentOf(c, agent)->deactivated());
  c.Advance(absl::Seconds(3));
  CHECK(!Offered(c, s.framework_id, agent));
  REQUIRE(c.core.ReactivateAgent(agent, c.now).ok());
  c.Drain();
  CHECK(!c.registry.back().state.deactivated());
  for (int i = 0; i < 10 && !Offered(c, s.framework_id, agent); ++i) c.Advance(absl::Seconds(1));
  CHECK(Offered(c, s.framework_id, agent));
  CHECK(c.port.errors() == 0);
}

}  // namespace
}  // namespace dcos::master
