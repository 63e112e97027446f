// Kill in the master core when the agent cannot be told now: disconnected, unreachable, or
// not yet re-registered after a failover. The kill is kept and sent when the agent
// re-registers, for the tasks it still runs (Mesos's killedTasks); drain's kills too, and
// its KILLING / KILLED updates carry REASON_AGENT_DRAINING.

#include <string>
#include <vector>

#include "services/master/core/master_core_test_cluster.h"

namespace dcos::master {
namespace {

using common::v1::TaskStatus;
using testing::Cluster;
using testing::Uuid;

v1::KillRequest KillOf(const MasterCore::Subscription& s, const std::string& task,
                       absl::Duration grace) {
  v1::KillRequest k;
  k.mutable_framework_id()->set_value(s.framework_id);
  k.set_stream_id(s.stream_id);
  k.mutable_task_id()->set_value(task);
  ToProto(grace, k.mutable_kill_policy()->mutable_grace_period());
  return k;
}

TEST_CASE("kill: a disconnected agent's kill is kept and sent when it re-registers") {
  Cluster c;
  auto [agent, s] = c.StartOne("t1");
  c.core.AgentDisconnected(agent, c.now);
  c.Drain();

  REQUIRE(c.core.Kill(KillOf(s, "t1", absl::Seconds(7)), c.now).ok());
  c.Drain();
  CHECK(c.Kills(agent).empty());             // nothing reaches a disconnected agent
  CHECK(c.Updates(s.framework_id, "t1").size() == 1);  // and the framework hears nothing yet

  // It re-registers still running t1: the kill goes out, with its grace period.
  size_t after = c.Reregister(c.Report(agent, {{s.framework_id, "t1"}}));
  std::vector<v1::KillTask> kills = c.Kills(agent, after);
  REQUIRE(kills.size() == 1);
  CHECK(kills[0].task_id().value() == "t1");
  CHECK(kills[0].framework_id().value() == s.framework_id);
  CHECK(kills[0].kill_policy().grace_period().seconds() == 7);

  // Kept until the task ends: another re-registration while it runs sends it again.
  c.core.AgentDisconnected(agent, c.now);
  after = c.Reregister(c.Report(agent, {{s.framework_id, "t1"}}));
  CHECK(c.Kills(agent, after).size() == 1);

  // Killed: the framework gets KILLED; a later re-registration sends no kill.
  c.Update(agent, s.framework_id, "t1", common::v1::TASK_KILLED, Uuid('k'));
  REQUIRE(c.Updates(s.framework_id, "t1").back().state() == common::v1::TASK_KILLED);
  c.core.AgentDisconnected(agent, c.now);
  after = c.Reregister(c.Report(agent, {{s.framework_id, "t1"}}, common::v1::TASK_KILLED));
  CHECK(c.Kills(agent, after).empty());
  CHECK(c.port.errors() == 0);
}

TEST_CASE("kill: a kill the agent may have missed is sent again when it re-registers") {
  // As in Mesos: the stream may have broken before the master noticed.
  Cluster c;
  auto [agent, s] = c.StartOne("t1");
  REQUIRE(c.Start(s, "t2") == agent);
  REQUIRE(c.core.Kill(KillOf(s, "t1", absl::Seconds(3)), c.now).ok());
  c.Drain();
  REQUIRE(c.Kills(agent).size() == 1);

  // It comes back on a new stream, t1 still running, t2 gone meanwhile.
  size_t after = c.Reregister(c.Report(agent, {{s.framework_id, "t1"}}));
  std::vector<v1::KillTask> kills = c.Kills(agent, after);
  REQUIRE(kills.size() == 1);
  CHECK(kills[0].task_id().value() == "t1");
  CHECK(kills[0].kill_policy().grace_period().seconds() == 3);
  // A kill of t2 now answers for an unknown task; none goes to the agent.
  REQUIRE(c.core.Kill(KillOf(s, "t2", absl::Seconds(3)), c.now).ok());
  c.Drain();
  CHECK(c.Kills(agent, after).size() == 1);
  CHECK(c.port.errors() == 0);
}

TEST_CASE("kill: an unreachable task is answered with its state and killed when it returns") {
  Cluster c;
  std::string agent = c.AddAgent("a1");
  MasterCore::Subscription s = c.Subscribe("aware", /*partition_aware=*/true);
  REQUIRE(c.Start(s, "w1") == agent);
  c.Partition(agent);
  const size_t sent = c.agent_msgs[agent].size();

  REQUIRE(c.core.Kill(KillOf(s, "w1", absl::Seconds(2)), c.now).ok());
  c.Drain();
  CHECK(c.agent_msgs[agent].size() == sent);
  std::vector<TaskStatus> updates = c.Updates(s.framework_id, "w1");
  REQUIRE(updates.size() == 3);  // RUNNING, UNREACHABLE, the answer
  CHECK(updates[2].state() == common::v1::TASK_UNREACHABLE);
  CHECK(updates[2].reason() == TaskStatus::REASON_RECONCILIATION);
  CHECK(updates[2].has_unreachable_time());

  // Back with w1 running: it is reported RUNNING again and killed.
  size_t after = c.Reregister(c.Report(agent, {{s.framework_id, "w1"}}));
  updates = c.Updates(s.framework_id, "w1");
  REQUIRE(updates.size() == 4);
  CHECK(updates[3].state() == common::v1::TASK_RUNNING);
  std::vector<v1::KillTask> kills = c.Kills(agent, after);
  REQUIRE(kills.size() == 1);
  CHECK(kills[0].task_id().value() == "w1");
  CHECK(c.port.errors() == 0);
}

TEST_CASE("kill: after a failover, a kill naming an agent not yet back waits for it") {
  Cluster c;
  c.RecoverAgents({"old-S1"});
  common::v1::FrameworkInfo fw = Cluster::KnownFramework("old-F1");
  absl::StatusOr<MasterCore::Subscription> s = c.core.Subscribe(fw, c.now);
  REQUIRE(s.ok());
  c.Drain();

  // The master does not know t1 or t2 yet: no answer (they may run there), no message.
  for (const char* task : {"t1", "t2"}) {
    v1::KillRequest k = KillOf(*s, task, absl::Seconds(4));
    k.mutable_agent_id()->set_value("old-S1");
    REQUIRE(c.core.Kill(k, c.now).ok());
  }
  c.Drain();
  CHECK(c.Updates("old-F1").empty());
  CHECK(c.agent_msgs["old-S1"].empty());

  // The agent returns with t1 only: t1 is killed; the kill of t2 is dropped.
  v1::Reregister report = c.Report("old-S1", {{"old-F1", "t1"}});
  *report.add_frameworks() = fw;
  size_t after = c.Reregister(report);
  std::vector<v1::KillTask> kills = c.Kills("old-S1", after);
  REQUIRE(kills.size() == 1);
  CHECK(kills[0].task_id().value() == "t1");
  CHECK(kills[0].kill_policy().grace_period().seconds() == 4);
  c.core.AgentDisconnected("old-S1", c.now);
  after = c.Reregister(c.Report("old-S1", {{"old-F1", "t1"}, {"old-F1", "t2"}}));
  kills = c.Kills("old-S1", after);
  REQUIRE(kills.size() == 1);
  CHECK(kills[0].task_id().value() == "t1");

  // Without an agent, or naming an agent that is back, an unknown task is answered at once.
  v1::KillRequest unknown = KillOf(*s, "t3", absl::Seconds(1));
  unknown.mutable_agent_id()->set_value("old-S1");
  REQUIRE(c.core.Kill(unknown, c.now).ok());
  c.Drain();
  std::vector<TaskStatus> answers = c.Updates("old-F1", "t3");
  REQUIRE(answers.size() == 1);
  CHECK(answers[0].state() == common::v1::TASK_LOST);
  CHECK(answers[0].reason() == TaskStatus::REASON_TASK_UNKNOWN);
  CHECK(c.port.errors() == 0);
}

TEST_CASE("kill: an unknown task of a partition-aware framework is TASK_UNKNOWN") {
  Cluster c;
  c.AddAgent("a1");
  MasterCore::Subscription s = c.Subscribe("aware", /*partition_aware=*/true);
  REQUIRE(c.core.Kill(KillOf(s, "ghost", absl::Seconds(1)), c.now).ok());
  c.Drain();
  std::vector<TaskStatus> answers = c.Updates(s.framework_id, "ghost");
  REQUIRE(answers.size() == 1);
  CHECK(answers[0].state() == common::v1::TASK_UNKNOWN);
  CHECK(answers[0].reason() == TaskStatus::REASON_TASK_UNKNOWN);
  CHECK(answers[0].source() == TaskStatus::SOURCE_MASTER);
}

// A task status from the agent, as the Cluster's Update sends it but with a reason.
void UpdateWithReason(Cluster& c, const std::string& agent, const std::string& fid,
                      const std::string& task, common::v1::TaskState state,
                      TaskStatus::Reason reason, char uuid) {
  v1::StatusUpdate u;
  u.mutable_framework_id()->set_value(fid);
  u.mutable_status()->mutable_task_id()->set_value(task);
  u.mutable_status()->set_state(state);
  u.mutable_status()->set_reason(reason);
  u.mutable_status()->set_uuid(Uuid(uuid));
  u.mutable_status()->set_source(TaskStatus::SOURCE_EXECUTOR);
  u.set_latest_state(state);
  c.core.StatusUpdate(agent, u, c.now);
  c.Drain();
}

TEST_CASE("drain: KILLING and KILLED updates carry REASON_AGENT_DRAINING, others keep theirs") {
  Cluster c;
  std::string agent = c.AddAgent("a1");
  MasterCore::Subscription s = c.Subscribe("fw");
  REQUIRE(c.Start(s, "t1") == agent);
  REQUIRE(c.Start(s, "t2") == agent);
  REQUIRE(c.core.DrainAgent(agent, absl::Seconds(2), /*mark_gone=*/false, c.now).ok());
  c.Drain();
  REQUIRE(c.Kills(agent).size() == 2);

  c.operator_events.clear();
  UpdateWithReason(c, agent, s.framework_id, "t1", common::v1::TASK_KILLING,
                   TaskStatus::REASON_UNSPECIFIED, 'a');
  UpdateWithReason(c, agent, s.framework_id, "t1", common::v1::TASK_KILLED,
                   TaskStatus::REASON_UNSPECIFIED, 'b');
  UpdateWithReason(c, agent, s.framework_id, "t2", common::v1::TASK_FAILED,
                   TaskStatus::REASON_COMMAND_EXECUTOR_FAILED, 'c');
  std::vector<TaskStatus> t1 = c.Updates(s.framework_id, "t1");
  REQUIRE(t1.size() == 3);  // RUNNING, KILLING, KILLED
  CHECK(t1[1].state() == common::v1::TASK_KILLING);
  CHECK(t1[1].reason() == TaskStatus::REASON_AGENT_DRAINING);
  CHECK(t1[2].state() == common::v1::TASK_KILLED);
  CHECK(t1[2].reason() == TaskStatus::REASON_AGENT_DRAINING);
  CHECK(t1[2].uuid() == Uuid('b'));  // still the agent's update, to acknowledge
  std::vector<TaskStatus> t2 = c.Updates(s.framework_id, "t2");
  REQUIRE(t2.size() == 2);
  CHECK(t2[1].reason() == TaskStatus::REASON_COMMAND_EXECUTOR_FAILED);
  // Operators see what the framework sees.
  REQUIRE(c.operator_events.size() == 3);
  CHECK(c.operator_events[1].task_updated().status().reason() ==
        TaskStatus::REASON_AGENT_DRAINING);

  // Not draining any more (both ends acknowledged): a kill's update keeps its own reason.
  c.Ack(s, agent, "t1");
  c.Ack(s, agent, "t2");
  REQUIRE(c.core.ReactivateAgent(agent, c.now).ok());
  REQUIRE(c.Start(s, "t3") == agent);
  UpdateWithReason(c, agent, s.framework_id, "t3", common::v1::TASK_KILLED,
                   TaskStatus::REASON_UNSPECIFIED, 'd');
  CHECK(c.Updates(s.framework_id, "t3").back().reason() == TaskStatus::REASON_UNSPECIFIED);
  CHECK(c.port.errors() == 0);
}

TEST_CASE("drain: marking the agent gone, partition-aware tasks end TASK_GONE_BY_OPERATOR") {
  Cluster c;
  std::string agent = c.AddAgent("a1");
  auto [plain, aware] = c.StartPlainAndAware(agent);
  REQUIRE(c.core.DrainAgent(agent, absl::Seconds(2), /*mark_gone=*/true, c.now).ok());
  c.Drain();

  UpdateWithReason(c, agent, aware.framework_id, "w1", common::v1::TASK_KILLED,
                   TaskStatus::REASON_UNSPECIFIED, 'w');
  std::vector<TaskStatus> w1 = c.Updates(aware.framework_id, "w1");
  REQUIRE(w1.size() == 2);
  CHECK(w1[1].state() == common::v1::TASK_GONE_BY_OPERATOR);
  CHECK(w1[1].reason() == TaskStatus::REASON_AGENT_DRAINING);
  CHECK(c.AgentState(agent) == v1::Agent::STATE_ACTIVE);  // p1 still runs

  UpdateWithReason(c, agent, plain.framework_id, "p1", common::v1::TASK_KILLED,
                   TaskStatus::REASON_UNSPECIFIED, 'p');
  std::vector<TaskStatus> p1 = c.Updates(plain.framework_id, "p1");
  REQUIRE(p1.size() == 2);
  CHECK(p1[1].state() == common::v1::TASK_KILLED);
  CHECK(p1[1].reason() == TaskStatus::REASON_AGENT_DRAINING);
  c.Ack(aware, agent, "w1");
  CHECK(c.AgentState(agent) == v1::Agent::STATE_ACTIVE);  // p1's end is not acknowledged yet
  c.Ack(plain, agent, "p1");
  // Drained: gone (listed as STATE_GONE), both tasks completed in their final states.
  CHECK(c.AgentState(agent) == v1::Agent::STATE_GONE);
  CHECK(c.registry.back().kind == RegistryOp::Kind::kMarkGone);
  const v1::ClusterState& state = c.S();
  REQUIRE(state.completed_tasks_size() == 2);
  for (const common::v1::Task& t : state.completed_tasks()) {
    INFO(t.task_id().value());
    CHECK(t.state() == (t.task_id().value() == "w1" ? common::v1::TASK_GONE_BY_OPERATOR
                                                    : common::v1::TASK_KILLED));
  }
  CHECK(c.port.errors() == 0);
}

TEST_CASE("drain: a disconnected agent is drained when it re-registers, unknown tasks too") {
  Cluster c;
  auto [agent, s] = c.StartOne("t1");
  c.core.AgentDisconnected(agent, c.now);
  REQUIRE(c.core.DrainAgent(agent, absl::Seconds(5), /*mark_gone=*/true, c.now).ok());
  c.Drain();
  CHECK(c.Kills(agent).empty());

  // Back with t1 and t9 (launched before a failover the master does not remember).
  size_t after = c.Reregister(c.Report(agent, {{s.framework_id, "t1"}, {s.framework_id, "t9"}}));
  std::vector<v1::KillTask> kills = c.Kills(agent, after);
  REQUIRE(kills.size() == 2);
  for (const v1::KillTask& k : kills) {
    INFO(k.task_id().value());
    CHECK((k.task_id().value() == "t1" || k.task_id().value() == "t9"));
    CHECK(k.kill_policy().grace_period().seconds() == 5);
  }
  CHECK(c.Outstanding(s.framework_id).empty());
  c.Advance(absl::Seconds(2));
  CHECK(c.Outstanding(s.framework_id).empty());  // still draining: no offers
  CHECK(c.port.errors() == 0);
}

TEST_CASE("drain: an agent that re-registers after its tasks ended away is drained at once") {
  Cluster c;
  auto [agent, s] = c.StartOne("u1");
  c.core.AgentDisconnected(agent, c.now);
  REQUIRE(c.core.DrainAgent(agent, absl::Seconds(5), /*mark_gone=*/true, c.now).ok());
  c.Drain();
  REQUIRE(c.core.ReregisterAgent(c.Report(agent, {}), c.now).ok());
  c.Drain();
  CHECK(c.AgentState(agent) == v1::Agent::STATE_GONE);
  CHECK(c.registry.back().kind == RegistryOp::Kind::kMarkGone);
  CHECK(c.port.errors() == 0);
}

TEST_CASE("drain: its grace period bounds each task's own, a shorter one is kept") {
  Cluster c;
  std::string agent = c.AddAgent("a1", 8, 4096);
  MasterCore::Subscription s = c.Subscribe("fw");
  c.Advance(absl::Seconds(1));
  std::vector<common::v1::Offer> offers = c.Outstanding(s.framework_id);
  REQUIRE(offers.size() == 1);
  v1::AcceptRequest a = c.Launch(s, offers[0], "short", 1, 128);
  // Three tasks on the one offer: 1 s of their own, 60 s of their own, none.
  for (const char* id : {"long", "none"}) {
    common::v1::TaskInfo* t = a.mutable_operations(0)->mutable_launch()->add_task_infos();
    *t = a.operations(0).launch().task_infos(0);
    t->set_name(id);
    t->mutable_task_id()->set_value(id);
  }
  ToProto(absl::Seconds(1), a.mutable_operations(0)->mutable_launch()->mutable_task_infos(0)
                                ->mutable_kill_policy()->mutable_grace_period());
  ToProto(absl::Seconds(60), a.mutable_operations(0)->mutable_launch()->mutable_task_infos(1)
                                 ->mutable_kill_policy()->mutable_grace_period());
  REQUIRE(c.core.Accept(a, c.now).ok());
  c.Drain();
  const size_t before = c.agent_msgs[agent].size();
  REQUIRE(c.core.DrainAgent(agent, absl::Seconds(10), /*mark_gone=*/false, c.now).ok());
  c.Drain();
  std::vector<v1::KillTask> kills = c.Kills(agent, before);
  REQUIRE(kills.size() == 3);
  for (const v1::KillTask& k : kills) {
    INFO(k.task_id().value());
    const int64_t want = k.task_id().value() == "short" ? 1 : 10;
    CHECK(k.kill_policy().grace_period().seconds() == want);
  }
}

}  // namespace
}  // namespace dcos::master
