// AgentCore on a simulated clock: registration, a task's life (STARTING, RUNNING, FINISHED,
// each released by the previous acknowledgement), retries, re-registration with everything,
// kills and their escalation, bad tasks, recovery from the checkpoint it wrote, incompatible
// restarts, the master's silence, framework and agent shutdown.

#include <signal.h>

#include <catch2/catch.hpp>

#include "services/agent/agent_core.h"
#include "services/agent/proto_time.h"
#include "services/agent/test_util.h"

namespace dcos::agent {
namespace {

using common::v1::TaskState;
using master::v1::AgentMessage;
using master::v1::MasterMessage;

const absl::Time kT0 = absl::FromUnixSeconds(1767225600);

common::v1::Resource Scalar(const std::string& name, double v) { return ScalarResource(name, v); }

CoreOptions Options(double cpus = 4) {
  CoreOptions o;
  o.info.mutable_address()->set_hostname("agent-1");
  o.info.mutable_address()->set_ip("127.0.3.1");
  o.info.mutable_address()->set_port(5051);
  *o.info.add_resources() = Scalar("cpus", cpus);
  *o.info.add_resources() = Scalar("mem", 4096);
  common::v1::Attribute* a = o.info.add_attributes();
  a->set_name("rack");
  a->set_type(common::v1::Value::TYPE_TEXT);
  a->mutable_text()->set_value("r1");
  o.boot_id = "boot-1";
  o.work_dir = "/work";
  o.seed = 42;
  o.start_time = kT0;
  return o;
}

// The checkpoint as the driver would leave it on disk, applied from outboxes.
struct Disk {
  CheckpointState state;
  void Apply(const Outbox& o) {
    if (o.write_agent.has_value()) state.agent = o.write_agent;
    for (const auto& f : o.write_frameworks) {
      Erase(&state.frameworks, [&](const auto& x) { return x.info().id().value() == f.info().id().value(); });
      state.frameworks.push_back(f);
    }
    for (const auto& t : o.write_tasks) {
      Erase(&state.tasks, [&](const auto& x) { return Key(x) == Key(t); });
      state.tasks.push_back(t);
    }
    for (const auto& k : o.remove_tasks) {
      Erase(&state.tasks, [&](const auto& x) { return Key(x) == k; });
    }
    for (const auto& f : o.remove_frameworks) {
      Erase(&state.frameworks, [&](const auto& x) { return x.info().id().value() == f; });
    }
  }
  static TaskKey Key(const checkpoint::TaskCheckpoint& t) {
    return {t.framework_id().value(), t.task().task_id().value()};
  }
  template <typename V, typename P>
  static void Erase(V* v, P pred) {
    v->erase(std::remove_if(v->begin(), v->end(), pred), v->end());
  }
};

// A core with its outboxes collected and applied to a Disk.
struct Harness {
  explicit Harness(CoreOptions o = Options()) : core(std::move(o)) {}
  AgentCore core;
  Disk disk;
  absl::Time now = kT0;
  Outbox last;

  Outbox& Take() {
    last = core.TakeOutbox();
    disk.Apply(last);
    return last;
  }
  void Receive(const MasterMessage& m) {
    core.Receive(m, now);
    Take();
  }
  void Tick(absl::Duration d) {
    now += d;
    core.Tick(now);
    Take();
  }
  std::string Register(absl::Duration ping_timeout = absl::Seconds(15), uint32_t max_pings = 5) {
    AgentMessage first = core.Connected(now);
    REQUIRE(first.has_register_agent());
    MasterMessage m;
    m.mutable_registered()->mutable_agent_id()->set_value("S1");
    *m.mutable_registered()->mutable_ping_timeout() = DurationProtoOf(ping_timeout);
    m.mutable_registered()->set_max_ping_timeouts(max_pings);
    Receive(m);
    return "S1";
  }
  std::vector<common::v1::TaskStatus> Sent() const {
    std::vector<common::v1::TaskStatus> out;
    for (const AgentMessage& m : last.to_master) {
      if (m.has_status_update()) out.push_back(m.status_update().status());
    }
    return out;
  }
};

common::v1::FrameworkInfo Framework(const std::string& id, bool killing_state = false) {
  common::v1::FrameworkInfo f;
  f.mutable_id()->set_value(id);
  f.set_name("fw");
  f.set_user("root");
  if (killing_state) {
    f.add_capabilities()->set_type(common::v1::FrameworkInfo::Capability::TYPE_TASK_KILLING_STATE);
  }
  return f;
}

MasterMessage RunTask(const std::string& fid, const std::string& tid, const std::string& cmd,
                      bool killing_state = false) {
  MasterMessage m;
  *m.mutable_run_task()->mutable_framework_info() = Framework(fid, killing_state);
  common::v1::TaskInfo* t = m.mutable_run_task()->mutable_task();
  t->set_name(tid);
  t->mutable_task_id()->set_value(tid);
  t->mutable_agent_id()->set_value("S1");
  t->mutable_command()->set_value(cmd);
  *t->add_resources() = Scalar("cpus", 1);
  *t->add_resources() = Scalar("mem", 128);
  return m;
}

MasterMessage Ack(const std::string& fid, const common::v1::TaskStatus& s) {
  MasterMessage m;
  m.mutable_status_update_ack()->mutable_framework_id()->set_value(fid);
  *m.mutable_status_update_ack()->mutable_task_id() = s.task_id();
  m.mutable_status_update_ack()->set_uuid(s.uuid());
  return m;
}

MasterMessage Kill(const std::string& fid, const std::string& tid,
                   std::optional<absl::Duration> grace = std::nullopt) {
  MasterMessage m;
  m.mutable_kill_task()->mutable_framework_id()->set_value(fid);
  m.mutable_kill_task()->mutable_task_id()->set_value(tid);
  if (grace.has_value()) {
    *m.mutable_kill_task()->mutable_kill_policy()->mutable_grace_period() = DurationProtoOf(*grace);
  }
  return m;
}

// Launches "t1" of "F1" and returns its container id, with STARTING and RUNNING acknowledged.
std::string RunningTask(Harness& h, const std::string& tid = "t1", bool killing_state = false) {
  h.Receive(RunTask("F1", tid, "sleep 100", killing_state));
  REQUIRE(h.last.launches.size() == 1);
  std::string container = h.last.launches[0].container_id;
  REQUIRE(h.Sent().size() == 1);
  common::v1::TaskStatus starting = h.Sent()[0];
  h.core.Launched(container, {100, 1, 101, 2}, h.now);
  h.Take();
  h.Receive(Ack("F1", starting));
  REQUIRE(h.Sent().size() == 1);
  REQUIRE(h.Sent()[0].state() == common::v1::TASK_RUNNING);
  h.Receive(Ack("F1", h.Sent()[0]));
  return container;
}

TEST_CASE("an agent registers and checkpoints the id it was given", "[core]") {
  Harness h;
  AgentMessage first = h.core.Connected(h.now);
  REQUIRE(first.has_register_agent());
  CHECK(first.register_agent().agent_info().id().value().empty());
  CHECK(first.register_agent().agent_info().resources_size() == 2);
  CHECK_FALSE(h.core.registered());
  h.Register();
  CHECK(h.core.registered());
  REQUIRE(h.last.write_agent.has_value());
  CHECK(h.last.write_agent->info().id().value() == "S1");
  CHECK(h.last.write_agent->boot_id() == "boot-1");
  // Pings are answered.
  MasterMessage ping;
  ping.mutable_ping()->set_sequence(1);
  ping.mutable_ping()->set_sequence(7);
  h.Receive(ping);
  REQUIRE(h.last.to_master.size() == 1);
  CHECK(h.last.to_master[0].pong().sequence() == 7);
}

TEST_CASE("a task's updates go out one at a time, each after the previous ack", "[core]") {
  Harness h;
  h.Register();
  h.Receive(RunTask("F1", "t1", "echo hi"));
  // Checkpoint first: the framework, the task with its container and its STARTING update.
  REQUIRE(h.last.write_frameworks.size() == 1);
  REQUIRE(h.last.write_tasks.size() == 1);
  const auto saved = h.last.write_tasks[0];
  CHECK(saved.state() == common::v1::TASK_STARTING);
  CHECK(saved.pending_updates_size() == 1);
  REQUIRE(h.last.launches.size() == 1);
  const LaunchSpec spec = h.last.launches[0];
  CHECK(spec.container_id == saved.container_id().value());
  CHECK(spec.sandbox_dir == "/work/agents/S1/frameworks/F1/executors/t1/runs/" + spec.container_id);
  CHECK(spec.run_dir == "/work/meta/frameworks/F1/tasks/t1/runs/" + spec.container_id);
  CHECK(spec.shell);
  CHECK(spec.command == "echo hi");
  CHECK(spec.user == "root");
  REQUIRE(h.Sent().size() == 1);
  common::v1::TaskStatus starting = h.Sent()[0];
  CHECK(starting.state() == common::v1::TASK_STARTING);
  CHECK(starting.uuid().size() == 16);
  CHECK(starting.agent_id().value() == "S1");

  h.core.Launched(spec.container_id, {100, 1, 101, 2}, h.now);
  h.Take();
  CHECK(h.Sent().empty());  // RUNNING waits for STARTING's ack
  REQUIRE(h.last.write_tasks.size() == 1);
  CHECK(h.last.write_tasks[0].pending_updates_size() == 2);
  CHECK(h.last.write_tasks[0].task_pid() == 101);

  h.Receive(Ack("F1", starting));
  REQUIRE(h.Sent().size() == 1);
  common::v1::TaskStatus running = h.Sent()[0];
  CHECK(running.state() == common::v1::TASK_RUNNING);
  CHECK(running.container_status().executor_pid() == 101);
  CHECK(h.last.to_master[0].status_update().latest_state() == common::v1::TASK_RUNNING);

  h.core.Exited(spec.container_id, {0, ""}, h.now);
  h.Take();
  // ExecutorExited goes at once; FINISHED waits for RUNNING's ack (latest_state says it).
  CHECK(h.Sent().empty());
  REQUIRE(h.last.to_master.size() == 1);
  CHECK(h.last.to_master[0].executor_exited().executor_id().value() == "t1");
  CHECK(h.last.to_master[0].executor_exited().status() == 0);

  h.Receive(Ack("F1", running));
  REQUIRE(h.Sent().size() == 1);
  common::v1::TaskStatus finished = h.Sent()[0];
  CHECK(finished.state() == common::v1::TASK_FINISHED);
  CHECK(finished.message() == "Command exited with status 0");
  CHECK(h.core.State().tasks_size() == 1);

  h.Receive(Ack("F1", finished));
  CHECK(h.last.remove_tasks == std::vector<TaskKey>{{"F1", "t1"}});
  CHECK(h.last.remove_frameworks == std::vector<std::string>{"F1"});
  CHECK(h.disk.state.tasks.empty());
  auto state = h.core.State();
  CHECK(state.tasks_size() == 0);
  REQUIRE(state.completed_tasks_size() == 1);
  CHECK(state.completed_tasks(0).state() == common::v1::TASK_FINISHED);
}

TEST_CASE("unacknowledged updates are retried 10 s doubling, at once after reconnecting", "[core]") {
  Harness h;
  h.Register();
  h.Receive(RunTask("F1", "t1", "true"));
  REQUIRE(h.Sent().size() == 1);
  // Keep pings coming so the agent does not give up on the master.
  MasterMessage ping;
  ping.mutable_ping()->set_sequence(1);
  auto tick = [&](absl::Duration d) {
    h.now += d;
    h.core.Receive(ping, h.now);
    h.core.Tick(h.now);
    h.Take();
  };
  tick(absl::Seconds(9));
  CHECK(h.Sent().empty());
  tick(absl::Seconds(1));
  CHECK(h.Sent().size() == 1);
  tick(absl::Seconds(19));
  CHECK(h.Sent().empty());
  tick(absl::Seconds(1));
  CHECK(h.Sent().size() == 1);

  h.core.Disconnected(h.now);
  h.now += absl::Seconds(100);
  h.core.Tick(h.now);
  h.Take();
  CHECK(h.last.to_master.empty());  // nothing while disconnected
  AgentMessage rereg = h.core.Connected(h.now);
  REQUIRE(rereg.has_reregister_agent());
  CHECK(rereg.reregister_agent().agent_info().id().value() == "S1");
  REQUIRE(rereg.reregister_agent().tasks_size() == 1);
  const auto& task = rereg.reregister_agent().tasks(0);
  CHECK(task.state() == common::v1::TASK_STARTING);
  CHECK(task.status_update_state() == common::v1::TASK_STARTING);
  CHECK(task.resources_size() == 2);
  CHECK(rereg.reregister_agent().frameworks_size() == 1);
  CHECK(rereg.reregister_agent().executors_size() == 0);  // not launched yet
  MasterMessage back;
  back.mutable_reregistered()->mutable_agent_id()->set_value("S1");
  h.Receive(back);
  CHECK(h.Sent().size() == 1);
}

TEST_CASE("kill: SIGTERM, SIGKILL after the grace period, TASK_KILLED", "[core]") {
  Harness h;
  h.Register();
  std::string c = RunningTask(h, "t1", /*killing_state=*/true);
  h.Receive(Kill("F1", "t1", absl::Seconds(2)));
  REQUIRE(h.last.signals.size() == 1);
  CHECK(h.last.signals[0] == std::make_pair(c, SIGTERM));
  REQUIRE(h.Sent().size() == 1);
  CHECK(h.Sent()[0].state() == common::v1::TASK_KILLING);
  CHECK(h.last.write_tasks[0].kill_requested());
  h.Tick(absl::Milliseconds(1999));
  CHECK(h.last.signals.empty());
  h.Tick(absl::Milliseconds(1));
  REQUIRE(h.last.signals.size() == 1);
  CHECK(h.last.signals[0] == std::make_pair(c, SIGKILL));
  h.Tick(absl::Seconds(5));
  CHECK(h.last.signals.empty());  // only once
  h.Receive(Ack("F1", h.core.State().tasks(0).statuses(2)));  // KILLING
  h.core.Exited(c, {SIGKILL, ""}, h.now);
  h.Take();
  REQUIRE(h.Sent().size() == 1);
  CHECK(h.Sent()[0].state() == common::v1::TASK_KILLED);
  CHECK(h.Sent()[0].message() == "Command terminated with signal Killed (9)");
}

TEST_CASE("the task's kill policy and the 3 s default; grace 0 is SIGKILL at once", "[core]") {
  Harness h;
  h.Register();
  std::string c = RunningTask(h);
  h.Receive(Kill("F1", "t1"));
  REQUIRE(h.last.signals.size() == 1);
  CHECK(h.Sent().empty());  // no TASK_KILLING without the capability
  h.Tick(absl::Seconds(3));
  REQUIRE(h.last.signals.size() == 1);
  CHECK(h.last.signals[0].second == SIGKILL);

  std::string c2 = RunningTask(h, "t2");
  h.Receive(Kill("F1", "t2", absl::ZeroDuration()));
  REQUIRE(h.last.signals.size() == 1);
  CHECK(h.last.signals[0] == std::make_pair(c2, SIGKILL));
}

TEST_CASE("a kill during the launch takes effect when the launch completes", "[core]") {
  Harness h;
  h.Register();
  h.Receive(RunTask("F1", "t1", "sleep 9"));
  std::string c = h.last.launches[0].container_id;
  h.Receive(Kill("F1", "t1"));
  CHECK(h.last.signals.empty());
  h.core.Launched(c, {100, 1, 101, 2}, h.now);
  h.Take();
  REQUIRE(h.last.signals.size() == 1);
  CHECK(h.last.signals[0].second == SIGTERM);
  h.core.Exited(c, {SIGTERM, ""}, h.now);
  h.Take();
  auto state = h.core.State();
  CHECK(state.tasks(0).state() == common::v1::TASK_KILLED);
  // STARTING, KILLED: no RUNNING in between.
  CHECK(state.tasks(0).statuses_size() == 2);
}

TEST_CASE("bad tasks, duplicates, failed launches and unknown kills", "[core]") {
  Harness h;
  h.Register();
  MasterMessage bad = RunTask("F1", "bad", "x");
  bad.mutable_run_task()->mutable_task()->mutable_command()->clear_value();
  h.Receive(bad);
  CHECK(h.last.launches.empty());
  REQUIRE(h.Sent().size() == 1);
  CHECK(h.Sent()[0].state() == common::v1::TASK_ERROR);
  CHECK(h.Sent()[0].reason() == common::v1::TaskStatus::REASON_TASK_INVALID);
  CHECK(h.Sent()[0].message() == "task.command.value: required");

  MasterMessage evil = RunTask("..", "t", "x");
  h.Receive(evil);
  REQUIRE(h.Sent().size() == 1);
  CHECK(h.Sent()[0].state() == common::v1::TASK_ERROR);
  CHECK(h.Sent()[0].message() == "framework_info.id: may not be '.' or '..'");
  CHECK(h.last.write_tasks.empty());        // never written under such a name
  CHECK(h.last.write_frameworks.empty());

  std::string c = RunningTask(h, "dup");
  h.Receive(RunTask("F1", "dup", "again"));
  REQUIRE(h.Sent().size() == 1);
  CHECK(h.Sent()[0].state() == common::v1::TASK_ERROR);
  auto state = h.core.State();
  CHECK(state.tasks_size() == 3);  // the running one is untouched
  for (const auto& t : state.tasks()) {
    if (t.task_id().value() == "dup") CHECK(t.state() == common::v1::TASK_RUNNING);
  }

  h.Receive(RunTask("F1", "nolaunch", "x"));
  h.core.LaunchFailed(h.last.launches[0].container_id,
                      absl::FailedPreconditionError("cannot execute 'x': No such file"), h.now);
  h.Take();
  // FAILED waits behind STARTING; it is in the state and the checkpoint.
  REQUIRE(h.last.write_tasks.size() == 1);
  CHECK(h.last.write_tasks[0].state() == common::v1::TASK_FAILED);
  CHECK(h.last.write_tasks[0].pending_updates(1).reason() ==
        common::v1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED);
  CHECK(h.last.write_tasks[0].pending_updates(1).message() == "cannot execute 'x': No such file");

  h.Receive(Kill("F1", "never-heard-of"));
  REQUIRE(h.Sent().size() == 1);
  CHECK(h.Sent()[0].state() == common::v1::TASK_LOST);
  CHECK(h.Sent()[0].reason() == common::v1::TaskStatus::REASON_TASK_UNKNOWN);

  // An acknowledgement for an unknown uuid changes nothing.
  common::v1::TaskStatus wrong;
  wrong.mutable_task_id()->set_value("dup");
  wrong.set_uuid(std::string(16, 'z'));
  h.Receive(Ack("F1", wrong));
  CHECK(h.last.empty());
}

TEST_CASE("recovery: running, ended and never started tasks; resend after reregistering",
          "[core]") {
  Harness before;
  before.Register();
  std::string running = RunningTask(before, "running");
  std::string ended = RunningTask(before, "ended");
  before.Receive(RunTask("F1", "unstarted", "x"));
  std::string unstarted = before.last.launches[0].container_id;
  // "running" has an unacknowledged KILLING... no: an unacknowledged update for it.
  before.core.Exited(ended, {3 << 8, ""}, before.now);  // FAILED, not acknowledged
  before.Take();
  REQUIRE(before.Sent().size() == 1);
  CHECK(before.Sent()[0].state() == common::v1::TASK_FAILED);

  // The agent dies (kill -9). A new one recovers from what was on disk.
  Harness after;
  std::map<std::string, RecoveredContainer> containers;
  containers[running] = {RecoveredContainer::State::kRunning, {100, 1, 101, 2}, {}};
  REQUIRE(after.core.Recover(before.disk.state, containers, after.now).ok());
  after.Take();
  auto state = after.core.State();
  CHECK(state.agent_info().id().value() == "S1");
  REQUIRE(state.tasks_size() == 3);
  std::map<std::string, TaskState> states;
  for (const auto& t : state.tasks()) states[t.task_id().value()] = t.state();
  CHECK(states["running"] == common::v1::TASK_RUNNING);
  CHECK(states["ended"] == common::v1::TASK_FAILED);
  CHECK(states["unstarted"] == common::v1::TASK_FAILED);

  AgentMessage rereg = after.core.Connected(after.now);
  REQUIRE(rereg.has_reregister_agent());
  CHECK(rereg.reregister_agent().tasks_size() == 3);
  CHECK(rereg.reregister_agent().executors_size() == 1);  // only "running" runs
  MasterMessage back;
  back.mutable_reregistered()->mutable_agent_id()->set_value("S1");
  after.Receive(back);
  // At once: ended's FAILED (retried), unstarted's STARTING (its FAILED waits).
  std::map<std::string, common::v1::TaskStatus> sent;
  for (const auto& s : after.Sent()) sent[s.task_id().value()] = s;
  REQUIRE(sent.size() == 2);
  CHECK(sent["ended"].state() == common::v1::TASK_FAILED);
  CHECK(sent["ended"].uuid() == before.Sent()[0].uuid());  // the same update, resent
  CHECK(sent["unstarted"].state() == common::v1::TASK_STARTING);
  after.Receive(Ack("F1", sent["unstarted"]));
  REQUIRE(after.Sent().size() == 1);
  CHECK(after.Sent()[0].state() == common::v1::TASK_FAILED);
  CHECK(after.Sent()[0].reason() == common::v1::TaskStatus::REASON_AGENT_RESTARTED);

  // The running one is still watched: its end arrives as usual.
  after.core.Exited(running, {0, ""}, after.now);
  after.Take();
  REQUIRE(after.Sent().size() == 1);
  CHECK(after.Sent()[0].state() == common::v1::TASK_FINISHED);
}

TEST_CASE("a task launched but not yet reported RUNNING is reported after recovery", "[core]") {
  Harness before;
  before.Register();
  before.Receive(RunTask("F1", "t", "sleep 5"));
  std::string c = before.last.launches[0].container_id;
  // The agent died right after the launch, before Launched reached the core.
  Harness after;
  std::map<std::string, RecoveredContainer> containers;
  containers[c] = {RecoveredContainer::State::kRunning, {100, 1, 101, 2}, {}};
  REQUIRE(after.core.Recover(before.disk.state, containers, after.now).ok());
  after.Take();
  CHECK(after.core.State().tasks(0).state() == common::v1::TASK_RUNNING);
  CHECK(after.core.RunningContainers().size() == 1);
}

TEST_CASE("a restart with other resources or attributes is refused with a way forward", "[core]") {
  Harness before;
  before.Register();
  Harness after(Options(/*cpus=*/8));
  absl::Status s = after.core.Recover(before.disk.state, {}, after.now);
  REQUIRE(s.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(s.message().find("agent.resources changed") != std::string::npos);
  CHECK(s.message().find("cpus:4;mem:4096") != std::string::npos);
  CHECK(s.message().find("cpus:8;mem:4096") != std::string::npos);
  CHECK(s.message().find("remove /work/meta") != std::string::npos);

  CoreOptions other = Options();
  other.info.mutable_attributes(0)->mutable_text()->set_value("r2");
  Harness moved(other);
  s = moved.core.Recover(before.disk.state, {}, moved.now);
  REQUIRE(s.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(s.message().find("agent.attributes changed: the agent registered with 'rack:r1', now "
                         "they are 'rack:r2'") != std::string::npos);
  // Same values in another order are the same agent.
  CoreOptions reordered = Options();
  std::swap(*reordered.info.mutable_resources(0), *reordered.info.mutable_resources(1));
  Harness same(reordered);
  CHECK(same.core.Recover(before.disk.state, {}, same.now).ok());
}

TEST_CASE("a silent master is given up on; so is one that never answers", "[core]") {
  Harness h;
  h.Register(absl::Seconds(1), 3);  // pings every 1 s, 3 may be missed
  MasterMessage ping;
  ping.mutable_ping()->set_sequence(1);
  h.now += absl::Milliseconds(2500);
  h.Receive(ping);
  h.Tick(absl::Milliseconds(2999));
  CHECK_FALSE(h.last.reconnect);
  h.Tick(absl::Milliseconds(2));
  CHECK(h.last.reconnect);
  CHECK_FALSE(h.core.registered());

  h.core.Connected(h.now);
  h.Tick(absl::Seconds(30));
  CHECK_FALSE(h.last.reconnect);
  h.Tick(absl::Milliseconds(1));
  CHECK(h.last.reconnect);
}

TEST_CASE("ShutdownFramework kills its tasks; Shutdown kills everything and stops", "[core]") {
  Harness h;
  h.Register();
  std::string a = RunningTask(h, "a");
  std::string b = RunningTask(h, "b");
  MasterMessage sf;
  sf.mutable_shutdown_framework()->mutable_framework_id()->set_value("F1");
  h.Receive(sf);
  CHECK(h.last.signals.size() == 2);
  // A new task of a framework that is shutting down is not started.
  h.Receive(RunTask("F1", "c", "x"));
  CHECK(h.last.launches.empty());
  REQUIRE(h.Sent().size() == 1);
  CHECK(h.Sent()[0].state() == common::v1::TASK_LOST);

  MasterMessage down;
  down.mutable_shutdown()->set_message("marked gone");
  h.Receive(down);
  CHECK(h.last.shutdown);
  CHECK(h.last.shutdown_message == "marked gone");
  REQUIRE(h.last.signals.size() == 2);
  CHECK(h.last.signals[0].second == SIGKILL);
}

TEST_CASE("health checks: probes when due, health reported, killed after failures", "[core]") {
  Harness h;
  h.Register();
  MasterMessage run = RunTask("F1", "web", "serve");
  common::v1::HealthCheck* hc = run.mutable_run_task()->mutable_task()->mutable_health_check();
  hc->set_type(common::v1::HealthCheck::TYPE_COMMAND);
  hc->mutable_command()->set_value("test -e ok");
  hc->mutable_delay()->set_seconds(1);
  hc->mutable_interval()->set_seconds(1);
  hc->mutable_grace_period()->set_seconds(0);
  hc->set_consecutive_failures(2);
  h.Receive(run);
  std::string c = h.last.launches[0].container_id;
  common::v1::TaskStatus starting = h.Sent()[0];
  h.core.Launched(c, {100, 1, 101, 2}, h.now);
  h.Take();
  h.Receive(Ack("F1", starting));
  common::v1::TaskStatus running = h.Sent()[0];
  CHECK_FALSE(running.has_healthy());
  h.Receive(Ack("F1", running));

  h.Tick(absl::Milliseconds(999));
  CHECK(h.last.probes.empty());
  h.Tick(absl::Milliseconds(1));
  REQUIRE(h.last.probes.size() == 1);
  ProbeRequest probe = h.last.probes[0];
  CHECK(probe.container_id == c);
  CHECK(probe.host == "127.0.3.1");
  CHECK(probe.sandbox_dir == h.core.TaskSandbox("F1", "web")->disk);
  h.core.HealthResult(c, probe.sequence, {true, ""}, h.now);
  h.Take();
  REQUIRE(h.Sent().size() == 1);
  common::v1::TaskStatus healthy = h.Sent()[0];
  CHECK(healthy.state() == common::v1::TASK_RUNNING);
  CHECK(healthy.reason() == common::v1::TaskStatus::REASON_TASK_HEALTH_CHECK_STATUS_UPDATED);
  CHECK(healthy.healthy());
  h.Receive(Ack("F1", healthy));

  auto fail = [&] {
    h.Tick(absl::Seconds(1));
    REQUIRE(h.last.probes.size() == 1);
    h.core.HealthResult(c, h.last.probes[0].sequence,
                        {false, "the check command exited with status 1"}, h.now);
    h.Take();
  };
  fail();  // reported at once
  REQUIRE(h.Sent().size() == 1);
  CHECK_FALSE(h.Sent()[0].healthy());
  CHECK(h.Sent()[0].message() == "health check failed: the check command exited with status 1");
  CHECK(h.last.signals.empty());
  h.Receive(Ack("F1", h.Sent()[0]));
  fail();  // the second in a row: killed
  REQUIRE(h.last.signals.size() == 1);
  CHECK(h.last.signals[0] == std::make_pair(c, SIGTERM));
  h.Tick(absl::Seconds(1));
  CHECK(h.last.probes.empty());  // no checks of a task being killed
  h.core.Exited(c, {SIGTERM, ""}, h.now);
  h.Take();
  REQUIRE(h.Sent().size() == 1);
  common::v1::TaskStatus killed = h.Sent()[0];
  CHECK(killed.state() == common::v1::TASK_KILLED);
  CHECK_FALSE(killed.healthy());
  CHECK(killed.reason() == common::v1::TaskStatus::REASON_TASK_HEALTH_CHECK_STATUS_UPDATED);
  CHECK(killed.message() ==
        "killed after failing 2 health checks in a row (last: the check command exited with "
        "status 1)");
}

TEST_CASE("the state lists frameworks, executors with sandboxes and allocated resources",
          "[core]") {
  Harness h;
  h.Register();
  std::string c = RunningTask(h);
  auto state = h.core.State();
  CHECK(state.connected());
  REQUIRE(state.frameworks_size() == 1);
  REQUIRE(state.frameworks(0).executors_size() == 1);
  CHECK(state.frameworks(0).executors(0).sandbox_path() ==
        "/frameworks/F1/executors/t1/runs/" + c);
  CHECK(state.allocated_resources_size() == 2);
  auto sandbox = h.core.TaskSandbox("", "t1");
  REQUIRE(sandbox.ok());
  CHECK(sandbox->disk == "/work/agents/S1/frameworks/F1/executors/t1/runs/" + c);
  CHECK(sandbox->virtual_path == "/frameworks/F1/executors/t1/runs/" + c);
  CHECK(h.core.RunSandbox("F1", "t1", c)->disk == sandbox->disk);
  CHECK(h.core.RunSandbox("F1", "t1", "latest")->disk == sandbox->disk);
  CHECK(h.core.TaskSandbox("", "nope").status().code() == absl::StatusCode::kNotFound);
  CHECK(h.core.RunSandbox("F1", "..", c).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(h.core.KnownContainers() == std::set<std::string>{c});
  // Another framework with the same task id makes the task id ambiguous.
  h.Receive(RunTask("F2", "t1", "x"));
  CHECK(h.core.TaskSandbox("", "t1").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(h.core.TaskSandbox("F2", "t1").ok());
}

}  // namespace
}  // namespace dcos::agent
