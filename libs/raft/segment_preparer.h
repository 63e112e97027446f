#pragma once

// SegmentPreparer: keeps a spare write-ahead-log segment ready for FileLogStorage, so that
// starting a segment costs a rename and a header write instead of writing a whole segment of
// zeros. Modelled on LogCabin's segment preparer (Storage/SegmentedLog.h); no code copied.
//
// A spare is `<dir>/spare-<n>`, written full of real zeros up to `size` bytes (not fallocate:
// ext4 would leave unwritten extents, and converting them on first write costs a journal commit
// per fdatasync, as appending to a growing file does), 1 MiB at a time with an fdatasync after
// each, and its directory entry fsynced. A spare not taken when the process stops is garbage: FileLogStorage::Load removes
// every file IsSpareName() accepts, finished or not.
//
// With `background`, one thread owned by the preparer prepares a spare after Start() and after
// each Take(), and at most one spare is ready at a time. Without it, nothing runs ahead: Take()
// prepares the spare in the calling thread (deterministic, for tests with injected faults).
//
// Thread-safe. The destructor stops the thread (abandoning a preparation in progress, whose
// file is removed) and joins it.

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "libs/raft/env.h"

namespace dcos::raft {

class SegmentPreparer {
 public:
  // `env` must outlive the preparer; `dir` exists.
  SegmentPreparer(Env* env, std::string dir, uint64_t size, bool background);
  ~SegmentPreparer();

  SegmentPreparer(const SegmentPreparer&) = delete;
  SegmentPreparer& operator=(const SegmentPreparer&) = delete;

  // With `background`: starts the thread, which prepares the first spare. Call once.
  void Start();

  // The path of a prepared spare (its file closed), now the caller's to rename into place.
  // Waits for a preparation in progress; if none is ready or running (the last one failed, or
  // !background), prepares one in the calling thread. Errors: the preparation's (e.g.
  // RESOURCE_EXHAUSTED when the disk is full; its partial file is removed); the next call tries
  // again.
  absl::StatusOr<std::string> Take();

  // Blocks until no preparation is running (for tests: a spare is then ready, unless the
  // preparation failed).
  void WaitIdle();

  uint64_t size() const { return size_; }

  // True for the names (not paths) of spare files.
  static bool IsSpareName(absl::string_view name);

 private:
  // Writes one spare; called with no lock held by whoever set preparing_.
  absl::StatusOr<std::string> Prepare(uint64_t number);
  // Marks a preparation running, runs Prepare without the lock, and signals its end.
  absl::StatusOr<std::string> PrepareLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Run();

  Env* const env_;
  const std::string dir_;
  const uint64_t size_;
  const bool background_;
  std::atomic<bool> stop_{false};

  absl::Mutex mu_;
  absl::CondVar changed_;
  bool preparing_ ABSL_GUARDED_BY(mu_) = false;
  // The background thread should prepare a spare (none is ready and the last attempt did not
  // fail since the last Take).
  bool wanted_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<std::string> ready_ ABSL_GUARDED_BY(mu_);
  uint64_t next_number_ ABSL_GUARDED_BY(mu_) = 1;

  std::thread thread_;
};

}  // namespace dcos::raft
