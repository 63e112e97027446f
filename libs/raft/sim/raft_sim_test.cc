// Randomized deterministic simulation of Raft: thousands of seeds, each a few hundred random
// steps (drops, duplicates, reordering, partitions, crashes losing unsynced writes, restarts,
// membership changes, snapshots, reads, leadership transfers), invariants after every step,
// then heal everything and require the cluster to converge and make progress.
//
// RAFT_SIM_SEEDS=<n> runs more seeds (soak); RAFT_SIM_SEED=<s> replays one seed.

#include <cstdio>
#include <cstdlib>

#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"
#include "libs/raft/sim/sim_cluster.h"
#include "libs/testing/env.h"

namespace dcos::raft::sim {
namespace {

using ::dcos::testing::EnvOr;

struct Totals {
  uint64_t committed = 0;
  uint64_t leaders = 0;
};
Totals totals;

// Runs one seed; returns "" or a description of the failure (with the seed and the trace tail).
std::string RunSeed(uint64_t seed, int steps) {
  SimOptions o;
  o.seed = seed;
  o.voters = seed % 4 == 0 ? 5 : 3;
  o.spares = 2;
  o.pre_vote = seed % 7 != 0;
  o.check_quorum = seed % 11 != 0;
  SimCluster c(o);
  std::vector<std::string> trace;
  for (int i = 0; i < steps; ++i) {
    trace.push_back(c.Random());
    std::string bad = c.CheckInvariants();
    if (!bad.empty()) {
      std::string tail;
      for (size_t t = trace.size() > 30 ? trace.size() - 30 : 0; t < trace.size(); ++t) {
        tail += "  " + trace[t] + "\n";
      }
      return absl::StrCat("seed ", seed, " step ", i, ": ", bad, "\nlast steps:\n", tail);
    }
  }
  // Heal everything and require convergence and progress.
  c.Heal();
  for (uint64_t id : c.ids()) c.Restart(id);
  uint64_t leader = 0;
  uint64_t index = 0;
  for (int attempt = 0; attempt < 50 && index == 0; ++attempt) {
    leader = c.ElectLeader(400);
    if (leader == 0) continue;
    c.Stabilize();
    absl::StatusOr<uint64_t> proposed = c.Propose(leader, absl::StrCat("final-", seed));
    if (proposed.ok()) {
      index = *proposed;
    } else {
      c.TickAll();  // e.g. a leadership transfer in progress: let it finish or time out
    }
  }
  if (index == 0) {
    return absl::StrCat("seed ", seed, ": no leader accepted a proposal after heal\n",
                        c.Describe());
  }
  for (int i = 0; i < 400; ++i) {
    c.Stabilize();
    c.TickAll();
    if (c.committed().count(index) && c.committed().at(index).second == absl::StrCat("1:final-", seed)) break;
  }
  c.Stabilize();
  std::string bad = c.CheckInvariants();
  if (bad.empty()) bad = c.CheckLogMatching();
  if (!bad.empty()) return absl::StrCat("seed ", seed, " after heal: ", bad);
  auto it = c.committed().find(index);
  if (it == c.committed().end() || it->second.second != absl::StrCat("1:final-", seed)) {
    return absl::StrCat("seed ", seed, ": final proposal at ", index, " never committed");
  }
  totals.committed += c.committed().size();
  // Every voter of the leader's configuration applied it, with identical state machines.
  const SimNode& ln = c.node(c.Leader() == 0 ? leader : c.Leader());
  for (uint64_t v : ln.core->conf().voters()) {
    const SimNode& n = c.node(v);
    if (n.applied_index < index) {
      return absl::StrCat("seed ", seed, ": voter ", v, " applied only ", n.applied_index,
                          " of ", index, "\n", c.Describe());
    }
  }
  return "";
}

TEST_CASE("randomized simulation: Raft's safety invariants hold and the cluster converges") {
  const dcos::testing::Seeds seeds = dcos::testing::SeedsFromEnv("RAFT_SIM", 4000);
  const int steps = static_cast<int>(EnvOr("RAFT_SIM_STEPS", 3000));
  std::printf("raft simulation: %d steps per seed (replay one with RAFT_SIM_SEED)\n", steps);
  std::vector<std::string> failures = dcos::testing::RunSeeds(
      "raft simulation", seeds, [&](uint64_t seed) { return RunSeed(seed, steps); });
  for (const std::string& f : failures) UNSCOPED_INFO(f);
  std::printf("raft simulation: %llu entries committed across all seeds\n",
              static_cast<unsigned long long>(totals.committed));
  REQUIRE(failures.empty());
}

}  // namespace
}  // namespace dcos::raft::sim

namespace dcos::raft::sim {
namespace {

// The case a read index exists for: a leader cut off from the others (CheckQuorum off, so it
// keeps believing it leads) while a new leader commits more. Reads it serves must not miss
// those commits: with the heartbeat round it serves none until it learns the truth.
TEST_CASE("randomized: a deposed leader that still believes it leads never serves a stale read") {
  uint64_t seeds = EnvOr("RAFT_SIM_SEEDS", 4000) / 10;
  for (uint64_t seed = 1; seed <= seeds; ++seed) {
    INFO("seed=" << seed);
    SimOptions o;
    o.seed = seed;
    o.voters = seed % 2 == 0 ? 5 : 3;
    o.check_quorum = false;
    SimCluster c(o);
    uint64_t old_leader = c.ElectLeader();
    REQUIRE(old_leader != 0);
    REQUIRE(c.Propose(old_leader, "before").ok());
    c.Stabilize();
    c.Isolate(old_leader);
    uint64_t next = 0;
    for (int i = 0; i < 500 && next == 0; ++i) {
      for (uint64_t id : c.ids()) {
        if (id != old_leader) c.Tick(id);
      }
      c.Stabilize();
      for (uint64_t id : c.ids()) {
        if (id != old_leader && c.core(id).role() == Role::kLeader) next = id;
      }
    }
    REQUIRE(next != 0);
    REQUIRE(c.core(old_leader).role() == Role::kLeader);  // it does not know yet
    for (int i = 0; i < 3; ++i) REQUIRE(c.Propose(next, absl::StrCat("after-", i)).ok());
    c.Stabilize();
    REQUIRE(c.ReadIndex(old_leader, absl::StrCat("stale-", seed)).ok());
    for (int i = 0; i < 5; ++i) {
      c.Tick(old_leader);
      c.Stabilize();
    }
    REQUIRE(c.node(old_leader).reads.empty());
    c.Heal();
    for (int i = 0; i < 50; ++i) {
      c.TickAll();
      c.Stabilize();
    }
    REQUIRE(c.CheckInvariants().empty());
  }
}

}  // namespace
}  // namespace dcos::raft::sim
