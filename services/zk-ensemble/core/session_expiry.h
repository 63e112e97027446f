#pragma once

// SessionExpiry: one member's part in deciding when sessions expire (README.md, "Sessions"),
// without threads, clock or RPCs. SessionKeeper runs it with those; the simulation test
// (sim/) drives it on simulated time.
//
// - A follower collects the pings of sessions attached to it (Touch) and hands them out
//   (TakePending) to be forwarded to the leader.
// - The leader keeps a LeaderView: its own pings, forwarded ones (HandleForward) and the
//   replicated session table, and names the sessions whose timeout passed (TakeExpired); it
//   proposes an Expire entry for each.
// - Observe tells it the member's role. On a new term as leader, every live session gets a
//   fresh timeout (a failover never expires a healthy session; core/leader_view.h).
//
// The session table is read through `table` only when needed (a copy is not free).
//
// Thread-compatible (SessionKeeper holds a mutex around it).

#include <cstdint>
#include <map>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "services/zk-ensemble/core/leader_view.h"
#include "services/zk-ensemble/core/sessions.h"

namespace dcos::zk {

class SessionExpiry {
 public:
  using TableFn = absl::FunctionRef<SessionTable()>;

  // A decided expiry whose Expire entry has not applied after `repropose_after` (its proposal
  // was lost, e.g. refused during a leadership transfer) is named again by TakeExpired.
  explicit SessionExpiry(absl::Duration repropose_after = absl::Seconds(2))
      : repropose_after_(repropose_after) {}

  // The member's role at `now`: leading `term`, or not leading (term ignored). While leading,
  // also brings the view in line with the table (sessions created or ended since) and counts
  // the pings it collected as a follower.
  void Observe(bool leading, uint64_t term, TableFn table, absl::Time now);

  // A ping of a session attached to this member (already checked live by the caller).
  void Touch(int64_t session_id, TableFn table, absl::Time now);

  // The leader's side of a forwarded batch. UNAVAILABLE when not leading. `refused` gets the
  // ids the leader does not hold as live.
  absl::Status HandleForward(const std::vector<int64_t>& session_ids, TableFn table,
                             absl::Time now, std::vector<int64_t>* refused);

  // Follower: the pings collected since the last call, ascending (empties the batch).
  std::vector<int64_t> TakePending() { return pending_.Take(); }

  // Leader: the sessions to expire at `now` (LeaderView::TakeExpired), plus those decided at
  // least `repropose_after` ago that are still in the table as of the last Observe. Empty
  // when not leading.
  std::vector<int64_t> TakeExpired(absl::Time now);

  bool leading() const { return term_ != 0; }

 private:
  void Sync(uint64_t term, const SessionTable& table, absl::Time now);

  const absl::Duration repropose_after_;
  LeaderView view_;
  // Decided expiries not yet seen applied, with when they were last named.
  std::map<int64_t, absl::Time> proposed_;
  uint64_t term_ = 0;  // the term the view was built for; 0: not leading
  TouchBatch pending_;
};

}  // namespace dcos::zk
