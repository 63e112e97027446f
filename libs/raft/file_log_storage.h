#pragma once

// FileLogStorage: LogStorage on local disk — a segmented write-ahead log holding entries and
// hard state, plus snapshot files. README.md describes the format and recovery rules; in short:
//
//   <dir>/wal/<seq:016x>.wal                 segments, replayed in seq order
//   <dir>/wal/spare-<n>                      a preallocated segment not yet in use
//   <dir>/snap/<index:016x>-<term:016x>.snap snapshots (the latest `snapshots_to_keep`)
//
// - Segments are preallocated: a new segment is a spare file already full of zeros (prepared
//   ahead of time by a SegmentPreparer) renamed into place. Append writes one checksummed frame
//   (its entries and hard state) over the zeros at the segment's logical end with one pwrite
//   and one fdatasync, which then has no file size to commit. Group commit is the caller
//   batching entries into one Append. No directory fsync except when a segment is started or
//   removed and a snapshot is renamed into place.
// - Load recovers: zeros after a segment's last frame are its unused end; a torn or corrupt tail
//   of the last segment is cut off (and logged); any other corruption is DATA_LOSS naming the
//   file and offset. Nothing corrupt is ever returned.
// - After an error the in-memory view is unchanged. A failed write is cut back off the segment
//   so the storage stays usable (e.g. once a full disk has room again); a failed fdatasync, or a
//   write that cannot be cut back, makes every later mutating call fail with FAILED_PRECONDITION
//   (after a failed fsync the kernel may have dropped the data: only a reopen can tell). A
//   segment cut back (here or by Load) ends at its last frame: the next frame starts a new one.
//
// Thread-compatible: one owner (the Raft driver's thread); the segment preparer's thread is
// internal. Only one FileLogStorage may use a directory at a time (`<dir>/LOCK`).

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/raft/env.h"
#include "libs/raft/storage.h"

namespace dcos::raft {

class SegmentPreparer;

class FileLogStorage final : public LogStorage {
 public:
  struct Options {
    // Bytes preallocated (written as zeros) for each new segment. A frame that does not fit in
    // what is left of the current segment starts a new one; a frame larger than a whole
    // segment is written alone into a new segment, growing that file. Changing it between
    // runs is fine: it applies to segments started from then on.
    uint64_t segment_size = 64ull << 20;
    // Prepare the next segment on a background thread, ahead of need (one spare segment on
    // disk). false: an Append that starts a segment writes its zeros itself (tests with
    // injected faults, where the order of operations must not depend on a thread).
    bool prepare_in_background = true;
    // Snapshot files kept (the newest ones); older ones are deleted by SaveSnapshot. >= 1.
    int snapshots_to_keep = 2;
  };

  // Creates `dir` (and its wal/ and snap/ subdirectories) if missing; reads nothing yet: call
  // Load() next. `env` must outlive the storage.
  static absl::StatusOr<std::unique_ptr<FileLogStorage>> Open(Env* env, std::string dir,
                                                              Options options);

  ~FileLogStorage() override;

  // Recovers and reads the state back. May be called only once per object. Errors: DATA_LOSS
  // for corruption that is not a torn tail (message names the file and offset), I/O errors.
  absl::StatusOr<PersistentState> Load() override;

  // See LogStorage. Errors: FAILED_PRECONDITION before Load, after an earlier fatal error, or if
  // entries[0] leaves a gap after the last stored index or is <= the snapshot index;
  // INVALID_ARGUMENT if `entries` are not contiguous or too large for one frame (1 GiB);
  // RESOURCE_EXHAUSTED when the disk is full; other I/O errors.
  absl::Status Append(const std::vector<Entry>& entries, const HardState* hard_state) override;

  // See LogStorage. Errors: FAILED_PRECONDITION before Load, after an earlier fatal error, or if
  // metadata.index() <= the current snapshot's index; I/O errors. Failing to delete old segments
  // or snapshots afterwards is only logged (they are deleted by a later SaveSnapshot).
  absl::Status SaveSnapshot(const SnapshotMetadata& metadata, const std::string& data) override;

  absl::StatusOr<std::string> LoadSnapshotData() override;

  // See LogStorage: SaveSnapshot in two steps (the snapshot file, then the bookkeeping and
  // the deletion of what it covers).
  bool WritesSnapshotsConcurrently() const override { return true; }
  absl::Status WriteSnapshot(const SnapshotMetadata& metadata, const std::string& data) override;
  absl::Status AdoptSnapshot(const SnapshotMetadata& metadata) override;

  // For tests and metrics.
  uint64_t last_index() const { return last_index_; }
  size_t segment_count() const { return segments_.size(); }
  // For tests: blocks until the background preparation of a spare segment (if any) is done.
  void WaitForSpareSegment();

 private:
  struct Segment {
    uint64_t seq = 0;
    std::string path;
    // Highest entry (or snapshot marker) index ever written to it; 0 if none. A prefix of
    // segments whose max_index <= the snapshot index can be deleted.
    uint64_t max_index = 0;
  };

  FileLogStorage(Env* env, std::string dir, Options options);

  absl::Status CheckUsable() const;
  // Starts a new segment if there is none, or if a frame of `frame_size` bytes does not fit in
  // the current one (unless it holds no frame yet).
  absl::Status MaybeRoll(uint64_t frame_size);
  // Renames a prepared spare to the next segment's name and writes its header.
  absl::Status StartSegment();
  // Writes one frame at the logical end of the current segment and fdatasyncs it (see the
  // class comment for what happens on failure).
  absl::Status WriteFrame(const std::string& frame);
  uint64_t TermAt(uint64_t index) const;  // requires snapshot index < index <= last_index_
  void DeleteCoveredSegments();
  void DeleteOldSnapshots();

  // Load's part that reads the segments (file_log_storage_load.cc).
  absl::Status RecoverSegments(uint64_t snapshot_index, PersistentState* state,
                               std::optional<uint64_t>* term_at_snapshot);

  Env* const env_;
  const std::string dir_;
  std::unique_ptr<FileLock> lock_;  // <dir>/LOCK, held while open
  const std::string wal_dir_;
  const std::string snap_dir_;
  const Options options_;

  bool loaded_ = false;
  absl::Status fatal_;  // OK until an error that leaves the disk state unknown

  HardState hard_state_;  // the latest durable one (all zero at first)
  SnapshotMetadata snapshot_;  // index 0: none
  std::string snapshot_path_;
  // Terms of the entries snapshot_.index()+1 .. last_index_.
  std::deque<uint64_t> terms_;
  uint64_t last_index_ = 0;

  std::deque<Segment> segments_;  // oldest first; appends go to back()
  std::unique_ptr<RandomWriteFile> current_;  // open on segments_.back(), or null
  uint64_t header_end_ = 0;  // end of the current segment's header frame
  uint64_t end_ = 0;         // its logical end: where the next frame goes
  // Its preallocated size (the file's size). A segment cut at its last frame (after a torn
  // tail or a failed write) has no space left: the next frame starts a new segment.
  uint64_t capacity_ = 0;
  uint64_t next_seq_ = 1;
  std::unique_ptr<SegmentPreparer> preparer_;  // created by Load
};

}  // namespace dcos::raft
