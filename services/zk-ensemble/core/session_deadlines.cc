#include "services/zk-ensemble/core/session_deadlines.h"

namespace dcos::zk {

void SessionDeadlines::Put(int64_t id, SessionLiveness liveness) {
  Remove(id);
  by_id_.emplace(id, liveness);
  by_deadline_.emplace(liveness.deadline(), id);
}

bool SessionDeadlines::Touch(int64_t id, absl::Time now) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return false;
  if (now <= it->second.last_heard) return true;
  by_deadline_.erase({it->second.deadline(), id});
  it->second.last_heard = now;
  by_deadline_.emplace(it->second.deadline(), id);
  return true;
}

bool SessionDeadlines::Remove(int64_t id) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return false;
  by_deadline_.erase({it->second.deadline(), id});
  by_id_.erase(it);
  return true;
}

const SessionLiveness* SessionDeadlines::Find(int64_t id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &it->second;
}

std::vector<int64_t> SessionDeadlines::Overdue(absl::Time now) const {
  std::vector<int64_t> out;
  for (const auto& [deadline, id] : by_deadline_) {
    if (deadline > now) break;
    out.push_back(id);
  }
  return out;
}

}  // namespace dcos::zk
