#include "libs/raft/mem_log_storage.h"

#include "absl/strings/str_cat.h"

namespace dcos::raft {

uint64_t MemLogStorage::last_index() const {
  return entries_.empty() ? snapshot_.index() : entries_.back().index();
}

absl::StatusOr<PersistentState> MemLogStorage::Load() {
  PersistentState state;
  state.hard_state = hard_state_;
  state.snapshot = snapshot_;
  state.entries.assign(entries_.begin(), entries_.end());
  return state;
}

absl::Status MemLogStorage::Append(const std::vector<Entry>& entries,
                                   const HardState* hard_state) {
  if (!entries.empty()) {
    const uint64_t first = entries.front().index();
    if (first > last_index() + 1) {
      return absl::FailedPreconditionError(absl::StrCat(
          "Append: entry ", first, " would leave a gap after the last index ", last_index()));
    }
    if (first <= snapshot_.index()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "Append: entry ", first, " is covered by the snapshot at index ", snapshot_.index()));
    }
    for (size_t i = 1; i < entries.size(); ++i) {
      if (entries[i].index() != first + i) {
        return absl::InvalidArgumentError(absl::StrCat("Append: entries not contiguous at #", i,
                                                       " (index ", entries[i].index(), ")"));
      }
    }
    entries_.resize(first - snapshot_.index() - 1);
    entries_.insert(entries_.end(), entries.begin(), entries.end());
  }
  if (hard_state != nullptr) hard_state_ = *hard_state;
  return absl::OkStatus();
}

absl::Status MemLogStorage::SaveSnapshot(const SnapshotMetadata& metadata,
                                         const std::string& data) {
  const uint64_t index = metadata.index();
  if (index <= snapshot_.index()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "SaveSnapshot: index ", index, " is not after the current snapshot's ", snapshot_.index()));
  }
  const bool covered = index <= last_index();
  if (covered && entries_[index - snapshot_.index() - 1].term() == metadata.term()) {
    entries_.erase(entries_.begin(),
                   entries_.begin() + static_cast<long>(index - snapshot_.index()));
  } else {
    entries_.clear();  // the log does not hold the snapshot's last entry: all of it goes
  }
  snapshot_ = metadata;
  snapshot_data_ = data;
  return absl::OkStatus();
}

absl::StatusOr<std::string> MemLogStorage::LoadSnapshotData() { return snapshot_data_; }

}  // namespace dcos::raft
