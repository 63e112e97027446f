#pragma once

// The backup file format of `dcos zk backup FILE` and `dcos-zk --zk.restore_from=FILE`: the
// Ensemble.Backup stream as it came — one BackupHeader, data chunks, one BackupTrailer — each
// chunk a varint length followed by the serialized dcos.zk.v1.BackupChunk.

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "protos/zk/v1/ensemble.pb.h"

namespace dcos::zk {

// The format_version this build writes and reads.
inline constexpr uint32_t kBackupFormat = 1;

// Appends one chunk, length-prefixed.
void AppendChunk(const v1::BackupChunk& chunk, std::string* out);

struct Backup {
  v1::BackupHeader header;
  std::string data;  // the tree (ZnodeTree::Snapshot bytes)
};

// Parses and checks a whole backup: chunk order (header, data..., trailer), format version,
// total size and SHA-256. INVALID_ARGUMENT for a malformed or out-of-order file or an unknown
// format; DATA_LOSS for a size or checksum mismatch (a truncated or altered file).
absl::StatusOr<Backup> ParseBackup(const std::string& bytes);

// SHA-256 of `data` (32 bytes).
std::string Sha256(const std::string& data);

}  // namespace dcos::zk
