#include "services/zk-ensemble/backup_file.h"

#include <openssl/evp.h>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "absl/strings/str_cat.h"

namespace dcos::zk {

constexpr uint32_t kMaxChunkBytes = (1 << 20) + 1024;

std::string Sha256(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(digest), size);
}

void AppendChunk(const v1::BackupChunk& chunk, std::string* out) {
  google::protobuf::io::StringOutputStream stream(out);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.WriteVarint32(static_cast<uint32_t>(chunk.ByteSizeLong()));
  chunk.SerializeToCodedStream(&coded);
}

absl::StatusOr<Backup> ParseBackup(const std::string& bytes) {
  google::protobuf::io::ArrayInputStream stream(bytes.data(), static_cast<int>(bytes.size()));
  google::protobuf::io::CodedInputStream coded(&stream);
  coded.SetTotalBytesLimit(INT32_MAX);
  Backup backup;
  bool have_header = false, have_trailer = false;
  std::string sha256;
  for (int index = 0; static_cast<size_t>(coded.CurrentPosition()) < bytes.size(); ++index) {
    uint32_t size = 0;
    if (!coded.ReadVarint32(&size) || size > kMaxChunkBytes) {
      return absl::InvalidArgumentError(absl::StrCat("backup: chunk ", index, " has no valid length"));
    }
    auto limit = coded.PushLimit(static_cast<int>(size));
    v1::BackupChunk chunk;
    if (!chunk.ParseFromCodedStream(&coded) || !coded.ConsumedEntireMessage()) {
      return absl::DataLossError(absl::StrCat("backup: chunk ", index, " is not readable"));
    }
    coded.PopLimit(limit);
    if (have_trailer) return absl::InvalidArgumentError("backup: chunks after the trailer");
    switch (chunk.chunk_case()) {
      case v1::BackupChunk::kHeader:
        if (index != 0) return absl::InvalidArgumentError("backup: the header is not first");
        backup.header = chunk.header();
        have_header = true;
        break;
      case v1::BackupChunk::kData:
        if (!have_header) return absl::InvalidArgumentError("backup: data before the header");
        backup.data += chunk.data();
        break;
      case v1::BackupChunk::kTrailer:
        if (!have_header) return absl::InvalidArgumentError("backup: trailer before the header");
        sha256 = chunk.trailer().sha256();
        have_trailer = true;
        break;
      default:
        return absl::InvalidArgumentError(absl::StrCat("backup: chunk ", index, " is empty"));
    }
  }
  if (!have_header) return absl::InvalidArgumentError("backup: no header (empty file?)");
  if (backup.header.format_version() != kBackupFormat) {
    return absl::InvalidArgumentError(absl::StrCat("backup: format_version ",
                                                   backup.header.format_version(),
                                                   " is not supported (only ", kBackupFormat, ")"));
  }
  if (!have_trailer) return absl::DataLossError("backup: no trailer (truncated file?)");
  if (backup.data.size() != backup.header.total_bytes()) {
    return absl::DataLossError(absl::StrCat("backup: ", backup.data.size(), " bytes of data, the "
                                            "header says ", backup.header.total_bytes()));
  }
  if (Sha256(backup.data) != sha256) return absl::DataLossError("backup: SHA-256 mismatch");
  return backup;
}

}  // namespace dcos::zk
