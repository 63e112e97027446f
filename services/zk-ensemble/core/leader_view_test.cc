// LeaderView and TouchBatch: the leader's authoritative liveness, fresh timeouts on leader
// change, decided expiries, and the whole expiry path driven by a simulated clock.

#include <catch2/catch.hpp>

#include <map>

#include "libs/clock/clock.h"
#include "services/zk-ensemble/core/leader_view.h"
#include "services/zk-ensemble/core/session_id.h"
#include "services/zk-ensemble/core/sessions.h"
#include "services/zk-ensemble/core/tree_test_util.h"

namespace dcos::zk {
namespace {

using absl::Milliseconds;
using absl::Seconds;
using testing::T;

int64_t Id(int64_t counter) { return *NextSessionId(1, counter); }

TEST_CASE("leader view: BecomeLeader grants every session a full fresh timeout") {
  SessionTable table;
  ZK_REQUIRE_OK(table.Create(Id(0), Seconds(10), T(0)));
  ZK_REQUIRE_OK(table.Create(Id(1), Seconds(30), T(0)));
  // The old leader heard the pings; the log did not. By the log both look long overdue.
  CHECK(table.ExpiredAt(T(60000)) == std::vector<int64_t>{Id(0), Id(1)});
  LeaderView view;
  view.BecomeLeader(table, T(60000));
  CHECK(view.size() == 2);
  CHECK(view.Find(Id(0))->last_heard == T(60000));
  CHECK(view.Find(Id(1))->timeout == Seconds(30));
  CHECK(view.Expired(T(60000)).empty());
  CHECK(view.Expired(T(69999)).empty());
  CHECK(view.Expired(T(70000)) == std::vector<int64_t>{Id(0)});
  CHECK(view.Expired(T(90000)) == std::vector<int64_t>{Id(0), Id(1)});
}

TEST_CASE("leader view: BecomeLeader replaces the previous view") {
  SessionTable table;
  ZK_REQUIRE_OK(table.Create(Id(0), Seconds(10), T(0)));
  LeaderView view;
  view.BecomeLeader(table, T(0));
  view.Add(Id(9), Seconds(10), T(0));  // not in the table
  CHECK(view.TakeExpired(T(10000)) == std::vector<int64_t>{Id(0), Id(9)});
  view.BecomeLeader(table, T(20000));  // a later term: nothing decided carries over
  CHECK_FALSE(view.IsExpiring(Id(0)));
  CHECK_FALSE(view.Contains(Id(9)));
  CHECK(view.size() == 1);
  ZK_REQUIRE_OK(view.Touch(Id(0), T(20001)));
}

TEST_CASE("leader view: an empty view knows no session") {
  LeaderView view;
  CHECK(view.size() == 0);
  CHECK(view.Expired(absl::InfiniteFuture()).empty());
  ZK_REQUIRE_CODE(view.Touch(Id(0), T(0)), ZkCode::kSessionExpired);
  view.Remove(Id(0));  // ignored
  CHECK(view.size() == 0);
}

TEST_CASE("leader view: touches postpone expiry; exactly at the deadline it is overdue") {
  LeaderView view;
  view.Add(Id(0), Seconds(10), T(0));
  CHECK(view.Expired(T(9999)).empty());
  CHECK(view.Expired(T(10000)) == std::vector<int64_t>{Id(0)});
  ZK_REQUIRE_OK(view.Touch(Id(0), T(9999)));
  CHECK(view.Expired(T(10000)).empty());
  CHECK(view.Expired(T(19998)).empty());
  CHECK(view.Expired(T(19999)) == std::vector<int64_t>{Id(0)});
  ZK_REQUIRE_OK(view.Touch(Id(0), T(5000)));  // a late, older touch changes nothing
  CHECK(view.Find(Id(0))->last_heard == T(9999));
  // Add of a held session is a touch.
  view.Add(Id(0), Seconds(99), T(15000));
  CHECK(*view.Find(Id(0)) == SessionLiveness{Seconds(10), T(15000)});
}

TEST_CASE("leader view: Expired is a query, TakeExpired decides once") {
  LeaderView view;
  view.Add(Id(0), Seconds(10), T(0));
  view.Add(Id(1), Seconds(5), T(0));
  view.Add(Id(2), Seconds(5), T(0));
  view.Add(Id(3), Seconds(60), T(0));
  CHECK(view.Expired(T(10000)) == std::vector<int64_t>{Id(1), Id(2), Id(0)});
  CHECK(view.Expired(T(10000)) == std::vector<int64_t>{Id(1), Id(2), Id(0)});
  CHECK(view.TakeExpired(T(10000)) == std::vector<int64_t>{Id(1), Id(2), Id(0)});
  CHECK(view.TakeExpired(T(10000)).empty());
  CHECK(view.Expired(T(100000)) == std::vector<int64_t>{Id(3)});
  CHECK(view.size() == 4);
  for (int64_t id : {Id(0), Id(1), Id(2)}) {
    INFO(id);
    CHECK(view.IsExpiring(id));
    // A ping arriving after the decision does not save the session.
    ZK_REQUIRE_CODE(view.Touch(id, T(10001)), ZkCode::kSessionExpired);
    view.Add(id, Seconds(10), T(10001));  // nor does a (late) Add
    CHECK(view.IsExpiring(id));
    CHECK(view.Expired(T(100000)) == std::vector<int64_t>{Id(3)});
  }
  view.Remove(Id(1));  // its Expire entry applied
  CHECK_FALSE(view.IsExpiring(Id(1)));
  CHECK_FALSE(view.Contains(Id(1)));
  CHECK(view.size() == 3);
  ZK_REQUIRE_CODE(view.Touch(Id(1), T(10002)), ZkCode::kSessionExpired);
}

TEST_CASE("leader view: a closed session is removed and its pings refused") {
  LeaderView view;
  view.Add(Id(0), Seconds(10), T(0));
  view.Remove(Id(0));
  CHECK(view.Expired(T(100000)).empty());
  ZK_REQUIRE_CODE(view.Touch(Id(0), T(1)), ZkCode::kSessionExpired);
}

TEST_CASE("touch batch: each id once, ascending, emptied by Take") {
  TouchBatch batch;
  CHECK(batch.empty());
  CHECK(batch.Take().empty());
  batch.Touch(Id(3));
  batch.Touch(Id(1));
  batch.Touch(Id(3));
  batch.Touch(Id(2));
  CHECK_FALSE(batch.empty());
  CHECK(batch.Take() == std::vector<int64_t>{Id(1), Id(2), Id(3)});
  CHECK(batch.empty());
  batch.Touch(Id(1));
  CHECK(batch.Take() == std::vector<int64_t>{Id(1)});
}

// A small ensemble's session path on a simulated clock: the client pings member B (a
// follower) every timeout / 3; B forwards its batch to the leader every second; the leader
// expires what its view says and every member applies the Expire entry.
class Ensemble {
 public:
  Ensemble() { leader_view_.BecomeLeader(table_, clock_.Now()); }

  int64_t CreateSession(absl::Duration requested) {
    const int64_t id = *ids_.Next();
    const absl::Duration timeout = table_.Negotiate(requested);
    // The entry commits and applies (one table stands for every member's copy).
    REQUIRE(table_.Create(id, timeout, clock_.Now()).ok());
    leader_view_.Add(id, timeout, clock_.Now());
    return id;
  }

  // Advances the clock by `d` in 100 ms steps; `ping` says whether the client pings.
  void Run(int64_t id, absl::Duration d, bool ping) {
    const absl::Time end = clock_.Now() + d;
    while (clock_.Now() < end) {
      clock_.Advance(Milliseconds(100));
      const absl::Time now = clock_.Now();
      if (ping && now - last_ping_ >= table_.Get(id)->timeout / 3) {
        batch_.Touch(id);  // B records the ping locally
        last_ping_ = now;
      }
      if (now - last_forward_ >= Seconds(1)) {
        for (int64_t touched : batch_.Take()) (void)leader_view_.Touch(touched, now);
        last_forward_ = now;
      }
      for (int64_t expired : leader_view_.TakeExpired(now)) {
        expired_at_[expired] = now;
        REQUIRE(table_.Expire(expired).ok());  // the Expire entry applies
        leader_view_.Remove(expired);
      }
    }
  }

  // The leader dies; another member becomes leader after `election` (a new term).
  void FailOver(absl::Duration election) {
    clock_.Advance(election);
    ids_ = SessionIdAllocator(ids_.term() + 1);
    leader_view_ = LeaderView();
    leader_view_.BecomeLeader(table_, clock_.Now());
    batch_.Take();  // batches in flight to the dead leader are lost
  }

  clock::SimClock clock_;
  SessionTable table_;
  SessionIdAllocator ids_{1};
  LeaderView leader_view_;
  TouchBatch batch_;
  absl::Time last_ping_ = absl::InfinitePast();
  absl::Time last_forward_ = absl::InfinitePast();
  std::map<int64_t, absl::Time> expired_at_;
};

TEST_CASE("ensemble: a pinging session never expires, also across leader failovers") {
  Ensemble e;
  const int64_t id = e.CreateSession(Seconds(6));
  e.Run(id, Seconds(60), /*ping=*/true);
  e.FailOver(Seconds(5));  // close to the timeout: the old leader's pings are forgotten
  e.Run(id, Seconds(60), true);
  e.FailOver(Milliseconds(300));
  e.Run(id, Seconds(60), true);
  CHECK(e.table_.Exists(id));
  CHECK(e.expired_at_.empty());
  // The log alone would have expired it long ago: pings were never replicated.
  CHECK(e.table_.ExpiredAt(e.clock_.Now()) == std::vector<int64_t>{id});
  // New sessions of the new term get ids above every earlier one.
  CHECK(e.CreateSession(Seconds(6)) > id);
}

TEST_CASE("ensemble: a silent session expires one timeout (plus forwarding) after its last ping") {
  Ensemble e;
  const int64_t id = e.CreateSession(Seconds(6));
  e.Run(id, Seconds(10), true);
  const absl::Time last_ping = e.last_ping_;
  e.Run(id, Seconds(20), false);
  REQUIRE(e.expired_at_.count(id) == 1);
  CHECK(e.expired_at_[id] >= last_ping + Seconds(6));
  CHECK(e.expired_at_[id] <= last_ping + Seconds(6) + Seconds(1));
  ZK_REQUIRE_CODE(e.table_.CheckLive(id), ZkCode::kSessionExpired);
  // Its client reattaching and pinging gets SESSION_EXPIRED, never a new session.
  ZK_REQUIRE_CODE(e.leader_view_.Touch(id, e.clock_.Now()), ZkCode::kSessionExpired);
  ZK_REQUIRE_CODE(e.table_.Touch(id, e.clock_.Now()), ZkCode::kSessionExpired);
}

TEST_CASE("ensemble: after a failover a dead session expires a full timeout after election") {
  Ensemble e;
  const int64_t id = e.CreateSession(Seconds(6));
  e.Run(id, Seconds(3), true);
  e.Run(id, Seconds(4), false);  // the client dies; the old leader has not expired it yet
  REQUIRE(e.table_.Exists(id));
  e.FailOver(Seconds(1));
  const absl::Time elected = e.clock_.Now();
  e.Run(id, Seconds(20), false);
  REQUIRE(e.expired_at_.count(id) == 1);
  CHECK(e.expired_at_[id] == elected + Seconds(6));
}

}  // namespace
}  // namespace dcos::zk
