// launch_bench: how fast one dcos-agent turns launches into running processes, and what it
// costs in memory (issue 6's speed goals). Real processes on loopback: a dcos-master and one
// dcos-agent (no dcos-zk: a single master needs none), the real `dcos` CLI, and this program as
// a framework on the Scheduler API.
//
//   1. the agent's VmRSS once it registered (idle);
//   2. `dcos task run -- true` to its TASK_RUNNING line, --cli_runs times on the idle cluster;
//   3. --tasks `sleep 3600` tasks launched as fast as offers allow (as many per Accept as an
//      offer holds, or --tasks_per_accept): first Accept -> last TASK_RUNNING, tasks/s, and each
//      task's Accept -> RUNNING latency;
//      and where that time went on the agent (launch_stages.h);
//   4. the agent's VmRSS with them all running;
//   5. all killed through the API (timed), the framework torn down, the agent and the master
//      stopped; any process left over (reparented here: this program is a child subreaper) is
//      killed and counted.
//
//   bazel build -c opt //tools/bench:launch_bench //services/agent:dcos-agent
//     //services/master:dcos-master //tools/dcos:dcos
//   bazel-bin/tools/bench/launch_bench [--tasks=1000] [--tasks_per_accept=0] [--cli_runs=20]
//     [--task_cpus=0.1] [--task_mem=32] [--agent_arg=--agent.isolation=posix]...
//     [--master_arg=...]... [--dir=/tmp] [--bin=bazel-bin]

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <optional>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "protos/agent/v1/agent.grpc.pb.h"
#include "tools/bench/bench_process.h"
#include "tools/bench/launch_framework.h"
#include "tools/bench/launch_stages.h"
#include "tools/bench/zk_workload.h"

namespace dcos::bench {
namespace {

struct Flags {
  LaunchOptions launch;
  int cli_runs = 20;
  std::string dir = "/tmp";
  std::string bin = "bazel-bin";
  std::vector<std::string> agent_args;
  std::vector<std::string> master_args;
};

bool ParseFlags(int argc, char** argv, Flags& f) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    std::string v;
    auto value = [&](absl::string_view name) {
      std::string prefix = absl::StrCat("--", name, "=");
      if (a.rfind(prefix, 0) != 0) return false;
      v = a.substr(prefix.size());
      return true;
    };
    if (value("tasks") && absl::SimpleAtoi(v, &f.launch.tasks) && f.launch.tasks > 0) {
    } else if (value("tasks_per_accept") && absl::SimpleAtoi(v, &f.launch.tasks_per_accept) &&
               f.launch.tasks_per_accept >= 0) {
    } else if (value("task_cpus") && absl::SimpleAtod(v, &f.launch.task_cpus) &&
               f.launch.task_cpus > 0) {
    } else if (value("task_mem") && absl::SimpleAtod(v, &f.launch.task_mem) &&
               f.launch.task_mem > 0) {
    } else if (value("cli_runs") && absl::SimpleAtoi(v, &f.cli_runs) && f.cli_runs >= 0) {
    } else if (value("dir") || value("bin")) {
      (a.rfind("--dir=", 0) == 0 ? f.dir : f.bin) = v;
    } else if (value("agent_arg")) {
      f.agent_args.push_back(v);
    } else if (value("master_arg")) {
      f.master_args.push_back(v);
    } else {
      std::fprintf(stderr, "unknown or bad flag: %s (see the top of launch_bench.cc)\n",
                   a.c_str());
      return false;
    }
  }
  return true;
}

double Ms(double us) { return us / 1000.0; }

template <typename Stub>
std::unique_ptr<Stub> Connect(const std::string& address) {
  return std::make_unique<Stub>(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
}

// Polls `ready` every 20 ms until it holds or `timeout` passes.
template <typename Ready>
bool Await(Ready ready, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!ready()) {
    if (absl::Now() > deadline || g_stop_requested.load()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

bool AgentRegistered(const std::string& address) {
  auto stub = Connect<agent::v1::Agent::Stub>(address);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  agent::v1::GetHealthResponse health;
  return stub->GetHealth(&ctx, {}, &health).ok() && health.connected();
}

double RssMiB(pid_t pid) {
  absl::StatusOr<int64_t> rss = ResidentBytes(pid);
  return rss.ok() ? static_cast<double>(*rss) / (1024.0 * 1024.0) : -1;
}

// Runs `dcos task run` to completion; the time from its start to its TASK_RUNNING line.
absl::StatusOr<absl::Duration> TimeTaskRun(const std::string& dcos, const std::string& master) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return absl::InternalError("pipe2");
  std::vector<std::string> args = {dcos,        "task",     "run",     "--master=" + master,
                                   "--cpus=0.1", "--mem=32", "--name=cli", "--",
                                   "true"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  const absl::Time start = absl::Now();
  pid_t pid = 0;
  int spawned = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  if (spawned != 0) {
    close(out[0]);
    return absl::FailedPreconditionError(absl::StrCat("cannot run ", dcos, ": ",
                                                      std::strerror(spawned)));
  }
  std::string text;
  std::optional<absl::Duration> running;
  char buf[512];
  ssize_t n;
  while ((n = read(out[0], buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) text.append(buf, static_cast<size_t>(n));
    if (!running.has_value() && text.find("TASK_RUNNING") != std::string::npos) {
      running = absl::Now() - start;
    }
  }
  close(out[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!running.has_value() || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(absl::StrCat("dcos task run failed; it printed: ", text));
  }
  return *running;
}

// Kills every process whose parent is this one (this program is a child subreaper, so
// supervisors and tasks left behind by a stopped agent end up here), until none is left; how
// many were still running. Zombies (a task's child whose parent ended first) are only reaped.
int KillOrphans() {
  int killed = 0;
  for (;;) {
    std::vector<pid_t> found;
    DIR* proc = opendir("/proc");
    if (proc == nullptr) return killed;
    while (dirent* e = readdir(proc)) {
      int pid = 0;
      if (!absl::SimpleAtoi(e->d_name, &pid)) continue;
      std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
      std::string stat;
      std::getline(in, stat);
      size_t paren = stat.rfind(')');
      int ppid = 0;
      if (paren != std::string::npos &&
          std::sscanf(stat.c_str() + paren + 1, " %*c %d", &ppid) == 1 && ppid == getpid()) {
        found.push_back(pid);
      }
    }
    closedir(proc);
    if (found.empty()) return killed;
    for (pid_t pid : found) {
      std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
      std::string stat;
      std::getline(in, stat);
      const size_t paren = stat.rfind(')');
      // Zombies are processes that ended (re-parented here, their parent gone): reaped only.
      const bool zombie = paren != std::string::npos && stat.compare(paren, 3, ") Z") == 0;
      if (!zombie && killed < 3) {
        std::printf("  left over: %s\n", stat.substr(0, paren + 3).c_str());
      }
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      if (!zombie) ++killed;
    }
  }
}

void Goal(bool met, const std::string& text) {
  std::printf("  [%-7s] %s\n", met ? "met" : "NOT met", text.c_str());
}

std::string AgentStartLine(const ChildProcess& agent) {
  std::ifstream in(agent.log_path());
  std::string line;
  while (std::getline(in, line)) {
    if (line.find("dcos-agent serving") != std::string::npos) return line;
  }
  return "(no 'dcos-agent serving' line in " + agent.log_path() + ")";
}

int Run(const Flags& flags, const std::string& dir) {
  const std::string master_address = absl::StrCat("127.0.0.1:", FreePort());
  const std::string agent_address = absl::StrCat("127.0.0.1:", FreePort());
  std::vector<std::string> master_args = {"--grpc.listen=" + master_address, "--metrics.listen=",
                                          "--shutdown.grace=2s"};
  master_args.insert(master_args.end(), flags.master_args.begin(), flags.master_args.end());
  auto master = ChildProcess::Start(
      {"dcos-master", flags.bin + "/services/master/dcos-master", master_args, dir});
  if (!master.ok()) {
    std::fprintf(stderr, "%s\n", master.status().ToString().c_str());
    return 1;
  }
  const LaunchOptions& lo = flags.launch;
  const std::string resources = absl::StrFormat(
      "cpus:%g;mem:%g;disk:10240;ports:[31000-32000]", lo.task_cpus * (lo.tasks + 2) + 1,
      lo.task_mem * (lo.tasks + 2) + 64);
  std::vector<std::string> agent_args = {"--grpc.listen=" + agent_address, "--metrics.listen=",
                                         "--shutdown.grace=2s", "--agent.master=" + master_address,
                                         "--agent.work_dir=" + dir + "/agent",
                                         "--agent.resources=" + resources};
  agent_args.insert(agent_args.end(), flags.agent_args.begin(), flags.agent_args.end());
  auto agent = ChildProcess::Start(
      {"dcos-agent", flags.bin + "/services/agent/dcos-agent", agent_args, dir});
  if (!agent.ok()) {
    std::fprintf(stderr, "%s\n", agent.status().ToString().c_str());
    return 1;
  }
  if (!Await([&] { return AgentRegistered(agent_address); }, absl::Seconds(30))) {
    std::fprintf(stderr, "the agent did not register within 30 s; its log: %s\n%s\n",
                 (*agent)->log_path().c_str(), (*agent)->LogTail(2000).c_str());
    return 1;
  }
  std::printf("agent: %s\n", AgentStartLine(**agent).c_str());
  // Idle: registered, its first allocation cycles done.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const double rss_idle = RssMiB((*agent)->pid());
  std::printf("agent VmRSS idle: %.1f MiB\n", rss_idle);

  std::vector<double> cli_us;
  for (int i = 0; i < flags.cli_runs && !g_stop_requested.load(); ++i) {
    absl::StatusOr<absl::Duration> t =
        TimeTaskRun(flags.bin + "/tools/dcos/dcos", master_address);
    if (!t.ok()) {
      std::fprintf(stderr, "dcos task run #%d: %s\n", i + 1, t.status().ToString().c_str());
      return 1;
    }
    cli_us.push_back(absl::ToDoubleMicroseconds(*t));
  }
  Percentiles cli = Summarize(cli_us);
  if (!cli_us.empty()) {
    std::printf("dcos task run -- true -> TASK_RUNNING line, %zu runs: p50 %.1f ms, p99 %.1f ms, "
                "min %.1f ms\n",
                cli_us.size(), Ms(cli.p50), Ms(cli.p99),
                Ms(*std::min_element(cli_us.begin(), cli_us.end())));
  }
  const double rss_after_cli = RssMiB((*agent)->pid());

  LaunchFramework framework(master_address);
  absl::Status subscribed = framework.Subscribe(absl::Seconds(10));
  if (!subscribed.ok()) {
    std::fprintf(stderr, "%s\n", subscribed.ToString().c_str());
    return 1;
  }
  const double agent_cpu_before = ProcessCpuSeconds((*agent)->pid());
  const double master_cpu_before = ProcessCpuSeconds((*master)->pid());
  absl::StatusOr<LaunchResult> r = framework.LaunchAll(lo);
  if (!r.ok()) {
    std::fprintf(stderr, "launch: %s\n", r.status().ToString().c_str());
    return 1;
  }
  const double seconds = absl::ToDoubleSeconds(r->last_running - r->first_accept);
  Percentiles lat = Summarize(r->accept_to_running_us);
  const double max_us = r->accept_to_running_us.empty()
                            ? 0
                            : *std::max_element(r->accept_to_running_us.begin(),
                                                r->accept_to_running_us.end());
  std::printf("%d x '%s' (cpus %g, mem %g) in %d Accepts: %d RUNNING, %d failed%s%s\n",
              r->launched, lo.command.c_str(), lo.task_cpus, lo.task_mem, r->accepts, r->running,
              r->failed, r->first_failure.empty() ? "" : "; first: ", r->first_failure.c_str());
  std::printf("first Accept -> last TASK_RUNNING: %.2f s, %.0f tasks/s\n", seconds,
              seconds > 0 ? r->running / seconds : 0);
  std::printf("Accept -> TASK_RUNNING per task: p50 %.0f ms, p99 %.0f ms, max %.0f ms\n",
              Ms(lat.p50), Ms(lat.p99), Ms(max_us));
  const double agent_cpu = ProcessCpuSeconds((*agent)->pid()) - agent_cpu_before;
  const double master_cpu = ProcessCpuSeconds((*master)->pid()) - master_cpu_before;
  std::printf("where the time went (agent's and supervisors' files):\n%s",
              FormatLaunchStages(ReadLaunchStages(dir + "/agent", r->running_at, r->first_accept))
                  .c_str());
  const ChildrenCpu children = SumChildrenCpu((*agent)->pid());
  std::printf("CPU during the launch: agent %.2f s, master %.2f s; since their start: %d "
              "supervisors %.2f s, %d tasks %.2f s; all: %.1f ms a task\n",
              agent_cpu, master_cpu, children.children, children.children_seconds,
              children.grandchildren, children.grandchildren_seconds,
              1000 * (agent_cpu + master_cpu + children.children_seconds +
                      children.grandchildren_seconds) / std::max(1, r->running));
  const double rss_loaded = RssMiB((*agent)->pid());
  std::printf("agent VmRSS with %d tasks running: %.1f MiB (after the CLI runs: %.1f MiB)\n",
              r->running, rss_loaded, rss_after_cli);

  absl::StatusOr<absl::Duration> killed = framework.KillAll(absl::Minutes(2));
  if (killed.ok()) {
    std::printf("all %d killed through the API in %.2f s\n", r->launched,
                absl::ToDoubleSeconds(*killed));
  } else {
    std::printf("kill: %s\n", killed.status().ToString().c_str());
  }
  framework.Teardown();
  std::printf("agent VmRSS after the kill: %.1f MiB\n", RssMiB((*agent)->pid()));
  (*agent)->Stop(absl::Seconds(5));
  (*master)->Stop(absl::Seconds(5));
  std::printf("leftover processes killed after stopping the agent: %d\n", KillOrphans());

  std::printf("\n== issue 6 goals (one agent; machine: %u CPUs shared with whatever else runs) ==\n",
              std::thread::hardware_concurrency());
  Goal(r->running == lo.tasks && seconds < 10.0 * lo.tasks / 1000.0,
       absl::StrFormat("%d sleep tasks RUNNING in under %.0f s: %.2f s", lo.tasks,
                       10.0 * lo.tasks / 1000.0, seconds));
  if (!cli_us.empty()) {
    Goal(cli.p50 < 100000, absl::StrFormat("dcos task run -> TASK_RUNNING under 100 ms: p50 "
                                           "%.1f ms (p99 %.1f ms)",
                                           Ms(cli.p50), Ms(cli.p99)));
  }
  Goal(rss_idle < 30, absl::StrFormat("agent RSS idle under 30 MB: %.1f MiB", rss_idle));
  Goal(rss_loaded < 200, absl::StrFormat("agent RSS with %d tasks under 200 MB: %.1f MiB",
                                         lo.tasks, rss_loaded));
  return r->running == r->launched && killed.ok() ? 0 : 1;
}

int Main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  Flags flags;
  if (!ParseFlags(argc, argv, flags)) return 2;
  InstallStopHandler();
  // Supervisors and tasks orphaned by a stopped agent become our children: KillOrphans.
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  int code = 1;
  {
    absl::StatusOr<std::unique_ptr<TempDir>> tmp = TempDir::Create(flags.dir, "launch-bench");
    if (!tmp.ok()) {
      std::fprintf(stderr, "%s\n", tmp.status().ToString().c_str());
      return 1;
    }
    std::printf("launch_bench: %d tasks, one dcos-master and one dcos-agent on loopback, in %s\n",
                flags.launch.tasks, (*tmp)->path().c_str());
    code = Run(flags, (*tmp)->path());
    KillOrphans();  // also after an early return
  }
  return code;
}

}  // namespace
}  // namespace dcos::bench

int main(int argc, char** argv) { return dcos::bench::Main(argc, argv); }
