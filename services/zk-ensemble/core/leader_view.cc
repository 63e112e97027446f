#include "services/zk-ensemble/core/leader_view.h"

#include "absl/strings/str_cat.h"
#include "services/zk-ensemble/core/errors.h"

namespace dcos::zk {

void LeaderView::BecomeLeader(const SessionTable& table, absl::Time now) {
  sessions_ = SessionDeadlines();
  expiring_.clear();
  for (int64_t id : table.SessionIds()) {
    // Get cannot fail for a listed id.
    sessions_.Put(id, SessionLiveness{table.Get(id)->timeout, now});
  }
}

void LeaderView::Add(int64_t session_id, absl::Duration timeout, absl::Time now) {
  if (IsExpiring(session_id)) return;
  if (sessions_.Touch(session_id, now)) return;
  sessions_.Put(session_id, SessionLiveness{timeout, now});
}

void LeaderView::Remove(int64_t session_id) {
  sessions_.Remove(session_id);
  expiring_.erase(session_id);
}

absl::Status LeaderView::Touch(int64_t session_id, absl::Time now) {
  if (IsExpiring(session_id)) {
    return ZkStatus(ZkCode::kSessionExpired, "",
                    absl::StrCat("session ", SessionIdString(session_id), " is expiring"));
  }
  if (!sessions_.Touch(session_id, now)) {
    return ZkStatus(ZkCode::kSessionExpired, "",
                    absl::StrCat("session ", SessionIdString(session_id),
                                 " is not known to the leader"));
  }
  return absl::OkStatus();
}

std::vector<int64_t> LeaderView::Expired(absl::Time now) const {
  return sessions_.Overdue(now);
}

std::vector<int64_t> LeaderView::TakeExpired(absl::Time now) {
  std::vector<int64_t> ids = sessions_.Overdue(now);
  for (int64_t id : ids) {
    sessions_.Remove(id);
    expiring_.insert(id);
  }
  return ids;
}

std::vector<int64_t> TouchBatch::Take() {
  std::vector<int64_t> out(ids_.begin(), ids_.end());
  ids_.clear();
  return out;
}

}  // namespace dcos::zk
