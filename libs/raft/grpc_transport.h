#pragma once

// GrpcTransport: the sending half of Transport over dcos.raft.v1.RaftTransport (the receiving
// half is RaftTransportService, transport_service.h).
//
// One PeerSender per peer (peer_sender.h): a thread that opens, tears down and re-opens one
// Send client stream (a gRPC callback reactor), while the writes themselves are started by
// whoever finds the stream idle:
//  - the stream opens at once with an empty "hello" envelope (which also lets the receiver
//    refuse a wrong cluster early);
//  - a message queued while no write is in flight is written at once by the queuing thread
//    (no batching timer); everything queued while a write is in flight goes out as the next
//    Envelope(s), up to max_envelope_bytes, so one write carries many messages under load;
//  - a broken stream (write failure, refusal, dead connection) is reported once with
//    MessageSink::ReportUnreachable, queued messages are dropped (Raft retransmits), messages
//    sent during the backoff wait are dropped too, and the stream is re-opened after a jittered
//    exponential backoff (50 ms doubling to 1 s; 1 s at once after FAILED_PRECONDITION);
//  - the per-peer queue holds at most queue_limit messages; the oldest are dropped first.
// Snapshots go on their own SendSnapshot call and thread, never blocking the message stream.
//
// Lifetime: the sink must outlive the transport. Stop() (or the destructor) cancels every call
// and joins every thread; it returns promptly even when a peer is unreachable. No sink callback
// runs after Stop() returns.
//
// Thread-safety: every public method may be called from any thread. `mu_` guards the peer map
// and the snapshot jobs; each PeerSender has its own lock for its queue and stream. Send() may
// start a gRPC write on the caller's thread (non-blocking) and may call
// sink->ReportUnreachable (for unknown peers) on it, after releasing its locks; other sink
// callbacks come from the transport's own threads.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <grpcpp/security/credentials.h>
#include <prometheus/registry.h>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/raft/transport.h"

namespace dcos::raft {

class PeerSender;
struct SnapshotJob;
struct TransportMetrics;

class GrpcTransport final : public Transport {
 public:
  struct Options {
    // This member and its ensemble; both non-zero.
    uint64_t self = 0;
    uint64_t cluster_id = 0;
    // Not owned; required.
    MessageSink* sink = nullptr;
    // Null means insecure; TLS credentials come from the member's configuration.
    std::shared_ptr<grpc::ChannelCredentials> credentials;
    // Peer id -> "host:port". An entry for `self` is ignored.
    std::map<uint64_t, std::string> peers;
    // Messages queued per peer; when full the oldest is dropped (and counted).
    size_t queue_limit = 4096;
    // Largest serialized Envelope, bytes; a single message above it is dropped.
    size_t max_envelope_bytes = size_t{4} << 20;
    // Reconnection backoff: first delay and cap (each jittered +-20%).
    absl::Duration backoff_initial = absl::Milliseconds(50);
    absl::Duration backoff_max = absl::Seconds(1);
    // Bytes of snapshot data per SnapshotChunk.
    size_t snapshot_chunk_bytes = size_t{1} << 20;
    // Deadline of a whole SendSnapshot call.
    absl::Duration snapshot_timeout = absl::Minutes(10);
    // HTTP/2 keepalive pings on idle connections (a dead peer is noticed within time+timeout).
    // Servers must tolerate the ping rate (ServiceRuntime's default minimum is 10 s).
    absl::Duration keepalive_time = absl::Seconds(30);
    absl::Duration keepalive_timeout = absl::Seconds(10);
    // Seed of the backoff jitter; 0 picks one at random.
    uint64_t seed = 0;
    // Optional, not owned: dcos_raft_transport_* counters are added to it.
    prometheus::Registry* metrics = nullptr;
  };

  // Counters of one peer's sender since it was added.
  struct PeerStats {
    uint64_t messages_sent = 0;
    uint64_t envelopes_sent = 0;
    uint64_t messages_dropped = 0;
    uint64_t stream_failures = 0;
    bool connected = false;
  };

  // Validates the options and starts one sender per peer. INVALID_ARGUMENT on a bad option.
  static absl::StatusOr<std::unique_ptr<GrpcTransport>> Create(Options options);
  ~GrpcTransport() override;

  GrpcTransport(const GrpcTransport&) = delete;
  GrpcTransport& operator=(const GrpcTransport&) = delete;

  void Send(std::vector<::dcos::raft::v1::Message> messages) override;
  // Reports ReportSnapshot(peer, false) at once for an unknown peer or after Stop().
  void SendSnapshot(::dcos::raft::v1::Message message, std::string data) override;
  void SetPeer(uint64_t id, const std::string& address) override;
  void RemovePeer(uint64_t id) override;

  // Cancels all calls and joins all threads. Idempotent. Afterwards Send drops everything.
  void Stop();

  // nullopt for an unknown peer.
  std::optional<PeerStats> Stats(uint64_t peer) const;

 private:
  explicit GrpcTransport(Options options);

  std::unique_ptr<PeerSender> NewSender(uint64_t id, const std::string& address);
  void RunSnapshot(SnapshotJob* job);
  // Joins finished snapshot threads.
  void ReapSnapshotJobsLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  std::unique_ptr<TransportMetrics> metrics_;
  std::atomic<uint64_t> next_seed_;

  mutable absl::Mutex mu_;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_map<uint64_t, std::unique_ptr<PeerSender>> peers_ ABSL_GUARDED_BY(mu_);
  std::list<std::unique_ptr<SnapshotJob>> snapshots_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dcos::raft
