#pragma once

// The backup file format of `dcos zk backup FILE`, `dcos zk restore FILE` and
// `dcos-zk --zk.restore_from=FILE`: the Ensemble.Backup stream as it came — one BackupHeader,
// data chunks, one BackupTrailer — each chunk a varint length followed by the serialized
// dcos.zk.v1.BackupChunk. The chunks' checks are backup_stream.h's.

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "protos/zk/v1/ensemble.pb.h"
#include "services/zk-ensemble/backup_stream.h"

namespace dcos::zk {

// Appends one chunk, length-prefixed.
void AppendChunk(const v1::BackupChunk& chunk, std::string* out);

// Splits a file into its chunks, without checking their order or content. INVALID_ARGUMENT
// for a chunk without a valid length, DATA_LOSS for one that is cut short or unreadable.
absl::StatusOr<std::vector<v1::BackupChunk>> SplitChunks(const std::string& bytes);

// Parses and checks a whole backup (SplitChunks, then BackupAssembler): INVALID_ARGUMENT for a
// malformed or out-of-order file or an unknown format; DATA_LOSS for a size or checksum
// mismatch (a truncated or altered file).
absl::StatusOr<Backup> ParseBackup(const std::string& bytes);

}  // namespace dcos::zk
