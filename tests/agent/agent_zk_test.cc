// dcos-agent finding the master through dcos-zk (--agent.zk only): three dcos-zk members, two
// masters; the agent registers with the leader and runs a task; kill -9 of the leader; the
// agent follows dcos-zk to the new leader, re-registers there, and the task (still the same
// process) is reported RUNNING by the new leader. Also: the agent started before any master
// waits (no leader known) and registers once one is elected.

#include <signal.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/testing/harness.h"
#include "libs/testing/process.h"
#include "services/agent/supervisor_files.h"
#include "tests/agent/cluster.h"
#include "tests/zk/zk_ensemble.h"

namespace dcos::testing {
namespace {

namespace cv1 = common::v1;
namespace mv1 = master::v1;

constexpr absl::Duration kWait = absl::Seconds(30);

std::vector<std::string> MasterFlags(const ZkTestEnsemble& zk) {
  return {"--master.zk=" + zk.Joined(), "--master.zk_session_timeout=1s",
          "--master.agent_reregister_timeout=10s"};
}

std::vector<std::string> AgentZkFlags(const ZkTestEnsemble& zk) {
  return {"--agent.zk=" + zk.Joined(), "--agent.zk_session_timeout=2s"};
}

// The one leading master of `masters`, waiting until exactly one leads.
MasterProcess* WaitLeader(std::vector<MasterProcess*> masters) {
  MasterProcess* leader = nullptr;
  REQUIRE(WaitFor(
              [&] {
                int leading = 0;
                for (MasterProcess* m : masters) {
                  if (m->process != nullptr && m->Leading()) {
                    leader = m;
                    ++leading;
                  }
                }
                return leading == 1;
              },
              kWait, "exactly one leading master")
              .ok());
  return leader;
}

// The task's state on `master` (TASK_STAGING when unknown there), and the agent it is on.
std::pair<cv1::TaskState, std::string> TaskOn(const MasterProcess& master,
                                              const std::string& task_id) {
  auto tasks = master.Tasks();
  if (!tasks.ok()) return {cv1::TASK_STAGING, ""};
  for (const cv1::Task& t : tasks->tasks()) {
    if (t.task_id().value() == task_id) return {t.state(), t.agent_id().value()};
  }
  return {cv1::TASK_STAGING, ""};
}

// The container the agent runs `task_id` in ("" if it runs none).
std::string RunningContainer(const agent::v1::GetStateResponse& state, const std::string& task_id) {
  for (const auto& f : state.frameworks()) {
    for (const auto& e : f.executors()) {
      if (e.executor_info().executor_id().value() == task_id) return e.container_id().value();
    }
  }
  return "";
}

bool AgentActiveOn(const MasterProcess& master, const std::string& agent_id) {
  auto agents = master.Agents();
  if (!agents.ok()) return false;
  for (const mv1::Agent& a : agents->agents()) {
    if (a.agent_info().id().value() == agent_id) return a.state() == mv1::Agent::STATE_ACTIVE;
  }
  return false;
}

TEST_CASE("agent.zk: the agent follows the leading master across kill -9 of the leader",
          "[agent][zk]") {
  ZkTestEnsemble zk({"--zk.min_session_timeout=500ms"});
  REQUIRE(zk.StartAll().ok());
  std::string dir = MakeTempDir("agent-zk");
  TaskReaper reaper;
  auto a = MasterProcess::Start(dir, 0, MasterFlags(zk));
  REQUIRE(a.ok());
  auto b = MasterProcess::Start(dir, 0, MasterFlags(zk));
  REQUIRE(b.ok());
  MasterProcess* leader = WaitLeader({&*a, &*b});
  MasterProcess* standby = leader == &*a ? &*b : &*a;

  auto agent = AgentProcess::Start(dir, "agent-1", /*master=*/"", AgentZkFlags(zk));
  REQUIRE(agent.ok());
  reaper.Add(agent->work_dir);
  auto agent_id = agent->WaitRegistered(kWait);
  REQUIRE(agent_id.ok());
  REQUIRE(WaitFor([&] { return AgentActiveOn(*leader, *agent_id); }, kWait,
                  "the agent registered with the leader").ok());

  // `dcos task run` pointed at the standby follows its redirect to the leader.
  auto ran = RunDcos(dir, "run-via-standby",
                     {"task", "run", "--master=" + standby->address, "--cpus=0.1", "--mem=16",
                      "--name=via-standby", "--", "echo", "redirected"},
                     kWait);
  REQUIRE(ran.ok());
  INFO(ran->second);
  CHECK(ran->first == 0);
  CHECK(ran->second.find("TASK_FINISHED: Command exited with status 0") != std::string::npos);

  // `dcos master metrics` at the standby prints the leader's figures (GetMetrics does not
  // redirect by itself: every master answers it).
  auto metrics = RunDcos(dir, "metrics-via-standby",
                         {"--master=" + standby->address, "master", "metrics"}, kWait);
  REQUIRE(metrics.ok());
  INFO(metrics->second);
  CHECK(metrics->first == 0);
  std::map<std::string, double> figures;
  for (absl::string_view line : absl::StrSplit(metrics->second, '\n', absl::SkipEmpty())) {
    std::vector<std::string> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
    double value = 0;
    if (fields.size() == 2 && absl::SimpleAtod(fields[1], &value)) figures[fields[0]] = value;
  }
  CHECK(figures["master/elected"] == 1);
  CHECK(figures["master/slaves_active"] == 1);
  CHECK(figures["master/tasks_finished"] == 1);  // via-standby

  std::string framework_id;
  {
    TestFramework fw(leader->address, "zk-fw");
    auto fid = fw.WaitSubscribed(kWait);
    REQUIRE(fid.ok());
    framework_id = *fid;
    REQUIRE(fw.Launch(ShellTask("sleeper", "sleep 600"), kWait).ok());
    REQUIRE(fw.WaitForState("sleeper", cv1::TASK_RUNNING, kWait).ok());
  }
  REQUIRE(TaskOn(*leader, "sleeper").first == cv1::TASK_RUNNING);
  auto before = agent->State();
  REQUIRE(before.ok());
  const std::string container = RunningContainer(*before, "sleeper");
  REQUIRE(!container.empty());

  const absl::Time killed = absl::Now();
  leader->process->Signal(SIGKILL);
  REQUIRE(leader->process->WaitExit(kWait).ok());
  leader->process.reset();

  MasterProcess* next = WaitLeader({standby});
  REQUIRE(next == standby);
  // No --agent.master was given: only dcos-zk can have led the agent here.
  REQUIRE(WaitFor([&] { return AgentActiveOn(*next, *agent_id); }, kWait,
                  "the agent re-registered with the new leader").ok());
  // A figure, not a bound (master.zk_session_timeout=1s dominates it).
  std::printf("agent re-registered with the new leader %lld ms after kill -9 of the old\n",
              static_cast<long long>(absl::ToInt64Milliseconds(absl::Now() - killed)));
  REQUIRE(WaitFor([&] { return TaskOn(*next, "sleeper").first == cv1::TASK_RUNNING; }, kWait,
                  "the new leader reports the task RUNNING").ok());
  CHECK(TaskOn(*next, "sleeper").second == *agent_id);

  // The framework can subscribe again there; the agent runs the task in the same container.
  TestFramework again(next->address, "zk-fw", framework_id);
  REQUIRE(again.WaitSubscribed(kWait).ok());
  auto after = agent->State();
  REQUIRE(after.ok());
  CHECK(after->connected());
  CHECK(RunningContainer(*after, "sleeper") == container);
}

TEST_CASE("agent.zk: an agent started before any master waits, then registers with the leader",
          "[agent][zk]") {
  ZkTestEnsemble zk({"--zk.min_session_timeout=500ms"});
  REQUIRE(zk.StartAll().ok());
  std::string dir = MakeTempDir("agent-zk-wait");
  TaskReaper reaper;
  auto agent = AgentProcess::Start(dir, "agent-1", /*master=*/"", AgentZkFlags(zk));
  REQUIRE(agent.ok());
  reaper.Add(agent->work_dir);
  auto state = agent->State();
  REQUIRE(state.ok());
  CHECK_FALSE(state->connected());

  auto m = MasterProcess::Start(dir, 0, MasterFlags(zk));
  REQUIRE(m.ok());
  WaitLeader({&*m});
  auto agent_id = agent->WaitRegistered(kWait);
  REQUIRE(agent_id.ok());
  REQUIRE(WaitFor([&] { return AgentActiveOn(*m, *agent_id); }, kWait, "registered").ok());
}

TEST_CASE("agent.master and agent.zk: exactly one, or the agent says which field is wrong",
          "[agent][zk]") {
  std::string dir = MakeTempDir("agent-zk-flags");
  int runs = 0;
  // The agent's exit code and what it said.
  auto run = [&](std::vector<std::string> flags) -> std::pair<int, std::string> {
    std::vector<std::string> args = {"--grpc.listen=127.0.0.1:0", "--metrics.listen=",
                                     "--agent.work_dir=" + dir + "/work",
                                     "--agent.resources=cpus:1;mem:512;disk:512"};
    for (std::string& f : flags) args.push_back(std::move(f));
    auto p = TestProcess::Start({absl::StrCat("agent-", ++runs),
                                 Runfile("services/agent/dcos-agent"), args, dir});
    REQUIRE(p.ok());
    absl::StatusOr<int> code = (*p)->WaitExit(absl::Seconds(20));
    REQUIRE(code.ok());
    return {*code, (*p)->Log()};
  };
  auto neither = run({});
  CHECK(neither.first == 1);
  CHECK_THAT(neither.second, Catch::Contains("agent.master / agent.zk: one is required"));

  auto both = run({"--agent.master=127.0.0.1:5050", "--agent.zk=127.0.0.1:2181"});
  CHECK(both.first == 1);
  CHECK_THAT(both.second, Catch::Contains("give one, not both"));

  auto bad = run({"--agent.zk=127.0.0.1"});
  CHECK(bad.first == 2);
  CHECK_THAT(bad.second, Catch::Contains("agent.zk"));

  auto bad_path = run({"--agent.zk=127.0.0.1:2181", "--agent.zk_path=mesos"});
  CHECK(bad_path.first == 2);
  CHECK_THAT(bad_path.second, Catch::Contains("agent.zk_path"));
}

}  // namespace
}  // namespace dcos::testing
