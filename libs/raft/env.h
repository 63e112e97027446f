#pragma once

// Env: everything FileLogStorage needs from the operating system's file system, behind an
// interface so tests can substitute a file system that loses unsynced data on a simulated crash
// or fails with ENOSPC on demand (FaultInjectionEnv). Modelled on LevelDB's leveldb::Env.
//
// Paths are plain strings; directories are joined with '/'. Every error is an absl::Status whose
// message names the operation and the path:
//   ENOSPC, EDQUOT  -> RESOURCE_EXHAUSTED   (disk full)
//   ENOENT          -> NOT_FOUND
//   EACCES, EPERM, EROFS -> PERMISSION_DENIED
//   EEXIST          -> ALREADY_EXISTS
//   EIO             -> DATA_LOSS            (the device lost or could not read data)
//   anything else   -> INTERNAL
//
// Thread-safety: Env implementations are thread-safe. A WritableFile or RandomWriteFile is
// thread-compatible (one user at a time).

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace dcos::raft {

// A file open for appending. Closed by the destructor (errors on that close are ignored; call
// Close() to see them).
class WritableFile {
 public:
  virtual ~WritableFile() = default;

  // Appends all of `data` at the end of the file (retrying short writes and EINTR). On error a
  // prefix of `data` may have been written.
  virtual absl::Status Append(absl::string_view data) = 0;

  // Makes everything appended so far durable (fdatasync: data and the metadata needed to read
  // it back, such as the size). After an error, what is durable is unknown.
  virtual absl::Status Sync() = 0;

  // Closes the file; later calls fail.
  virtual absl::Status Close() = 0;

  // Bytes in the file (what was there when opened plus what was appended since).
  virtual uint64_t Size() const = 0;

  virtual const std::string& path() const = 0;
};

// A file written at explicit offsets (pwrite(2)), for files whose space was filled in advance:
// overwriting bytes inside the file does not change its size, so Sync() (fdatasync) has no
// metadata to commit. Closed by the destructor (errors on that close are ignored).
class RandomWriteFile {
 public:
  virtual ~RandomWriteFile() = default;

  // Writes all of `data` at `offset` (retrying short writes and EINTR), growing the file if it
  // ends past the current end. On error a prefix of `data` may have been written.
  virtual absl::Status WriteAt(uint64_t offset, absl::string_view data) = 0;

  // Makes every write so far durable (fdatasync). After an error, what is durable is unknown.
  virtual absl::Status Sync() = 0;

  // Closes the file; later calls fail.
  virtual absl::Status Close() = 0;

  virtual const std::string& path() const = 0;
};

// An exclusive advisory lock on a file, held until destroyed.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

class Env {
 public:
  virtual ~Env() = default;

  // The process-wide PosixEnv. Never destroyed.
  static Env* Default();

  // Opens `path` for appending, creating it (mode 0644) if missing; if `truncate`, an existing
  // file is emptied first. Creating a file is durable only after SyncDir of its directory.
  virtual absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path,
                                                                        bool truncate) = 0;

  // Opens `path` for writing at offsets, creating it (mode 0644) if missing; if `truncate`, an
  // existing file is emptied first. Creating a file is durable only after SyncDir of its
  // directory. Do not rename a file while it is open (FaultInjectionEnv tracks it by path).
  virtual absl::StatusOr<std::unique_ptr<RandomWriteFile>> NewRandomWriteFile(
      const std::string& path, bool truncate) = 0;

  // The whole content of `path`.
  virtual absl::StatusOr<std::string> ReadFile(const std::string& path) = 0;

  // Up to `length` bytes from `offset` (fewer at the end of the file).
  virtual absl::StatusOr<std::string> ReadFileRange(const std::string& path, uint64_t offset,
                                                    uint64_t length) = 0;

  virtual absl::StatusOr<uint64_t> FileSize(const std::string& path) = 0;

  // True if `path` exists (NOT_FOUND is false, other errors are errors).
  virtual absl::StatusOr<bool> FileExists(const std::string& path) = 0;

  // Cuts `path` to `size` bytes and makes that durable (fsync) before returning.
  virtual absl::Status TruncateFile(const std::string& path, uint64_t size) = 0;

  // rename(2): atomically replaces `to`. Durable only after SyncDir of the directory.
  virtual absl::Status RenameFile(const std::string& from, const std::string& to) = 0;

  // unlink(2). Durable only after SyncDir of the directory.
  virtual absl::Status RemoveFile(const std::string& path) = 0;

  // Names (not paths) of the entries of `dir`, without "." and "..", sorted.
  virtual absl::StatusOr<std::vector<std::string>> ListDir(const std::string& dir) = 0;

  // mkdir(2) with mode 0755; OK if `dir` already exists as a directory. Sets *created (if not
  // null) to whether it was created now (then SyncDir its parent to make that durable).
  virtual absl::Status CreateDir(const std::string& dir, bool* created) = 0;

  // fsync(2) of the directory itself: makes creations, renames and removals in it durable.
  virtual absl::Status SyncDir(const std::string& dir) = 0;

  // Takes an exclusive lock on `path` (created if missing), held by the returned object.
  // FAILED_PRECONDITION when another holder (another process, or another open in this one)
  // has it.
  virtual absl::StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& path) = 0;
};

// The real file system through POSIX calls.
class PosixEnv final : public Env {
 public:
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
  absl::StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& path) override;
};

// The Status for a failed system call: `op` and `path` in the message, the code from `err` as
// described at the top of this file.
absl::Status ErrnoToStatus(int err, absl::string_view op, absl::string_view path);

// "a/b" + "c" -> "a/b/c".
std::string JoinPath(absl::string_view dir, absl::string_view name);

// The directory part of `path` ("a/b/c" -> "a/b", "c" -> ".").
std::string DirName(absl::string_view path);

}  // namespace dcos::raft
