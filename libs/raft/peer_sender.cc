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
    }
  }
  CountDropped(dropped);
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

  // The message of the write in flight (must live until OnWriteDone).
  Envelope envelope;

 private:
  PeerSender* owner_;
};

void PeerSender::OnWriteDone(bool ok) {
  absl::MutexLock lock(&mu_);
  write_pending_ = false;
  write_ok_ = ok;
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
  while (true) {
    grpc::ClientContext context;
    // Fail fast while the channel cannot connect: the failure is reported and retried here.
    context.set_wait_for_ready(false);
    std::shared_ptr<grpc::Channel> channel;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      redial_ = false;
      state_ = State::kConnecting;
      context_ = &context;
      write_pending_ = false;
      headers_ = false;
      call_done_ = false;
      channel = channel_;
    }
    std::unique_ptr<::dcos::raft::v1::RaftTransport::Stub> stub =
        ::dcos::raft::v1::RaftTransport::NewStub(channel);
    ::dcos::raft::v1::SendResponse response;
    Stream stream(this);
    stub->async()->Send(&context, &response, &stream);
    stream.AddHold();  // writes start outside reactions: keep OnDone back until we are done
    bool interrupted = Pump(&stream, &backoff);
    if (interrupted) context.TryCancel();
    stream.RemoveHold();

    grpc::Status status;
    uint64_t dropped = 0;
    {
      absl::MutexLock lock(&mu_);
      // The reactor, the context and the envelope must outlive the call.
      if (!mu_.AwaitWithTimeout(absl::Condition(&call_done_), absl::Seconds(1))) {
        context.TryCancel();  // headers without an end: do not trust this call any longer
        mu_.Await(absl::Condition(&call_done_));
      }
      status = call_status_;
      context_ = nullptr;
      if (stopping_) return;
      if (redial_) continue;  // a new address: reconnect at once, nothing to report
      state_ = State::kBackoff;
      dropped = queue_.size();
      queue_.clear();
    }
    CountDropped(dropped);
    failures_.fetch_add(1, std::memory_order_relaxed);
    Inc(config_.counters.failures, 1);
    absl::Duration wait = status.error_code() == grpc::StatusCode::FAILED_PRECONDITION
                              ? config_.backoff_max
                              : backoff.Next();
    log::Warn("raft transport: stream to peer broken")
        .Field("peer", config_.peer)
        .Field("code", static_cast<int>(status.error_code()))
        .Field("error", status.error_message())
        .Field("retry_in", wait);
    config_.sink->ReportUnreachable(config_.peer);

    absl::MutexLock lock(&mu_);
    auto woken = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || redial_; };
    mu_.AwaitWithTimeout(absl::Condition(&woken), wait);
  }
}

PeerSender::WriteResult PeerSender::WriteAndWait(Stream* stream) {
  {
    absl::MutexLock lock(&mu_);
    write_pending_ = true;
  }
  stream->StartWrite(&stream->envelope);
  return WaitForWrite();
}

PeerSender::WriteResult PeerSender::WaitForWrite() {
  absl::MutexLock lock(&mu_);
  auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !write_pending_ || stopping_ || redial_;
  };
  mu_.Await(absl::Condition(&ready));
  if (write_pending_) return WriteResult::kInterrupted;
  return write_ok_ ? WriteResult::kOk : WriteResult::kFailed;
}

bool PeerSender::Pump(Stream* stream, Backoff* backoff) {
  // The hello: an empty envelope. Its write fails at once if the peer cannot be reached, and
  // the receiver checks the cluster and member ids before any message is at stake.
  stream->envelope = NewEnvelope();
  {
    absl::MutexLock lock(&mu_);
    write_pending_ = true;
  }
  stream->StartWrite(&stream->envelope);
  stream->StartCall();
  switch (WaitForWrite()) {
    case WriteResult::kOk:
      break;
    case WriteResult::kFailed:
      return false;
    case WriteResult::kInterrupted:
      return true;
  }
  {
    absl::MutexLock lock(&mu_);
    if (state_ == State::kConnecting) state_ = State::kConnected;
  }
  backoff->Reset();
  std::deque<Message> batch;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || redial_ || headers_ || !queue_.empty();
      };
      mu_.Await(absl::Condition(&ready));
      if (stopping_ || redial_) return true;
      if (headers_) return false;
      batch.swap(queue_);
    }
    switch (WriteBatch(stream, &batch)) {
      case WriteResult::kOk:
        break;
      case WriteResult::kFailed:
        return false;
      case WriteResult::kInterrupted:
        return true;
    }
  }
}

PeerSender::WriteResult PeerSender::WriteBatch(Stream* stream, std::deque<Message>* batch) {
  const size_t base = NewEnvelope().ByteSizeLong();
  while (!batch->empty()) {
    Envelope& envelope = stream->envelope;
    envelope = NewEnvelope();
    size_t bytes = base;
    while (!batch->empty()) {
      size_t add = EncodedSize(batch->front());
      if (bytes + add > config_.max_envelope_bytes) {
        if (envelope.messages_size() > 0) break;
        log::Error("raft transport: dropping a message larger than an envelope")
            .Field("peer", config_.peer)
            .Field("bytes", add);
        batch->pop_front();
        CountDropped(1);
        continue;
      }
      bytes += add;
      *envelope.add_messages() = std::move(batch->front());
      batch->pop_front();
    }
    if (envelope.messages_size() == 0) continue;
    uint64_t n = static_cast<uint64_t>(envelope.messages_size());
    WriteResult result = WriteAndWait(stream);
    if (result != WriteResult::kOk) {
      CountDropped(n + batch->size());
      batch->clear();
      return result;
    }
    sent_.fetch_add(n, std::memory_order_relaxed);
    envelopes_.fetch_add(1, std::memory_order_relaxed);
    Inc(config_.counters.sent, n);
    Inc(config_.counters.envelopes, 1);
  }
  return WriteResult::kOk;
}

}  // namespace dcos::raft
