// The command executor's rules: task validation, the environment, the kill grace period and
// exit statuses mapped to task states.

#include <signal.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>

#include "services/agent/command_executor.h"
#include "services/agent/test_util.h"

namespace dcos::agent {
namespace {

using common::v1::TaskInfo;

common::v1::Resource Scalar(const std::string& name, double v) { return ScalarResource(name, v); }

TaskInfo ValidTask() {
  TaskInfo t;
  t.set_name("web");
  t.mutable_task_id()->set_value("web.1");
  t.mutable_command()->set_value("echo hi");
  *t.add_resources() = Scalar("cpus", 0.5);
  *t.add_resources() = Scalar("mem", 64);
  return t;
}

TEST_CASE("invalid tasks are refused with the field named", "[executor]") {
  CHECK(ValidateTask(ValidTask()).ok());
  TaskInfo t = ValidTask();
  t.mutable_task_id()->set_value("a/b");
  CHECK(ValidateTask(t).message().find("task.task_id:") == 0);
  t = ValidTask();
  t.clear_name();
  CHECK(ValidateTask(t).message() == "task.name: must be 1..255 bytes");
  t = ValidTask();
  t.clear_command();
  CHECK(ValidateTask(t).message() == "task.command.value: required");
  t = ValidTask();
  auto* v = t.mutable_command()->mutable_environment()->add_variables();
  v->set_name("OK");
  v = t.mutable_command()->mutable_environment()->add_variables();
  v->set_name("A=B");
  CHECK(ValidateTask(t).message() ==
        "task.command.environment.variables[1].name: may not contain '='");
  t = ValidTask();
  t.clear_resources();
  CHECK(ValidateTask(t).message() == "task.resources: must include cpus or mem");
  t = ValidTask();
  *t.add_resources() = Scalar("mem", -1);
  CHECK(ValidateTask(t).message().find("task.resources[2]") == 0);
  t = ValidTask();
  t.mutable_kill_policy()->mutable_grace_period()->set_seconds(-1);
  CHECK(ValidateTask(t).message() == "task.kill_policy.grace_period: must be >= 0");
}

TEST_CASE("the environment: PATH, injected variables, then the task's own", "[executor]") {
  TaskInfo t = ValidTask();
  common::v1::Resource ports;
  ports.set_name("ports");
  ports.set_type(common::v1::Value::TYPE_RANGES);
  auto* r = ports.mutable_ranges()->add_range();
  r->set_begin(31005);
  r->set_end(31006);
  r = ports.mutable_ranges()->add_range();
  r->set_begin(31001);
  r->set_end(31001);
  *t.add_resources() = ports;
  auto* v = t.mutable_command()->mutable_environment()->add_variables();
  v->set_name("HOST");
  v->set_value("mine");
  v = t.mutable_command()->mutable_environment()->add_variables();
  v->set_name("APP");
  v->set_value("1");
  auto env = TaskEnvironment(t, {"agent-1", "S1", "F1", "c1", "/sandbox"});
  std::vector<std::pair<std::string, std::string>> want = {
      {"PATH", kDefaultPath},
      {"HOST", "mine"},
      {"PORT0", "31005"},
      {"PORT1", "31006"},
      {"PORT2", "31001"},
      {"PORT", "31005"},
      {"PORTS", "31005,31006,31001"},
      {"MESOS_TASK_ID", "web.1"},
      {"MESOS_SANDBOX", "/sandbox"},
      {"MESOS_FRAMEWORK_ID", "F1"},
      {"MESOS_AGENT_ID", "S1"},
      {"MESOS_EXECUTOR_ID", "web.1"},
      {"MESOS_CONTAINER_ID", "c1"},
      {"APP", "1"},
  };
  CHECK(env == want);
  // No ports: no PORT variables.
  env = TaskEnvironment(ValidTask(), {"h", "S", "F", "c", "/s"});
  for (const auto& [name, value] : env) CHECK(name.rfind("PORT", 0) != 0);
}

TEST_CASE("the kill grace period: override, policy, 3 s", "[executor]") {
  TaskInfo t = ValidTask();
  CHECK(KillGracePeriod(t, nullptr) == absl::Seconds(3));
  t.mutable_kill_policy()->mutable_grace_period()->set_seconds(7);
  CHECK(KillGracePeriod(t, nullptr) == absl::Seconds(7));
  common::v1::KillPolicy override;
  CHECK(KillGracePeriod(t, &override) == absl::Seconds(7));  // no grace period in it
  override.mutable_grace_period()->set_nanos(500000000);
  CHECK(KillGracePeriod(t, &override) == absl::Milliseconds(500));
  override.mutable_grace_period()->set_seconds(-5);
  override.mutable_grace_period()->set_nanos(0);
  CHECK(KillGracePeriod(t, &override) == absl::ZeroDuration());
}

TEST_CASE("exit statuses map to FINISHED, FAILED, KILLED", "[executor]") {
  TaskEnd e = MapExit({0, ""}, false);
  CHECK(e.state == common::v1::TASK_FINISHED);
  CHECK(e.message == "Command exited with status 0");
  e = MapExit({3 << 8, ""}, false);
  CHECK(e.state == common::v1::TASK_FAILED);
  CHECK(e.message == "Command exited with status 3");
  e = MapExit({SIGKILL, ""}, false);
  CHECK(e.state == common::v1::TASK_FAILED);
  CHECK(e.message == "Command terminated with signal Killed (9)");
  e = MapExit({SIGTERM, ""}, true);
  CHECK(e.state == common::v1::TASK_KILLED);
  CHECK(e.message == "Command terminated with signal Terminated (15)");
  e = MapExit({0, ""}, true);
  CHECK(e.state == common::v1::TASK_KILLED);
  ExitInfo oom{SIGKILL, ""};
  oom.memory_limit_hit = true;
  e = MapExit(oom, false);
  CHECK(e.state == common::v1::TASK_FAILED);
  CHECK(e.reason == common::v1::TaskStatus::REASON_CONTAINER_LIMITATION_MEMORY);
  CHECK(e.message == "Memory limit exceeded");
  CHECK(MapExit(oom, true).state == common::v1::TASK_KILLED);
  e = MapExit({std::nullopt, "the supervisor died"}, false);
  CHECK(e.state == common::v1::TASK_FAILED);
  CHECK(e.reason == common::v1::TaskStatus::REASON_EXECUTOR_TERMINATED);
  CHECK(e.message == "the supervisor died");
}

}  // namespace
}  // namespace dcos::agent
