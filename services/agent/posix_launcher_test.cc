// PosixLauncher with real processes: output and working directory, exit codes, exec failures,
// kill of the whole process group, a task that ignores SIGTERM, reattaching from a new
// launcher (an agent restart), pid reuse, a supervisor that dies.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include <catch2/catch.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "libs/testing/harness.h"
#include "services/agent/container_watcher.h"
#include "services/agent/posix_launcher.h"
#include "services/agent/supervisor_files.h"
#include "services/agent/test_util.h"

namespace dcos::agent {
namespace {

using testing::WaitFor;


PosixLauncher::Options Options() {
  PosixLauncher::Options o;
  o.supervisor_path = testing::Runfile("services/agent/dcos-task-supervisor");
  return o;
}

LaunchSpec Shell(const std::string& dir, const std::string& id, const std::string& command) {
  LaunchSpec s = ShellSpec(dir, id, command);
  s.environment.emplace_back("GREETING", "hello there");
  return s;
}

std::string Read(const std::string& path) { return ReadOrEmpty(path); }

bool Alive(pid_t pid) { return kill(pid, 0) == 0; }

TEST_CASE("a task runs in its sandbox with its environment and output files", "[launcher]") {
  std::string dir = testing::MakeTempDir("launcher");
  LauncherEvents exits;
  PosixLauncher launcher(Options(), exits.Callback(), exits.LaunchCallback());
  LaunchSpec spec = Shell(dir, "c1", "echo $GREETING; pwd; echo oops >&2; test -z \"$HOME\"");
  auto pids = exits.Start(launcher, spec);
  REQUIRE(pids.ok());
  CHECK(pids->task_pid > 0);
  CHECK(pids->supervisor_pid != pids->task_pid);
  ExitInfo exit = exits.Wait("c1");
  REQUIRE(exit.wait_status.has_value());
  CHECK(WIFEXITED(*exit.wait_status));
  CHECK(WEXITSTATUS(*exit.wait_status) == 0);
  CHECK(Read(spec.sandbox_dir + "/stdout") ==
        "hello there\n" + std::filesystem::canonical(spec.sandbox_dir).string() + "\n");
  CHECK(Read(spec.sandbox_dir + "/stderr") == "oops\n");
  CHECK(Read(spec.run_dir + "/exit_status") == "exited 0\n");
}

TEST_CASE("exit codes, argv mode and commands that cannot be executed", "[launcher]") {
  std::string dir = testing::MakeTempDir("launcher");
  LauncherEvents exits;
  PosixLauncher launcher(Options(), exits.Callback(), exits.LaunchCallback());
  REQUIRE(exits.Start(launcher, Shell(dir, "fail", "exit 3")).ok());
  ExitInfo exit = exits.Wait("fail");
  REQUIRE(exit.wait_status.has_value());
  CHECK(WEXITSTATUS(*exit.wait_status) == 3);

  LaunchSpec argv = Shell(dir, "argv", "echo");
  argv.shell = false;
  argv.arguments = {"echo", "a", "b c"};
  REQUIRE(exits.Start(launcher, argv).ok());
  exits.Wait("argv");
  CHECK(Read(argv.sandbox_dir + "/stdout") == "a b c\n");

  LaunchSpec missing = Shell(dir, "missing", "no-such-command-here");
  missing.shell = false;
  auto pids = exits.Start(launcher, missing);
  REQUIRE_FALSE(pids.ok());
  CHECK(pids.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(pids.status().message() ==
        "cannot execute 'no-such-command-here': No such file or directory");

  LaunchSpec nobody = Shell(dir, "user", "true");
  nobody.user = "no-such-user-xyz";
  pids = exits.Start(launcher, nobody);
  REQUIRE_FALSE(pids.ok());
  CHECK(pids.status().message().find("unknown user 'no-such-user-xyz'") == 0);

  std::ofstream(dir + "/a-file") << "x";
  LaunchSpec bad_sandbox = Shell(dir, "sandbox", "true");
  bad_sandbox.sandbox_dir = dir + "/a-file/sandbox";
  pids = exits.Start(launcher, bad_sandbox);
  REQUIRE_FALSE(pids.ok());
  CHECK(pids.status().message().find("cannot create the sandbox") == 0);

  PosixLauncher::Options no_supervisor = Options();
  no_supervisor.supervisor_path = "/no/such/supervisor";
  PosixLauncher broken(no_supervisor, exits.Callback(), exits.LaunchCallback());
  pids = exits.Start(broken, Shell(dir, "nosup", "true"));
  REQUIRE_FALSE(pids.ok());
  CHECK(pids.status().code() == absl::StatusCode::kInternal);
  CHECK(pids.status().message().find("/no/such/supervisor") != std::string::npos);
}

TEST_CASE("SIGTERM reaches the whole process group", "[launcher]") {
  std::string dir = testing::MakeTempDir("launcher");
  LauncherEvents exits;
  PosixLauncher launcher(Options(), exits.Callback(), exits.LaunchCallback());
  LaunchSpec spec = Shell(dir, "group", "sleep 300 & echo $! > child.pid; wait");
  auto pids = exits.Start(launcher, spec);
  REQUIRE(pids.ok());
  pid_t child = 0;
  REQUIRE(WaitFor([&] {
            return absl::SimpleAtoi(absl::StripAsciiWhitespace(Read(spec.sandbox_dir + "/child.pid")),
                                    &child);
          }, absl::Seconds(10), "child.pid").ok());
  CHECK(Alive(child));
  launcher.Signal("group", SIGTERM);
  ExitInfo exit = exits.Wait("group");
  REQUIRE(exit.wait_status.has_value());
  CHECK(WIFSIGNALED(*exit.wait_status));
  CHECK(WTERMSIG(*exit.wait_status) == SIGTERM);
  REQUIRE(WaitFor([&] { return !Alive(child); }, absl::Seconds(10), "the background child gone").ok());
  launcher.Signal("group", SIGKILL);  // an ended container: nothing happens
}

TEST_CASE("a task that ignores SIGTERM dies by SIGKILL", "[launcher]") {
  std::string dir = testing::MakeTempDir("launcher");
  LauncherEvents exits;
  PosixLauncher launcher(Options(), exits.Callback(), exits.LaunchCallback());
  LaunchSpec spec = Shell(dir, "stubborn",
                          "trap 'echo got-term' TERM; echo ready; while true; do sleep 0.05; done");
  REQUIRE(exits.Start(launcher, spec).ok());
  REQUIRE(WaitFor([&] { return Read(spec.sandbox_dir + "/stdout") == "ready\n"; }, absl::Seconds(10),
                  "ready").ok());
  launcher.Signal("stubborn", SIGTERM);
  REQUIRE(WaitFor([&] { return Read(spec.sandbox_dir + "/stdout").find("got-term") != std::string::npos; },
                  absl::Seconds(10), "the trap ran").ok());
  CHECK_FALSE(exits.Get("stubborn").has_value());
  launcher.Signal("stubborn", SIGKILL);
  ExitInfo exit = exits.Wait("stubborn");
  REQUIRE(exit.wait_status.has_value());
  CHECK(WTERMSIG(*exit.wait_status) == SIGKILL);
}

TEST_CASE("a new launcher reattaches to running tasks and learns of ended ones", "[launcher]") {
  std::string dir = testing::MakeTempDir("launcher");
  LauncherEvents first_exits, exits;
  LaunchSpec running = Shell(dir, "running", "sleep 300");
  LaunchSpec ended = Shell(dir, "ended", "read line; exit 7");
  ContainerPids running_pids, ended_pids;
  {
    PosixLauncher first(Options(), first_exits.Callback(), first_exits.LaunchCallback());
    auto pids = first_exits.Start(first, running);
    REQUIRE(pids.ok());
    running_pids = *pids;
    auto ended_launch = first_exits.Start(first, ended);
    REQUIRE(ended_launch.ok());
    ended_pids = *ended_launch;
  }  // the "agent" stops: its tasks keep running
  CHECK(Alive(running_pids.task_pid));
  PosixLauncher second(Options(), exits.Callback(), exits.LaunchCallback());
  // The ended one exits while nobody watches (stdin is /dev/null: `read` fails at once).
  REQUIRE(WaitFor([&] { return std::filesystem::exists(ended.run_dir + "/exit_status"); },
                  absl::Seconds(10), "exit_status").ok());
  // Its supervisor is this test's child: reap it, as init would after a real agent restart.
  waitpid(ended_pids.supervisor_pid, nullptr, 0);
  auto rec = second.Recover("ended", ended.run_dir);
  REQUIRE(rec.ok());
  CHECK(rec->state == RecoveredContainer::State::kExited);
  REQUIRE(rec->exit.wait_status.has_value());
  CHECK(WEXITSTATUS(*rec->exit.wait_status) == 7);

  rec = second.Recover("running", running.run_dir);
  REQUIRE(rec.ok());
  CHECK(rec->state == RecoveredContainer::State::kRunning);
  CHECK(rec->pids.task_pid == running_pids.task_pid);
  CHECK(rec->pids.supervisor_start == running_pids.supervisor_start);
  second.Signal("running", SIGKILL);
  ExitInfo exit = exits.Wait("running");
  REQUIRE(exit.wait_status.has_value());
  CHECK(WTERMSIG(*exit.wait_status) == SIGKILL);
  // The supervisors are still this test's children: reap them.
  waitpid(running_pids.supervisor_pid, nullptr, 0);
  waitpid(-1, nullptr, WNOHANG);

  rec = second.Recover("never", dir + "/run-never");
  REQUIRE(rec.ok());
  CHECK(rec->state == RecoveredContainer::State::kNeverStarted);
}

TEST_CASE("a reused pid is not taken for the supervisor", "[launcher]") {
  std::string dir = testing::MakeTempDir("launcher");
  std::filesystem::create_directories(dir + "/run");
  // Our own pid, with a start time that is not ours.
  std::ofstream(dir + "/run/pids") << "1 " << getpid() << " 12345 " << getpid() << " 12345\n";
  LauncherEvents exits;
  PosixLauncher launcher(Options(), exits.Callback(), exits.LaunchCallback());
  auto rec = launcher.Recover("old", dir + "/run");
  REQUIRE(rec.ok());
  CHECK(rec->state == RecoveredContainer::State::kExited);
  CHECK_FALSE(rec->exit.wait_status.has_value());
  CHECK(rec->exit.message.find("ended without recording") != std::string::npos);

  std::ofstream(dir + "/run/pids", std::ios::trunc) << "garbage";
  rec = launcher.Recover("old", dir + "/run");
  REQUIRE_FALSE(rec.ok());
  CHECK(rec.status().code() == absl::StatusCode::kDataLoss);
}

TEST_CASE("a dead supervisor: the exit is unknown and the task is killed", "[launcher]") {
  std::string dir = testing::MakeTempDir("launcher");
  LauncherEvents exits;
  PosixLauncher launcher(Options(), exits.Callback(), exits.LaunchCallback());
  auto pids = exits.Start(launcher, Shell(dir, "orphan", "sleep 300"));
  REQUIRE(pids.ok());
  kill(pids->supervisor_pid, SIGKILL);
  ExitInfo exit = exits.Wait("orphan");
  CHECK_FALSE(exit.wait_status.has_value());
  CHECK(exit.message.find("ended without recording") != std::string::npos);
  REQUIRE(WaitFor([&] { return !Alive(pids->task_pid) || !SameProcess(pids->task_pid, pids->task_start); },
                  absl::Seconds(10), "the orphaned task killed").ok());
}

TEST_CASE("pids files and exit statuses parse", "[launcher]") {
  auto pids = ParsePidsFile("1 10 200 11 201\n", "p");
  REQUIRE(pids.ok());
  CHECK(pids->supervisor_pid == 10);
  CHECK(pids->task_start == 201);
  CHECK_FALSE(ParsePidsFile("2 10 200 11 201\n", "p").ok());
  CHECK_FALSE(ParsePidsFile("1 10", "p").ok());
  CHECK(SameProcess(getpid(), supervisor::ReadStartTime(getpid())));
  CHECK_FALSE(SameProcess(getpid(), 1));
}

}  // namespace
}  // namespace dcos::agent
