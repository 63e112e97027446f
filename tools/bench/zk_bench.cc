// zk_bench: dcos-zk side by side with Apache ZooKeeper 3.8, in one run, on loopback.
//
// For each system: starts a 3-member ensemble (data under a temp dir, real fsync), connects
// N clients round-robin over the members, and drives the same closed-loop workload — 1 KiB
// sets, gets, create+delete and a fixed mix — at 1, 32 and 256 requests in flight; then
// creates 100,000 znodes of 100 bytes and reads each member's VmRSS; then kill -9 of the
// leader and the time until a client's write succeeds. Prints a side-by-side table and the
// goals of issue 4 ("Speed and memory") with met / not met. Asserts nothing.
//
//   bazel build -c opt //tools/bench:zk_bench //services/zk-ensemble:dcos-zk
//   bazel-bin/tools/bench/zk_bench [--dcos_zk=bazel-bin/services/zk-ensemble/dcos-zk]
//       [--dcos_zk_arg=--raft.tick=20ms ...] [--dcos_zk_client=pipeline|unary] [--connections=6] [--seconds=5] [--warmup=1]
//       [--levels=1,32,256] [--phases=set,get,create+delete,mix] [--znodes=100000] [--systems=dcos-zk,zookeeper]
//       [--dir=/var/tmp] [--java=/usr/bin/java] [--zk_classpath=/usr/share/java/zookeeper.jar]
//       [--zk_heap=1000m]
//
// Every process it starts is stopped when it ends, also on error or Ctrl-C (and killed by the
// kernel if the benchmark itself is killed); its temp dir is removed.

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "tools/bench/apache_zk_ensemble.h"
#include "tools/bench/bench_process.h"
#include "tools/bench/dcos_zk_ensemble.h"
#include "tools/bench/zk_workload.h"

namespace dcos::bench {
namespace {

struct Flags {
  std::string dcos_zk = "bazel-bin/services/zk-ensemble/dcos-zk";
  std::vector<std::string> dcos_zk_args;
  bool dcos_zk_pipeline = true;
  std::string dir = "/var/tmp";
  int connections = 6;
  double seconds = 5;
  double warmup = 1;
  std::vector<int> levels = {1, 32, 256};
  std::vector<Phase> phases = {Phase::kSet, Phase::kGet, Phase::kCreateDelete, Phase::kMix};
  int znodes = 100000;
  bool run_dcos = true, run_zk = true;
  ApacheZkOptions zk;
};


struct SystemResult {
  std::string name;
  std::string error;  // empty if every step ran
  absl::Duration started_in;
  std::map<std::pair<int, Phase>, PhaseResult> phases;
  std::vector<int64_t> rss_after_workload, rss_with_znodes;
  int znodes_created = 0;
  double znodes_seconds = 0;
  bool failover_ok = false;
  absl::Duration failover;
  std::string failover_error;
};

double Mb(int64_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }
double Ms(double us) { return us / 1000.0; }

int64_t MaxOf(const std::vector<int64_t>& v) {
  int64_t m = 0;
  for (int64_t x : v) m = std::max(m, x);
  return m;
}

std::string RssList(const std::vector<int64_t>& rss) {
  std::string out;
  for (int64_t b : rss) absl::StrAppend(&out, out.empty() ? "" : " / ", absl::StrFormat("%.0f", Mb(b)));
  return out + " MB";
}

std::vector<int64_t> Rss(ZkEnsemble& e) {
  std::vector<int64_t> out;
  for (pid_t pid : e.pids()) {
    absl::StatusOr<int64_t> r = ResidentBytes(pid);
    out.push_back(r.ok() ? *r : 0);
  }
  return out;
}

// One op, waited for; true if it succeeded.
bool IssueAndWait(ZkDriver& d, ZkOp op, const std::string& path, const std::string& data) {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false, ok = false;
  d.Issue(0, op, path, &data, [&](bool success) {
    std::lock_guard<std::mutex> lock(mu);
    done = true;
    ok = success;
    cv.notify_all();
  });
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return done; });
  return ok;
}

// Runs every step against one ensemble; fills `r` as far as it gets.
void Drive(ZkEnsemble& ensemble, const Flags& flags, SystemResult& r) {
  const std::string kib(1024, 'd');
  const std::string small(100, 'm');
  {
    absl::StatusOr<std::unique_ptr<ZkDriver>> driver = ensemble.Connect(flags.connections);
    if (!driver.ok()) {
      r.error = "connect: " + driver.status().ToString();
      return;
    }
    ZkDriver& d = **driver;
    for (const char* parent : {"/bench", "/mem"}) {
      if (!IssueAndWait(d, ZkOp::kCreate, parent, small)) {
        r.error = absl::StrCat("could not create ", parent);
        return;
      }
    }
    absl::StatusOr<int> keys = CreateMany(d, "/bench/k", 256, kib, 32);
    if (!keys.ok() || *keys != 256) {
      r.error = "creating the 256 keys: " +
                (keys.ok() ? absl::StrCat("only ", *keys, " created") : keys.status().ToString());
      return;
    }
    std::printf("  %-8s %-22s %10s %9s %9s %9s %7s\n", "in-flight", "phase", "ops/s", "p50 ms",
                "p99 ms", "p99.9 ms", "errors");
    for (int level : flags.levels) {
      for (Phase phase : flags.phases) {
        RunOptions o;
        o.in_flight = level;
        o.warmup = absl::Seconds(flags.warmup);
        o.measure = absl::Seconds(flags.seconds);
        o.data = &kib;
        PhaseResult pr;
        absl::Status s = RunPhase(d, phase, o, &pr);
        if (!s.ok()) {
          r.error = absl::StrCat(PhaseName(phase), " at ", level, " in flight: ", s.ToString());
          return;
        }
        r.phases[{level, phase}] = pr;
        std::printf("  %-8d %-22s %10.0f %9.2f %9.2f %9.2f %7llu\n", level, PhaseName(phase),
                    pr.ops_per_second, Ms(pr.latency.p50), Ms(pr.latency.p99),
                    Ms(pr.latency.p999), static_cast<unsigned long long>(pr.errors));
        if (pr.errors > 0) std::printf("           first error: %s\n", pr.first_error.c_str());
      }
    }
    r.rss_after_workload = Rss(ensemble);
    std::printf("  resident memory after the workload: %s\n", RssList(r.rss_after_workload).c_str());
    auto t0 = std::chrono::steady_clock::now();
    absl::StatusOr<int> made = CreateMany(d, "/mem/n", flags.znodes, small, 256);
    r.znodes_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!made.ok()) {
      r.error = "creating znodes: " + made.status().ToString();
      return;
    }
    r.znodes_created = *made;
    std::this_thread::sleep_for(std::chrono::seconds(1));  // followers apply the tail
    r.rss_with_znodes = Rss(ensemble);
    std::printf("  created %d znodes of 100 B in %.1f s (%.0f/s); resident memory: %s\n",
                r.znodes_created, r.znodes_seconds, r.znodes_created / r.znodes_seconds,
                RssList(r.rss_with_znodes).c_str());
  }  // clients closed before the kill
  absl::StatusOr<absl::Duration> failover = ensemble.KillLeaderAndTimeFirstWrite();
  if (failover.ok()) {
    r.failover_ok = true;
    r.failover = *failover;
    std::printf("  kill -9 of the leader -> first successful write: %.0f ms\n",
                absl::ToDoubleMilliseconds(r.failover));
  } else {
    r.failover_error = failover.status().ToString();
    std::printf("  failover: %s\n", r.failover_error.c_str());
  }
}

bool ParseFlags(int argc, char** argv, Flags& f) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](absl::string_view name, std::string* out) {
      std::string prefix = absl::StrCat("--", name, "=");
      if (a.rfind(prefix, 0) != 0) return false;
      *out = a.substr(prefix.size());
      return true;
    };
    std::string v;
    if (value("dcos_zk", &f.dcos_zk) || value("dir", &f.dir) || value("java", &f.zk.java) ||
        value("zk_classpath", &f.zk.classpath) || value("zk_heap", &f.zk.heap)) {
      continue;
    }
    if (value("dcos_zk_arg", &v)) {
      f.dcos_zk_args.push_back(v);
    } else if (value("dcos_zk_client", &v) && (v == "pipeline" || v == "unary")) {
      f.dcos_zk_pipeline = v == "pipeline";
    } else if (value("connections", &v) && absl::SimpleAtoi(v, &f.connections) &&
               f.connections > 0) {
    } else if (value("seconds", &v) && absl::SimpleAtod(v, &f.seconds) && f.seconds > 0) {
    } else if (value("warmup", &v) && absl::SimpleAtod(v, &f.warmup) && f.warmup >= 0) {
    } else if (value("znodes", &v) && absl::SimpleAtoi(v, &f.znodes) && f.znodes >= 0) {
    } else if (value("levels", &v)) {
      f.levels.clear();
      for (absl::string_view l : absl::StrSplit(v, ',')) {
        int n = 0;
        if (!absl::SimpleAtoi(l, &n) || n <= 0) return false;
        f.levels.push_back(n);
      }
    } else if (value("phases", &v)) {
      f.phases.clear();
      for (absl::string_view name : absl::StrSplit(v, ',')) {
        std::optional<Phase> phase = PhaseNamed(name);
        if (!phase) return false;
        f.phases.push_back(*phase);
      }
    } else if (value("systems", &v)) {
      f.run_dcos = absl::StrContains(v, "dcos-zk");
      f.run_zk = absl::StrContains(v, "zookeeper");
    } else {
      std::fprintf(stderr, "unknown or bad flag: %s (see the comment at the top of zk_bench.cc)\n",
                   a.c_str());
      return false;
    }
  }
  return true;
}

std::string Cell(const SystemResult& r, int level, Phase phase) {
  auto it = r.phases.find({level, phase});
  if (it == r.phases.end()) return absl::StrFormat("%8s %7s %7s %7s", "-", "-", "-", "-");
  const PhaseResult& p = it->second;
  return absl::StrFormat("%8.0f %7.2f %7.2f %7.2f", p.ops_per_second, Ms(p.latency.p50),
                         Ms(p.latency.p99), Ms(p.latency.p999));
}

const PhaseResult* Find(const SystemResult& r, int level, Phase phase) {
  auto it = r.phases.find({level, phase});
  return it == r.phases.end() ? nullptr : &it->second;
}

void Goal(bool measurable, bool met, const std::string& text) {
  std::printf("  [%-7s] %s\n", !measurable ? "n/a" : met ? "met" : "NOT met", text.c_str());
}

void Report(const Flags& flags, const SystemResult& ours, const SystemResult& zk,
            const Percentiles& fsync) {
  std::printf("\n== side by side: ops/s, then latency p50 / p99 / p99.9 in ms ==\n");
  std::printf("%-9s %-20s | %-32s | %-32s | %s\n", "in-flight", "phase", "dcos-zk", "ZooKeeper 3.8",
              "ops ratio");
  for (int level : flags.levels) {
    for (Phase phase : flags.phases) {
      const PhaseResult* a = Find(ours, level, phase);
      const PhaseResult* b = Find(zk, level, phase);
      std::string ratio = a != nullptr && b != nullptr && b->ops_per_second > 0
                              ? absl::StrFormat("%.2fx", a->ops_per_second / b->ops_per_second)
                              : "-";
      std::printf("%-9d %-20s | %s | %s | %s\n", level, PhaseName(phase),
                  Cell(ours, level, phase).c_str(), Cell(zk, level, phase).c_str(), ratio.c_str());
    }
  }
  auto rss = [](const SystemResult& r, const std::vector<int64_t>& v) {
    return v.empty() ? std::string("-") : RssList(v) + " (max " +
                                              absl::StrFormat("%.0f", Mb(MaxOf(v))) + " MB)";
  };
  auto failover = [](const SystemResult& r) {
    return r.failover_ok ? absl::StrFormat("%.0f ms", absl::ToDoubleMilliseconds(r.failover))
                         : std::string("-");
  };
  std::printf("\n%-44s | %-30s | %s\n", "", "dcos-zk", "ZooKeeper 3.8");
  std::printf("%-44s | %-30s | %s\n", "started, first write accepted after",
              absl::FormatDuration(ours.started_in).c_str(), absl::FormatDuration(zk.started_in).c_str());
  const PhaseResult* ours1 = Find(ours, 1, Phase::kSet);
  const PhaseResult* zk1 = Find(zk, 1, Phase::kSet);
  std::printf("%-44s | %-30s | %s\n", "1 outstanding set p50 (fdatasync p50 below)",
              ours1 ? absl::StrFormat("%.2f ms (%.2fx fdatasync)", Ms(ours1->latency.p50),
                                      ours1->latency.p50 / fsync.p50).c_str() : "-",
              zk1 ? absl::StrFormat("%.2f ms (%.2fx fdatasync)", Ms(zk1->latency.p50),
                                    zk1->latency.p50 / fsync.p50).c_str() : "-");
  std::printf("%-44s | %-30s | %s\n", "write(1100 B) + fdatasync p50 (lower of two)",
              absl::StrFormat("%.2f ms", Ms(fsync.p50)).c_str(), "(same)");
  std::printf("%-44s | %-30s | %s\n", "kill -9 of the leader -> first write",
              failover(ours).c_str(), failover(zk).c_str());
  std::printf("%-44s | %-30s | %s\n", "RSS per member after the workload",
              rss(ours, ours.rss_after_workload).c_str(), rss(zk, zk.rss_after_workload).c_str());
  std::printf("%-44s | %-30s | %s\n",
              absl::StrFormat("RSS per member with %d znodes of 100 B", flags.znodes).c_str(),
              rss(ours, ours.rss_with_znodes).c_str(), rss(zk, zk.rss_with_znodes).c_str());
  std::printf("%-44s | %-30s | %s\n", "  (creating them took)",
              absl::StrFormat("%.1f s", ours.znodes_seconds).c_str(),
              absl::StrFormat("%.1f s", zk.znodes_seconds).c_str());

  int top = flags.levels.empty() ? 0 : *std::max_element(flags.levels.begin(), flags.levels.end());
  std::printf("\n== goals (issue 4, \"Speed and memory\"), measured in this run ==\n");
  for (auto [phase, what] : {std::pair{Phase::kSet, "write"}, std::pair{Phase::kGet, "read"}}) {
    const PhaseResult* a = Find(ours, top, phase);
    const PhaseResult* b = Find(zk, top, phase);
    bool ok = a && b && b->ops_per_second > 0;
    double ratio = ok ? a->ops_per_second / b->ops_per_second : 0;
    Goal(ok, ratio >= 1.5,
         absl::StrFormat("%s throughput >= 1.5x ZooKeeper's (%s, %d in flight): %.0f vs %.0f "
                         "ops/s = %.2fx",
                         what, PhaseName(phase), top, a ? a->ops_per_second : 0,
                         b ? b->ops_per_second : 0, ratio));
  }
  {
    bool measurable = true, met = true;
    std::string detail;
    for (int level : flags.levels) {
      const PhaseResult* a = Find(ours, level, Phase::kSet);
      const PhaseResult* b = Find(zk, level, Phase::kSet);
      if (!a || !b) {
        measurable = false;
        continue;
      }
      met = met && a->latency.p999 <= 0.5 * b->latency.p999;
      absl::StrAppend(&detail, detail.empty() ? "" : "; ",
                      absl::StrFormat("%d: %.2f vs %.2f ms", level, Ms(a->latency.p999),
                                      Ms(b->latency.p999)));
    }
    Goal(measurable, met, "p99.9 set latency <= half of ZooKeeper's at every level (" + detail + ")");
  }
  Goal(ours1 != nullptr, ours1 && ours1->latency.p50 <= 2 * fsync.p50,
       absl::StrFormat("single-outstanding set p50 <= 2x fdatasync p50: %.2f ms vs 2 x %.2f ms",
                       ours1 ? Ms(ours1->latency.p50) : 0.0, Ms(fsync.p50)));
  Goal(ours.failover_ok, ours.failover < absl::Milliseconds(300),
       absl::StrFormat("kill -9 of the leader -> first write < 300 ms: %s (ZooKeeper %s)",
                       failover(ours), failover(zk)));
  Goal(!ours.rss_with_znodes.empty(), MaxOf(ours.rss_with_znodes) < 150LL * 1024 * 1024,
       absl::StrFormat("RSS with %d znodes of 100 B < 150 MB per member: max %.0f MB "
                       "(ZooKeeper max %.0f MB)",
                       flags.znodes, Mb(MaxOf(ours.rss_with_znodes)), Mb(MaxOf(zk.rss_with_znodes))));
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return absl::StrCat(a, " ", b, " ", c);
}

}  // namespace

int Main(int argc, char** argv) {
  // As the services do (libs/runtime/main.cc): no lock-order graph in measured code.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  Flags flags;
  if (!ParseFlags(argc, argv, flags)) return 2;
  InstallStopHandler();
  absl::StatusOr<std::unique_ptr<TempDir>> tmp = TempDir::Create(flags.dir, "zk-bench");
  if (!tmp.ok()) {
    std::fprintf(stderr, "%s\n", tmp.status().ToString().c_str());
    return 1;
  }
  const std::string& dir = (*tmp)->path();
  std::printf("zk_bench: 3-member ensembles on loopback, %d connections, 1 KiB data, %.0f s per "
              "phase after %.0f s warm-up; data in %s\n",
              flags.connections, flags.seconds, flags.warmup, dir.c_str());
  std::printf("machine: %u CPUs, load average %s (servers and this load generator share them)\n",
              std::thread::hardware_concurrency(), LoadAverage().c_str());

  // The floor under a replicated write: one write + fdatasync on this disk, appending to a
  // growing file and overwriting preallocated space; the goal uses the lower p50.
  Percentiles fsync;
  for (bool preallocated : {false, true}) {
    absl::StatusOr<std::vector<double>> floor = FdatasyncLatencies(dir, 1100, 1000, preallocated);
    if (!floor.ok()) {
      std::fprintf(stderr, "%s\n", floor.status().ToString().c_str());
      return 1;
    }
    Percentiles p = Summarize(*floor);
    std::printf("disk: write(1100 B) + fdatasync, 1000 times, %-19s p50 %.2f ms, p99 %.2f ms, "
                "p99.9 %.2f ms\n",
                preallocated ? "preallocated file:" : "appending to a file:", Ms(p.p50),
                Ms(p.p99), Ms(p.p999));
    if (fsync.p50 == 0 || p.p50 < fsync.p50) fsync = p;
  }

  SystemResult ours, zk;
  ours.name = "dcos-zk";
  zk.name = "ZooKeeper";
  auto run = [&](SystemResult& r, auto start) {
    auto t0 = std::chrono::steady_clock::now();
    absl::StatusOr<std::unique_ptr<ZkEnsemble>> e = start();
    if (!e.ok()) {
      r.error = "start: " + e.status().ToString();
      std::printf("  %s\n", r.error.c_str());
      return;
    }
    r.started_in = absl::FromChrono(std::chrono::steady_clock::now() - t0);
    std::printf("  3 members up, a write accepted after %s\n",
                absl::FormatDuration(r.started_in).c_str());
    Drive(**e, flags, r);
    if (!r.error.empty()) std::printf("  stopped early: %s\n", r.error.c_str());
  };  // the ensemble is stopped here, whatever happened
  if (flags.run_dcos && !g_stop_requested.load()) {
    std::printf("\n== dcos-zk (%s) ==\n", flags.dcos_zk.c_str());
    run(ours, [&] {
      DcosZkOptions o{flags.dcos_zk, dir + "/dcos-zk", flags.dcos_zk_args, flags.dcos_zk_pipeline};
      std::filesystem::create_directories(o.dir);
      return StartDcosZk(o);
    });
  }
  if (flags.run_zk && !g_stop_requested.load()) {
    std::printf("\n== Apache ZooKeeper 3.8 (Debian, %s, -Xmx%s) ==\n", flags.zk.classpath.c_str(),
                flags.zk.heap.c_str());
    run(zk, [&] {
      ApacheZkOptions o = flags.zk;
      o.dir = dir + "/zookeeper";
      std::filesystem::create_directories(o.dir);
      return StartApacheZk(o);
    });
  }
  if (g_stop_requested.load()) {
    std::printf("\nstopped (signal); every process stopped, %s removed\n", dir.c_str());
    return 130;
  }
  std::printf("\nload average at the end: %s\n", LoadAverage().c_str());
  Report(flags, ours, zk, fsync);
  return ours.error.empty() && zk.error.empty() ? 0 : 1;
}

}  // namespace dcos::bench

int main(int argc, char** argv) { return dcos::bench::Main(argc, argv); }
