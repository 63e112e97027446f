// Tasks in PID namespaces (PosixLauncher with pid_namespace, pid_namespace.h), with real
// processes: the supervisor is the namespace's init (pid 1) and the task pid 2, exit statuses,
// a kill ends a daemon the task started (setsid + double fork), the SIGKILL escalation, a
// restarted agent reattaches and kills, and usage counts the whole namespace. Each case says
// SKIPPED and passes where the host has no PID namespaces (not root, say).

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"
#include "libs/testing/harness.h"
#include "services/agent/container_watcher.h"
#include "services/agent/isolator.h"
#include "services/agent/posix_launcher.h"
#include "services/agent/test_util.h"

namespace dcos::agent {
namespace {

using testing::WaitFor;

std::string Supervisor() { return testing::Runfile("services/agent/dcos-task-supervisor"); }

// True (and a SKIPPED line) where PID namespaces are not available.
bool Unavailable() {
  absl::Status probe = PosixLauncher::ProbePidNamespaces(Supervisor());
  if (probe.ok()) return false;
  std::printf("SKIPPED: %s\n", std::string(probe.message()).c_str());
  return true;
}

PosixLauncher::Options NamespaceOptions() {
  PosixLauncher::Options o;
  o.supervisor_path = Supervisor();
  o.pid_namespace = true;
  return o;
}

LaunchSpec Shell(const std::string& dir, const std::string& id, const std::string& command) {
  return ShellSpec(dir, id, command);
}

std::string Read(const std::string& path) { return ReadOrEmpty(path); }

// Host pids of `sleep <duration>` processes (not the shells whose command lines name them).
std::vector<pid_t> ProcessesWith(const std::string& duration) {
  const std::string wanted = "sleep " + duration + " ";
  std::vector<pid_t> found;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    pid_t pid = 0;
    if (std::sscanf(entry.path().filename().c_str(), "%d", &pid) != 1) continue;
    std::string cmdline = Read(entry.path().string() + "/cmdline");
    for (char& c : cmdline) {
      if (c == '\0') c = ' ';
    }
    if (cmdline == wanted) found.push_back(pid);
  }
  return found;
}

// A sleep with a duration no other process uses: found by ProcessesWith.
std::string UniqueSleep() {
  std::random_device seed;
  return absl::StrCat("3600.", seed() % 1000000 + 1000000);
}

// A command that starts a daemon (setsid + double fork: the daemon leaves the task's process
// group and session and is re-parented), then runs in the foreground.
std::string WithDaemon(const std::string& daemon_sleep) {
  return absl::StrCat("setsid sh -c 'sleep ", daemon_sleep, " & exit 0'; exec sleep 3600");
}

// The "NSpid:" line of /proc/<pid>/status: the pid in each namespace, the host's first.
std::string NamespacePids(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("NSpid:", 0) == 0) return line;
  }
  return "";
}

TEST_CASE("a task in a PID namespace is pid 2 there, its supervisor the init; exit statuses",
          "[pid_namespace]") {
  if (Unavailable()) return;
  std::string dir = testing::MakeTempDir("pidns");
  LauncherEvents events;
  PosixLauncher launcher(NamespaceOptions(), events.Callback(), events.LaunchCallback());
  auto sleeper = events.Start(launcher, Shell(dir, "sleeper", "sleep 3600"));
  REQUIRE(sleeper.ok());
  CHECK(NamespacePids(sleeper->supervisor_pid) ==
        absl::StrCat("NSpid:\t", sleeper->supervisor_pid, "\t1"));
  CHECK(NamespacePids(sleeper->task_pid) == absl::StrCat("NSpid:\t", sleeper->task_pid, "\t2"));
  CHECK(getpgid(sleeper->task_pid) == sleeper->task_pid);
  launcher.Signal("sleeper", SIGKILL);
  events.Wait("sleeper");

  LaunchSpec self = Shell(dir, "self", "echo $$; exit 3");
  auto pids = events.Start(launcher, self);
  REQUIRE(pids.ok());
  ExitInfo exit = events.Wait("self");
  REQUIRE(exit.wait_status.has_value());
  CHECK(WIFEXITED(*exit.wait_status));
  CHECK(WEXITSTATUS(*exit.wait_status) == 3);
  CHECK(Read(self.sandbox_dir + "/stdout") == "2\n");

  LaunchSpec missing = Shell(dir, "missing", "no-such-command-here");
  missing.shell = false;
  auto failed = events.Start(launcher, missing);
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.status().message() ==
        "cannot execute 'no-such-command-here': No such file or directory");
}

TEST_CASE("killing a task in a PID namespace ends the daemon it started", "[pid_namespace]") {
  if (Unavailable()) return;
  std::string dir = testing::MakeTempDir("pidns");
  LauncherEvents events;
  PosixLauncher launcher(NamespaceOptions(), events.Callback(), events.LaunchCallback());
  const std::string daemon = UniqueSleep();
  auto pids = events.Start(launcher, Shell(dir, "daemon", WithDaemon(daemon)));
  REQUIRE(pids.ok());
  REQUIRE(WaitFor([&] { return !ProcessesWith(daemon).empty(); }, absl::Seconds(10),
                  "the daemon started")
              .ok());
  const pid_t daemon_pid = ProcessesWith(daemon).front();
  CHECK(getsid(daemon_pid) != getsid(pids->task_pid));  // it left the session

  // Usage counts every process of the namespace: the supervisor (its init), the task, the
  // daemon.
  agent::v1::ResourceStatistics usage = ProcUsage(pids->task_pid);
  CHECK(usage.processes() >= 3);

  launcher.Signal("daemon", SIGTERM);
  ExitInfo exit = events.Wait("daemon");
  REQUIRE(exit.wait_status.has_value());
  CHECK(WIFSIGNALED(*exit.wait_status));
  CHECK(WTERMSIG(*exit.wait_status) == SIGTERM);  // the task's own status
  // The namespace is empty before the supervisor's wait returns.
  CHECK(ProcessesWith(daemon).empty());
}

TEST_CASE("a task that ignores SIGTERM in a PID namespace ends with SIGKILL", "[pid_namespace]") {
  if (Unavailable()) return;
  std::string dir = testing::MakeTempDir("pidns");
  LauncherEvents events;
  PosixLauncher launcher(NamespaceOptions(), events.Callback(), events.LaunchCallback());
  const std::string daemon = UniqueSleep();
  auto pids = events.Start(
      launcher, Shell(dir, "stubborn", "trap '' TERM; echo ready; " + WithDaemon(daemon)));
  REQUIRE(pids.ok());
  REQUIRE(WaitFor([&] { return !ProcessesWith(daemon).empty(); }, absl::Seconds(10),
                  "the daemon started")
              .ok());
  launcher.Signal("stubborn", SIGTERM);
  launcher.Signal("stubborn", SIGKILL);
  ExitInfo exit = events.Wait("stubborn");
  REQUIRE(exit.wait_status.has_value());
  CHECK(WIFSIGNALED(*exit.wait_status));
  CHECK(WTERMSIG(*exit.wait_status) == SIGKILL);
  CHECK(ProcessesWith(daemon).empty());
}

TEST_CASE("a restarted agent reattaches to a task in a PID namespace and kills it all",
          "[pid_namespace]") {
  if (Unavailable()) return;
  std::string dir = testing::MakeTempDir("pidns");
  const std::string daemon = UniqueSleep();
  LaunchSpec spec = Shell(dir, "survivor", WithDaemon(daemon));
  ContainerPids pids;
  {
    LauncherEvents first;
    PosixLauncher launcher(NamespaceOptions(), first.Callback(), first.LaunchCallback());
    auto started = first.Start(launcher, spec);
    REQUIRE(started.ok());
    pids = *started;
  }  // the agent goes away; the task stays
  REQUIRE(WaitFor([&] { return !ProcessesWith(daemon).empty(); }, absl::Seconds(10),
                  "the daemon started")
              .ok());
  REQUIRE(SameProcess(pids.task_pid, pids.task_start));

  LauncherEvents second;
  PosixLauncher launcher(NamespaceOptions(), second.Callback(), second.LaunchCallback());
  auto recovered = launcher.Recover("survivor", spec.run_dir);
  REQUIRE(recovered.ok());
  REQUIRE(recovered->state == RecoveredContainer::State::kRunning);
  CHECK(recovered->pids.task_pid == pids.task_pid);
  launcher.Signal("survivor", SIGTERM);
  ExitInfo exit = second.Wait("survivor");
  REQUIRE(exit.wait_status.has_value());
  CHECK(WIFSIGNALED(*exit.wait_status));
  CHECK(ProcessesWith(daemon).empty());
}

}  // namespace
}  // namespace dcos::agent
