// A standby that stalls (SIGSTOP, as a loaded machine or a long GC pause would stall it) while
// the killed leader's session expires still takes over, and then announces itself for good.
//
// CI caught a standby that loaded its registry from the warm copy so fast that the election
// observer's callback -- "our own node is first; nobody leads yet" -- landed after it had
// started leading: it led, yet answered "no leader is elected yet" to every agent for ever.
// Each round stalls the standby at a random point around the old leader's expiry (seeded; the
// seed is printed and DCOS_TEST_SEED repeats it) for less than its own session timeout.

#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <random>

#include <catch2/catch.hpp>

#include "libs/testing/harness.h"
#include "libs/testing/process.h"
#include "tests/master/master_cluster.h"

namespace dcos::testing {
namespace {

TEST_CASE("dcos-master HA: a standby stalled around the leader's expiry takes over and stays "
          "announced") {
  const char* env = std::getenv("DCOS_TEST_SEED");
  const uint64_t seed = env != nullptr ? std::strtoull(env, nullptr, 10) : std::random_device{}();
  std::printf("seed %llu (DCOS_TEST_SEED repeats it)\n", static_cast<unsigned long long>(seed));
  std::mt19937_64 rng(seed);
  constexpr int kRounds = 3;
  for (int round = 0; round < kRounds; ++round) {
    TwoMasters masters;
    Master* next = masters.standby;
    // Two of the standby's prefetches: its warm copy is current, so its load takes a few ms.
    REQUIRE(WaitFor([&] { return next->process->Log().find("registry prefetched") !=
                                 std::string::npos; },
                    absl::Seconds(10), "the standby prefetched the registry")
                .ok());
    masters.leader->process->Signal(SIGKILL);
    REQUIRE(masters.leader->process->WaitExit(absl::Seconds(10)).ok());
    // The old session expires about 1 s after the kill; the standby's own is 1 s too, so it
    // must not stall much past 2/3 of that (400 ms at most, leaving room for a loaded machine).
    const int stall_at_ms = std::uniform_int_distribution<int>(200, 1300)(rng);
    const int stall_ms = std::uniform_int_distribution<int>(0, 400)(rng);
    std::printf("round %d: stall the standby %d ms after the kill for %d ms\n", round, stall_at_ms,
                stall_ms);
    std::fflush(stdout);
    absl::SleepFor(absl::Milliseconds(stall_at_ms));
    next->process->Signal(SIGSTOP);
    absl::SleepFor(absl::Milliseconds(stall_ms));
    next->process->Signal(SIGCONT);
    REQUIRE(WaitFor([&] { return Elected(next->address); }, absl::Seconds(15),
                    "the standby leads")
                .ok());
    // Announced for good: the observer's late callbacks do not take it back.
    int consecutive = 0;
    REQUIRE(WaitFor(
                [&] {
                  consecutive = Elected(next->address) ? consecutive + 1 : 0;
                  return consecutive >= 10;
                },
                    absl::Seconds(15), "the new leader still leads on ten looks in a row")
                .ok());
  }
}

}  // namespace
}  // namespace dcos::testing
