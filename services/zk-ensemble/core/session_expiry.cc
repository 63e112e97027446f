#include "services/zk-ensemble/core/session_expiry.h"

namespace dcos::zk {

void SessionExpiry::Observe(bool leading, uint64_t term, TableFn table, absl::Time now) {
  if (!leading) {
    term_ = 0;
    return;
  }
  Sync(term, table(), now);
  // Pings collected while this member was a follower count too.
  for (int64_t id : pending_.Take()) (void)view_.Touch(id, now);
}

void SessionExpiry::Touch(int64_t session_id, TableFn table, absl::Time now) {
  if (term_ == 0) {
    pending_.Touch(session_id);
    return;
  }
  if (!view_.Contains(session_id) && !view_.IsExpiring(session_id)) Sync(term_, table(), now);
  (void)view_.Touch(session_id, now);
}

absl::Status SessionExpiry::HandleForward(const std::vector<int64_t>& session_ids,
                                          TableFn table, absl::Time now,
                                          std::vector<int64_t>* refused) {
  if (term_ == 0) return absl::UnavailableError("not the leader");
  for (int64_t id : session_ids) {
    if (!view_.Contains(id) && !view_.IsExpiring(id)) Sync(term_, table(), now);
    if (!view_.Touch(id, now).ok()) refused->push_back(id);
  }
  return absl::OkStatus();
}

std::vector<int64_t> SessionExpiry::TakeExpired(absl::Time now) {
  if (term_ == 0) return {};
  std::vector<int64_t> ids = view_.TakeExpired(now);
  for (auto& [id, named] : proposed_) {
    if (now - named >= repropose_after_) {
      ids.push_back(id);
      named = now;
    }
  }
  for (int64_t id : ids) proposed_.emplace(id, now);
  return ids;
}

void SessionExpiry::Sync(uint64_t term, const SessionTable& table, absl::Time now) {
  if (term != term_) {
    view_ = LeaderView();
    view_.BecomeLeader(table, now);
    proposed_.clear();
    term_ = term;
    return;
  }
  for (int64_t id : table.SessionIds()) {
    if (!view_.Contains(id) && !view_.IsExpiring(id)) {
      absl::StatusOr<SessionInfo> info = table.Get(id);
      if (info.ok()) view_.Add(id, info->timeout, now);
    }
  }
  std::vector<int64_t> gone;
  for (int64_t id : view_.Expired(absl::InfiniteFuture())) {
    if (!table.Exists(id)) gone.push_back(id);
  }
  for (auto it = proposed_.begin(); it != proposed_.end();) {
    if (table.Exists(it->first)) {
      ++it;
    } else {
      gone.push_back(it->first);  // its Expire (or a Close) applied
      it = proposed_.erase(it);
    }
  }
  for (int64_t id : gone) view_.Remove(id);
}

}  // namespace dcos::zk
