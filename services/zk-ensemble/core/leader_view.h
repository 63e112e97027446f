#pragma once

// The leader's side of session expiry (see sessions.h and README.md "Sessions").
//
// Pings are not written to the log. Each member collects the ids of the sessions that pinged
// it in a TouchBatch and forwards the batch to the leader every forward interval (well below
// the minimum session timeout, e.g. min_timeout / 4). The leader feeds the
// batches it receives, and the pings of the sessions attached to itself, into its
// LeaderView, which alone decides expiry: TakeExpired(now) names the sessions to expire, and
// the leader proposes an Expire entry for each.
//
// All times given to a LeaderView are the LEADER's clock when it handles the event (receipt
// of a batch, apply of an entry), never a time carried in an entry or set by a follower: a
// late touch only postpones expiry, it never makes it early.
//
// A decided session (IsExpiring) is dead for the leader: besides its pings, the service
// should refuse the session's new writes with SESSION_EXPIRED (ZooKeeper's "closing" state);
// a write already in the log before the Expire entry still applies, the table accepts it.
//
// Leader changes: the view is not replicated. A new leader builds it with
// BecomeLeader(table, now), which gives every live session a full fresh timeout from `now`
// (as ZooKeeper does), because the new leader has not heard the pings the old one received.
// A failover therefore never expires a healthy session; the price is that a dead session
// lives up to one timeout longer.
//
// Thread-compatible: owned by the leader's driver thread; discarded when it stops leading.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "services/zk-ensemble/core/session_deadlines.h"
#include "services/zk-ensemble/core/sessions.h"

namespace dcos::zk {

class LeaderView {
 public:
  // An empty view (the member is not leading).
  LeaderView() = default;

  // Replaces the view with every live session of `table`, each last heard at `now`.
  void BecomeLeader(const SessionTable& table, absl::Time now);

  // The leader applied a Create entry: the session is last heard at `now` (the leader's
  // apply time). If present already, this is a Touch.
  void Add(int64_t session_id, absl::Duration timeout, absl::Time now);

  // The leader applied a Close or an Expire entry. Absent ids are ignored.
  void Remove(int64_t session_id);

  // A ping of the session reached the leader (forwarded or its own) at `now`.
  // Errors: SESSION_EXPIRED if the view does not hold the session, or if its expiry has
  // been decided (TakeExpired returned it): a decided expiry is never undone by a late ping,
  // so the client is told at once rather than when the Expire entry applies.
  absl::Status Touch(int64_t session_id, absl::Time now);

  // Sessions overdue at `now` (last heard + timeout <= now) whose expiry is not decided yet,
  // earliest deadline first, ties by ascending id. Does not change the view.
  std::vector<int64_t> Expired(absl::Time now) const;

  // Expired(now), and marks them decided: later calls do not return them again, and their
  // pings are refused. The leader proposes an Expire entry for each; Remove follows when it
  // applies.
  std::vector<int64_t> TakeExpired(absl::Time now);

  bool Contains(int64_t session_id) const { return sessions_.Contains(session_id); }
  bool IsExpiring(int64_t session_id) const { return expiring_.count(session_id) != 0; }
  // The leader's liveness of a session, or nullptr if it does not hold it.
  const SessionLiveness* Find(int64_t session_id) const { return sessions_.Find(session_id); }
  size_t size() const { return sessions_.size() + expiring_.size(); }

 private:
  // Sessions not yet decided. Decided ones move to expiring_.
  SessionDeadlines sessions_;
  absl::btree_set<int64_t> expiring_;
};

// The sessions that pinged this member since its last forward to the leader. Each id once,
// whatever the number of pings. Thread-compatible.
class TouchBatch {
 public:
  void Touch(int64_t session_id) { ids_.insert(session_id); }
  // The ids, ascending; empties the batch.
  std::vector<int64_t> Take();
  bool empty() const { return ids_.empty(); }

 private:
  absl::btree_set<int64_t> ids_;
};

}  // namespace dcos::zk
