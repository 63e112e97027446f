// Tests of MasterFollower on simulated time: static masters in turn with a backoff, redirects,
// following dcos-zk's leader (at once, also out of a backoff), timeouts of SUBSCRIBED and of
// heartbeats, stale attempts, the periodic refresh, and random input sequences against the
// class's invariants (seed printed; DNS_FOLLOWER_SEED=<s> replays one).

#include <catch2/catch.hpp>

#include <cstdlib>
#include <random>

#include "services/mesos-dns/driver/master_follower.h"

namespace dcos::dns::driver {
namespace {

using Action = MasterFollower::Action;
using Phase = MasterFollower::Phase;

const absl::Time kStart = absl::FromUnixSeconds(1767225600);

FollowerOptions Static(std::vector<std::string> masters) {
  FollowerOptions o;
  o.static_masters = std::move(masters);
  return o;
}

MasterFollower::End Ended(std::string reason, std::string redirect = "") {
  return MasterFollower::End{std::move(redirect), std::move(reason)};
}

// Polls at `now` and expects a connection to `target`; returns its attempt number.
uint64_t ExpectConnect(MasterFollower& f, absl::Time now, const std::string& target) {
  Action a = f.Poll(now);
  INFO("target " << target);
  REQUIRE(a.kind == Action::kConnect);
  CHECK(a.target == target);
  CHECK(f.phase() == Phase::kConnecting);
  return a.attempt;
}

TEST_CASE("static masters are tried in turn with a growing, jittered backoff") {
  FollowerOptions o = Static({"m1:5050", "m2:5050"});
  o.initial_backoff = absl::Milliseconds(100);
  o.max_backoff = absl::Milliseconds(400);
  MasterFollower f(o);
  absl::Time now = kStart;
  uint64_t a = ExpectConnect(f, now, "m1:5050");
  f.OnEnded(a, Ended("connection refused"), now);
  CHECK(f.phase() == Phase::kIdle);
  CHECK(f.failures() == 1);
  CHECK(f.last_error() == "connection refused");
  // The first wait is within [50, 100] ms: nothing before, a connection after.
  absl::Time wake = f.NextWake();
  CHECK(wake >= now + absl::Milliseconds(50));
  CHECK(wake <= now + absl::Milliseconds(100));
  CHECK(f.Poll(wake - absl::Nanoseconds(1)).kind == Action::kNone);
  now = wake;
  a = ExpectConnect(f, now, "m2:5050");
  // Failures double the step up to the cap: waits in [step/2, step].
  absl::Duration step = absl::Milliseconds(100);
  for (int i = 0; i < 5; ++i) {
    f.OnEnded(a, Ended("refused"), now);
    step = std::min(step * 2, absl::Milliseconds(400));
    CHECK(f.NextWake() - now >= step / 2);
    CHECK(f.NextWake() - now <= step);
    now = f.NextWake();
    a = ExpectConnect(f, now, i % 2 == 0 ? "m1:5050" : "m2:5050");
  }
  // SUBSCRIBED resets the backoff; the first failure of a stream that worked retries at once.
  f.OnSubscribed(a, absl::Seconds(15), now);
  CHECK(f.phase() == Phase::kStreaming);
  CHECK(f.failures() == 0);
  CHECK(f.Poll(now).kind == Action::kNone);
  // (m1 served that stream; the next master in turn is tried.)
  f.OnEnded(a, Ended("stream broke"), now + absl::Seconds(1));
  a = ExpectConnect(f, now + absl::Seconds(1), "m2:5050");
  f.OnEnded(a, Ended("refused"), now + absl::Seconds(1));
  CHECK(f.NextWake() - (now + absl::Seconds(1)) <= absl::Milliseconds(100));
}

TEST_CASE("a refusing standby's redirect is followed at once, a few times in a row") {
  FollowerOptions o = Static({"m1:5050"});
  o.max_redirects = 2;
  MasterFollower f(o);
  absl::Time now = kStart;
  uint64_t a = ExpectConnect(f, now, "m1:5050");
  f.OnEnded(a, Ended("not the leader", "m2:5050"), now);
  a = ExpectConnect(f, now, "m2:5050");
  f.OnEnded(a, Ended("not the leader", "m3:5050"), now);
  a = ExpectConnect(f, now, "m3:5050");
  // A third redirect in a row: back off instead (a loop of stale redirects must not spin).
  f.OnEnded(a, Ended("not the leader", "m1:5050"), now);
  CHECK(f.phase() == Phase::kIdle);
  CHECK(f.Poll(now).kind == Action::kNone);
  CHECK(f.NextWake() > now);
  // A redirect to the master that sent it is no redirect.
  now = f.NextWake();
  a = ExpectConnect(f, now, "m1:5050");
  f.OnEnded(a, Ended("no leader known", "m1:5050"), now);
  CHECK(f.Poll(now).kind == Action::kNone);
}

TEST_CASE("dcos-zk's leader is followed, at once when it changes") {
  MasterFollower f(Static({"static:5050"}));
  absl::Time now = kStart;
  f.SetZkLeader("m1:5050", now);
  CHECK(f.NextWake() <= now);
  uint64_t a = ExpectConnect(f, now, "m1:5050");
  f.OnSubscribed(a, absl::Seconds(15), now);
  // The same leader again changes nothing; nobody leading keeps the stream.
  f.SetZkLeader("m1:5050", now);
  CHECK(f.Poll(now).kind == Action::kNone);
  f.SetZkLeader(std::nullopt, now);
  CHECK(f.Poll(now).kind == Action::kNone);
  CHECK(f.phase() == Phase::kStreaming);
  // A new leader: drop m1's stream, subscribe to m2.
  f.SetZkLeader("m2:5050", now);
  uint64_t b = ExpectConnect(f, now, "m2:5050");
  CHECK(b > a);
  // The dropped stream's last words are ignored.
  f.OnEnded(a, Ended("cancelled"), now);
  f.OnSubscribed(a, absl::Seconds(15), now);
  CHECK(f.phase() == Phase::kConnecting);
  CHECK(f.target() == "m2:5050");
  // m2 is still taking over and redirects to m1: that is followed, not overridden by zk.
  f.OnEnded(b, Ended("not the leader", "m1:5050"), now);
  ExpectConnect(f, now, "m1:5050");
}

TEST_CASE("a new leader ends a backoff at once") {
  FollowerOptions o = Static({});
  o.initial_backoff = absl::Seconds(1);
  MasterFollower f(o);
  absl::Time now = kStart;
  CHECK(f.Poll(now).kind == Action::kNone);  // nothing to try yet
  CHECK(f.NextWake() == absl::InfiniteFuture());
  f.SetZkLeader("dead:5050", now);
  uint64_t a = ExpectConnect(f, now, "dead:5050");
  for (int i = 0; i < 3; ++i) {
    f.OnEnded(a, Ended("refused"), now);
    now = f.NextWake();
    a = ExpectConnect(f, now, "dead:5050");
  }
  f.OnEnded(a, Ended("refused"), now);  // steps 1, 2, 4, then the 5 s cap
  CHECK(f.NextWake() - now >= absl::Milliseconds(2500));
  f.SetZkLeader("new:5050", now + absl::Milliseconds(1));
  ExpectConnect(f, now + absl::Milliseconds(1), "new:5050");
  CHECK(f.failures() == 0);
}

TEST_CASE("no SUBSCRIBED in time, or a silent stream, is a failure") {
  FollowerOptions o = Static({"m1:5050"});
  o.subscribe_timeout = absl::Seconds(2);
  o.missed_heartbeats = 3;
  MasterFollower f(o);
  absl::Time now = kStart;
  uint64_t a = ExpectConnect(f, now, "m1:5050");
  CHECK(f.NextWake() == now + absl::Seconds(2));
  CHECK(f.Poll(now + absl::Seconds(1)).kind == Action::kNone);
  Action dropped = f.Poll(now + absl::Seconds(2));
  CHECK(dropped.kind == Action::kDisconnect);
  CHECK(f.failures() == 1);
  CHECK(f.last_error().find("no SUBSCRIBED") != std::string::npos);
  now = f.NextWake();
  a = ExpectConnect(f, now, "m1:5050");
  f.OnSubscribed(a, absl::Seconds(1), now);
  // Events keep it alive; three silent heartbeat intervals end it, and it reconnects at once.
  f.OnEvent(a, now + absl::Seconds(2));
  CHECK(f.Poll(now + absl::Milliseconds(4999)).kind == Action::kNone);
  CHECK(f.NextWake() == now + absl::Seconds(5));
  Action again = f.Poll(now + absl::Seconds(5));
  CHECK(again.kind == Action::kConnect);
  CHECK(again.target == "m1:5050");
  CHECK(f.last_error().find("silent") != std::string::npos);
}

TEST_CASE("refresh re-subscribes a healthy stream") {
  FollowerOptions o = Static({"m1:5050"});
  o.refresh = absl::Seconds(30);
  MasterFollower f(o);
  absl::Time now = kStart;
  uint64_t a = ExpectConnect(f, now, "m1:5050");
  f.OnSubscribed(a, absl::Seconds(15), now);
  for (int i = 1; i < 6; ++i) f.OnEvent(a, now + absl::Seconds(5 * i));
  CHECK(f.NextWake() == now + absl::Seconds(30));
  CHECK(f.Poll(now + absl::Seconds(29)).kind == Action::kNone);
  uint64_t b = ExpectConnect(f, now + absl::Seconds(30), "m1:5050");
  CHECK(b == a + 1);
}

// Random inputs; after each step: attempts only grow, a connection always names a master, a
// backoff wait is never longer than max_backoff, and the phase matches the last action.
TEST_CASE("random inputs keep the follower's invariants") {
  uint64_t first = std::random_device{}();
  int seeds = 200;
  if (const char* s = std::getenv("DNS_FOLLOWER_SEED")) {
    first = std::strtoull(s, nullptr, 10);
    seeds = 1;
  }
  for (uint64_t seed = first; seed < first + seeds; ++seed) {
    INFO("seed " << seed << " (DNS_FOLLOWER_SEED=" << seed << " replays it)");
    std::mt19937_64 rng(seed);
    FollowerOptions o;
    const int statics = static_cast<int>(rng() % 3);
    for (int i = 0; i < statics; ++i) o.static_masters.push_back("s" + std::to_string(i));
    o.refresh = rng() % 2 ? absl::Seconds(20) : absl::ZeroDuration();
    o.seed = seed;
    MasterFollower f(o);
    absl::Time now = kStart;
    uint64_t last_attempt = 0;
    for (int step = 0; step < 300; ++step) {
      switch (rng() % 7) {
        case 0:
          f.SetZkLeader(rng() % 3 ? std::optional<std::string>("z" + std::to_string(rng() % 3))
                                  : std::nullopt,
                        now);
          break;
        case 1:
          f.OnSubscribed(f.attempt() - rng() % 2, absl::Seconds(1 + rng() % 15), now);
          break;
        case 2:
          f.OnEvent(f.attempt(), now);
          break;
        case 3:
          f.OnEnded(f.attempt() - rng() % 2,
                    Ended("x", rng() % 2 ? "r" + std::to_string(rng() % 3) : ""), now);
          break;
        default:
          now += absl::Milliseconds(rng() % 3000);
          break;
      }
      const bool idle_before = f.phase() == Phase::kIdle;
      Action a = f.Poll(now);
      if (a.kind == Action::kConnect) {
        REQUIRE(!a.target.empty());
        REQUIRE(a.attempt > last_attempt);
        last_attempt = a.attempt;
        REQUIRE(f.phase() == Phase::kConnecting);
      } else if (a.kind == Action::kDisconnect) {
        REQUIRE(f.phase() == Phase::kIdle);
      } else if (idle_before) {
        REQUIRE(f.phase() == Phase::kIdle);
      }
      if (f.phase() == Phase::kIdle && f.NextWake() != absl::InfiniteFuture()) {
        REQUIRE(f.NextWake() - now <= o.max_backoff);
      }
    }
  }
}

}  // namespace
}  // namespace dcos::dns::driver
