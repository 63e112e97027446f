// The operator event stream of the master core: every task state change reaches subscribers
// once as TASK_UPDATED (the latest state and the status), every framework once as
// FRAMEWORK_ADDED, and nothing is built while nobody subscribes.

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "services/master/core/master_core_test_cluster.h"

namespace dcos::master {
namespace {

using common::v1::TaskState;
using common::v1::TaskStatus;
using testing::Cluster;

using TaskKey = std::pair<std::string, std::string>;  // (framework, task)

// What a subscriber that started from an empty cluster knows of the tasks, from TASK_ADDED
// and TASK_UPDATED applied in order.
std::map<TaskKey, TaskState> Follow(const std::vector<v1::OperatorEvent>& events) {
  std::map<TaskKey, TaskState> tasks;
  for (const v1::OperatorEvent& e : events) {
    if (e.has_task_added()) {
      const common::v1::Task& t = e.task_added().task();
      tasks[{t.framework_id().value(), t.task_id().value()}] = t.state();
    }
    if (e.has_task_updated()) {
      const auto& u = e.task_updated();
      TaskKey key{u.framework_id().value(), u.status().task_id().value()};
      REQUIRE(tasks.count(key) == 1);  // updated before it was added
      tasks[key] = u.state();
    }
  }
  return tasks;
}

// The subscriber's view equals the master's state: every task, active or completed.
void CheckFollower(Cluster& c) {
  std::map<TaskKey, TaskState> followed = Follow(c.operator_events);
  std::map<TaskKey, TaskState> master;
  const v1::ClusterState& state = c.S();
  for (const common::v1::Task& t : state.completed_tasks()) {
    master[{t.framework_id().value(), t.task_id().value()}] = t.state();
  }
  for (const common::v1::Task& t : state.tasks()) {
    master[{t.framework_id().value(), t.task_id().value()}] = t.state();
  }
  CHECK(followed.size() == master.size());
  for (const auto& [key, task_state] : master) {
    INFO(key.first << " " << key.second);
    REQUIRE(followed.count(key) == 1);
    CHECK(common::v1::TaskState_Name(followed[key]) == common::v1::TaskState_Name(task_state));
  }
}

// The TASK_UPDATED events of one task: (latest state, status's state, reason).
struct Updated {
  TaskState state;
  TaskState status_state;
  TaskStatus::Reason reason;
};
std::vector<Updated> UpdatesOf(const Cluster& c, const std::string& task) {
  std::vector<Updated> out;
  for (const v1::OperatorEvent& e : c.operator_events) {
    if (e.has_task_updated() && e.task_updated().status().task_id().value() == task) {
      out.push_back({e.task_updated().state(), e.task_updated().status().state(),
                     e.task_updated().status().reason()});
    }
  }
  return out;
}

size_t Count(const std::vector<v1::OperatorEvent>& events,
             v1::OperatorEvent::EventCase which) {
  size_t n = 0;
  for (const v1::OperatorEvent& e : events) n += e.event_case() == which;
  return n;
}

TEST_CASE("operator events: unreachable, return and gone reach subscribers once per change") {
  Cluster c;
  std::string agent = c.AddAgent("a1");
  auto [plain, aware] = c.StartPlainAndAware(agent);
  CheckFollower(c);
  REQUIRE(UpdatesOf(c, "p1").size() == 1);  // RUNNING
  REQUIRE(UpdatesOf(c, "w1").size() == 1);

  // Unreachable: TASK_LOST for the plain framework's task, TASK_UNREACHABLE for the other.
  c.operator_events.clear();
  c.Partition(agent);
  std::vector<Updated> p1 = UpdatesOf(c, "p1");
  REQUIRE(p1.size() == 1);
  CHECK(p1[0].state == common::v1::TASK_LOST);
  CHECK(p1[0].status_state == common::v1::TASK_LOST);
  CHECK(p1[0].reason == TaskStatus::REASON_AGENT_REMOVED);
  std::vector<Updated> w1 = UpdatesOf(c, "w1");
  REQUIRE(w1.size() == 1);
  CHECK(w1[0].state == common::v1::TASK_UNREACHABLE);
  CHECK(Count(c.operator_events, v1::OperatorEvent::kAgentRemoved) == 1);
  c.operator_events.clear();

  // The agent returns with both tasks running: the partition-aware one is updated back to
  // RUNNING; the plain one (completed as LOST) is added again, as Mesos re-adds it.
  REQUIRE(c.core.ReregisterAgent(c.Report(agent, {{plain.framework_id, "p1"},
                                                  {aware.framework_id, "w1"}}),
                                 c.now)
              .ok());
  c.Drain();
  w1 = UpdatesOf(c, "w1");
  REQUIRE(w1.size() == 1);
  CHECK(w1[0].state == common::v1::TASK_RUNNING);
  CHECK(w1[0].reason == TaskStatus::REASON_AGENT_REREGISTERED);
  CHECK(UpdatesOf(c, "p1").empty());
  CHECK(Count(c.operator_events, v1::OperatorEvent::kTaskAdded) == 1);
  CHECK(Count(c.operator_events, v1::OperatorEvent::kAgentAdded) == 1);

  // Marked gone: TASK_GONE_BY_OPERATOR (partition-aware) and TASK_LOST.
  c.operator_events.clear();
  REQUIRE(c.core.MarkAgentGone(agent, c.now).ok());
  c.Drain();
  w1 = UpdatesOf(c, "w1");
  REQUIRE(w1.size() == 1);
  CHECK(w1[0].state == common::v1::TASK_GONE_BY_OPERATOR);
  CHECK(w1[0].reason == TaskStatus::REASON_AGENT_REMOVED_BY_OPERATOR);
  p1 = UpdatesOf(c, "p1");
  REQUIRE(p1.size() == 1);
  CHECK(p1[0].state == common::v1::TASK_LOST);
  CHECK(c.port.errors() == 0);
}

TEST_CASE("operator events: a subscriber applying them follows the master's tasks") {
  Cluster c;
  std::string a1 = c.AddAgent("a1");
  std::string a2 = c.AddAgent("a2");
  MasterCore::Subscription plain = c.Subscribe("plain");
  for (const char* t : {"p1", "p2"}) c.Start(plain, t);
  MasterCore::Subscription aware = c.Subscribe("aware", /*partition_aware=*/true);
  for (const char* t : {"w1", "w2"}) c.Start(aware, t);
  CheckFollower(c);

  // Each agent in turn: unreachable, back without its tasks (GONE / LOST), then gone.
  for (const std::string& agent : {a1, a2}) {
    INFO(agent);
    c.Partition(agent);
    CheckFollower(c);
    REQUIRE(c.core.ReregisterAgent(c.Report(agent, {}), c.now).ok());
    c.Drain();
    CheckFollower(c);
    c.Advance(absl::Seconds(1));
    REQUIRE(c.core.MarkAgentGone(agent, c.now).ok());
    c.Drain();
    CheckFollower(c);
  }
  const v1::ClusterState& state = c.S();
  CHECK(state.tasks_size() == 0);
  CHECK(state.completed_tasks_size() == 4);
  CHECK(c.port.errors() == 0);
}

TEST_CASE("operator events: frameworks recovered from an agent's report are added once") {
  Cluster c;
  c.RecoverAgents({"old-S1", "old-S2"});
  common::v1::FrameworkInfo fw = Cluster::KnownFramework("old-F1");
  // Both agents run tasks of the framework and report it.
  for (const char* agent : {"old-S1", "old-S2"}) {
    v1::Reregister r = c.Report(agent, {{"old-F1", std::string("t-") + agent}});
    *r.add_frameworks() = fw;
    REQUIRE(c.core.ReregisterAgent(std::move(r), c.now).ok());
    c.Drain();
  }
  REQUIRE(Count(c.operator_events, v1::OperatorEvent::kFrameworkAdded) == 1);
  for (const v1::OperatorEvent& e : c.operator_events) {
    if (!e.has_framework_added()) continue;
    CHECK(e.framework_added().framework().framework_info().id().value() == "old-F1");
    CHECK(e.framework_added().framework().recovered());
    CHECK(!e.framework_added().framework().connected());
  }
  CHECK(Count(c.operator_events, v1::OperatorEvent::kTaskAdded) == 2);
  CheckFollower(c);

  // When it subscribes again it is updated, not added a second time.
  c.operator_events.clear();
  REQUIRE(c.core.Subscribe(fw, c.now).ok());
  c.Drain();
  CHECK(Count(c.operator_events, v1::OperatorEvent::kFrameworkAdded) == 0);
  CHECK(Count(c.operator_events, v1::OperatorEvent::kFrameworkUpdated) == 1);
  CHECK(c.port.errors() == 0);
}

TEST_CASE("operator events: nothing is built while nobody subscribes") {
  Cluster c;
  std::string agent = c.AddAgent("a1");
  MasterCore::Subscription aware = c.Subscribe("aware", /*partition_aware=*/true);
  REQUIRE(c.Start(aware, "w1") == agent);
  REQUIRE(!c.operator_events.empty());  // on by default (the driver turns them off)
  c.core.SetOperatorEvents(false);
  c.operator_events.clear();
  c.Partition(agent);
  common::v1::FrameworkInfo other;
  other.set_user("root");
  other.set_name("other");
  other.mutable_id()->set_value("F-other");
  v1::Reregister r = c.Report(agent, {{aware.framework_id, "w1"}, {"F-other", "o1"}});
  *r.add_frameworks() = other;
  REQUIRE(c.core.ReregisterAgent(std::move(r), c.now).ok());
  c.Drain();
  REQUIRE(c.core.MarkAgentGone(agent, c.now).ok());
  c.Drain();
  CHECK(c.operator_events.empty());
  // The changes themselves happened.
  // RUNNING, UNREACHABLE, RUNNING again, GONE_BY_OPERATOR.
  REQUIRE(c.Updates(aware.framework_id, "w1").size() == 4);
  CHECK(c.Updates(aware.framework_id, "w1").back().state() ==
        common::v1::TASK_GONE_BY_OPERATOR);
  CHECK(c.port.errors() == 0);
}

}  // namespace
}  // namespace dcos::master
