#pragma once

// SessionDeadlines: sessions with a timeout and the time they were last heard from, indexed
// by deadline (last heard + timeout). The common part of SessionTable (replicated liveness)
// and LeaderView (the leader's liveness); not used directly by the service.
//
// Thread-compatible: a plain value owned by one thread.

#include <cstddef>
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/time/time.h"

namespace dcos::zk {

struct SessionLiveness {
  absl::Duration timeout;
  absl::Time last_heard;

  absl::Time deadline() const { return last_heard + timeout; }
  bool operator==(const SessionLiveness&) const = default;
};

class SessionDeadlines {
 public:
  // Adds or replaces `id`.
  void Put(int64_t id, SessionLiveness liveness);
  // Moves last_heard forward to `now`; never backwards (times from a new leader's clock may
  // be behind the old leader's). False if `id` is absent.
  bool Touch(int64_t id, absl::Time now);
  // False if `id` is absent.
  bool Remove(int64_t id);

  const SessionLiveness* Find(int64_t id) const;
  bool Contains(int64_t id) const { return by_id_.count(id) != 0; }
  size_t size() const { return by_id_.size(); }

  // Sessions with deadline <= now: earliest deadline first, ties by ascending id.
  std::vector<int64_t> Overdue(absl::Time now) const;

  // Every session, by ascending id.
  const std::map<int64_t, SessionLiveness>& by_id() const { return by_id_; }

 private:
  std::map<int64_t, SessionLiveness> by_id_;
  absl::btree_set<std::pair<absl::Time, int64_t>> by_deadline_;
};

}  // namespace dcos::zk
