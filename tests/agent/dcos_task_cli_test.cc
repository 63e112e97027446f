// `dcos task run` against a real dcos-master and dcos-agent: a command that finishes (exit 0,
// its state changes printed in order), one that fails (exit 1 with the reason), no offer that
// fits, no master. `dcos node deactivate|reactivate|drain` on the agent.

#include <catch2/catch.hpp>

#include "libs/testing/harness.h"
#include "libs/testing/process.h"
#include "tests/agent/cluster.h"

namespace dcos::testing {
namespace {

constexpr absl::Duration kWait = absl::Seconds(30);

// Runs the dcos binary to its end; its exit code and output (stdout and stderr together).
std::pair<int, std::string> Dcos(const std::string& dir, const std::string& name,
                                 std::vector<std::string> args) {
  auto ran = RunDcos(dir, name, std::move(args), kWait);
  REQUIRE(ran.ok());
  return *ran;
}

bool InOrder(const std::string& text, const std::vector<std::string>& parts) {
  size_t at = 0;
  for (const std::string& part : parts) {
    at = text.find(part, at);
    if (at == std::string::npos) return false;
  }
  return true;
}

TEST_CASE("dcos task run launches a command and exits with its outcome", "[cli]") {
  std::string dir = MakeTempDir("cli");
  TaskReaper reaper;
  auto cluster = MasterAndAgent::Start(dir, reaper);
  REQUIRE(cluster.ok());
  MasterProcess* master = &cluster->master;

  auto [code, out] = Dcos(dir, "run-ok", {"task", "run", "--master=" + master->address,
                                          "--cpus=0.2", "--mem=16", "--name=hello", "--",
                                          "echo", "hi", "there"});
  INFO(out);
  CHECK(code == 0);
  CHECK(InOrder(out, {"Subscribed with framework ID ", "Launched task hello.", "TASK_STARTING",
                      "TASK_RUNNING", "TASK_FINISHED: Command exited with status 0"}));

  // Its output, through the agent.
  std::string prefix = "--master=" + master->address;
  auto [log_code, log_out] = Dcos(dir, "log", {"task", "log", prefix, "hello."});
  INFO(log_out);
  CHECK(log_code == 0);
  CHECK(log_out == "hi there\n");
  auto [ls_code, ls_out] = Dcos(dir, "ls", {"task", "ls", prefix, "hello."});
  INFO(ls_out);
  CHECK(ls_code == 0);
  CHECK(InOrder(ls_out, {"-rw-r--r--", "stderr", "-rw-r--r--", "stdout"}));

  // --follow prints what a running task appends until it ends.
  auto follower = TestProcess::Start(
      {"follow", Runfile("tools/dcos/dcos"),
       {"task", "run", prefix, "--name=counter", "--",
        "for i in 1 2 3 4 5; do echo line $i; sleep 0.2; done"},
       dir});
  REQUIRE(follower.ok());
  REQUIRE(WaitFor([&] { return (*follower)->Log().find("TASK_RUNNING") != std::string::npos; },
                  kWait, "counter running").ok());
  auto [follow_code, follow_out] =
      Dcos(dir, "log-follow", {"task", "log", "--follow", "--lines=100", prefix, "counter."});
  INFO(follow_out);
  CHECK(follow_code == 0);
  CHECK(follow_out == "line 1\nline 2\nline 3\nline 4\nline 5\n");
  REQUIRE((*follower)->WaitExit(kWait).ok());

  auto [missing_code, missing_out] = Dcos(dir, "log-missing", {"task", "log", prefix, "nope"});
  CHECK(missing_code == 1);
  CHECK(missing_out.find("dcos task log: no task 'nope'") != std::string::npos);

  auto [fail_code, fail_out] = Dcos(dir, "run-fail", {"task", "run", "--master=" + master->address,
                                                      "--", "exit 3"});
  INFO(fail_out);
  CHECK(fail_code == 1);
  CHECK(InOrder(fail_out, {"TASK_RUNNING", "TASK_FAILED: Command exited with status 3"}));

  auto [big_code, big_out] = Dcos(dir, "run-big", {"--timeout=2s", "task", "run",
                                                   "--master=" + master->address, "--cpus=64",
                                                   "--", "true"});
  INFO(big_out);
  CHECK(big_code == 1);
  CHECK(big_out.find("no offer with cpus:64;mem:32 within 2s") != std::string::npos);

  auto [none_code, none_out] =
      Dcos(dir, "run-nomaster", {"task", "run", "--master=127.0.0.1:1", "--", "true"});
  INFO(none_out);
  CHECK(none_code == 1);
  CHECK(none_out.find("dcos task run: the master at 127.0.0.1:1 ended the subscription") !=
        std::string::npos);
}

TEST_CASE("dcos node deactivate, reactivate and drain an agent at the master", "[cli]") {
  std::string dir = MakeTempDir("cli-node");
  TaskReaper reaper;
  auto cluster = MasterAndAgent::Start(dir, reaper);
  REQUIRE(cluster.ok());
  const std::string m = "--master=" + cluster->master.address;
  const std::string& id = cluster->agent_id;
  auto row_of = [&](const std::string& name) {
    auto [code, out] = Dcos(dir, name, {m, "node", "list"});
    REQUIRE(code == 0);
    size_t at = out.find(id);
    REQUIRE(at != std::string::npos);
    return out.substr(at, out.find('\n', at) - at);
  };

  auto [off_code, off_out] = Dcos(dir, "deactivate", {m, "node", "deactivate", id});
  INFO(off_out);
  CHECK(off_code == 0);
  CHECK(off_out == "agent " + id + " deactivated\n");
  CHECK(row_of("list-deactivated").find(" active,deactivated ") != std::string::npos);
  // A task finds no offer while the only agent is deactivated.
  auto [none_code, none_out] =
      Dcos(dir, "run-none", {"--timeout=2s", "task", "run", m, "--cpus=0.1", "--mem=16", "--",
                             "true"});
  INFO(none_out);
  CHECK(none_code == 1);
  CHECK(none_out.find("no offer with") != std::string::npos);

  auto [on_code, on_out] = Dcos(dir, "reactivate", {m, "node", "reactivate", id});
  CHECK(on_code == 0);
  CHECK(on_out == "agent " + id + " reactivated\n");
  CHECK(row_of("list-reactivated").find(" active ") != std::string::npos);

  // Bad command lines change nothing (exit 2); an unknown agent is the master's NOT_FOUND.
  CHECK(Dcos(dir, "drain-noid", {m, "node", "drain"}).first == 2);
  auto [grace_code, grace_out] =
      Dcos(dir, "drain-badgrace", {m, "node", "drain", id, "--max-grace=soon"});
  CHECK(grace_code == 2);
  CHECK(grace_out.find("--max-grace: not a duration >= 0: soon") != std::string::npos);
  CHECK(Dcos(dir, "deactivate-extra", {m, "node", "deactivate", id, "other"}).first == 2);
  CHECK(row_of("list-unchanged").find(" active ") != std::string::npos);
  auto [unknown_code, unknown_out] =
      Dcos(dir, "deactivate-unknown", {m, "node", "deactivate", "S9"});
  CHECK(unknown_code == 1);
  CHECK(unknown_out.find("dcos node deactivate: agent S9 is not known") != std::string::npos);

  // Drained at once (nothing runs there); reactivated, it is offered again.
  auto [drain_code, drain_out] = Dcos(dir, "drain", {m, "node", "drain", id, "--max-grace=1s"});
  INFO(drain_out);
  CHECK(drain_code == 0);
  CHECK(drain_out == "agent " + id + " draining\n");
  CHECK(row_of("list-drained").find(" active,drained ") != std::string::npos);
  CHECK(Dcos(dir, "reactivate-drained", {m, "node", "reactivate", id}).first == 0);
  auto [run_code, run_out] = Dcos(dir, "run-again", {"task", "run", m, "--cpus=0.1", "--mem=16",
                                                     "--", "true"});
  INFO(run_out);
  CHECK(run_code == 0);
}

}  // namespace
}  // namespace dcos::testing
