#pragma once

// FaultInjectionEnv: a test Env over real files (through a base Env, normally PosixEnv) that
// remembers what a power loss would keep, and can fail chosen operations. Modelled on LevelDB's
// db/fault_injection_test.cc.
//
// Crash model:
// - Data appended to a file is durable only after WritableFile::Sync(); TruncateFile is durable
//   at once (PosixEnv's TruncateFile fsyncs).
// - A RandomWriteFile::WriteAt is durable only after that file's Sync(): bytes it wrote past the
//   synced size are cut off by a crash, and durable bytes it overwrote get their old content
//   back (the kernel may write back none of an unsynced overwrite).
// - Creating, renaming and removing a file is durable only after SyncDir() of its directory.
// - Crash() makes the files look like they would after a power loss at this instant: every file
//   opened through this Env is cut to its synced length, then the not-yet-durable directory
//   operations are undone, newest first (created files removed, renames reversed, removed files
//   restored with their synced content). Directory creation is treated as durable at once.
// Files that existed before this Env first touched them count as fully synced. Files are tracked
// by the path they were opened with: do not rename a file while it is open.
//
// Crash() requires that nothing has a WritableFile or RandomWriteFile of this Env open (destroy
// the storage first).
//
// Thread-safe.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "libs/raft/env.h"

namespace dcos::raft {

class FaultInjectionEnv final : public Env {
 public:
  enum class Op { kWrite, kSync, kCreate, kRename, kRemove, kSyncDir, kTruncate, kRead };

  struct Fault {
    Op op = Op::kWrite;
    absl::Status error;
    // This many operations of kind `op` still succeed before the failing one.
    int skip = 0;
    // Every later operation of kind `op` fails too (a full disk stays full).
    bool sticky = false;
    // For kWrite: the first half of the data is written before the error is returned, as a
    // short write on a filling disk would.
    bool partial_write = false;
  };

  // `base` must outlive this Env.
  explicit FaultInjectionEnv(Env* base) : base_(base) {}

  // Adds a fault. Faults of different kinds are independent.
  void InjectFault(Fault fault);
  // Removes every fault (a disk that was full has space again).
  void ClearFaults();

  // Loses everything not yet durable (see the crash model above).
  absl::Status Crash();

  // Operations of each kind seen so far (counts also the failed ones).
  int Count(Op op) const;

  absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path,
                                                                bool truncate) override;
  absl::StatusOr<std::unique_ptr<RandomWriteFile>> NewRandomWriteFile(const std::string& path,
                                                                      bool truncate) override;
  absl::StatusOr<std::string> ReadFile(const std::string& path) override;
  absl::StatusOr<std::string> ReadFileRange(const std::string& path, uint64_t offset,
                                            uint64_t length) override;
  absl::StatusOr<uint64_t> FileSize(const std::string& path) override;
  absl::StatusOr<bool> FileExists(const std::string& path) override;
  absl::Status TruncateFile(const std::string& path, uint64_t size) override;
  absl::Status RenameFile(const std::string& from, const std::string& to) override;
  absl::Status RemoveFile(const std::string& path) override;
  absl::StatusOr<std::vector<std::string>> ListDir(const std::string& dir) override;
  absl::Status CreateDir(const std::string& dir, bool* created) override;
  absl::Status SyncDir(const std::string& dir) override;
  // Delegates to the wrapped Env (locks are not part of the crash model).
  absl::StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& path) override;

 private:
  friend class FaultWritableFile;
  friend class FaultRandomWriteFile;

  struct FileState {
    uint64_t synced_size = 0;
    // Unsynced overwrites of durable bytes, oldest first: where, and the bytes they replaced.
    std::vector<std::pair<uint64_t, std::string>> overwritten;
  };
  // A directory operation not yet made durable by SyncDir.
  struct Undo {
    enum Kind { kCreated, kRenamed, kRemoved } kind;
    std::string dir;
    std::string path;  // kCreated, kRemoved: the file; kRenamed: the source
    std::string to;    // kRenamed: the target
    std::optional<std::string> old_content;  // kRemoved: the file's; kRenamed: the target's
  };

  // Returns the injected error if the next operation of kind `op` must fail; counts it.
  absl::Status Check(Op op, bool* partial) ABSL_LOCKS_EXCLUDED(mu_);
  // Records a file opened through this Env (see the crash model).
  void Track(const std::string& path, bool existed, bool truncate, uint64_t size)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Before `length` bytes at `offset` of `path` are overwritten: saves the durable ones.
  absl::Status SaveOverwritten(const std::string& path, uint64_t offset, uint64_t length)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Everything written to `path` so far, `size` bytes, is durable now.
  void OnSynced(const std::string& path, uint64_t size) ABSL_LOCKS_EXCLUDED(mu_);
  // The content a crash would leave in `path` right now ("synced prefix").
  absl::StatusOr<std::string> DurableContent(const std::string& path)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Env* const base_;
  mutable absl::Mutex mu_;
  std::vector<Fault> faults_ ABSL_GUARDED_BY(mu_);
  std::map<Op, int> counts_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, FileState> files_ ABSL_GUARDED_BY(mu_);
  std::vector<Undo> undo_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dcos::raft
