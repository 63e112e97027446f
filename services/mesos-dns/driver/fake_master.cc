#include "services/mesos-dns/driver/fake_master.h"

#include <grpcpp/server_builder.h>

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/status/grpc_status.h"
#include "protos/common/v1/errors.pb.h"

namespace dcos::dns::driver::testing {

std::unique_ptr<FakeMaster> FakeMaster::Start(const std::string& ip, int port) {
  std::unique_ptr<FakeMaster> m(new FakeMaster());
  grpc::ServerBuilder builder;
  int bound = 0;
  builder.AddListeningPort(absl::StrCat(ip, ":", port), grpc::InsecureServerCredentials(), &bound);
  builder.RegisterService(m.get());
  m->server_ = builder.BuildAndStart();
  if (m->server_ == nullptr || bound == 0) return nullptr;
  m->port_ = bound;
  m->address_ = absl::StrCat(ip, ":", bound);
  return m;
}

FakeMaster::~FakeMaster() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (server_ != nullptr) server_->Shutdown(std::chrono::system_clock::now());
}

void FakeMaster::SetState(master::v1::ClusterState state) {
  absl::MutexLock lock(&mu_);
  state_ = std::move(state);
}

void FakeMaster::SetRedirect(std::optional<std::string> leader) {
  absl::MutexLock lock(&mu_);
  redirect_ = std::move(leader);
}

void FakeMaster::Push(const master::v1::OperatorEvent& event) {
  absl::MutexLock lock(&mu_);
  for (auto& s : streams_) s->queue.push_back(event);
}

void FakeMaster::EndStreams() {
  absl::MutexLock lock(&mu_);
  for (auto& s : streams_) s->ended = true;
}

int FakeMaster::open_streams() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(streams_.size());
}

int FakeMaster::subscribe_calls() const {
  absl::MutexLock lock(&mu_);
  return calls_;
}

grpc::Status FakeMaster::Subscribe(grpc::ServerContext* context,
                                   const master::v1::SubscribeOperatorRequest*,
                                   grpc::ServerWriter<master::v1::OperatorEvent>* writer) {
  auto stream = std::make_shared<Stream>();
  master::v1::OperatorEvent first;
  {
    absl::MutexLock lock(&mu_);
    ++calls_;
    if (redirect_.has_value()) {
      common::v1::LeaderInfo info;
      info.set_service("dcos-master");
      info.set_known(!redirect_->empty());
      if (!redirect_->empty()) {
        const size_t colon = redirect_->rfind(':');
        uint32_t port = 0;
        (void)absl::SimpleAtoi(redirect_->substr(colon + 1), &port);
        info.mutable_address()->set_ip(redirect_->substr(0, colon));
        info.mutable_address()->set_port(port);
      }
      absl::Status refused = absl::UnavailableError(
          absl::StrCat("not the leader", redirect_->empty() ? "" : ": leader is ", *redirect_));
      refused.SetPayload(status::TypeUrl("dcos.common.v1.LeaderInfo"),
                         absl::Cord(info.SerializeAsString()));
      return status::ToGrpc(refused);
    }
    *first.mutable_subscribed()->mutable_state() = state_;
    if (!state_.has_leader()) {
      common::v1::MasterInfo* leader = first.mutable_subscribed()->mutable_state()->mutable_leader();
      leader->set_id(address_);
      leader->mutable_address()->set_ip(address_.substr(0, address_.rfind(':')));
      leader->mutable_address()->set_port(static_cast<uint32_t>(port_));
    }
    first.mutable_subscribed()->mutable_heartbeat_interval()->set_seconds(15);
    streams_.push_back(stream);
  }
  bool open = writer->Write(first);
  while (open) {
    master::v1::OperatorEvent next;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [&] { return stopping_ || stream->ended || !stream->queue.empty(); };
      mu_.AwaitWithTimeout(absl::Condition(&ready), absl::Milliseconds(50));
      if (stopping_ || stream->ended) break;
      if (context->IsCancelled()) break;
      if (stream->queue.empty()) continue;
      next = std::move(stream->queue.front());
      stream->queue.pop_front();
    }
    open = writer->Write(next);
  }
  absl::MutexLock lock(&mu_);
  streams_.erase(std::find(streams_.begin(), streams_.end(), stream));
  return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the stream ended");
}

}  // namespace dcos::dns::driver::testing
