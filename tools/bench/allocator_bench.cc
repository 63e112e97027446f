// allocator_bench: the time of one allocation cycle of services/master/allocator on Mesos's own
// benchmark grid (HierarchicalAllocator_BENCHMARK_Test.DeclineOffers): agents 1k/5k/10k/20k x
// frameworks 1/100/1000, plus 20k x 2k.
//
// Setup, as in Mesos's benchmark: every agent has cpus:24;mem:4096;disk:4096;ports:[31000-32000]
// of which cpus:16;mem:2014;disk:1024 and 16 single ports are already in use by one framework
// (agent i by framework i % F), all frameworks in role "*". Every round each framework declines
// every offer it got, then one cycle runs (timed). Two decline modes:
//   long  refuse filter as in Mesos's benchmark (INT_MAX seconds, capped at 365 days): after F
//         rounds every framework has filtered every agent;
//   none  no filter: every agent is offered again every round.
// Printed per grid point: the first cycle (every agent free, no filter yet: the most offers) and
// the median of the rounds after it — offers per cycle, wall time and this thread's CPU time
// (the wall time includes waiting for the CPU on a busy machine; the CPU time does not).
//
//   bazel build -c opt //tools/bench:allocator_bench
//   bazel-bin/tools/bench/allocator_bench [--agents=N --frameworks=F] [--rounds=6]
//                                         [--filter=both|long|none] [--seed=1]

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/master/allocator/allocator.h"

namespace dcos::master::allocator {
namespace {

using resources::Resources;

struct Flags {
  int agents = 0;  // 0: the whole grid
  int frameworks = 0;
  int rounds = 6;  // the first cycle and rounds - 1 more
  std::string filter = "both";
  uint64_t seed = 1;
};

struct Point {
  int agents;
  int frameworks;
};

struct Cycles {
  size_t offers = 0;  // median
  double wall_ms = 0;  // median
  double cpu_ms = 0;   // median
};

struct Result {
  Cycles first;
  Cycles rest;  // rounds after the first
  double setup_s = 0;
};

Resources Parse(absl::string_view text) { return *Resources::Parse(text); }

double ThreadCpuMs() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

template <typename T>
T Median(std::vector<T> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

Cycles Summarize(const std::vector<size_t>& offers, const std::vector<double>& wall,
                 const std::vector<double>& cpu, size_t from, size_t to) {
  if (from >= to) return Cycles{};
  auto slice = [&](const auto& v) { return std::vector(v.begin() + from, v.begin() + to); };
  return {Median(slice(offers)), Median(slice(wall)), Median(slice(cpu))};
}

// cpus:16;mem:2014;disk:1024 and 16 single ports spread over [31000-32000].
Resources UsedOnEachAgent() {
  std::string text = "cpus:16;mem:2014;disk:1024;ports:[";
  for (int i = 0; i < 16; ++i) absl::StrAppend(&text, i == 0 ? "" : ",", 31000 + 62 * i, "-", 31000 + 62 * i);
  return Parse(text + "]");
}

Result Run(const Point& p, bool long_filter, const Flags& flags) {
  auto clock = [] { return std::chrono::steady_clock::now(); };
  auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
  auto setup_start = clock();

  AllocatorOptions options;
  options.seed = flags.seed;
  DrfAllocator alloc(options);
  std::vector<std::string> frameworks;
  for (int f = 0; f < p.frameworks; ++f) {
    frameworks.push_back(absl::StrCat("framework-", f));
    (void)alloc.AddFramework(frameworks.back(), {"*"});
  }
  const Resources total = Parse("cpus:24;mem:4096;disk:4096;ports:[31000-32000]");
  const Resources used = UsedOnEachAgent();
  for (int a = 0; a < p.agents; ++a) {
    absl::Status s = alloc.AddAgent(absl::StrCat("agent-", a), total,
                                    {{frameworks[static_cast<size_t>(a % p.frameworks)], "*", used}});
    if (!s.ok()) {
      std::fprintf(stderr, "AddAgent: %s\n", s.ToString().c_str());
      std::exit(1);
    }
  }
  Result r;
  r.setup_s = ms(clock() - setup_start) / 1000;

  std::optional<absl::Duration> refuse;
  if (long_filter) refuse = absl::Seconds(2147483647);  // capped at 365 days by the allocator
  absl::Time now = absl::FromUnixSeconds(1767225600);
  std::vector<double> times;
  std::vector<double> cpu_times;
  std::vector<size_t> counts;
  std::vector<Offer> offers;
  for (int round = 0; round < flags.rounds; ++round) {
    for (const Offer& o : offers) {
      (void)alloc.Recover(o.framework_id, o.agent_id, o.role, o.resources, refuse, now);
    }
    now += absl::Seconds(1);
    double cpu_start = ThreadCpuMs();
    auto start = clock();
    offers = alloc.Allocate(now);
    times.push_back(ms(clock() - start));
    cpu_times.push_back(ThreadCpuMs() - cpu_start);
    counts.push_back(offers.size());
  }
  r.first = Summarize(counts, times, cpu_times, 0, 1);
  r.rest = Summarize(counts, times, cpu_times, 1, counts.size());
  return r;
}

bool ParseFlags(int argc, char** argv, Flags& f) {
  for (int i = 1; i < argc; ++i) {
    std::pair<std::string, std::string> kv = absl::StrSplit(argv[i], absl::MaxSplits('=', 1));
    const std::string& key = kv.first;
    const std::string& val = kv.second;
    bool ok = false;
    if (key == "--agents") ok = absl::SimpleAtoi(val, &f.agents) && f.agents > 0;
    if (key == "--frameworks") ok = absl::SimpleAtoi(val, &f.frameworks) && f.frameworks > 0;
    if (key == "--rounds") ok = absl::SimpleAtoi(val, &f.rounds) && f.rounds > 0;
    if (key == "--seed") ok = absl::SimpleAtoi(val, &f.seed);
    if (key == "--filter") {
      f.filter = val;
      ok = val == "both" || val == "long" || val == "none";
    }
    if (!ok) {
      std::fprintf(stderr, "bad flag %s (see the comment at the top of allocator_bench.cc)\n", argv[i]);
      return false;
    }
  }
  if ((f.agents > 0) != (f.frameworks > 0)) {
    std::fprintf(stderr, "--agents and --frameworks go together\n");
    return false;
  }
  return true;
}

int Main(int argc, char** argv) {
  Flags flags;
  if (!ParseFlags(argc, argv, flags)) return 2;
  std::vector<Point> grid;
  if (flags.agents > 0) {
    grid.push_back({flags.agents, flags.frameworks});
  } else {
    for (int agents : {1000, 5000, 10000, 20000}) {
      for (int frameworks : {1, 100, 1000}) grid.push_back({agents, frameworks});
    }
    grid.push_back({20000, 2000});
  }
  std::vector<bool> modes;
  if (flags.filter != "none") modes.push_back(true);
  if (flags.filter != "long") modes.push_back(false);

  std::printf("allocator_bench: one Allocate() cycle; the first, then the median of %d more; "
              "each framework declines every offer it gets\n\n",
              flags.rounds - 1);
  std::printf("%7s %10s %-6s | %-27s | %-27s |\n", "", "", "", "first cycle",
              "next cycles (median)");
  std::printf("%7s %10s %-6s | %7s %9s %9s | %7s %9s %9s | %s\n", "agents", "frameworks", "filter",
              "offers", "wall", "cpu", "offers", "wall", "cpu", "setup");
  double goal_10k = -1, goal_20k = -1;
  for (bool long_filter : modes) {
    for (const Point& p : grid) {
      Result r = Run(p, long_filter, flags);
      std::printf("%7d %10d %-6s | %7zu %6.1f ms %6.1f ms | %7zu %6.1f ms %6.1f ms | %.1f s\n",
                  p.agents, p.frameworks, long_filter ? "long" : "none", r.first.offers,
                  r.first.wall_ms, r.first.cpu_ms, r.rest.offers, r.rest.wall_ms, r.rest.cpu_ms,
                  r.setup_s);
      std::fflush(stdout);
      double worst = std::max(r.first.wall_ms, r.rest.wall_ms);
      if (p.agents == 10000 && p.frameworks == 1000) goal_10k = std::max(goal_10k, worst);
      if (p.agents == 20000 && p.frameworks == 2000) goal_20k = std::max(goal_20k, worst);
    }
  }
  if (goal_10k >= 0) {
    std::printf("\ngoal 10k x 1k < 100 ms: %s (%.1f ms wall, slowest cycle kind and mode)\n",
                goal_10k < 100 ? "met" : "NOT met", goal_10k);
  }
  if (goal_20k >= 0) {
    std::printf("goal 20k x 2k < 400 ms: %s (%.1f ms wall, slowest cycle kind and mode)\n",
                goal_20k < 400 ? "met" : "NOT met", goal_20k);
  }
  return 0;
}

}  // namespace
}  // namespace dcos::master::allocator

int main(int argc, char** argv) { return dcos::master::allocator::Main(argc, argv); }
