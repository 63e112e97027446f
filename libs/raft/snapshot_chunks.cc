#include "libs/raft/snapshot_chunks.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"

namespace dcos::raft {

using ::dcos::raft::v1::SnapshotChunk;

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  // Allocation or init failing here means OpenSSL itself is broken: crash loudly.
  if (ctx_ == nullptr || EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) != 1) std::abort();
}

Sha256::~Sha256() { EVP_MD_CTX_free(ctx_); }

void Sha256::Update(absl::string_view data) {
  if (EVP_DigestUpdate(ctx_, data.data(), data.size()) != 1) std::abort();
}

std::string Sha256::Finish() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_, out, &len) != 1) std::abort();
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string Sha256::Of(absl::string_view data) {
  Sha256 digest;
  digest.Update(data);
  return digest.Finish();
}

SnapshotChunker::SnapshotChunker(uint64_t cluster_id, const ::dcos::raft::v1::Message& message,
                                 absl::string_view data, size_t chunk_bytes)
    : cluster_id_(cluster_id),
      message_(message),
      data_(data),
      chunk_bytes_(std::max<size_t>(chunk_bytes, 1)) {}

bool SnapshotChunker::Next(SnapshotChunk* chunk) {
  chunk->Clear();
  switch (stage_) {
    case Stage::kHeader: {
      SnapshotChunk::Header* header = chunk->mutable_header();
      header->set_cluster_id(cluster_id_);
      *header->mutable_message() = message_;
      header->set_total_bytes(data_.size());
      stage_ = data_.empty() ? Stage::kTrailer : Stage::kData;
      return true;
    }
    case Stage::kData: {
      absl::string_view piece = data_.substr(offset_, chunk_bytes_);
      digest_.Update(piece);
      chunk->set_data(piece.data(), piece.size());
      offset_ += piece.size();
      if (offset_ >= data_.size()) stage_ = Stage::kTrailer;
      return true;
    }
    case Stage::kTrailer:
      chunk->mutable_trailer()->set_sha256(digest_.Finish());
      stage_ = Stage::kDone;
      return true;
    case Stage::kDone:
      return false;
  }
  return false;
}

SnapshotAssembler::SnapshotAssembler(ReceiverIdentity identity, uint64_t max_total_bytes)
    : identity_(std::move(identity)), max_total_bytes_(max_total_bytes) {}

absl::Status SnapshotAssembler::Fail(absl::Status status) {
  stage_ = Stage::kFailed;
  data_.clear();
  data_.shrink_to_fit();
  return status;
}

absl::Status SnapshotAssembler::Add(SnapshotChunk chunk) {
  switch (stage_) {
    case Stage::kFailed:
      return absl::FailedPreconditionError("snapshot stream already failed");
    case Stage::kDone:
      return Fail(absl::InvalidArgumentError("snapshot chunk after the trailer"));
    case Stage::kHeader: {
      if (!chunk.has_header()) {
        return Fail(absl::InvalidArgumentError("snapshot stream must start with a header"));
      }
      SnapshotChunk::Header* header = chunk.mutable_header();
      const ::dcos::raft::v1::Message& m = header->message();
      if (header->cluster_id() != identity_.cluster_id) {
        return Fail(absl::FailedPreconditionError(
            absl::StrCat("snapshot for cluster ", header->cluster_id(), ", this is cluster ",
                         identity_.cluster_id)));
      }
      if (m.to() != identity_.self) {
        return Fail(absl::FailedPreconditionError(
            absl::StrCat("snapshot for member ", m.to(), ", this is member ", identity_.self)));
      }
      if (m.from() == 0 || (identity_.is_peer && !identity_.is_peer(m.from()))) {
        return Fail(absl::FailedPreconditionError(
            absl::StrCat("snapshot from unknown member ", m.from())));
      }
      if (m.type() != ::dcos::raft::v1::MESSAGE_TYPE_SNAP || !m.has_snapshot()) {
        return Fail(absl::InvalidArgumentError("snapshot header must carry a MsgSnap"));
      }
      if (header->total_bytes() > max_total_bytes_) {
        return Fail(absl::ResourceExhaustedError(
            absl::StrCat("snapshot of ", header->total_bytes(), " bytes exceeds the limit of ",
                         max_total_bytes_)));
      }
      total_bytes_ = header->total_bytes();
      message_ = std::move(*header->mutable_message());
      // Reserve at most 64 MiB up front: the declared size is the sender's word, not data.
      data_.reserve(std::min<uint64_t>(total_bytes_, uint64_t{64} << 20));
      stage_ = Stage::kData;
      return absl::OkStatus();
    }
    case Stage::kData:
      break;
  }
  switch (chunk.chunk_case()) {
    case SnapshotChunk::kHeader:
      return Fail(absl::InvalidArgumentError("second snapshot header"));
    case SnapshotChunk::kData: {
      const std::string& piece = chunk.data();
      if (piece.size() > total_bytes_ - data_.size()) {
        return Fail(absl::DataLossError(
            absl::StrCat("snapshot data exceeds the declared ", total_bytes_, " bytes")));
      }
      digest_.Update(piece);
      data_.append(piece);
      return absl::OkStatus();
    }
    case SnapshotChunk::kTrailer: {
      if (data_.size() != total_bytes_) {
        return Fail(absl::DataLossError(absl::StrCat("snapshot has ", data_.size(),
                                                     " bytes, declared ", total_bytes_)));
      }
      if (digest_.Finish() != chunk.trailer().sha256()) {
        return Fail(absl::DataLossError("snapshot SHA-256 mismatch"));
      }
      stage_ = Stage::kDone;
      return absl::OkStatus();
    }
    case SnapshotChunk::CHUNK_NOT_SET:
      break;
  }
  return Fail(absl::InvalidArgumentError("empty snapshot chunk"));
}

absl::Status SnapshotAssembler::Finish() const {
  switch (stage_) {
    case Stage::kDone:
      return absl::OkStatus();
    case Stage::kFailed:
      return absl::FailedPreconditionError("snapshot stream failed");
    default:
      return absl::InvalidArgumentError("snapshot stream ended before its trailer");
  }
}

}  // namespace dcos::raft
