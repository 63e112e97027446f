#pragma once

// The backup stream of Ensemble.Backup and Ensemble.Restore — one BackupHeader, data chunks,
// one BackupTrailer (protos/zk/v1/ensemble.proto) — and its verification, without any I/O.
// BackupAssembler is the one check of a backup: ParseBackup (backup_file.h) feeds it the
// chunks of a file, Ensemble.Restore the chunks of its stream.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "protos/zk/v1/ensemble.pb.h"

namespace dcos::zk {

// The format_version this build writes and reads.
inline constexpr uint32_t kBackupFormat = 1;
// The largest data chunk a stream may carry (BackupChunk: at most 1 MiB).
inline constexpr size_t kMaxBackupChunkBytes = 1 << 20;
// The largest backup taken back: a larger tree could not be sent to a new member anyway
// (Raft snapshots are limited to 1 GiB, libs/raft README).
inline constexpr uint64_t kMaxBackupBytes = uint64_t{1} << 30;

struct Backup {
  v1::BackupHeader header;
  std::string data;  // the tree (ZnodeTree::Snapshot bytes)
};

// SHA-256 of `data` (32 bytes).
std::string Sha256(const std::string& data);

// OK unless the backup comes from ensemble `cluster_id` itself. A restore starts a new
// ensemble, and one with the old ensemble's id would let the old members (their stale logs,
// same id) talk to it. FAILED_PRECONDITION naming the id and raft.cluster_id otherwise. The
// one check of both restore paths (Ensemble.Restore and --zk.restore_from), each adding
// where the backup came from.
absl::Status CheckRestoreCluster(const v1::BackupHeader& header, uint64_t cluster_id);

// Takes a backup stream chunk by chunk and checks it: the order (header first, then data,
// then the trailer, nothing after it), the format, the size and the SHA-256. Errors come as
// soon as the chunk that shows them arrives, so a bad stream is refused before it is all
// read; after the first error every call returns that error.
//
// Pure and single-threaded: one owner.
class BackupAssembler {
 public:
  explicit BackupAssembler(uint64_t max_bytes = kMaxBackupBytes) : max_bytes_(max_bytes) {}

  // Takes the next chunk. INVALID_ARGUMENT: out of order (the header not first, a second
  // header, data or the trailer before the header, anything after the trailer), an empty chunk,
  // a data chunk above kMaxBackupChunkBytes, an unknown format_version, a zxid below 1 (every
  // ensemble's log starts with its founding entry). RESOURCE_EXHAUSTED:
  // the header declares more than `max_bytes`. DATA_LOSS: more data than the header declares.
  absl::Status Add(v1::BackupChunk chunk);

  // The header once it has been taken, else nullopt.
  const std::optional<v1::BackupHeader>& header() const { return header_; }

  // After the last chunk: the verified backup. INVALID_ARGUMENT when there was no header
  // (nothing sent); DATA_LOSS when the trailer is missing (a truncated stream) or the size or
  // the SHA-256 differ from what the header and trailer say; the earlier error if Add failed.
  absl::StatusOr<Backup> Finish();

 private:
  absl::Status Fail(absl::Status error);

  const uint64_t max_bytes_;
  std::optional<v1::BackupHeader> header_;
  std::string data_;
  std::optional<std::string> sha256_;  // from the trailer
  absl::Status error_;
};

}  // namespace dcos::zk
