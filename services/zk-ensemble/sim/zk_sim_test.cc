// Randomized deterministic simulation of dcos-zk's replicated service (zk_sim.h): many seeds,
// each a few thousand random steps, invariants after every step, then heal and check
// convergence, sessions and linearizability.
//
// ZK_SIM_SEEDS=<n> runs more seeds (soak); ZK_SIM_SEED=<s> replays one; ZK_SIM_STEPS=<n>.

#include <cstdio>
#include <cstdlib>

#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"
#include "libs/testing/env.h"
#include "services/zk-ensemble/sim/zk_sim.h"

namespace dcos::zk::sim {
namespace {

using ::dcos::testing::EnvOr;

struct Totals {
  uint64_t operations = 0;
  uint64_t expired = 0;
};

std::string RunSeed(uint64_t seed, int steps, Totals* totals) {
  ZkSimOptions o;
  o.seed = seed;
  o.voters = seed % 5 == 0 ? 5 : 3;
  ZkSim sim(o);
  if (!sim.Setup()) return absl::StrCat("seed ", seed, ": setup failed\n", sim.Describe());
  std::vector<std::string> trace;
  for (int i = 0; i < steps; ++i) {
    trace.push_back(sim.Step());
    std::string bad = sim.CheckInvariants();
    if (!bad.empty()) {
      std::string tail;
      for (size_t t = trace.size() > 40 ? trace.size() - 40 : 0; t < trace.size(); ++t) {
        absl::StrAppend(&tail, "  ", trace[t], "\n");
      }
      return absl::StrCat("seed ", seed, " step ", i, ": ", bad, "\nlast steps:\n", tail,
                          sim.Describe());
    }
  }
  std::string bad = sim.Finish();
  if (!bad.empty()) return absl::StrCat("seed ", seed, " at the end: ", bad);
  if (std::getenv("ZK_SIM_VERBOSE") != nullptr) {
    std::printf("seed %llu: %zu operations, %llu expired; %s\n",
                static_cast<unsigned long long>(seed), sim.history().size(),
                static_cast<unsigned long long>(sim.expired_sessions()),
                sim.stats().ToString().c_str());
  }
  totals->operations += sim.history().size();
  totals->expired += sim.expired_sessions();
  return "";
}

TEST_CASE("randomized simulation: dcos-zk's replicas agree, sessions expire only when dead, "
          "histories are linearizable") {
  const dcos::testing::Seeds seeds = dcos::testing::SeedsFromEnv("ZK_SIM", 400);
  const int steps = static_cast<int>(EnvOr("ZK_SIM_STEPS", 6000));
  std::printf("zk simulation: %d steps per seed (replay one with ZK_SIM_SEED)\n", steps);
  Totals totals;
  std::vector<std::string> failures = dcos::testing::RunSeeds(
      "zk simulation", seeds, [&](uint64_t seed) { return RunSeed(seed, steps, &totals); });
  for (const std::string& f : failures) UNSCOPED_INFO(f);
  std::printf("zk simulation: %llu operations checked, %llu dead clients' sessions expired\n",
              static_cast<unsigned long long>(totals.operations),
              static_cast<unsigned long long>(totals.expired));
  REQUIRE(failures.empty());
  // The runs must exercise what they claim to.
  if (!seeds.replay && seeds.count >= 50) {
    CHECK(totals.operations > seeds.count * 20);
    CHECK(totals.expired > 0);
  }
}

}  // namespace
}  // namespace dcos::zk::sim
