// Real dcos-master and dcos-agent processes on loopback with a framework on the Scheduler API:
// tasks that finish, fail, cannot start and are killed (with a grace period); kill -9 of the
// agent while a task runs (the task survives, the restarted agent reattaches, the task's end
// arrives as usual); a status update produced while the master is down arrives once it is
// back. Every wait is on a condition; every process is stopped.

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"
#include "libs/testing/harness.h"
#include "protos/master/v1/operator.grpc.pb.h"
#include "services/agent/supervisor_files.h"
#include "tests/agent/cluster.h"

namespace dcos::testing {
namespace {

namespace cv1 = common::v1;
constexpr absl::Duration kWait = absl::Seconds(20);

// A master, one agent and a subscribed framework.
struct Cluster {
  std::string dir = MakeTempDir("agent");
  TaskReaper reaper;
  MasterProcess master;
  AgentProcess agent;
  std::string agent_id;
  std::unique_ptr<TestFramework> framework;

  explicit Cluster(std::vector<std::string> agent_flags = {},
                   std::vector<cv1::FrameworkInfo::Capability::Type> capabilities = {}) {
    auto c = MasterAndAgent::Start(dir, reaper, std::move(agent_flags));
    REQUIRE(c.ok());
    master = std::move(c->master);
    agent = std::move(c->agent);
    agent_id = c->agent_id;
    framework = std::make_unique<TestFramework>(master.address, "test", "", capabilities);
    REQUIRE(framework->WaitSubscribed(kWait).ok());
  }

  // The sandbox of a task, from the agent's state.
  std::string Sandbox(const std::string& task_id) {
    std::string sandbox = agent.Sandbox(agent_id, task_id);
    if (sandbox.empty()) FAIL("no sandbox for " << task_id);
    return sandbox;
  }
};

std::string Read(const std::string& path) {
  auto text = ReadFile(path);
  return text.ok() ? *text : "";
}

uint64_t StartTime(pid_t pid) { return agent::supervisor::ReadStartTime(pid); }

TEST_CASE("a task runs and finishes; its output is in its sandbox", "[agent]") {
  Cluster c;
  REQUIRE(c.framework->Launch(ShellTask("hello", "echo hello from $MESOS_TASK_ID on $HOST"), kWait)
              .ok());
  auto finished = c.framework->WaitForState("hello", cv1::TASK_FINISHED, kWait);
  REQUIRE(finished.ok());
  CHECK(c.framework->States("hello") == "STARTING,RUNNING,FINISHED");
  CHECK(finished->message() == "Command exited with status 0");
  CHECK(finished->agent_id().value() == c.agent_id);
  auto running = c.framework->WaitForState("hello", cv1::TASK_RUNNING, kWait);
  REQUIRE(running.ok());
  CHECK(running->container_status().executor_pid() > 0);
  CHECK(Read(c.Sandbox("hello") + "/stdout") == "hello from hello on 127.0.0.1\n");
  // Once acknowledged the task is completed on the agent.
  REQUIRE(WaitFor([&] {
            auto s = c.agent.State();
            return s.ok() && s->tasks_size() == 0 && s->completed_tasks_size() == 1;
          }, kWait, "the task completed on the agent").ok());
}

TEST_CASE("a failing task and commands that cannot start end FAILED with why", "[agent]") {
  Cluster c;
  REQUIRE(c.framework->Launch(ShellTask("fails", "echo bad >&2; exit 3"), kWait).ok());
  auto failed = c.framework->WaitForState("fails", cv1::TASK_FAILED, kWait);
  REQUIRE(failed.ok());
  CHECK(failed->message() == "Command exited with status 3");
  CHECK(c.framework->States("fails") == "STARTING,RUNNING,FAILED");
  CHECK(Read(c.Sandbox("fails") + "/stderr") == "bad\n");

  cv1::TaskInfo missing = ShellTask("missing", "/no/such/binary");
  missing.mutable_command()->set_shell(false);
  REQUIRE(c.framework->Launch(missing, kWait).ok());
  auto cannot = c.framework->WaitForState("missing", cv1::TASK_FAILED, kWait);
  REQUIRE(cannot.ok());
  CHECK(cannot->reason() == cv1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED);
  CHECK(cannot->message() == "cannot execute '/no/such/binary': No such file or directory");
  CHECK(c.framework->States("missing") == "STARTING,FAILED");
}

TEST_CASE("kill: SIGTERM first, SIGKILL after the grace period", "[agent]") {
  Cluster c({}, {cv1::FrameworkInfo::Capability::TYPE_TASK_KILLING_STATE});
  REQUIRE(c.framework->Launch(ShellTask("polite", "sleep 300"), kWait).ok());
  cv1::TaskInfo stubborn = ShellTask(
      "stubborn", "trap 'echo got TERM' TERM; echo ready; while :; do sleep 0.05; done");
  stubborn.mutable_kill_policy()->mutable_grace_period()->set_seconds(1);
  REQUIRE(c.framework->Launch(stubborn, kWait).ok());
  REQUIRE(c.framework->WaitForState("polite", cv1::TASK_RUNNING, kWait).ok());
  REQUIRE(c.framework->WaitForState("stubborn", cv1::TASK_RUNNING, kWait).ok());
  REQUIRE(WaitFor([&] { return Read(c.Sandbox("stubborn") + "/stdout") == "ready\n"; }, kWait,
                  "stubborn ready").ok());

  REQUIRE(c.framework->Kill("polite", absl::Seconds(10)).ok());
  auto killed = c.framework->WaitForState("polite", cv1::TASK_KILLED, kWait);
  REQUIRE(killed.ok());
  CHECK(killed->message() == "Command terminated with signal Terminated (15)");
  CHECK(c.framework->States("polite") == "STARTING,RUNNING,KILLING,KILLED");

  absl::Time kill_sent = absl::Now();
  REQUIRE(c.framework->Kill("stubborn").ok());  // the task's own policy: 1 s
  killed = c.framework->WaitForState("stubborn", cv1::TASK_KILLED, kWait);
  REQUIRE(killed.ok());
  CHECK(absl::Now() - kill_sent >= absl::Seconds(1));
  CHECK(killed->message() == "Command terminated with signal Killed (9)");
  CHECK(Read(c.Sandbox("stubborn") + "/stdout").find("got TERM") != std::string::npos);
  CHECK(c.framework->States("stubborn") == "STARTING,RUNNING,KILLING,KILLED");
}

TEST_CASE("kill -9 of the agent: the task keeps running and is reattached", "[agent][recovery]") {
  Cluster c;
  REQUIRE(c.framework->Launch(
      ShellTask("waiter", "while [ ! -e release ]; do sleep 0.05; done; echo released"), kWait)
              .ok());
  auto running = c.framework->WaitForState("waiter", cv1::TASK_RUNNING, kWait);
  REQUIRE(running.ok());
  const pid_t pid = static_cast<pid_t>(running->container_status().executor_pid());
  REQUIRE(pid > 0);
  const uint64_t started = StartTime(pid);
  REQUIRE(started != 0);
  const std::string sandbox = c.Sandbox("waiter");

  c.agent.process->Signal(SIGKILL);
  REQUIRE(c.agent.process->WaitExit(kWait).ok());
  CHECK(StartTime(pid) == started);  // untouched by the agent's death

  REQUIRE(c.agent.Restart(c.dir).ok());
  auto id = c.agent.WaitRegistered(kWait);
  REQUIRE(id.ok());
  CHECK(*id == c.agent_id);
  auto state = c.agent.State();
  REQUIRE(state.ok());
  REQUIRE(state->tasks_size() == 1);
  CHECK(state->tasks(0).state() == cv1::TASK_RUNNING);
  CHECK(state->tasks(0).statuses(state->tasks(0).statuses_size() - 1)
            .container_status()
            .executor_pid() == static_cast<uint32_t>(pid));
  CHECK(StartTime(pid) == started);  // the same process, not a new one
  CHECK(c.framework->States("waiter") == "STARTING,RUNNING");

  std::ofstream(sandbox + "/release") << "";
  auto finished = c.framework->WaitForState("waiter", cv1::TASK_FINISHED, kWait);
  REQUIRE(finished.ok());
  CHECK(c.framework->States("waiter") == "STARTING,RUNNING,FINISHED");
  CHECK(Read(sandbox + "/stdout") == "released\n");
  REQUIRE(WaitFor([&] { return StartTime(pid) != started; }, kWait, "the task process gone").ok());
}

TEST_CASE("an update produced while the master is down arrives once it is back",
          "[agent][recovery]") {
  Cluster c({"--agent.status_update_retry_interval=200ms"});
  REQUIRE(c.framework->Launch(
      ShellTask("waiter", "while [ ! -e release ]; do sleep 0.05; done"), kWait).ok());
  REQUIRE(c.framework->WaitForState("waiter", cv1::TASK_RUNNING, kWait).ok());
  const std::string sandbox = c.Sandbox("waiter");
  auto framework_id = c.framework->WaitSubscribed(kWait);
  REQUIRE(framework_id.ok());

  c.master.process->Signal(SIGKILL);
  REQUIRE(c.master.process->WaitExit(kWait).ok());
  c.framework.reset();
  std::ofstream(sandbox + "/release") << "";
  // The agent learns of the end and holds the update.
  REQUIRE(WaitFor([&] {
            auto s = c.agent.State();
            return s.ok() && s->tasks_size() == 1 && s->tasks(0).state() == cv1::TASK_FINISHED;
          }, kWait, "FINISHED known to the agent").ok());

  REQUIRE(c.master.Restart(c.dir).ok());
  REQUIRE(c.agent.WaitRegistered(kWait).ok());
  TestFramework again(c.master.address, "test", *framework_id);
  REQUIRE(again.WaitSubscribed(kWait).ok());
  auto finished = again.WaitForState("waiter", cv1::TASK_FINISHED, kWait);
  REQUIRE(finished.ok());
  CHECK(finished->message() == "Command exited with status 0");
  REQUIRE(WaitFor([&] {
            auto s = c.agent.State();
            return s.ok() && s->tasks_size() == 0 && s->completed_tasks_size() == 1;
          }, kWait, "the update acknowledged").ok());
}

TEST_CASE("two agents; one that never returns has its tasks LOST, the other is untouched",
          "[agent][recovery]") {
  std::string dir = MakeTempDir("two");
  TaskReaper reaper;
  auto master = MasterProcess::Start(dir, 0,
                                     {"--master.agent_ping_timeout=200ms",
                                      "--master.max_agent_ping_timeouts=3"});
  REQUIRE(master.ok());
  auto one = AgentProcess::Start(dir, "agent-1", master->address);
  auto two = AgentProcess::Start(dir, "agent-2", master->address);
  REQUIRE(one.ok());
  REQUIRE(two.ok());
  reaper.Add(one->work_dir);
  reaper.Add(two->work_dir);
  auto id1 = one->WaitRegistered(kWait);
  auto id2 = two->WaitRegistered(kWait);
  REQUIRE(id1.ok());
  REQUIRE(id2.ok());
  CHECK(*id1 != *id2);
  TestFramework fw(master->address, "two");
  REQUIRE(fw.WaitSubscribed(kWait).ok());
  REQUIRE(fw.Launch(ShellTask("on-one", "sleep 300"), kWait, *id1).ok());
  REQUIRE(fw.Launch(ShellTask("on-two", "sleep 300"), kWait, *id2).ok());
  auto running = fw.WaitForState("on-two", cv1::TASK_RUNNING, kWait);
  REQUIRE(running.ok());
  REQUIRE(fw.WaitForState("on-one", cv1::TASK_RUNNING, kWait).ok());
  CHECK(running->agent_id().value() == *id2);

  two->process->Signal(SIGKILL);
  REQUIRE(two->process->WaitExit(kWait).ok());
  auto lost = fw.WaitForState("on-two", cv1::TASK_LOST, kWait);
  REQUIRE(lost.ok());
  CHECK(lost->reason() == cv1::TaskStatus::REASON_AGENT_REMOVED);
  CHECK(fw.States("on-one") == "STARTING,RUNNING");
  auto state = one->State();
  REQUIRE(state.ok());
  CHECK(state->connected());
  CHECK(state->tasks_size() == 1);
}

// The healthy flag of every update of `task_id`, as "?" (unset), "1" or "0".
std::string HealthTrail(TestFramework& f, const std::string& task_id) {
  std::string trail;
  for (const auto& s : f.Updates(task_id)) trail += !s.has_healthy() ? "?" : s.healthy() ? "1" : "0";
  return trail;
}

TEST_CASE("health checks flip healthy and unhealthy; failing ones kill the task", "[agent][health]") {
  Cluster c;
  cv1::TaskInfo flipping = ShellTask("flipping", "touch ok; while :; do sleep 0.1; done");
  cv1::HealthCheck* hc = flipping.mutable_health_check();
  hc->set_type(cv1::HealthCheck::TYPE_COMMAND);
  hc->mutable_command()->set_value("test -e ok");
  hc->mutable_delay()->set_seconds(0);
  hc->mutable_interval()->set_seconds(1);
  // A check may run before `touch ok`: failures before the first success do not count.
  hc->mutable_grace_period()->set_seconds(60);
  hc->set_consecutive_failures(0);  // report only
  REQUIRE(c.framework->Launch(flipping, kWait).ok());

  cv1::TaskInfo closed = ShellTask("closed", "sleep 300");
  hc = closed.mutable_health_check();
  hc->set_type(cv1::HealthCheck::TYPE_TCP);
  hc->mutable_tcp()->set_port(static_cast<uint32_t>(FreePort()));  // nothing listens there
  hc->mutable_delay()->set_seconds(0);
  hc->mutable_interval()->set_seconds(1);
  hc->mutable_grace_period()->set_seconds(0);
  hc->set_consecutive_failures(2);
  REQUIRE(c.framework->Launch(closed, kWait).ok());

  auto healthy_is = [&](const std::string& trail_suffix) {
    return WaitFor([&] {
      std::string t = HealthTrail(*c.framework, "flipping");
      return t.size() >= trail_suffix.size() &&
             t.compare(t.size() - trail_suffix.size(), trail_suffix.size(), trail_suffix) == 0;
    }, kWait, "flipping health " + trail_suffix);
  };
  REQUIRE(healthy_is("1").ok());
  const std::string sandbox = c.Sandbox("flipping");
  std::filesystem::remove(sandbox + "/ok");
  REQUIRE(healthy_is("10").ok());
  std::ofstream(sandbox + "/ok") << "";
  REQUIRE(healthy_is("101").ok());
  CHECK(c.framework->States("flipping") == "STARTING,RUNNING,RUNNING,RUNNING,RUNNING");
  CHECK(HealthTrail(*c.framework, "flipping") == "??101");
  auto last = c.framework->Updates("flipping").back();
  CHECK(last.reason() == cv1::TaskStatus::REASON_TASK_HEALTH_CHECK_STATUS_UPDATED);

  auto killed = c.framework->WaitForState("closed", cv1::TASK_KILLED, kWait);
  REQUIRE(killed.ok());
  CHECK_FALSE(killed->healthy());
  CHECK(killed->message().find("killed after failing 2 health checks in a row") == 0);
  CHECK(c.framework->States("closed") == "STARTING,RUNNING,RUNNING,KILLED");
}

}  // namespace
}  // namespace dcos::testing
