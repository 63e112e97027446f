// Crash tests of libs/raft with real processes: three dcos-raft-kv members on loopback, a
// client writing keys in a burst, and kill -9 — of the leader, three rounds during the burst,
// and of the whole cluster at once. Every write the client saw acknowledged must survive, on
// every member, and no key may appear that the client never tried to write.
//
// The kill schedule comes from a seeded PRNG; the seed is printed (RAFT_KV_SEED=<seed>
// replays the schedule, though process timing still varies).

#include <cstdio>
#include <cstdlib>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "libs/testing/harness.h"
#include "tests/raft/kv_cluster.h"
#include "tests/raft/write_burst.h"

namespace dcos::testing::raftkv {
namespace {

constexpr int kMembers = 3;
constexpr int kLeaderKillRounds = 3;
// Concurrent client threads: several proposals in flight, so group commit batches are what
// the kills interrupt.
constexpr int kWriters = 4;
constexpr absl::Duration kStartTimeout = absl::Seconds(30);
constexpr absl::Duration kLeaderTimeout = absl::Seconds(20);
constexpr size_t kMaxReported = 20;

#define REQUIRE_OK(expr)                        \
  do {                                          \
    absl::Status s_ = (expr);                   \
    INFO(#expr << ": " << s_.ToString());       \
    REQUIRE(s_.ok());                           \
  } while (false)

uint64_t Seed() {
  const char* env = std::getenv("RAFT_KV_SEED");
  uint64_t seed = 0;
  if (env != nullptr && absl::SimpleAtoi(env, &seed)) return seed;
  return (uint64_t{std::random_device{}()} << 32) | std::random_device{}();
}

// What the cluster must hold: every key number tried so far and the acknowledged ones.
struct Expected {
  uint64_t end = 0;
  std::set<uint64_t> tried;
  std::set<uint64_t> acked;

  void Add(const Ledger& l) {
    end = std::max(end, l.end);
    tried.insert(l.tried.begin(), l.tried.end());
    acked.insert(l.acked.begin(), l.acked.end());
  }
};

void Report(std::vector<std::string>& problems, std::string problem) {
  if (problems.size() < kMaxReported) problems.push_back(std::move(problem));
}

std::string Join(const std::vector<std::string>& problems) {
  std::string out;
  for (const std::string& p : problems) absl::StrAppend(&out, "\n  ", p);
  return out;
}

// Waits until the members agree (nothing in flight), then checks the whole key space:
//  - linearizable reads on the leader find every acknowledged key with its value;
//  - local reads on each member find every acknowledged key, any other key found has been
//    tried and has its value, the keys found number the member's key_count (so no key exists
//    that was never tried), and every member holds the same keys.
void CheckCluster(KvCluster& cluster, const Expected& expected, const std::string& when) {
  absl::Time start = absl::Now();
  absl::StatusOr<v1::StatusResponse> converged = cluster.WaitConverged(absl::Seconds(30));
  INFO(when << ": " << converged.status().ToString());
  REQUIRE(converged.ok());
  int leader = static_cast<int>(converged->id());

  std::vector<std::string> problems;
  for (uint64_t i : expected.acked) {
    absl::StatusOr<v1::GetResponse> got = cluster.Get(leader, KeyOf(i), /*linearizable=*/true);
    if (!got.ok()) {
      Report(problems, absl::StrCat("leader ", leader, " Get ", KeyOf(i), ": ",
                                    got.status().ToString()));
    } else if (!got->found() || got->value() != ValueOf(i)) {
      Report(problems, absl::StrCat("leader ", leader, ": acknowledged ", KeyOf(i),
                                    got->found() ? " has value " + got->value() : " is missing"));
    }
  }
  INFO(when << ": linearizable reads on the leader:" << Join(problems));
  REQUIRE(problems.empty());

  // Followers serve linearizable reads through the leader (ReadIndex forwarding): a sample.
  for (int id = 1; id <= cluster.size(); ++id) {
    if (id == leader) continue;
    size_t n = 0;
    for (auto it = expected.acked.rbegin(); it != expected.acked.rend() && n < 50; ++it, ++n) {
      absl::StatusOr<v1::GetResponse> got = cluster.Get(id, KeyOf(*it), /*linearizable=*/true);
      if (!got.ok() || !got->found() || got->value() != ValueOf(*it)) {
        Report(problems, absl::StrCat("follower ", id, " linearizable Get ", KeyOf(*it), ": ",
                                      got.ok() ? got->ShortDebugString() : got.status().ToString()));
      }
    }
  }
  INFO(when << ": linearizable reads on followers:" << Join(problems));
  REQUIRE(problems.empty());

  std::vector<uint64_t> first_found;
  for (int id = 1; id <= cluster.size(); ++id) {
    absl::StatusOr<v1::StatusResponse> status = cluster.Status(id);
    REQUIRE(status.ok());
    std::vector<uint64_t> found;
    // A margin past the end: keys never tried must not exist.
    for (uint64_t i = 0; i < expected.end + 50; ++i) {
      absl::StatusOr<v1::GetResponse> got = cluster.Get(id, KeyOf(i), /*linearizable=*/false);
      if (!got.ok()) {
        Report(problems, absl::StrCat("member ", id, " Get ", KeyOf(i), ": ",
                                      got.status().ToString()));
        continue;
      }
      if (got->found()) found.push_back(i);
      if (got->found() && (expected.tried.count(i) == 0 || got->value() != ValueOf(i))) {
        Report(problems, absl::StrCat("member ", id, ": ", KeyOf(i), " = ", got->value(),
                                      " was never written"));
      }
      if (!got->found() && expected.acked.count(i) > 0) {
        Report(problems, absl::StrCat("member ", id, ": acknowledged ", KeyOf(i), " is missing"));
      }
    }
    if (found.size() != status->key_count()) {
      Report(problems, absl::StrCat("member ", id, " holds ", status->key_count(),
                                    " keys but only ", found.size(), " were ever tried"));
    }
    if (id == 1) {
      first_found = found;
    } else if (found != first_found) {
      Report(problems, absl::StrCat("member ", id, " holds ", found.size(),
                                    " tried keys, member 1 holds ", first_found.size()));
    }
  }
  INFO(when << ": local reads:" << Join(problems));
  REQUIRE(problems.empty());
  std::printf("  %s: converged at index %llu (term %llu, leader %d); %zu acknowledged keys "
              "present on every member (check took %.1f s)\n",
              when.c_str(), static_cast<unsigned long long>(converged->applied()),
              static_cast<unsigned long long>(converged->term()), leader, expected.acked.size(),
              absl::ToDoubleSeconds(absl::Now() - start));
}

// Waits until the burst has `more` acknowledged writes than now.
void WaitAcked(WriteBurst& burst, uint64_t more, const std::string& what) {
  uint64_t want = burst.acked_count() + more;
  absl::Status waited = WaitFor(
      [&] { return burst.acked_count() >= want || !burst.error().empty(); },
      absl::Seconds(30), what);
  INFO("burst error: " << burst.error());
  REQUIRE(burst.error().empty());
  REQUIRE_OK(waited);
}

TEST_CASE("kill -9 of the leader during a write burst, and of the whole cluster, loses no "
          "acknowledged write") {
  const uint64_t seed = Seed();
  std::printf("raft_kill9_test seed=%llu (replay the schedule with RAFT_KV_SEED=%llu)\n",
              static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed));
  std::fflush(stdout);
  std::mt19937_64 rng(seed);
  auto between = [&](uint64_t lo, uint64_t hi) {
    return std::uniform_int_distribution<uint64_t>(lo, hi)(rng);
  };
  absl::Time test_start = absl::Now();

  // A low snapshot threshold so the log is compacted during the burst and a restarted member
  // may have to catch up by InstallSnapshot.
  KvCluster cluster(MakeTempDir("raft_kill9"), kMembers,
                    {"--raft.snapshot_threshold=200", "--shutdown.grace=1s"});
  for (int id = 1; id <= kMembers; ++id) REQUIRE_OK(cluster.Start(id));
  for (int id = 1; id <= kMembers; ++id) REQUIRE_OK(cluster.WaitServing(id, kStartTimeout));
  REQUIRE(cluster.WaitLeader(kLeaderTimeout).ok());

  Expected expected;
  WriteBurst burst(&cluster, 0, kWriters);
  burst.Start();
  for (int round = 1; round <= kLeaderKillRounds; ++round) {
    WaitAcked(burst, between(100, 400), "acknowledged writes before the kill");
    absl::StatusOr<int> leader = cluster.WaitLeader(kLeaderTimeout);
    REQUIRE(leader.ok());
    uint64_t acked_at_kill = burst.acked_count();
    REQUIRE_OK(cluster.Kill(*leader));
    absl::Time killed = absl::Now();
    WaitAcked(burst, between(20, 200), "acknowledged writes by the new leader");
    std::printf("  round %d: killed leader %d after %llu acknowledged writes; writes resumed "
                "after %.2f s\n",
                round, *leader, static_cast<unsigned long long>(acked_at_kill),
                absl::ToDoubleSeconds(absl::Now() - killed));
    REQUIRE_OK(cluster.Start(*leader));
    REQUIRE_OK(cluster.WaitServing(*leader, kStartTimeout));
  }
  WaitAcked(burst, between(50, 200), "acknowledged writes after the last restart");
  burst.Stop();
  INFO("burst error: " << burst.error());
  REQUIRE(burst.error().empty());
  Ledger first = burst.ledger();
  expected.Add(first);
  std::printf("  leader kills: %zu acknowledged of %llu keys tried, %llu retried Puts\n",
              first.acked.size(), static_cast<unsigned long long>(first.tried.size()),
              static_cast<unsigned long long>(first.retries));
  CheckCluster(cluster, expected, "after leader kills");

  // Whole-cluster power loss during a second burst.
  WriteBurst second(&cluster, expected.end, kWriters);
  second.Start();
  WaitAcked(second, between(100, 400), "acknowledged writes before the power loss");
  uint64_t acked_at_kill = second.acked_count();
  REQUIRE_OK(cluster.KillAll());
  second.Stop();
  INFO("burst error: " << second.error());
  REQUIRE(second.error().empty());
  Ledger after = second.ledger();
  expected.Add(after);
  std::printf("  power loss: all members killed after %llu acknowledged writes "
              "(%zu acknowledged in all, %llu keys tried)\n",
              static_cast<unsigned long long>(acked_at_kill), after.acked.size(),
              static_cast<unsigned long long>(after.tried.size()));
  for (int id = 1; id <= kMembers; ++id) REQUIRE_OK(cluster.Start(id));
  for (int id = 1; id <= kMembers; ++id) REQUIRE_OK(cluster.WaitServing(id, kStartTimeout));
  CheckCluster(cluster, expected, "after power loss");
  std::printf("raft_kill9_test: %zu acknowledged writes survived; %.1f s\n", expected.acked.size(),
              absl::ToDoubleSeconds(absl::Now() - test_start));
}

}  // namespace
}  // namespace dcos::testing::raftkv
