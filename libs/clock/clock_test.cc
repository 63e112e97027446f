#include "libs/clock/clock.h"

#include <catch2/catch.hpp>

namespace dcos::clock {
namespace {

TEST_CASE("SimClock moves only when advanced") {
  SimClock clock;
  absl::Time start = clock.Now();
  REQUIRE(clock.Now() == start);
  clock.Advance(absl::Seconds(5));
  REQUIRE(clock.Now() - start == absl::Seconds(5));
  clock.SetTime(start + absl::Minutes(1));
  REQUIRE(clock.Now() - start == absl::Minutes(1));
}

TEST_CASE("SimClock starts where asked") {
  absl::Time t = absl::FromUnixSeconds(1000);
  SimClock clock(t);
  REQUIRE(clock.Now() == t);
}

TEST_CASE("RealClock never goes backwards and tracks the wall clock") {
  RealClock clock;
  absl::Time prev = clock.Now();
  for (int i = 0; i < 10000; ++i) {
    absl::Time now = clock.Now();
    REQUIRE(now >= prev);
    prev = now;
  }
  REQUIRE(absl::AbsDuration(clock.Now() - absl::Now()) < absl::Seconds(1));
  REQUIRE(RealClock::Default() == RealClock::Default());
}

}  // namespace
}  // namespace dcos::clock
