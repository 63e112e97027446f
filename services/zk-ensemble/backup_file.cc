#include "services/zk-ensemble/backup_file.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "absl/strings/str_cat.h"

namespace dcos::zk {

// A chunk's framing may be a little larger than its data.
constexpr uint32_t kMaxFramedChunkBytes = kMaxBackupChunkBytes + 1024;

void AppendChunk(const v1::BackupChunk& chunk, std::string* out) {
  google::protobuf::io::StringOutputStream stream(out);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.WriteVarint32(static_cast<uint32_t>(chunk.ByteSizeLong()));
  chunk.SerializeToCodedStream(&coded);
}

absl::StatusOr<std::vector<v1::BackupChunk>> SplitChunks(const std::string& bytes) {
  google::protobuf::io::ArrayInputStream stream(bytes.data(), static_cast<int>(bytes.size()));
  google::protobuf::io::CodedInputStream coded(&stream);
  coded.SetTotalBytesLimit(INT32_MAX);
  std::vector<v1::BackupChunk> chunks;
  for (int index = 0; static_cast<size_t>(coded.CurrentPosition()) < bytes.size(); ++index) {
    uint32_t size = 0;
    if (!coded.ReadVarint32(&size) || size > kMaxFramedChunkBytes) {
      return absl::InvalidArgumentError(absl::StrCat("backup: chunk ", index, " has no valid length"));
    }
    auto limit = coded.PushLimit(static_cast<int>(size));
    v1::BackupChunk& chunk = chunks.emplace_back();
    if (!chunk.ParseFromCodedStream(&coded) || !coded.ConsumedEntireMessage()) {
      return absl::DataLossError(absl::StrCat("backup: chunk ", index, " is not readable"));
    }
    coded.PopLimit(limit);
  }
  return chunks;
}

absl::StatusOr<Backup> ParseBackup(const std::string& bytes) {
  absl::StatusOr<std::vector<v1::BackupChunk>> chunks = SplitChunks(bytes);
  if (!chunks.ok()) return chunks.status();
  BackupAssembler assembler;
  for (v1::BackupChunk& chunk : *chunks) {
    absl::Status added = assembler.Add(std::move(chunk));
    if (!added.ok()) return added;
  }
  return assembler.Finish();
}

}  // namespace dcos::zk
