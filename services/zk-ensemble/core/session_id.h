#pragma once

// Session ids of dcos-zk: unique across leaders without reading a clock or persisting a counter.
//
//   bit 63      0 (ids are positive; 0 means "no session")
//   bits 62-32  the Raft term of the leader that assigned the id, 1 .. 2^31-1
//   bits 31-0   a counter the leader keeps in memory for that term, 0 .. 2^32-1
//
// Why this is unique: Raft has at most one leader per term, and a leader that restarts comes
// back as a follower, so it can lead again only in a later term. Hence (term, counter) is
// assigned at most once as long as each leader counts up from 0 within its term, and the
// counter needs no persistence. A member id in the high bits would not be enough on its own
// (the counter would have to survive restarts); ZooKeeper mixes in the wall clock, which can
// step backwards.
//
// Ids also increase in log order: log entries are in term order, and within its term the
// leader allocates an id and appends its CreateSession entry in the same step (precondition
// of the driver). SessionTable relies on this to refuse any id at or below the largest it has
// created, so a closed or expired session can never be re-created (see sessions.h).

#include <cstdint>

#include "absl/status/statusor.h"

namespace dcos::zk {

inline constexpr int64_t kMaxSessionIdTerm = (int64_t{1} << 31) - 1;
inline constexpr int64_t kMaxSessionIdCounter = (int64_t{1} << 32) - 1;

// The id for (term, counter). Errors: OUT_OF_RANGE (canonical code only, no ZkError payload:
// it is the leader's problem, not the client's) if term is outside [1, kMaxSessionIdTerm] or
// counter outside [0, kMaxSessionIdCounter].
absl::StatusOr<int64_t> NextSessionId(int64_t term, int64_t counter);

// The parts of an id made by NextSessionId (for logs and debugging).
int64_t SessionIdTerm(int64_t session_id);
int64_t SessionIdCounter(int64_t session_id);

// The leader's allocator for one term: Next() gives (term, 0), (term, 1), ... A new leader
// makes a new allocator with its term. Thread-compatible.
class SessionIdAllocator {
 public:
  explicit SessionIdAllocator(int64_t term) : term_(term) {}

  // Errors: those of NextSessionId (a bad term, or 2^32 sessions created in one term: the
  // leader should step down so that a new term starts).
  absl::StatusOr<int64_t> Next();

  int64_t term() const { return term_; }

 private:
  int64_t term_;
  int64_t counter_ = 0;
};

}  // namespace dcos::zk
