// Real processes outside Bazel's sandbox: cgroup isolation (where the host's cgroups are
// writable): the memory limit kills a task that goes over it and the kill is recognised; cpu
// limits and usage are visible; the groups are gone after the container ends. Posix usage
// from /proc. A task run as another user (needs root and real setuid).

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <map>

#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "libs/testing/harness.h"
#include "services/agent/isolator.h"
#include "services/agent/posix_launcher.h"
#include "services/agent/test_util.h"

namespace dcos::agent {
namespace {


LaunchSpec Spec(const std::string& dir, const std::string& id, const std::string& command,
                double cpus, uint64_t mem_mib) {
  LaunchSpec s = ShellSpec(dir, id, command);
  s.cpus = cpus;
  s.mem_bytes = mem_mib << 20;
  return s;
}

TEST_CASE("cgroups: a task over its memory limit is killed and recognised", "[cgroups]") {
  auto isolator = MakeIsolator("auto");
  REQUIRE(isolator.ok());
  if ((*isolator)->kind() == agent::v1::Container::ISOLATION_POSIX) {
    std::printf("SKIPPED: no writable cgroups on this host\n");
    return;
  }
  std::string dir = testing::MakeTempDir("cgroups");
  // The host's cgroups are shared: ids of this run's own (bazel may run the test twice at once).
  const std::string hog_id = absl::StrCat("hog-", getpid());
  const std::string calm_id = absl::StrCat("calm-", getpid());
  LauncherEvents exits;
  PosixLauncher::Options o;
  o.supervisor_path = testing::Runfile("services/agent/dcos-task-supervisor");
  o.isolator = isolator->get();
  PosixLauncher launcher(o, exits.Callback(), exits.LaunchCallback());

  // `tail` keeps a whole newline-free input in memory: 256 MiB against a 32 MiB limit.
  REQUIRE(exits.Start(launcher, Spec(dir, hog_id, "head -c 268435456 /dev/zero | tail", 0.5, 32)).ok());
  ExitInfo hog = exits.Wait(hog_id);
  CHECK(hog.memory_limit_hit);

  // A task within its limits: usage and limits are visible while it runs.
  auto pids = exits.Start(launcher, Spec(dir, calm_id, "sleep 300", 0.5, 64));
  REQUIRE(pids.ok());
  // The task joins its groups in the supervisor's child, before exec, which may come after
  // Start returns.
  agent::v1::ResourceStatistics usage;
  REQUIRE(testing::WaitFor(
              [&] {
                usage = launcher.Usage(calm_id, *pids);
                return usage.processes() >= 1;
              },
              absl::Seconds(10), "the task in its cgroup")
              .ok());
  CHECK(usage.cpus_limit() == 0.5);
  CHECK(usage.mem_limit_bytes() == 64u << 20);
  launcher.Signal(calm_id, SIGKILL);
  ExitInfo calm = exits.Wait(calm_id);
  CHECK_FALSE(calm.memory_limit_hit);
  REQUIRE(calm.wait_status.has_value());
  CHECK(WTERMSIG(*calm.wait_status) == SIGKILL);
  // The groups are removed with the container.
  CHECK_FALSE(std::filesystem::exists("/sys/fs/cgroup/memory/dcos/" + calm_id));
  CHECK_FALSE(std::filesystem::exists("/sys/fs/cgroup/memory/dcos/" + hog_id));
}

TEST_CASE("a task runs as its user; the supervisor stays root", "[user]") {
  if (geteuid() != 0) {
    std::printf("SKIPPED: switching users needs root\n");
    return;
  }
  std::string dir = testing::MakeTempDir("user");
  LauncherEvents exits;
  PosixLauncher::Options o;
  o.supervisor_path = testing::Runfile("services/agent/dcos-task-supervisor");
  PosixLauncher launcher(o, exits.Callback(), exits.LaunchCallback());
  LaunchSpec spec = Spec(dir, "nobody", "id -u; touch mine", 0, 0);
  spec.user = "nobody";
  auto pids = exits.Start(launcher, spec);
  INFO(pids.status().ToString());
  REQUIRE(pids.ok());
  ExitInfo exit = exits.Wait("nobody");
  REQUIRE(exit.wait_status.has_value());
  CHECK(WEXITSTATUS(*exit.wait_status) == 0);
  CHECK(*testing::ReadFile(spec.sandbox_dir + "/stdout") == "65534\n");
  CHECK(std::filesystem::exists(spec.sandbox_dir + "/mine"));
  CHECK(*testing::ReadFile(spec.run_dir + "/exit_status") == "exited 0\n");  // root's file
}

TEST_CASE("posix usage sums the task's process group from /proc", "[cgroups]") {
  std::string dir = testing::MakeTempDir("posix");
  LauncherEvents exits;
  PosixLauncher::Options o;
  o.supervisor_path = testing::Runfile("services/agent/dcos-task-supervisor");
  PosixLauncher launcher(o, exits.Callback(), exits.LaunchCallback());  // posix by default
  CHECK(launcher.isolation() == agent::v1::Container::ISOLATION_POSIX);
  auto pids = exits.Start(launcher, Spec(dir, "two", "sleep 300 & sleep 300", 1, 64));
  REQUIRE(pids.ok());
  REQUIRE(testing::WaitFor([&] { return launcher.Usage("two", *pids).processes() >= 2; },
                           absl::Seconds(10), "two sleeps").ok());
  agent::v1::ResourceStatistics usage = launcher.Usage("two", *pids);
  CHECK(usage.mem_rss_bytes() > 0);
  CHECK(usage.mem_limit_bytes() == 0);
  launcher.Signal("two", SIGKILL);
  exits.Wait("two");
}

}  // namespace
}  // namespace dcos::agent
