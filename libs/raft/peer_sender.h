#pragma once

// PeerSender: GrpcTransport's sender for one peer (internal to grpc_transport). A thread that
// keeps one RaftTransport/Send client stream open and writes queued messages as Envelopes; see
// grpc_transport.h for the protocol (hello, batching, backoff, drops).
//
// The stream is a gRPC callback reactor (ClientWriteReactor). Writes go one at a time:
//  - a message queued while no write is in flight is written at once by the thread that
//    queued it (StartWrite does not block), so an idle stream adds no thread hop;
//  - OnWriteDone starts the next write with everything queued meanwhile (batching).
// The sender thread only opens streams (writing the hello), waits, tears them down and backs
// off. It holds the reactor (AddHold) while writes may start, so OnDone cannot run under a
// writer. An idle stream's end is seen through the response headers: the receiver sends none
// until it ends the call (RaftTransportService never sends early headers), so
// OnReadInitialMetadataDone means "this call is over": the thread stops new writes, drops its
// hold and waits for OnDone (cancelling the call if a misbehaving receiver sent early headers
// and OnDone does not follow within a second). A broken or refused stream is therefore
// reported at once, not at the next write.
//
// Thread-safety: Enqueue, SetChannel, GetStats, Cancel may be called from any thread; `mu_`
// guards the queue, the stream's state and the current call's context. Start once; Cancel
// then Join (from one thread) before destruction.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/raft/backoff.h"
#include "libs/raft/transport.h"
#include "protos/raft/v1/transport.grpc.pb.h"

namespace dcos::raft {

// Prometheus counters of one peer; every pointer null when metrics are off.
struct PeerCounters {
  prometheus::Counter* sent = nullptr;
  prometheus::Counter* envelopes = nullptr;
  prometheus::Counter* dropped = nullptr;
  prometheus::Counter* failures = nullptr;
};

// The dcos_raft_transport_* families, registered once per transport.
struct TransportMetrics {
  explicit TransportMetrics(prometheus::Registry& registry);
  PeerCounters ForPeer(uint64_t peer);
  prometheus::Counter& Snapshot(uint64_t peer, bool ok);

  prometheus::Family<prometheus::Counter>& sent;
  prometheus::Family<prometheus::Counter>& envelopes;
  prometheus::Family<prometheus::Counter>& dropped;
  prometheus::Family<prometheus::Counter>& failures;
  prometheus::Family<prometheus::Counter>& snapshots;
};

class PeerSender {
 public:
  struct Config {
    uint64_t self = 0;
    uint64_t cluster_id = 0;
    uint64_t peer = 0;
    MessageSink* sink = nullptr;
    size_t queue_limit = 4096;
    size_t max_envelope_bytes = size_t{4} << 20;
    absl::Duration backoff_initial;
    absl::Duration backoff_max;
    uint64_t seed = 1;
    PeerCounters counters;
  };

  PeerSender(Config config, std::string address, std::shared_ptr<grpc::Channel> channel);
  ~PeerSender();

  PeerSender(const PeerSender&) = delete;
  PeerSender& operator=(const PeerSender&) = delete;

  void Start();
  // Queues messages (all addressed to this peer), or drops them while the stream is in backoff
  // or the sender is stopping.
  void Enqueue(std::vector<::dcos::raft::v1::Message> messages);
  // Switches to a new address: the current stream is cancelled and reopened on `channel`
  // without a backoff or an unreachable report.
  void SetChannel(std::string address, std::shared_ptr<grpc::Channel> channel);
  // Stops the thread soon (cancels the current call); Join waits for it.
  void Cancel();
  void Join();

  std::string address() const;
  std::shared_ptr<grpc::Channel> channel() const;

  struct Stats {
    uint64_t messages_sent = 0;
    uint64_t envelopes_sent = 0;
    uint64_t messages_dropped = 0;
    uint64_t stream_failures = 0;
    bool connected = false;
  };
  Stats GetStats() const;

 private:
  enum class State { kConnecting, kConnected, kBackoff };

  class Stream;

  void Run();
  // Moves queued messages into stream_->envelope and marks a write in flight, if the stream is
  // open and idle; the caller then starts the write with StartWrite(stream_) outside `mu_`.
  bool TakeNextWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static void StartWrite(Stream* stream);
  ::dcos::raft::v1::Envelope NewEnvelope() const;
  void CountDropped(uint64_t n);
  // Reactor callbacks.
  void OnWriteDone(bool ok);
  void OnHeaders();
  void OnStreamDone(const grpc::Status& status);

  const Config config_;

  mutable absl::Mutex mu_;
  std::deque<::dcos::raft::v1::Message> queue_ ABSL_GUARDED_BY(mu_);
  State state_ ABSL_GUARDED_BY(mu_) = State::kConnecting;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool redial_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* context_ ABSL_GUARDED_BY(mu_) = nullptr;
  // The current stream, its reactor and call state.
  Stream* stream_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool open_ ABSL_GUARDED_BY(mu_) = false;          // the hello went through; writes may start
  bool hello_ ABSL_GUARDED_BY(mu_) = false;         // the write in flight is the hello
  bool writing_ ABSL_GUARDED_BY(mu_) = false;       // a write is in flight
  uint64_t writing_count_ ABSL_GUARDED_BY(mu_) = 0;  // messages in it
  bool write_failed_ ABSL_GUARDED_BY(mu_) = false;
  bool headers_ ABSL_GUARDED_BY(mu_) = false;
  bool call_done_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status call_status_ ABSL_GUARDED_BY(mu_);
  std::string address_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<grpc::Channel> channel_ ABSL_GUARDED_BY(mu_);

  std::atomic<uint64_t> sent_{0};
  std::atomic<uint64_t> envelopes_{0};
  std::atomic<uint64_t> dropped_{0};
  std::atomic<uint64_t> failures_{0};

  std::thread thread_;
};

}  // namespace dcos::raft
