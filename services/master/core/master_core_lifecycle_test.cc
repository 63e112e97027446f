// Paths of the master core that master_core_test's walk-through does not take: offer
// timeout, framework heartbeats, executor exit, reactivation, an agent that re-registers
// without its tasks, and an agent marked gone, each as its frameworks see it.

#include <string>
#include <vector>

#include "services/master/core/master_core_test_cluster.h"

namespace dcos::master {
namespace {

using common::v1::TaskStatus;
using testing::Cluster;
using testing::Uuid;

size_t CountEvents(Cluster& c, const std::string& fid, v1::Event::EventCase which) {
  size_t n = 0;
  for (const v1::Event& e : c.events[fid]) n += e.event_case() == which;
  return n;
}

TEST_CASE("lifecycle: an offer not used within offer_timeout is rescinded and offered again") {
  MasterCoreConfig config = Cluster::Defaults();
  config.offer_timeout = absl::Seconds(3);
  Cluster c(config);
  c.AddAgent("a1", 2, 1024);
  MasterCore::Subscription s = c.Subscribe("fw");
  c.Advance(absl::Seconds(1));
  std::vector<common::v1::Offer> first = c.Outstanding(s.framework_id);
  REQUIRE(first.size() == 1);
  c.Advance(absl::Seconds(2));
  CHECK(CountEvents(c, s.framework_id, v1::Event::kRescind) == 0);
  REQUIRE(c.Outstanding(s.framework_id).size() == 1);
  CHECK(c.Outstanding(s.framework_id)[0].id().value() == first[0].id().value());

  c.events.clear();
  c.Advance(absl::Seconds(1));  // 3 s old
  const std::vector<v1::Event>& events = c.events[s.framework_id];
  REQUIRE(events.size() == 2);
  REQUIRE(events[0].has_rescind());
  CHECK(events[0].rescind().offer_id().value() == first[0].id().value());
  // Its resources went back (no refuse filter) and the same cycle offers them again.
  REQUIRE(events[1].has_offers());
  REQUIRE(events[1].offers().offers_size() == 1);
  const common::v1::Offer& again = events[1].offers().offers(0);
  CHECK(again.id().value() != first[0].id().value());
  CHECK(again.resources_size() == first[0].resources_size());
  for (const common::v1::Resource& r : again.resources()) {
    if (r.name() == "cpus") CHECK(r.scalar().value() == 2);
  }
  // A rescinded offer cannot be used.
  REQUIRE(c.core.Accept(c.Launch(s, first[0], "late", 1, 32), c.now).ok());
  c.Drain();
  REQUIRE(c.Updates(s.framework_id, "late").size() == 1);
  CHECK(c.Updates(s.framework_id, "late")[0].reason() == TaskStatus::REASON_INVALID_OFFERS);
  CHECK(c.port.errors() == 0);
}

TEST_CASE("lifecycle: connected frameworks get a HEARTBEAT every heartbeat interval") {
  MasterCoreConfig config = Cluster::Defaults();
  config.framework_heartbeat_interval = absl::Seconds(5);
  Cluster c(config);
  MasterCore::Subscription s = c.Subscribe("fw", false, absl::Minutes(10));
  MasterCore::Subscription gone = c.Subscribe("gone", false, absl::Minutes(10));
  REQUIRE(c.events[s.framework_id][0].subscribed().heartbeat_interval().seconds() == 5);
  c.core.FrameworkDisconnected(gone.framework_id, gone.stream_id, c.now);
  c.Drain();
  for (int i = 0; i < 4; ++i) c.Advance(absl::Seconds(1));
  CHECK(CountEvents(c, s.framework_id, v1::Event::kHeartbeat) == 0);
  c.Advance(absl::Seconds(1));  // 5 s
  CHECK(CountEvents(c, s.framework_id, v1::Event::kHeartbeat) == 1);
  for (int i = 0; i < 10; ++i) c.Advance(absl::Seconds(1));  // 15 s
  CHECK(CountEvents(c, s.framework_id, v1::Event::kHeartbeat) == 3);
  CHECK(CountEvents(c, gone.framework_id, v1::Event::kHeartbeat) == 0);
}

TEST_CASE("lifecycle: an executor's exit is a FAILURE event to its framework") {
  Cluster c;
  std::string agent = c.AddAgent("a1");
  MasterCore::Subscription s = c.Subscribe("fw");
  MasterCore::Subscription other = c.Subscribe("other");
  v1::ExecutorExited exited;
  exited.mutable_framework_id()->set_value(s.framework_id);
  exited.mutable_executor_id()->set_value("t1");
  exited.set_status(137);
  c.core.ExecutorExited(agent, exited, c.now);
  c.Drain();
  REQUIRE(CountEvents(c, s.framework_id, v1::Event::kFailure) == 1);
  const v1::Event& e = c.events[s.framework_id].back();
  REQUIRE(e.has_failure());
  CHECK(e.failure().agent_id().value() == agent);
  CHECK(e.failure().executor_id().value() == "t1");
  CHECK(e.failure().status() == 137);
  CHECK(CountEvents(c, other.framework_id, v1::Event::kFailure) == 0);
  // Nobody to tell: a framework that is not connected.
  c.core.FrameworkDisconnected(s.framework_id, s.stream_id, c.now);
  c.Drain();
  c.core.ExecutorExited(agent, exited, c.now);
  CHECK(c.core.TakeOutbox().to_frameworks.empty());
}

TEST_CASE("lifecycle: a reactivated agent is offered again; a drained one stays quiet") {
  Cluster c;
  std::string agent = c.AddAgent("a1", 2, 1024);
  MasterCore::Subscription s = c.Subscribe("fw");
  c.Advance(absl::Seconds(1));
  REQUIRE(c.Outstanding(s.framework_id).size() == 1);
  REQUIRE(c.core.DrainAgent(agent, std::nullopt, /*mark_gone=*/false, c.now).ok());
  c.Drain();
  CHECK(c.Outstanding(s.framework_id).empty());  // rescinded
  c.Advance(absl::Seconds(10));
  CHECK(c.Outstanding(s.framework_id).empty());
  REQUIRE(c.S().agents_size() == 1);
  CHECK(c.state.agents(0).drain_state() == v1::Agent::DRAIN_STATE_DRAINED);  // no tasks
  CHECK(c.state.agents(0).deactivated());

  REQUIRE(c.core.ReactivateAgent(agent, c.now).ok());
  c.Drain();
  c.Advance(absl::Seconds(1));
  REQUIRE(c.Outstanding(s.framework_id).size() == 1);
  REQUIRE(c.S().agents_size() == 1);
  CHECK(c.state.agents(0).drain_state() == v1::Agent::DRAIN_STATE_UNSPECIFIED);
  CHECK_FALSE(c.state.agents(0).deactivated());

  // Reactivated while disconnected: offered once it is back, not before.
  REQUIRE(c.core.DrainAgent(agent, std::nullopt, false, c.now).ok());
  c.core.AgentDisconnected(agent, c.now);
  REQUIRE(c.core.ReactivateAgent(agent, c.now).ok());
  c.Drain();
  c.Advance(absl::Seconds(1));
  CHECK(c.Outstanding(s.framework_id).empty());
  REQUIRE(c.core.ReregisterAgent(c.Report(agent, {}), c.now).ok());
  c.Drain();
  c.Advance(absl::Seconds(1));
  CHECK(c.Outstanding(s.framework_id).size() == 1);
  CHECK(c.core.ReactivateAgent("unknown", c.now).code() == absl::StatusCode::kNotFound);
  CHECK(c.port.errors() == 0);
}

TEST_CASE("lifecycle: reactivate refuses an agent still draining, and a gone one") {
  Cluster c;
  std::string agent = c.AddAgent("a1", 2, 1024);
  MasterCore::Subscription s = c.Subscribe("fw");
  REQUIRE(c.Start(s, "t1") == agent);
  REQUIRE(c.core.DrainAgent(agent, absl::Seconds(5), /*mark_gone=*/false, c.now).ok());
  c.Drain();
  absl::Status early = c.core.ReactivateAgent(agent, c.now);
  CHECK(early.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(early.message() == "agent " + agent + " is still draining: reactivate it once it is DRAINED");
  REQUIRE(c.S().agents_size() == 1);
  CHECK(c.state.agents(0).drain_state() == v1::Agent::DRAIN_STATE_DRAINING);  // unchanged
  CHECK(c.state.agents(0).deactivated());
  c.Update(agent, s.framework_id, "t1", common::v1::TASK_KILLED, Uuid('k'));
  // Killed but not yet acknowledged: still draining.
  CHECK(c.core.ReactivateAgent(agent, c.now).code() == absl::StatusCode::kFailedPrecondition);
  c.Ack(s, agent, "t1");
  REQUIRE(c.S().agents_size() == 1);
  CHECK(c.state.agents(0).drain_state() == v1::Agent::DRAIN_STATE_DRAINED);
  CHECK(c.core.ReactivateAgent(agent, c.now).ok());

  REQUIRE(c.core.MarkAgentGone(agent, c.now).ok());
  c.Drain();
  absl::Status gone = c.core.ReactivateAgent(agent, c.now);
  CHECK(gone.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(gone.message() == "agent " + agent + " is gone");
  CHECK(c.port.errors() == 0);
}

TEST_CASE("lifecycle: tasks an agent re-registers without are GONE (LOST) and completed") {
  Cluster c;
  std::string agent = c.AddAgent("a1", 4, 1024);
  MasterCore::Subscription aware = c.Subscribe("aware", /*partition_aware=*/true);
  REQUIRE(c.Start(aware, "w1") == agent);
  REQUIRE(c.Start(aware, "w2") == agent);
  MasterCore::Subscription plain = c.Subscribe("plain");
  REQUIRE(c.Start(plain, "p1") == agent);

  // It comes back (a new stream) with w2 only.
  REQUIRE(c.core.ReregisterAgent(c.Report(agent, {{aware.framework_id, "w2"}}), c.now).ok());
  c.Drain();
  std::vector<TaskStatus> w1 = c.Updates(aware.framework_id, "w1");
  REQUIRE(w1.size() == 2);
  CHECK(w1[1].state() == common::v1::TASK_GONE);
  CHECK(w1[1].reason() == TaskStatus::REASON_AGENT_REREGISTERED);
  CHECK(w1[1].uuid().empty());  // from the master: nothing to acknowledge
  std::vector<TaskStatus> p1 = c.Updates(plain.framework_id, "p1");
  REQUIRE(p1.size() == 2);
  CHECK(p1[1].state() == common::v1::TASK_LOST);
  CHECK(c.Updates(aware.framework_id, "w2").size() == 1);  // RUNNING, untouched
  // Completed at once (nothing will acknowledge them) and their resources freed.
  const v1::ClusterState& state = c.S();
  REQUIRE(state.tasks_size() == 1);
  CHECK(state.tasks(0).task_id().value() == "w2");
  CHECK(state.completed_tasks_size() == 2);
  CHECK(c.core.GetStats().cpus_used == 1);
  CHECK(c.port.errors() == 0);
}

TEST_CASE("lifecycle: an agent marked gone: GONE_BY_OPERATOR (LOST), FAILURE, shut down") {
  Cluster c;
  std::string agent = c.AddAgent("a1");
  auto [plain, aware] = c.StartPlainAndAware(agent);
  c.events.clear();

  REQUIRE(c.core.MarkAgentGone(agent, c.now).ok());
  c.Drain();
  std::vector<TaskStatus> w1 = c.Updates(aware.framework_id, "w1");
  REQUIRE(w1.size() == 1);
  CHECK(w1[0].state() == common::v1::TASK_GONE_BY_OPERATOR);
  CHECK(w1[0].reason() == TaskStatus::REASON_AGENT_REMOVED_BY_OPERATOR);
  std::vector<TaskStatus> p1 = c.Updates(plain.framework_id, "p1");
  REQUIRE(p1.size() == 1);
  CHECK(p1[0].state() == common::v1::TASK_LOST);
  CHECK(p1[0].reason() == TaskStatus::REASON_AGENT_REMOVED_BY_OPERATOR);
  for (const auto* s : {&plain, &aware}) {
    CHECK(CountEvents(c, s->framework_id, v1::Event::kFailure) == 1);
  }
  REQUIRE(!c.registry.empty());
  CHECK(c.registry.back().kind == RegistryOp::Kind::kMarkGone);
  REQUIRE(!c.agent_msgs[agent].empty());
  CHECK(c.agent_msgs[agent].back().has_shutdown());
  REQUIRE(!c.closed_agents.empty());
  CHECK(c.closed_agents.back() == agent);
  const v1::ClusterState& state = c.S();
  REQUIRE(state.agents_size() == 1);  // listed as gone, with its info
  CHECK(state.agents(0).state() == v1::Agent::STATE_GONE);
  CHECK(state.agents(0).agent_info().id().value() == agent);
  CHECK(state.tasks_size() == 0);
  CHECK(state.completed_tasks_size() == 2);
  // Again: nothing more to do, still OK.
  REQUIRE(c.core.MarkAgentGone(agent, c.now).ok());
  CHECK(c.core.TakeOutbox().empty());
  CHECK(c.port.errors() == 0);
}

TEST_CASE("lifecycle: unknown tasks named without an agent get no answer while agents may come back") {
  MasterCoreConfig config = Cluster::Defaults();
  config.agent_reregister_timeout = absl::Seconds(5);
  Cluster c(config);
  common::v1::AgentInfo a;
  a.mutable_id()->set_value("old-S1");
  a.mutable_address()->set_hostname("a");
  a.mutable_address()->set_port(5051);
  c.core.RecoverRegistry({a}, {}, {}, {}, c.now);
  MasterCore::Subscription s = c.Subscribe("fw");
  auto reconcile = [&](const std::string& agent) {
    v1::ReconcileRequest r;
    r.mutable_framework_id()->set_value(s.framework_id);
    r.set_stream_id(s.stream_id);
    v1::ReconcileRequest::Task* t = r.add_tasks();
    t->mutable_task_id()->set_value("ghost");
    if (!agent.empty()) t->mutable_agent_id()->set_value(agent);
    REQUIRE(c.core.Reconcile(r, c.now).ok());
    c.Drain();
  };
  auto kill = [&] {
    v1::KillRequest k;
    k.mutable_framework_id()->set_value(s.framework_id);
    k.set_stream_id(s.stream_id);
    k.mutable_task_id()->set_value("ghost");
    REQUIRE(c.core.Kill(k, c.now).ok());
    c.Drain();
  };
  // old-S1 may still bring "ghost" back: neither an answer of LOST (a scheduler would start a
  // second copy) nor UNKNOWN.
  reconcile("");
  kill();
  reconcile("old-S1");
  CHECK(c.Updates(s.framework_id).empty());
  // An agent the master has never heard of cannot: answered at once.
  reconcile("other");
  REQUIRE(c.Updates(s.framework_id).size() == 1);
  CHECK(c.Updates(s.framework_id)[0].state() == common::v1::TASK_LOST);
  // Once the window has passed (old-S1 unreachable), the master knows all it will know.
  c.events.clear();
  c.Advance(absl::Seconds(6));
  reconcile("");
  kill();
  std::vector<TaskStatus> updates = c.Updates(s.framework_id);
  REQUIRE(updates.size() == 2);
  CHECK(updates[0].state() == common::v1::TASK_LOST);
  CHECK(updates[0].reason() == TaskStatus::REASON_RECONCILIATION);
  CHECK(updates[1].state() == common::v1::TASK_LOST);
  CHECK(updates[1].reason() == TaskStatus::REASON_TASK_UNKNOWN);
  CHECK(c.port.errors() == 0);
}

}  // namespace
}  // namespace dcos::master
