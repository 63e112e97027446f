// RaftCore: membership — voters and learners, one change at a time.

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "libs/raft/raft_core.h"

namespace dcos::raft {

using ::dcos::raft::v1::CONF_CHANGE_TYPE_ADD_LEARNER_NODE;
using ::dcos::raft::v1::CONF_CHANGE_TYPE_ADD_NODE;
using ::dcos::raft::v1::CONF_CHANGE_TYPE_REMOVE_NODE;
using ::dcos::raft::v1::ENTRY_TYPE_CONF_CHANGE;

namespace {

bool Contains(const google::protobuf::RepeatedField<uint64_t>& ids, uint64_t id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

void Remove(google::protobuf::RepeatedField<uint64_t>* ids, uint64_t id) {
  auto it = std::find(ids->begin(), ids->end(), id);
  if (it != ids->end()) ids->erase(it);
}

}  // namespace

bool RaftCore::IsVoter(uint64_t id) const { return Contains(conf_.voters(), id); }
bool RaftCore::IsLearner(uint64_t id) const { return Contains(conf_.learners(), id); }

void RaftCore::ResetProgress() {
  progress_.clear();
  auto add = [&](uint64_t peer) {
    Progress pr;
    pr.next = log_.last_index() + 1;
    pr.match = peer == id_ ? log_.stable() : 0;
    pr.recent_active = true;
    progress_[peer] = pr;
  };
  for (uint64_t v : conf_.voters()) add(v);
  for (uint64_t l : conf_.learners()) add(l);
}

absl::StatusOr<uint64_t> RaftCore::ProposeConfChange(const ConfChange& change) {
  if (role_ != Role::kLeader) {
    return absl::UnavailableError(absl::StrCat("not the leader; leader is ", leader_));
  }
  if (transferee_ != 0) {
    return absl::UnavailableError("a leadership transfer is under way");
  }
  if (change.changes_size() != 1) {
    return absl::InvalidArgumentError("exactly one membership change at a time");
  }
  if (!CommittedInCurrentTerm()) {
    return absl::FailedPreconditionError(
        "the leader has not yet committed an entry of its term; retry shortly");
  }
  if (pending_conf_index_ > log_.applied()) {
    return absl::FailedPreconditionError(
        absl::StrCat("membership change at index ", pending_conf_index_, " is still pending"));
  }
  const auto& c = change.changes(0);
  uint64_t node = c.node_id();
  if (node == 0) return absl::InvalidArgumentError("node id 0 is not valid");
  switch (c.type()) {
    case CONF_CHANGE_TYPE_ADD_NODE:
      if (IsVoter(node)) {
        return absl::InvalidArgumentError(absl::StrCat("member ", node, " is already a voter"));
      }
      break;
    case CONF_CHANGE_TYPE_ADD_LEARNER_NODE:
      if (IsMember(node)) {
        return absl::InvalidArgumentError(absl::StrCat("member ", node, " is already a member"));
      }
      break;
    case CONF_CHANGE_TYPE_REMOVE_NODE:
      if (!IsMember(node)) {
        return absl::InvalidArgumentError(absl::StrCat("member ", node, " is not a member"));
      }
      if (IsVoter(node) && conf_.voters_size() == 1) {
        return absl::InvalidArgumentError("cannot remove the last voter");
      }
      break;
    default:
      return absl::InvalidArgumentError("unknown membership change type");
  }
  Entry e;
  e.set_term(term_);
  e.set_type(ENTRY_TYPE_CONF_CHANGE);
  e.set_data(change.SerializeAsString());
  uint64_t index = log_.Append({std::move(e)});
  pending_conf_index_ = index;
  need_broadcast_ = true;
  return index;
}

void RaftCore::ApplyConfChangesUpTo(uint64_t index) {
  if (index <= conf_applied_index_) return;
  uint64_t from = std::max(conf_applied_index_ + 1, log_.first_index());
  for (uint64_t i = from; i <= index && i <= log_.last_index(); ++i) {
    Entry e = log_.Slice(i, i + 1, 0)[0];
    if (e.type() != ENTRY_TYPE_CONF_CHANGE) continue;
    ConfChange change;
    if (!change.ParseFromString(e.data())) continue;  // written by us; cannot happen
    ApplyConfChange(change);
  }
  conf_applied_index_ = index;
}

void RaftCore::ApplyConfChange(const ConfChange& change) {
  for (const auto& c : change.changes()) {
    uint64_t node = c.node_id();
    switch (c.type()) {
      case CONF_CHANGE_TYPE_ADD_NODE:
        Remove(conf_.mutable_learners(), node);
        if (!IsVoter(node)) conf_.add_voters(node);
        if (!c.address().empty()) (*conf_.mutable_addresses())[node] = c.address();
        break;
      case CONF_CHANGE_TYPE_ADD_LEARNER_NODE:
        if (!IsMember(node)) conf_.add_learners(node);
        if (!c.address().empty()) (*conf_.mutable_addresses())[node] = c.address();
        break;
      case CONF_CHANGE_TYPE_REMOVE_NODE:
        Remove(conf_.mutable_voters(), node);
        Remove(conf_.mutable_learners(), node);
        conf_.mutable_addresses()->erase(node);
        break;
      default:
        break;
    }
  }
  std::sort(conf_.mutable_voters()->begin(), conf_.mutable_voters()->end());
  std::sort(conf_.mutable_learners()->begin(), conf_.mutable_learners()->end());
  if (role_ != Role::kLeader) return;
  if (!IsVoter(id_)) {
    BecomeFollower(term_, 0);  // removed (or demoted): a leader must be a voter
    return;
  }
  // Track new members, forget removed ones.
  for (auto it = progress_.begin(); it != progress_.end();) {
    it = IsMember(it->first) ? std::next(it) : progress_.erase(it);
  }
  auto track = [&](uint64_t peer) {
    if (progress_.count(peer)) return;
    Progress pr;
    pr.next = log_.last_index() + 1;
    pr.recent_active = true;
    progress_[peer] = pr;
  };
  for (uint64_t v : conf_.voters()) track(v);
  for (uint64_t l : conf_.learners()) track(l);
  if (transferee_ != 0 && !IsVoter(transferee_)) transferee_ = 0;
  if (MaybeCommit()) need_broadcast_ = true;  // one broadcast per Ready
  need_broadcast_ = true;
}

}  // namespace dcos::raft
