#include "libs/raft/peer_sender.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/log/log.h"

namespace dcos::raft {

using ::dcos::raft::v1::Envelope;
using ::dcos::raft::v1::Message;

namespace {

void Inc(prometheus::Counter* counter, uint64_t n) {
  if (counter != nullptr && n > 0) counter->Increment(static_cast<double>(n));
}

// Bytes a message adds to an Envelope: field tag, length prefix, body.
size_t EncodedSize(const Message& m) {
  size_t body = m.ByteSizeLong();
  size_t prefix = 1;
  for (size_t v = body; v >= 0x80; v >>= 7) ++prefix;
  return 1 + prefix + body;
}

}  // namespace

TransportMetrics::TransportMetrics(prometheus::Registry& registry)
    : sent(prometheus::BuildCounter()
               .Name("dcos_raft_transport_messages_sent_total")
               .Help("Raft messages written to a peer's Send stream")
               .Register(registry)),
      envelopes(prometheus::BuildCounter()
                    .Name("dcos_raft_transport_envelopes_sent_total")
                    .Help("Envelopes (message batches) written to a peer's Send stream")
                    .Register(registry)),
      dropped(prometheus::BuildCounter()
                  .Name("dcos_raft_transport_messages_dropped_total")
                  .Help("Raft messages dropped: queue full, stream broken or in backoff")
                  .Register(registry)),
      failures(prometheus::BuildCounter()
                   .Name("dcos_raft_transport_stream_failures_total")
                   .Help("Send streams that broke or could not be opened (each one reconnects)")
                   .Register(registry)),
      snapshots(prometheus::BuildCounter()
                    .Name("dcos_raft_transport_snapshots_sent_total")
                    .Help("SendSnapshot calls by outcome")
                    .Register(registry)) {}

PeerCounters TransportMetrics::ForPeer(uint64_t peer) {
  std::map<std::string, std::string> labels = {{"peer", absl::StrCat(peer)}};
  return PeerCounters{&sent.Add(labels), &envelopes.Add(labels), &dropped.Add(labels),
                      &failures.Add(labels)};
}

prometheus::Counter& TransportMetrics::Snapshot(uint64_t peer, bool ok) {
  return snapshots.Add({{"peer", absl::StrCat(peer)}, {"result", ok ? "ok" : "failed"}});
}

PeerSender::PeerSender(Config config, std::string address, std::shared_ptr<grpc::Channel> channel)
    : config_(std::move(config)), address_(std::move(address)), channel_(std::move(channel)) {}

PeerSender::~PeerSender() {
  Cancel();
  Join();
}

void PeerSender::Start() { thread_ = std::thread([this] { Run(); }); }

void PeerSender::CountDropped(uint64_t n) {
  dropped_.fetch_add(n, std::memory_order_relaxed);
  Inc(config_.counters.dropped, n);
}

void PeerSender::Enqueue(std::vector<Message> messages) {
  uint64_t dropped = 0;
  Stream* start = nullptr;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ || state_ == State::kBackoff) {
      dropped = messages.size();
    } else {
      for (Message& m : messages) {
        if (queue_.size() >= config_.queue_limit) {
          queue_.pop_front();
          ++dropped;
        }
        queue_.push_back(std::move(m));
      }
      if (TakeNextWriteLocked()) start = stream_;
    }
  }
  CountDropped(dropped);
  if (start != nullptr) StartWrite(start);
}

void PeerSender::SetChannel(std::string address, std::shared_ptr<grpc::Channel> channel) {
  absl::MutexLock lock(&mu_);
  address_ = std::move(address);
  channel_ = std::move(channel);
  redial_ = true;
  if (context_ != nullptr) context_->TryCancel();
}

void PeerSender::Cancel() {
  absl::MutexLock lock(&mu_);
  stopping_ = true;
  if (context_ != nullptr) context_->TryCancel();
}

void PeerSender::Join() {
  if (thread_.joinable()) thread_.join();
}

std::string PeerSender::address() const {
  absl::MutexLock lock(&mu_);
  return address_;
}

std::shared_ptr<grpc::Channel> PeerSender::channel() const {
  absl::MutexLock lock(&mu_);
  return channel_;
}

PeerSender::Stats PeerSender::GetStats() const {
  Stats s;
  s.messages_sent = sent_.load(std::memory_order_relaxed);
  s.envelopes_sent = envelopes_.load(std::memory_order_relaxed);
  s.messages_dropped = dropped_.load(std::memory_order_relaxed);
  s.stream_failures = failures_.load(std::memory_order_relaxed);
  absl::MutexLock lock(&mu_);
  s.connected = state_ == State::kConnected;
  return s;
}

Envelope PeerSender::NewEnvelope() const {
  Envelope envelope;
  envelope.set_cluster_id(config_.cluster_id);
  envelope.set_from(config_.self);
  envelope.set_to(config_.peer);
  return envelope;
}

// The reactor of one Send call. Lives on the sender thread's stack until OnDone has run.
class PeerSender::Stream final : public grpc::ClientWriteReactor<Envelope> {
 public:
  explicit Stream(PeerSender* owner) : owner_(owner) {}
  void OnWriteDone(bool ok) override { owner_->OnWriteDone(ok); }
  void OnReadInitialMetadataDone(bool ok) override { owner_->OnHeaders(); }
  void OnDone(const grpc::Status& status) override { owner_->OnStreamDone(status); }

  // The message of the write in flight (must live until OnWriteDone); written only by the
  // holder of PeerSender::writing_.
  Envelope envelope;

 private:
  PeerSender* owner_;
};

void PeerSender::StartWrite(Stream* stream) { stream->StartWrite(&stream->envelope); }

bool PeerSender::TakeNextWriteLocked() {
  if (!open_ || writing_ || queue_.empty()) return false;
  Envelope& envelope = stream_->envelope;
  envelope = NewEnvelope();
  size_t bytes = envelope.ByteSizeLong();
  uint64_t dropped = 0;
  while (!queue_.empty()) {
    size_t add = EncodedSize(queue_.front());
    if (bytes + add > config_.max_envelope_bytes) {
      if (envelope.messages_size() > 0) break;
      log::Error("raft transport: dropping a message larger than an envelope")
          .Field("peer", config_.peer)
          .Field("bytes", add);
      queue_.pop_front();
      ++dropped;
      continue;
    }
    bytes += add;
    *envelope.add_messages() = std::move(queue_.front());
    queue_.pop_front();
  }
  dropped_.fetch_add(dropped, std::memory_order_relaxed);
  Inc(config_.counters.dropped, dropped);
  if (envelope.messages_size() == 0) return false;
  writing_ = true;
  writing_count_ = static_cast<uint64_t>(envelope.messages_size());
  return true;
}

void PeerSender::OnWriteDone(bool ok) {
  Stream* start = nullptr;
  {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) {
      write_failed_ = true;
      if (!hello_) CountDropped(writing_count_);
    } else if (hello_) {
      open_ = true;
      if (state_ == State::kConnecting) state_ = State::kConnected;
    } else {
      sent_.fetch_add(writing_count_, std::memory_order_relaxed);
      envelopes_.fetch_add(1, std::memory_order_relaxed);
      Inc(config_.counters.sent, writing_count_);
      Inc(config_.counters.envelopes, 1);
    }
    hello_ = false;
    writing_count_ = 0;
    // Still inside the reaction, so the call is alive: start the next batch right here.
    if (ok && TakeNextWriteLocked()) start = stream_;
  }
  if (start != nullptr) StartWrite(start);
}

void PeerSender::OnHeaders() {
  absl::MutexLock lock(&mu_);
  headers_ = true;
}

void PeerSender::OnStreamDone(const grpc::Status& status) {
  absl::MutexLock lock(&mu_);
  call_done_ = true;
  call_status_ = status;
}

void PeerSender::Run() {
  Backoff backoff(config_.backoff_initial, config_.backoff_max, config_.seed);
  bool reported_outage = false;  // warn once per outage, not on every retry
  while (true) {
    grpc::ClientContext context;
    // Fail fast while the channel cannot connect: the failure is reported and retried here.
    context.set_wait_for_ready(false);
    ::dcos::raft::v1::SendResponse response;
    Stream stream(this);
    std::shared_ptr<grpc::Channel> channel;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      redial_ = false;
      state_ = State::kConnecting;
      context_ = &context;
      stream_ = &stream;
      open_ = false;
      hello_ = true;  // the hello: an empty envelope, written below
      writing_ = true;
      writing_count_ = 0;
      write_failed_ = false;
      headers_ = false;
      call_done_ = false;
      channel = channel_;
    }
    std::unique_ptr<::dcos::raft::v1::RaftTransport::Stub> stub =
        ::dcos::raft::v1::RaftTransport::NewStub(channel);
    stub->async()->Send(&context, &response, &stream);
    stream.AddHold();  // writes start outside reactions: keep OnDone back until we are done
    // The hello fails at once if the peer cannot be reached, and lets the receiver check the
    // cluster and member ids before any message is at stake.
    stream.envelope = NewEnvelope();
    stream.StartWrite(&stream.envelope);
    stream.StartCall();

    bool interrupted = false;
    {
      absl::MutexLock lock(&mu_);
      auto ended = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || redial_ || headers_ || write_failed_;
      };
      mu_.Await(absl::Condition(&ended));
      interrupted = stopping_ || redial_;
      open_ = false;  // no new writes on this call
    }
    if (interrupted) context.TryCancel();
    {
      absl::MutexLock lock(&mu_);
      auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !writing_; };
      mu_.Await(absl::Condition(&idle));
    }
    stream.RemoveHold();

    grpc::Status status;
    uint64_t dropped = 0;
    bool was_connected = false;
    {
      absl::MutexLock lock(&mu_);
      // The reactor, the context and the envelope must outlive the call.
      if (!mu_.AwaitWithTimeout(absl::Condition(&call_done_), absl::Seconds(1))) {
        context.TryCancel();  // headers without an end: do not trust this call any longer
        mu_.Await(absl::Condition(&call_done_));
      }
      status = call_status_;
      context_ = nullptr;
      stream_ = nullptr;
      was_connected = state_ == State::kConnected;
      if (stopping_) return;
      if (redial_) continue;  // a new address: reconnect at once, nothing to report
      state_ = State::kBackoff;
      dropped = queue_.size();
      queue_.clear();
    }
    CountDropped(dropped);
    failures_.fetch_add(1, std::memory_order_relaxed);
    Inc(config_.counters.failures, 1);
    if (was_connected) backoff.Reset();
    absl::Duration wait = status.error_code() == grpc::StatusCode::FAILED_PRECONDITION
                              ? config_.backoff_max
                              : backoff.Next();
    if (was_connected) reported_outage = false;
    log::Line(reported_outage ? log::Level::kDebug : log::Level::kWarning,
              "raft transport: stream to peer broken")
        .Field("peer", config_.peer)
        .Field("code", static_cast<int>(status.error_code()))
        .Field("error", status.error_message())
        .Field("retry_in", wait);
    reported_outage = true;
    config_.sink->ReportUnreachable(config_.peer);

    absl::MutexLock lock(&mu_);
    auto woken = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || redial_; };
    mu_.AwaitWithTimeout(absl::Condition(&woken), wait);
  }
}

}  // namespace dcos::raft
