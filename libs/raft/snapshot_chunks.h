#pragma once

// The pieces of a snapshot transfer (dcos.raft.v1.RaftTransport/SendSnapshot) without any I/O:
// SHA-256 over the data, the sender's chunking (header, data chunks, trailer) and the
// receiver's bounded, verifying assembler. GrpcTransport and RaftTransportService drive these
// over a gRPC stream; tests drive them directly.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include <openssl/evp.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "protos/raft/v1/raft.pb.h"
#include "protos/raft/v1/transport.pb.h"

namespace dcos::raft {

// Incremental SHA-256 (OpenSSL EVP). Not thread-safe: one owner.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(absl::string_view data);
  // The 32-byte digest of everything passed to Update. Call once; the object is then spent.
  std::string Finish();

  static std::string Of(absl::string_view data);

 private:
  EVP_MD_CTX* ctx_;
};

// Splits one snapshot into the chunks of a SendSnapshot stream: a header (cluster id, the
// MsgSnap message, total bytes), data chunks of at most `chunk_bytes`, and a trailer with the
// SHA-256 of the data. `data` is borrowed and must outlive the chunker. Not thread-safe.
class SnapshotChunker {
 public:
  SnapshotChunker(uint64_t cluster_id, const ::dcos::raft::v1::Message& message,
                  absl::string_view data, size_t chunk_bytes);

  // Fills `chunk` with the next chunk and returns true, or returns false after the trailer.
  bool Next(::dcos::raft::v1::SnapshotChunk* chunk);

 private:
  enum class Stage { kHeader, kData, kTrailer, kDone };

  uint64_t cluster_id_;
  const ::dcos::raft::v1::Message& message_;
  absl::string_view data_;
  size_t chunk_bytes_;
  size_t offset_ = 0;
  Stage stage_ = Stage::kHeader;
  Sha256 digest_;
};

// Who may send to this member. `is_peer` null accepts every sender id.
struct ReceiverIdentity {
  uint64_t cluster_id = 0;
  uint64_t self = 0;
  std::function<bool(uint64_t)> is_peer;
};

// Receives the chunks of one SendSnapshot stream, in order, and verifies them. Memory is
// bounded by `max_total_bytes` (the declared total is checked before anything is buffered).
// Not thread-safe: one stream's handler owns it.
class SnapshotAssembler {
 public:
  SnapshotAssembler(ReceiverIdentity identity, uint64_t max_total_bytes);

  // Adds the next chunk. Errors (the assembler is then spent):
  //   FAILED_PRECONDITION  the header's cluster id or `to` is not ours, or `from` is no peer;
  //   INVALID_ARGUMENT     chunks out of order (no header first, a second header, a chunk after
  //                        the trailer, an empty chunk) or a header that is not a MsgSnap;
  //   RESOURCE_EXHAUSTED   the declared total exceeds max_total_bytes;
  //   DATA_LOSS            more data than declared, or at the trailer less data than declared
  //                        or a SHA-256 that does not match.
  absl::Status Add(::dcos::raft::v1::SnapshotChunk chunk);

  // Returns OK once the trailer was verified; INVALID_ARGUMENT if the stream ended early.
  absl::Status Finish() const;

  // Valid after a successful Finish(); move the results out.
  ::dcos::raft::v1::Message& message() { return message_; }
  std::string& data() { return data_; }

 private:
  enum class Stage { kHeader, kData, kDone, kFailed };

  absl::Status Fail(absl::Status status);

  ReceiverIdentity identity_;
  uint64_t max_total_bytes_;
  Stage stage_ = Stage::kHeader;
  uint64_t total_bytes_ = 0;
  ::dcos::raft::v1::Message message_;
  std::string data_;
  Sha256 digest_;
};

}  // namespace dcos::raft
