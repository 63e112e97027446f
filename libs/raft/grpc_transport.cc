#include "libs/raft/grpc_transport.h"

#include <chrono>
#include <random>
#include <thread>
#include <utility>

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include "absl/strings/str_cat.h"
#include "libs/log/log.h"
#include "libs/raft/peer_sender.h"
#include "libs/raft/snapshot_chunks.h"
#include "protos/raft/v1/transport.grpc.pb.h"

namespace dcos::raft {

using ::dcos::raft::v1::Message;

// One SendSnapshot call on its own thread. `context` lets Stop/RemovePeer cancel it.
struct SnapshotJob {
  uint64_t peer = 0;
  Message message;
  std::string data;
  std::shared_ptr<grpc::Channel> channel;
  grpc::ClientContext context;
  std::atomic<bool> done{false};
  std::thread thread;
};

absl::StatusOr<std::unique_ptr<GrpcTransport>> GrpcTransport::Create(Options options) {
  if (options.self == 0) return absl::InvalidArgumentError("GrpcTransport: self id is 0");
  if (options.cluster_id == 0) return absl::InvalidArgumentError("GrpcTransport: cluster id is 0");
  if (options.sink == nullptr) return absl::InvalidArgumentError("GrpcTransport: no sink");
  if (options.queue_limit == 0) return absl::InvalidArgumentError("GrpcTransport: queue_limit 0");
  if (options.max_envelope_bytes < 64) {
    return absl::InvalidArgumentError("GrpcTransport: max_envelope_bytes below 64");
  }
  if (options.snapshot_chunk_bytes == 0) {
    return absl::InvalidArgumentError("GrpcTransport: snapshot_chunk_bytes 0");
  }
  if (options.backoff_initial <= absl::ZeroDuration() ||
      options.backoff_max < options.backoff_initial) {
    return absl::InvalidArgumentError("GrpcTransport: need 0 < backoff_initial <= backoff_max");
  }
  if (options.credentials == nullptr) options.credentials = grpc::InsecureChannelCredentials();
  if (options.seed == 0) options.seed = std::random_device()() | 1;
  std::map<uint64_t, std::string> peers = std::move(options.peers);
  options.peers.clear();
  std::unique_ptr<GrpcTransport> transport(new GrpcTransport(std::move(options)));
  for (const auto& [id, address] : peers) transport->SetPeer(id, address);
  return transport;
}

GrpcTransport::GrpcTransport(Options options)
    : options_(std::move(options)), next_seed_(options_.seed) {
  if (options_.metrics != nullptr) metrics_ = std::make_unique<TransportMetrics>(*options_.metrics);
}

GrpcTransport::~GrpcTransport() { Stop(); }

namespace {

std::shared_ptr<grpc::Channel> NewChannel(const GrpcTransport::Options& options,
                                          const std::string& address) {
  grpc::ChannelArguments args;
  // gRPC's own reconnection backoff (default 1 s growing to 120 s) would keep a restarted peer
  // unreachable long after it is back: align it with ours.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS,
              static_cast<int>(absl::ToInt64Milliseconds(options.backoff_initial)));
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS,
              static_cast<int>(absl::ToInt64Milliseconds(options.backoff_max)));
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS,
              static_cast<int>(absl::ToInt64Milliseconds(options.keepalive_time)));
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
              static_cast<int>(absl::ToInt64Milliseconds(options.keepalive_timeout)));
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  // Each peer gets its own connection, not one shared with other channels of the process.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetMaxSendMessageSize(-1);
  return grpc::CreateCustomChannel(address, options.credentials, args);
}

}  // namespace

std::unique_ptr<PeerSender> GrpcTransport::NewSender(uint64_t id, const std::string& address) {
  PeerSender::Config config;
  config.self = options_.self;
  config.cluster_id = options_.cluster_id;
  config.peer = id;
  config.sink = options_.sink;
  config.queue_limit = options_.queue_limit;
  config.max_envelope_bytes = options_.max_envelope_bytes;
  config.backoff_initial = options_.backoff_initial;
  config.backoff_max = options_.backoff_max;
  config.seed = next_seed_.fetch_add(0x9e3779b97f4a7c15ULL);
  if (metrics_ != nullptr) config.counters = metrics_->ForPeer(id);
  return std::make_unique<PeerSender>(std::move(config), address, NewChannel(options_, address));
}

void GrpcTransport::Send(std::vector<Message> messages) {
  // Group by peer, keeping each peer's messages in order, so each queue is locked once.
  std::vector<std::pair<uint64_t, std::vector<Message>>> groups;
  for (Message& m : messages) {
    auto it = groups.begin();
    while (it != groups.end() && it->first != m.to()) ++it;
    if (it == groups.end()) it = groups.emplace(groups.end(), m.to(), std::vector<Message>());
    it->second.push_back(std::move(m));
  }
  std::vector<uint64_t> unknown;
  {
    absl::ReaderMutexLock lock(&mu_);
    if (stopped_) return;
    for (auto& [peer, group] : groups) {
      auto it = peers_.find(peer);
      if (it == peers_.end()) {
        unknown.push_back(peer);
        continue;
      }
      it->second->Enqueue(std::move(group));
    }
  }
  for (uint64_t peer : unknown) {
    log::Debug("raft transport: message to unknown peer dropped").Field("peer", peer);
    options_.sink->ReportUnreachable(peer);
  }
}

void GrpcTransport::SendSnapshot(Message message, std::string data) {
  const uint64_t peer = message.to();
  {
    absl::MutexLock lock(&mu_);
    ReapSnapshotJobsLocked();
    auto it = peers_.find(peer);
    if (!stopped_ && it != peers_.end()) {
      auto job = std::make_unique<SnapshotJob>();
      job->peer = peer;
      job->message = std::move(message);
      job->data = std::move(data);
      job->channel = it->second->channel();
      SnapshotJob* raw = job.get();
      snapshots_.push_back(std::move(job));
      raw->thread = std::thread([this, raw] { RunSnapshot(raw); });
      return;
    }
  }
  log::Warn("raft transport: snapshot for unknown peer not sent").Field("peer", peer);
  options_.sink->ReportSnapshot(peer, false);
}

void GrpcTransport::RunSnapshot(SnapshotJob* job) {
  auto start = std::chrono::steady_clock::now();
  job->context.set_wait_for_ready(false);
  job->context.set_deadline(std::chrono::system_clock::now() +
                            absl::ToChronoMilliseconds(options_.snapshot_timeout));
  auto stub = ::dcos::raft::v1::RaftTransport::NewStub(job->channel);
  ::dcos::raft::v1::SendSnapshotResponse response;
  std::unique_ptr<grpc::ClientWriter<::dcos::raft::v1::SnapshotChunk>> writer =
      stub->SendSnapshot(&job->context, &response);
  SnapshotChunker chunker(options_.cluster_id, job->message, job->data,
                          options_.snapshot_chunk_bytes);
  ::dcos::raft::v1::SnapshotChunk chunk;
  bool written = true;
  while (chunker.Next(&chunk)) {
    if (!writer->Write(chunk)) {
      written = false;
      break;
    }
  }
  if (written) writer->WritesDone();
  grpc::Status status = writer->Finish();
  const bool ok = written && status.ok();
  auto elapsed = std::chrono::steady_clock::now() - start;
  (ok ? log::Info("raft transport: snapshot sent") : log::Warn("raft transport: snapshot failed"))
      .Field("peer", job->peer)
      .Field("bytes", job->data.size())
      .Field("elapsed", absl::FromChrono(elapsed))
      .Field("code", static_cast<int>(status.error_code()))
      .Field("error", status.error_message());
  if (metrics_ != nullptr) metrics_->Snapshot(job->peer, ok).Increment();
  options_.sink->ReportSnapshot(job->peer, ok);
  job->data.clear();
  job->data.shrink_to_fit();
  job->done.store(true, std::memory_order_release);
}

void GrpcTransport::ReapSnapshotJobsLocked() {
  for (auto it = snapshots_.begin(); it != snapshots_.end();) {
    if ((*it)->done.load(std::memory_order_acquire)) {
      (*it)->thread.join();
      it = snapshots_.erase(it);
    } else {
      ++it;
    }
  }
}

void GrpcTransport::SetPeer(uint64_t id, const std::string& address) {
  if (id == options_.self || id == 0) return;
  absl::MutexLock lock(&mu_);
  if (stopped_) return;
  auto it = peers_.find(id);
  if (it == peers_.end()) {
    std::unique_ptr<PeerSender> sender = NewSender(id, address);
    sender->Start();
    peers_.emplace(id, std::move(sender));
    log::Info("raft transport: peer added").Field("peer", id).Field("address", address);
    return;
  }
  if (it->second->address() == address) return;
  it->second->SetChannel(address, NewChannel(options_, address));
  log::Info("raft transport: peer address changed").Field("peer", id).Field("address", address);
}

void GrpcTransport::RemovePeer(uint64_t id) {
  std::unique_ptr<PeerSender> sender;
  {
    absl::MutexLock lock(&mu_);
    auto it = peers_.find(id);
    if (it == peers_.end()) return;
    sender = std::move(it->second);
    peers_.erase(it);
    for (auto& job : snapshots_) {
      if (job->peer == id) job->context.TryCancel();
    }
  }
  sender->Cancel();
  sender->Join();
  log::Info("raft transport: peer removed").Field("peer", id);
}

void GrpcTransport::Stop() {
  absl::flat_hash_map<uint64_t, std::unique_ptr<PeerSender>> peers;
  std::list<std::unique_ptr<SnapshotJob>> snapshots;
  {
    absl::MutexLock lock(&mu_);
    if (stopped_ && peers_.empty() && snapshots_.empty()) return;
    stopped_ = true;
    peers.swap(peers_);
    snapshots.swap(snapshots_);
    for (auto& job : snapshots) job->context.TryCancel();
  }
  // Cancel everything first, then join, so dead peers are waited for in parallel.
  for (auto& [id, sender] : peers) sender->Cancel();
  for (auto& [id, sender] : peers) sender->Join();
  for (auto& job : snapshots) job->thread.join();
}

std::optional<GrpcTransport::PeerStats> GrpcTransport::Stats(uint64_t peer) const {
  absl::ReaderMutexLock lock(&mu_);
  auto it = peers_.find(peer);
  if (it == peers_.end()) return std::nullopt;
  PeerSender::Stats s = it->second->GetStats();
  return PeerStats{s.messages_sent, s.envelopes_sent, s.messages_dropped, s.stream_failures,
                   s.connected};
}

}  // namespace dcos::raft
