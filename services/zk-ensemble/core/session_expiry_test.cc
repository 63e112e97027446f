#include "services/zk-ensemble/core/session_expiry.h"

#include <catch2/catch.hpp>

namespace dcos::zk {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);
const absl::Duration kTimeout = absl::Seconds(4);

SessionTable TableWith(std::vector<int64_t> ids) {
  SessionTable t(SessionConfig{});
  for (int64_t id : ids) REQUIRE(t.Create(id, kTimeout, kT0).ok());
  return t;
}

TEST_CASE("a follower collects pings; a leader decides expiry from them") {
  SessionTable table = TableWith({11, 12});
  auto fn = [&] { return table; };
  SessionExpiry follower;
  follower.Observe(false, 0, fn, kT0);
  follower.Touch(11, fn, kT0);
  CHECK(follower.TakePending() == std::vector<int64_t>{11});
  CHECK(follower.TakeExpired(kT0 + absl::Hours(1)).empty());  // not leading: decides nothing

  SessionExpiry leader;
  leader.Observe(true, 3, fn, kT0);  // new term: every session gets a fresh timeout
  CHECK(leader.TakeExpired(kT0 + kTimeout - absl::Milliseconds(1)).empty());
  std::vector<int64_t> refused;
  REQUIRE(leader.HandleForward({11, 99}, fn, kT0 + absl::Seconds(3), &refused).ok());
  CHECK(refused == std::vector<int64_t>{99});  // unknown to the leader
  CHECK(leader.TakeExpired(kT0 + kTimeout) == std::vector<int64_t>{12});
  // 11 is overdue now; 12's Expire has not applied 3 s after it was named: named again.
  CHECK(leader.TakeExpired(kT0 + absl::Seconds(7)) == std::vector<int64_t>{11, 12});
  CHECK_FALSE(follower.HandleForward({11}, fn, kT0, &refused).ok());  // UNAVAILABLE
}

TEST_CASE("pings a member collected as a follower count once it leads") {
  SessionTable table = TableWith({11});
  auto fn = [&] { return table; };
  SessionExpiry e;
  e.Touch(11, fn, kT0 + absl::Seconds(3));
  e.Observe(true, 2, fn, kT0 + absl::Seconds(3));
  CHECK(e.TakeExpired(kT0 + absl::Seconds(6)).empty());
  CHECK(e.TakeExpired(kT0 + absl::Seconds(7)) == std::vector<int64_t>{11});
}

TEST_CASE("a decided expiry whose entry never applied is named again; an applied one is not") {
  SessionTable table = TableWith({11, 12});
  auto fn = [&] { return table; };
  SessionExpiry e(/*repropose_after=*/absl::Seconds(2));
  e.Observe(true, 5, fn, kT0);
  REQUIRE(e.TakeExpired(kT0 + kTimeout).size() == 2);
  // 12's Expire applied; 11's proposal was lost.
  REQUIRE(table.Expire(12).ok());
  e.Observe(true, 5, fn, kT0 + kTimeout + absl::Seconds(1));
  CHECK(e.TakeExpired(kT0 + kTimeout + absl::Seconds(1)).empty());
  CHECK(e.TakeExpired(kT0 + kTimeout + absl::Seconds(2)) == std::vector<int64_t>{11});
  // A decided session's pings are refused, even if late.
  std::vector<int64_t> refused;
  REQUIRE(e.HandleForward({11}, fn, kT0 + kTimeout + absl::Seconds(2), &refused).ok());
  CHECK(refused == std::vector<int64_t>{11});
}

TEST_CASE("a new term forgets decisions and starts every session afresh") {
  SessionTable table = TableWith({11});
  auto fn = [&] { return table; };
  SessionExpiry e;
  e.Observe(true, 1, fn, kT0);
  REQUIRE(e.TakeExpired(kT0 + kTimeout) == std::vector<int64_t>{11});
  e.Observe(false, 0, fn, kT0 + kTimeout);
  CHECK_FALSE(e.leading());
  e.Observe(true, 4, fn, kT0 + kTimeout);
  CHECK(e.TakeExpired(kT0 + kTimeout + absl::Seconds(3)).empty());
  CHECK(e.TakeExpired(kT0 + 2 * kTimeout) == std::vector<int64_t>{11});
}

}  // namespace
}  // namespace dcos::zk
