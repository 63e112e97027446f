#pragma once

// MemLogStorage: LogStorage in memory, with the same contract and errors as FileLogStorage.
// For unit tests of the Raft core and for the deterministic simulation, which models a crash
// by dropping whatever the core had not yet passed to Append/SaveSnapshot and then calling
// Load() again on the same MemLogStorage (everything stored counts as durable). Unlike
// FileLogStorage, Load() may be called any number of times.
//
// Thread-compatible: one owner.

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "libs/raft/storage.h"

namespace dcos::raft {

class MemLogStorage final : public LogStorage {
 public:
  MemLogStorage() = default;

  absl::StatusOr<PersistentState> Load() override;
  // Errors: FAILED_PRECONDITION if entries[0] leaves a gap after the last stored index or is
  // <= the snapshot index; INVALID_ARGUMENT if `entries` are not contiguous.
  absl::Status Append(const std::vector<Entry>& entries, const HardState* hard_state) override;
  // Errors: FAILED_PRECONDITION if metadata.index() <= the current snapshot's index.
  absl::Status SaveSnapshot(const SnapshotMetadata& metadata, const std::string& data) override;
  absl::StatusOr<std::string> LoadSnapshotData() override;

  // Inspection for tests and the simulation.
  uint64_t last_index() const;
  const HardState& hard_state() const { return hard_state_; }
  const SnapshotMetadata& snapshot() const { return snapshot_; }
  const std::deque<Entry>& entries() const { return entries_; }

 private:
  HardState hard_state_;
  SnapshotMetadata snapshot_;
  std::string snapshot_data_;
  std::deque<Entry> entries_;  // snapshot_.index()+1 ..
};

}  // namespace dcos::raft
