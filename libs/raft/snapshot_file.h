#pragma once

// Snapshot files of FileLogStorage: <dir>/snap/<index:016x>-<term:016x>.snap, written atomically
// (temp file, fsync, rename, fsync of the directory) and checked on every read.
//
//   file := "DCOSSNP1"          8 bytes
//           u32 crc             masked CRC-32 of every byte from offset 12 to the end
//           u32 metadata_length
//           u64 data_length
//           metadata            serialized SnapshotMetadata
//           data                the state machine's snapshot

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "libs/raft/env.h"
#include "protos/raft/v1/raft.pb.h"

namespace dcos::raft::snapshot_file {

std::string FileName(uint64_t index, uint64_t term);
// Parses a FileName (not a temp file). False for anything else.
bool ParseFileName(absl::string_view name, uint64_t* index, uint64_t* term);

// Writes the snapshot to dir/FileName(...) atomically. On an error before the rename the temp
// file is removed (best effort) and no file of that name exists. If only the final SyncDir
// failed, the file is in place but may or may not survive a crash (either is a valid state).
absl::Status Write(Env* env, const std::string& dir, const ::dcos::raft::v1::SnapshotMetadata& meta,
                   absl::string_view data);

struct Contents {
  ::dcos::raft::v1::SnapshotMetadata metadata;
  std::string data;
};

// Reads and verifies `path`. DATA_LOSS (naming the path) if the file is truncated, fails its
// checksum, or its metadata disagrees with its name; I/O errors as the Env returns them.
absl::StatusOr<Contents> Read(Env* env, const std::string& path);

}  // namespace dcos::raft::snapshot_file
