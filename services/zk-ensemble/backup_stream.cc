#include "services/zk-ensemble/backup_stream.h"

#include <openssl/evp.h>

#include "absl/strings/str_cat.h"

namespace dcos::zk {

std::string Sha256(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(digest), size);
}

absl::Status CheckRestoreCluster(const v1::BackupHeader& header, uint64_t cluster_id) {
  if (header.cluster_id() != cluster_id) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "the backup comes from ensemble ", cluster_id,
      ", this member's raft.cluster_id; a restore starts a new ensemble: start its members "
      "with another raft.cluster_id"));
}

absl::Status BackupAssembler::Fail(absl::Status error) {
  error_ = error;
  data_.clear();
  return error;
}

absl::Status BackupAssembler::Add(v1::BackupChunk chunk) {
  if (!error_.ok()) return error_;
  if (sha256_.has_value()) return Fail(absl::InvalidArgumentError("backup: chunks after the trailer"));
  switch (chunk.chunk_case()) {
    case v1::BackupChunk::kHeader: {
      if (header_.has_value()) return Fail(absl::InvalidArgumentError("backup: a second header"));
      const v1::BackupHeader& h = chunk.header();
      if (h.format_version() != kBackupFormat) {
        return Fail(absl::InvalidArgumentError(
            absl::StrCat("backup: format_version ", h.format_version(),
                         " is not supported (only ", kBackupFormat, ")")));
      }
      if (h.zxid() <= 0) {
        return Fail(absl::InvalidArgumentError(
            absl::StrCat("backup: zxid ", h.zxid(), " (a backup holds at least one entry)")));
      }
      if (h.total_bytes() > max_bytes_) {
        return Fail(absl::ResourceExhaustedError(
            absl::StrCat("backup: ", h.total_bytes(), " bytes, above the limit of ", max_bytes_)));
      }
      header_ = h;
      return absl::OkStatus();
    }
    case v1::BackupChunk::kData:
      if (!header_.has_value()) return Fail(absl::InvalidArgumentError("backup: data before the header"));
      if (chunk.data().size() > kMaxBackupChunkBytes) {
        return Fail(absl::InvalidArgumentError(absl::StrCat(
            "backup: a data chunk of ", chunk.data().size(), " bytes (at most ",
            kMaxBackupChunkBytes, ")")));
      }
      if (data_.size() + chunk.data().size() > header_->total_bytes()) {
        return Fail(absl::DataLossError(absl::StrCat(
            "backup: more data than the header's ", header_->total_bytes(), " bytes")));
      }
      data_ += chunk.data();
      return absl::OkStatus();
    case v1::BackupChunk::kTrailer:
      if (!header_.has_value()) return Fail(absl::InvalidArgumentError("backup: trailer before the header"));
      sha256_ = chunk.trailer().sha256();
      return absl::OkStatus();
    case v1::BackupChunk::CHUNK_NOT_SET:
      break;
  }
  return Fail(absl::InvalidArgumentError("backup: an empty chunk"));
}

absl::StatusOr<Backup> BackupAssembler::Finish() {
  if (!error_.ok()) return error_;
  if (!header_.has_value()) return Fail(absl::InvalidArgumentError("backup: no header (nothing sent?)"));
  if (!sha256_.has_value()) return Fail(absl::DataLossError("backup: no trailer (truncated?)"));
  if (data_.size() != header_->total_bytes()) {
    return Fail(absl::DataLossError(absl::StrCat("backup: ", data_.size(), " bytes of data, the "
                                                 "header says ", header_->total_bytes())));
  }
  if (Sha256(data_) != *sha256_) return Fail(absl::DataLossError("backup: SHA-256 mismatch"));
  Backup backup{*header_, std::move(data_)};
  error_ = absl::FailedPreconditionError("backup: already finished");
  return backup;
}

}  // namespace dcos::zk
