// Randomized test: random creates (fresh, reused and bad ids), touches (also with an older
// clock), closes, expires, time steps, leader expiry rounds and failovers, against
// SessionTable and a simple reference model, compared after every step, with snapshot round
// trips along the way. A LeaderView fed like the leader feeds it is checked against the
// table: it never expires a session the log does not also consider overdue.
//
// Every run prints its seed; replay one with ZK_SESSION_SEED=<seed>, e.g.
//   bazel test //services/zk-ensemble/core:sessions_random_test --test_env=ZK_SESSION_SEED=42

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include "services/zk-ensemble/core/leader_view.h"
#include "services/zk-ensemble/core/session_id.h"
#include "services/zk-ensemble/core/sessions.h"
#include "services/zk-ensemble/core/tree_test_util.h"

namespace dcos::zk {
namespace {

using testing::T;

// The reference: sessions in a map, times in milliseconds, the rules written out plainly.
struct Model {
  struct Session {
    int64_t timeout_ms;
    int64_t last_ms;
  };
  std::map<int64_t, Session> live;
  int64_t max_id = 0;

  ZkCode Create(int64_t id, int64_t timeout_ms, int64_t now_ms) {
    if (id <= 0) return ZkCode::kBadArguments;
    if (id <= max_id) return ZkCode::kSystemError;
    live[id] = {timeout_ms, now_ms};
    max_id = id;
    return ZkCode::kOk;
  }
  ZkCode Remove(int64_t id) {
    if (id <= 0) return ZkCode::kBadArguments;
    return live.erase(id) == 1 ? ZkCode::kOk : ZkCode::kSessionExpired;
  }
  ZkCode Touch(int64_t id, int64_t now_ms) {
    if (id <= 0) return ZkCode::kBadArguments;
    auto it = live.find(id);
    if (it == live.end()) return ZkCode::kSessionExpired;
    it->second.last_ms = std::max(it->second.last_ms, now_ms);
    return ZkCode::kOk;
  }
  std::vector<int64_t> ExpiredAt(int64_t now_ms) const {
    std::vector<std::pair<int64_t, int64_t>> overdue;
    for (const auto& [id, s] : live) {
      if (s.last_ms + s.timeout_ms <= now_ms) overdue.emplace_back(s.last_ms + s.timeout_ms, id);
    }
    std::sort(overdue.begin(), overdue.end());
    std::vector<int64_t> ids;
    for (const auto& [deadline, id] : overdue) ids.push_back(id);
    return ids;
  }
};

class Runner {
 public:
  explicit Runner(uint64_t seed) : rng_(seed) { view_.BecomeLeader(table_, T(now_ms_)); }

  void Step() {
    const int op = Uniform(0, 99);
    if (op < 20) {
      CreateFresh();
    } else if (op < 25) {
      CreateWithId(AnyId(), Uniform(1, 60000));
    } else if (op < 45) {
      Touch();
    } else if (op < 55) {
      Remove(/*expire=*/false);
    } else if (op < 63) {
      Remove(/*expire=*/true);
    } else if (op < 80) {
      now_ms_ += Uniform(0, 3) == 0 ? Uniform(0, 60000) : Uniform(0, 2000);
    } else if (op < 92) {
      LeaderRound();
    } else if (op < 95) {
      ids_ = SessionIdAllocator(ids_.term() + 1);
      view_.BecomeLeader(table_, T(now_ms_));
      pending_.clear();  // the old leader's undecided proposals are dropped in this model
    } else {
      const int64_t at = now_ms_ + Uniform(-5000, 60000);
      REQUIRE(table_.ExpiredAt(T(at)) == model_.ExpiredAt(at));
    }
    Compare();
  }

  void CompareSnapshot() {
    const std::string bytes = table_.Snapshot();
    auto restored = SessionTable::Restore(bytes);
    REQUIRE(restored.ok());
    REQUIRE(restored->Snapshot() == bytes);
    table_ = *std::move(restored);
    Compare();
  }

 private:
  int64_t Uniform(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
  }

  // An invalid, a never-created, a live, or any id of the terms so far (mostly dead).
  int64_t AnyId() {
    switch (Uniform(0, 7)) {
      case 0: return Uniform(-2, 0);
      case 1: return model_.max_id + Uniform(1, 3);
      case 2:
      case 3:
      case 4:
        if (!model_.live.empty()) {
          auto it = model_.live.begin();
          std::advance(it, Uniform(0, static_cast<int64_t>(model_.live.size()) - 1));
          return it->first;
        }
        [[fallthrough]];
      default: {
        // Ids of all terms used so far, dead or alive (ids below 2^32, term 0, come from
        // case 1 while no id of term 1 exists yet).
        const int64_t term = Uniform(1, std::max<int64_t>(1, SessionIdTerm(model_.max_id)));
        return *NextSessionId(term, Uniform(0, 6));
      }
    }
  }

  // Leader times are the current time; replicated times are sometimes a bit older (an entry
  // proposed by a leader whose clock was behind).
  int64_t EntryTime() { return now_ms_ - (Uniform(0, 4) == 0 ? Uniform(0, 3000) : 0); }

  void CreateFresh() {
    auto id = ids_.Next();
    REQUIRE(id.ok());
    const absl::Duration timeout = table_.Negotiate(absl::Milliseconds(Uniform(-100, 60000)));
    CreateWithId(*id, absl::ToInt64Milliseconds(timeout));
  }

  void CreateWithId(int64_t id, int64_t timeout_ms) {
    const int64_t at = EntryTime();
    const absl::Status status = table_.Create(id, absl::Milliseconds(timeout_ms), T(at));
    INFO("create " << id << ": " << status.ToString());
    REQUIRE(ZkCodeOf(status) == model_.Create(id, timeout_ms, at));
    if (status.ok()) view_.Add(id, absl::Milliseconds(timeout_ms), T(now_ms_));
  }

  void Touch() {
    const int64_t id = AnyId();
    const int64_t at = EntryTime();
    const absl::Status status = table_.Touch(id, T(at));
    INFO("touch " << id << ": " << status.ToString());
    REQUIRE(ZkCodeOf(status) == model_.Touch(id, at));
    // The leader handled the write (or ping) before it was committed.
    const absl::Status seen = view_.Touch(id, T(now_ms_));
    if (status.ok()) REQUIRE(seen.ok() == !view_.IsExpiring(id));
  }

  void Remove(bool expire) {
    const int64_t id = AnyId();
    const absl::Status status = expire ? table_.Expire(id) : table_.Close(id);
    INFO((expire ? "expire " : "close ") << id << ": " << status.ToString());
    REQUIRE(ZkCodeOf(status) == model_.Remove(id));
    view_.Remove(id);
    pending_.erase(id);
  }

  // The leader decides; some Expire entries apply now, the rest in a later round.
  void LeaderRound() {
    const std::vector<int64_t> overdue_by_log = table_.ExpiredAt(T(now_ms_));
    const std::set<int64_t> log_set(overdue_by_log.begin(), overdue_by_log.end());
    const std::vector<int64_t> expired = view_.Expired(T(now_ms_));
    REQUIRE(view_.TakeExpired(T(now_ms_)) == expired);
    for (int64_t id : expired) {
      INFO("leader expires " << id);
      REQUIRE(log_set.count(id) == 1);
      pending_.insert(id);
    }
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (Uniform(0, 2) == 0) {
        ++it;
        continue;
      }
      const absl::Status status = table_.Expire(*it);
      REQUIRE(ZkCodeOf(status) == model_.Remove(*it));
      view_.Remove(*it);
      it = pending_.erase(it);
    }
  }

  void Compare() {
    std::vector<int64_t> ids;
    for (const auto& [id, s] : model_.live) {
      ids.push_back(id);
      auto info = table_.Get(id);
      REQUIRE(info.ok());
      REQUIRE(*info == SessionInfo{absl::Milliseconds(s.timeout_ms), T(s.last_ms)});
      // The leader's view is never behind the log (apart from decided sessions).
      if (!view_.IsExpiring(id)) {
        REQUIRE(view_.Contains(id));
        REQUIRE(view_.Find(id)->deadline() >= info->last_heard + info->timeout);
      }
    }
    REQUIRE(table_.SessionIds() == ids);
    REQUIRE(table_.size() == ids.size());
    REQUIRE(table_.max_created_id() == model_.max_id);
    REQUIRE(table_.ExpiredAt(T(now_ms_)) == model_.ExpiredAt(now_ms_));
    REQUIRE(view_.size() == ids.size());
  }

  std::mt19937_64 rng_;
  int64_t now_ms_ = 0;
  SessionTable table_;
  Model model_;
  SessionIdAllocator ids_{1};
  LeaderView view_;
  std::set<int64_t> pending_;  // decided, Expire entry not applied yet
};

uint64_t SeedFromEnvOr(uint64_t fallback) {
  const char* env = std::getenv("ZK_SESSION_SEED");
  return env != nullptr ? std::strtoull(env, nullptr, 10) : fallback;
}

TEST_CASE("random session operations agree with the reference model") {
  const uint64_t base = SeedFromEnvOr(std::random_device()());
  const int runs = std::getenv("ZK_SESSION_SEED") != nullptr ? 1 : 8;
  for (int run = 0; run < runs; ++run) {
    const uint64_t seed = base + run;
    std::printf("sessions_random_test seed=%llu (replay: --test_env=ZK_SESSION_SEED=%llu)\n",
                static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed));
    std::fflush(stdout);
    INFO("seed " << seed);
    Runner runner(seed);
    for (int step = 1; step <= 3000; ++step) {
      INFO("step " << step);
      runner.Step();
      if (step % 300 == 0) runner.CompareSnapshot();
    }
  }
}

}  // namespace
}  // namespace dcos::zk
