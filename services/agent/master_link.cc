#include "services/agent/master_link.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "libs/log/log.h"
#include "libs/masters/master_address.h"
#include "libs/status/grpc_status.h"

namespace dcos::agent {
namespace {

constexpr absl::Duration kMaxBackoff = absl::Minutes(1);

}  // namespace

StaticMasterDetector::StaticMasterDetector(const std::string& addresses) {
  for (absl::string_view a : absl::StrSplit(addresses, ',', absl::SkipWhitespace())) {
    addresses_.emplace_back(absl::StripAsciiWhitespace(a));
  }
  if (addresses_.empty()) addresses_.push_back(addresses);
}

std::string StaticMasterDetector::Leader() {
  absl::MutexLock lock(&mu_);
  if (!redirect_.empty()) {
    std::string next = std::move(redirect_);
    redirect_.clear();
    return next;
  }
  std::string next = addresses_[next_ % addresses_.size()];
  ++next_;
  return next;
}

void StaticMasterDetector::Redirect(const std::string& address) {
  absl::MutexLock lock(&mu_);
  redirect_ = address;
}

struct MasterLink::Stream {
  uint64_t generation = 0;
  std::string address;
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReaderWriter<master::v1::AgentMessage, master::v1::MasterMessage>>
      stream;
  absl::Mutex mu;
  std::deque<master::v1::AgentMessage> queue ABSL_GUARDED_BY(mu);
  bool closed ABSL_GUARDED_BY(mu) = false;
  std::thread writer;

  void WriteLoop() {
    for (;;) {
      master::v1::AgentMessage next;
      {
        absl::MutexLock lock(&mu);
        mu.Await(absl::Condition(
            +[](Stream* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu) {
              return s->closed || !s->queue.empty();
            },
            this));
        if (closed) return;
        next = std::move(queue.front());
        queue.pop_front();
      }
      if (!stream->Write(next)) return;
    }
  }
};

MasterLink::MasterLink(MasterDetector* detector, absl::Duration backoff_factor,
                       Callbacks callbacks, uint64_t seed)
    : detector_(detector),
      backoff_factor_(backoff_factor),
      callbacks_(std::move(callbacks)),
      rng_(seed),
      backoff_(backoff_factor) {}

MasterLink::~MasterLink() { Stop(); }

void MasterLink::Start() {
  detector_->SetOnChange([this](const std::string& leader) { LeaderChanged(leader); });
  thread_ = std::thread([this] { Loop(); });
}

void MasterLink::Stop() {
  detector_->SetOnChange(nullptr);
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
    if (current_ != nullptr) current_->context.TryCancel();
  }
  if (thread_.joinable()) thread_.join();
}

void MasterLink::Send(uint64_t generation, master::v1::AgentMessage message) {
  std::shared_ptr<Stream> s;
  {
    absl::MutexLock lock(&mu_);
    if (current_ == nullptr || current_->generation != generation) return;
    s = current_;
  }
  absl::MutexLock lock(&s->mu);
  if (!s->closed) s->queue.push_back(std::move(message));
}

void MasterLink::Reconnect(uint64_t generation) {
  absl::MutexLock lock(&mu_);
  if (current_ != nullptr && current_->generation == generation) current_->context.TryCancel();
}

void MasterLink::LeaderChanged(const std::string& leader) {
  absl::MutexLock lock(&mu_);
  if (leader.empty()) return;  // nobody known: keep whatever stream works
  woken_ = true;
  if (current_ != nullptr && current_->address != leader) {
    log::Info("a new master leads; leaving the old one")
        .Field("master", current_->address)
        .Field("leader", leader);
    current_->context.TryCancel();
  }
}

void MasterLink::ResetBackoff() {
  absl::MutexLock lock(&mu_);
  backoff_ = backoff_factor_;
}

absl::Duration MasterLink::NextBackoff() {
  std::uniform_real_distribution<double> fraction(0.0, 1.0);
  absl::Duration wait = backoff_ * fraction(rng_);
  backoff_ = std::min(backoff_ * 2, kMaxBackoff);
  return wait;
}

void MasterLink::Loop() {
  bool at_once = true;
  bool waiting = false;  // no leader known: said once
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      if (!at_once && !woken_) {
        mu_.AwaitWithTimeout(absl::Condition(
                                 +[](MasterLink* l) ABSL_EXCLUSIVE_LOCKS_REQUIRED(l->mu_) {
                                   return l->stop_ || l->woken_;
                                 },
                                 this),
                             NextBackoff());
      }
      woken_ = false;
      if (stop_) return;
    }
    const std::string address = detector_->Leader();
    if (address.empty()) {
      if (!waiting) log::Warn("no leading master known; waiting for one");
      waiting = true;
      at_once = false;
      continue;
    }
    waiting = false;
    uint64_t generation;
    {
      absl::MutexLock lock(&mu_);
      if (stop_) return;
      generation = ++generation_;
    }
    grpc::Status end = RunStream(address, generation);
    callbacks_.disconnected(generation, end);
    std::string leader = masters::RedirectTarget(status::FromGrpc(end));
    at_once = !leader.empty();
    if (at_once) {
      log::Info("the master is not the leader; trying the leader")
          .Field("master", address)
          .Field("leader", leader);
      detector_->Redirect(leader);
    } else {
      log::Warn("master stream ended")
          .Field("master", address)
          .Field("code", static_cast<int64_t>(end.error_code()))
          .Field("error", end.error_message());
    }
  }
}

grpc::Status MasterLink::RunStream(const std::string& address, uint64_t generation) {
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  auto stub = master::v1::AgentChannel::NewStub(channel);
  auto s = std::make_shared<Stream>();
  s->generation = generation;
  s->address = address;
  s->stream = stub->Connect(&s->context);
  {
    absl::MutexLock lock(&mu_);
    if (stop_) s->context.TryCancel();
    current_ = s;
  }
  s->writer = std::thread([s] { s->WriteLoop(); });
  callbacks_.connected(generation);
  master::v1::MasterMessage message;
  while (s->stream->Read(&message)) callbacks_.received(generation, message);
  {
    absl::MutexLock lock(&s->mu);
    s->closed = true;  // wakes the writer; a Write in progress fails now the call is over
  }
  s->writer.join();
  grpc::Status end = s->stream->Finish();
  absl::MutexLock lock(&mu_);
  if (current_ == s) current_.reset();
  return end;
}

}  // namespace dcos::agent
