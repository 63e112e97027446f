#pragma once

// LogStorage: the durable state of one Raft member — hard state (term, vote, commit), the log
// entries after the latest snapshot, and that snapshot (metadata and state-machine data).
//
// Contract (every implementation, checked by storage_contract_test):
// - Every mutating call is durable when it returns OK: a crash (power loss, kill -9) after an
//   OK return loses nothing it wrote; a crash during a call leaves either the old or the new
//   state for hard state and snapshot, and for entries some prefix of the batch (recovery drops
//   a torn or corrupt tail, never loads garbage, never fails because of one).
// - An error (disk full, I/O error, unreadable file) is returned as a Status and leaves the
//   in-memory view unchanged; the caller decides (the driver stops the member with a clear
//   message rather than crash-looping).
//
// Thread-compatible: one owner (the Raft driver's thread).

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "protos/raft/v1/raft.pb.h"

namespace dcos::raft {

using Entry = ::dcos::raft::v1::Entry;
using HardState = ::dcos::raft::v1::HardState;
using SnapshotMetadata = ::dcos::raft::v1::SnapshotMetadata;

// What a member finds on disk when it starts.
struct PersistentState {
  HardState hard_state;
  // The latest snapshot's metadata; index 0 when there is none. Its data: LoadSnapshotData().
  SnapshotMetadata snapshot;
  // The log entries after snapshot.index(), contiguous, in order.
  std::vector<Entry> entries;
};

class LogStorage {
 public:
  virtual ~LogStorage() = default;

  // Reads everything back (after recovering from a crash, see above). Called once, first.
  virtual absl::StatusOr<PersistentState> Load() = 0;

  // Appends `entries` (contiguous; the first may have an index <= the last stored index, in
  // which case the stored suffix from that index is discarded first: a follower's log being
  // overwritten by a new leader) and then records `*hard_state` if it is not null. One fsync
  // for the whole batch (group commit). Requires entries[0].index() <= last stored index + 1
  // and > snapshot index.
  virtual absl::Status Append(const std::vector<Entry>& entries, const HardState* hard_state) = 0;

  // Stores a snapshot (metadata and data) atomically, then discards every entry with index
  // <= metadata.index() (and, if the log does not contain the snapshot's last entry with its
  // term, the whole log). Used both for a member's own snapshots and for installed ones.
  virtual absl::Status SaveSnapshot(const SnapshotMetadata& metadata, const std::string& data) = 0;

  // The data of the latest snapshot ("" when there is none).
  virtual absl::StatusOr<std::string> LoadSnapshotData() = 0;

  // A member's own snapshot in two steps, so the slow part (writing and syncing the data)
  // can run on another thread while the owner goes on appending. Only where
  // `WritesSnapshotsConcurrently()`:
  // - WriteSnapshot makes the snapshot durable where Load would find it (a crash after it
  //   is like a crash inside SaveSnapshot: the log entries it covers are simply skipped). It
  //   touches nothing the other calls use, so it may run on any thread, concurrently with
  //   them (not with another WriteSnapshot). The snapshot must cover only committed entries.
  // - AdoptSnapshot (the owner's thread, after WriteSnapshot returned OK) does the rest of
  //   SaveSnapshot: discards the covered entries and older snapshots. A snapshot no newer
  //   than the current one (an installed snapshot overtook it) is ignored: OK.
  virtual bool WritesSnapshotsConcurrently() const { return false; }
  virtual absl::Status WriteSnapshot(const SnapshotMetadata& metadata, const std::string& data) {
    return absl::UnimplementedError("WriteSnapshot");
  }
  virtual absl::Status AdoptSnapshot(const SnapshotMetadata& metadata) {
    return absl::UnimplementedError("AdoptSnapshot");
  }
};

}  // namespace dcos::raft
