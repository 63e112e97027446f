// SessionTimer: ping cadence, silent members and the session's sure-alive horizon, on explicit
// times.

#include "libs/zk/session_timer.h"

#include <catch2/catch.hpp>

namespace dcos::zk::client {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1000);

TEST_CASE("session timer: pings every third of the timeout while attached") {
  SessionTimer t(absl::Seconds(3), kT0);
  CHECK(t.ping_interval() == absl::Seconds(1));
  CHECK(t.read_timeout() == absl::Seconds(2));
  CHECK_FALSE(t.PingDue(kT0 + absl::Seconds(5)));  // not attached: nothing to ping on
  t.Attached(kT0, kT0 + absl::Milliseconds(10));
  CHECK_FALSE(t.PingDue(kT0 + absl::Milliseconds(500)));
  CHECK(t.PingDue(kT0 + absl::Milliseconds(1010)));
  t.PingSent(kT0 + absl::Milliseconds(1010));
  CHECK_FALSE(t.PingDue(kT0 + absl::Milliseconds(1500)));
  CHECK(t.NextDeadline() == kT0 + absl::Milliseconds(2010));
}

TEST_CASE("session timer: a member silent for 2/3 of the timeout is given up") {
  SessionTimer t(absl::Seconds(3), kT0);
  t.Attached(kT0, kT0);
  t.PingSent(kT0 + absl::Seconds(1));
  CHECK_FALSE(t.MemberSilent(kT0 + absl::Milliseconds(1999)));
  CHECK(t.MemberSilent(kT0 + absl::Seconds(2)));
  t.Pong(kT0 + absl::Milliseconds(1500));
  CHECK_FALSE(t.MemberSilent(kT0 + absl::Seconds(3)));
  t.Heard(kT0 + absl::Seconds(3));  // a watch event counts as hearing from it
  CHECK_FALSE(t.MemberSilent(kT0 + absl::Milliseconds(4900)));
  t.Detached();
  CHECK_FALSE(t.MemberSilent(kT0 + absl::Seconds(100)));
}

TEST_CASE("session timer: alive until the send time of the last answered ping + timeout") {
  SessionTimer t(absl::Seconds(3), kT0);
  CHECK(t.alive_until() == kT0 + absl::Seconds(3));  // from CreateSession's send time
  t.Attached(kT0 + absl::Milliseconds(100), kT0 + absl::Milliseconds(200));
  CHECK(t.alive_until() == kT0 + absl::Milliseconds(3100));
  t.PingSent(kT0 + absl::Seconds(1));
  t.PingSent(kT0 + absl::Seconds(2));
  // The ping sent at 1 s is answered at 2.5 s: the ensemble heard it no earlier than 1 s.
  t.Pong(kT0 + absl::Milliseconds(2500));
  CHECK(t.alive_until() == kT0 + absl::Seconds(4));
  CHECK_FALSE(t.Lost(kT0 + absl::Milliseconds(3999)));
  CHECK(t.Lost(kT0 + absl::Seconds(4)));
  t.Pong(kT0 + absl::Seconds(3));
  CHECK(t.alive_until() == kT0 + absl::Seconds(5));
  // A late pong after the stream was replaced proves nothing.
  t.Detached();
  t.Pong(kT0 + absl::Seconds(4));
  CHECK(t.alive_until() == kT0 + absl::Seconds(5));
  CHECK(t.NextDeadline() == kT0 + absl::Seconds(5));
}

}  // namespace
}  // namespace dcos::zk::client
