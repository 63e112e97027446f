#pragma once

// Simulated agents and frameworks for multi-process tests of dcos-master: real gRPC clients of
// the AgentChannel and Scheduler APIs that record what the master sends (fakes of the other
// side, behind the master's real interface). Test-only.

#include <atomic>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <grpcpp/channel.h>

#include "absl/synchronization/mutex.h"
#include "protos/master/v1/agent_channel.grpc.pb.h"
#include "protos/master/v1/scheduler.grpc.pb.h"

namespace dcos::testing {

namespace mv1 = dcos::master::v1;
namespace cv1 = dcos::common::v1;

inline cv1::Resource Scalar(const std::string& name, double value) {
  cv1::Resource r;
  r.set_name(name);
  r.set_type(cv1::Value::TYPE_SCALAR);
  r.mutable_scalar()->set_value(value);
  return r;
}

// An agent that speaks the AgentChannel protocol: answers pings (while `healthy`) and
// records what the master sends.
class SimAgent {
 public:
  SimAgent(std::shared_ptr<grpc::Channel> channel, mv1::AgentMessage first)
      : stub_(mv1::AgentChannel::NewStub(channel)) {
    stream_ = stub_->Connect(&ctx_);
    REQUIRE(stream_->Write(first));
    reader_ = std::thread([this] {
      mv1::MasterMessage m;
      while (stream_->Read(&m)) {
        if (m.has_ping() && healthy_.load()) {
          mv1::AgentMessage pong;
          pong.mutable_pong()->set_sequence(m.ping().sequence());
          Send(pong);
        }
        absl::MutexLock lock(&mu_);
        received_.push_back(m);
      }
      status_ = stream_->Finish();
      ended_.store(true);
    });
  }
  ~SimAgent() { Close(); }

  void Close() {
    if (closed_.exchange(true)) return;
    ctx_.TryCancel();
    reader_.join();
  }
  void Send(const mv1::AgentMessage& m) {
    absl::MutexLock lock(&write_mu_);
    stream_->Write(m);
  }
  void SetHealthy(bool healthy) { healthy_.store(healthy); }
  // The stream ended (the master closed it, or Close).
  bool ended() const { return ended_.load(); }
  std::vector<mv1::MasterMessage> received() {
    absl::MutexLock lock(&mu_);
    return received_;
  }
  template <typename Pred>
  std::optional<mv1::MasterMessage> Find(Pred pred) {
    for (const auto& m : received()) {
      if (pred(m)) return m;
    }
    return std::nullopt;
  }

 private:
  std::unique_ptr<mv1::AgentChannel::Stub> stub_;
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReaderWriter<mv1::AgentMessage, mv1::MasterMessage>> stream_;
  absl::Mutex mu_, write_mu_;
  std::vector<mv1::MasterMessage> received_;
  std::atomic<bool> healthy_{true};
  std::atomic<bool> closed_{false};
  std::atomic<bool> ended_{false};
  grpc::Status status_;  // set before ended_
  std::thread reader_;
};

// A framework's Subscribe stream, recording its events.
class SimFramework {
 public:
  SimFramework(std::shared_ptr<grpc::Channel> channel, const cv1::FrameworkInfo& info)
      : stub_(mv1::Scheduler::NewStub(channel)) {
    mv1::SubscribeRequest req;
    *req.mutable_framework_info() = info;
    stream_ = stub_->Subscribe(&ctx_, req);
    reader_ = std::thread([this] {
      mv1::Event e;
      while (stream_->Read(&e)) {
        absl::MutexLock lock(&mu_);
        events_.push_back(e);
      }
      status_ = stream_->Finish();
      ended_.store(true);
    });
  }
  ~SimFramework() {
    ctx_.TryCancel();
    reader_.join();
  }
  std::vector<mv1::Event> events() {
    absl::MutexLock lock(&mu_);
    return events_;
  }
  template <typename Pred>
  std::optional<mv1::Event> Find(Pred pred) {
    for (const auto& e : events()) {
      if (pred(e)) return e;
    }
    return std::nullopt;
  }
  mv1::Scheduler::Stub& stub() { return *stub_; }
  // The stream ended (the master closed it).
  bool ended() const { return ended_.load(); }

 private:
  std::unique_ptr<mv1::Scheduler::Stub> stub_;
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReader<mv1::Event>> stream_;
  absl::Mutex mu_;
  std::vector<mv1::Event> events_;
  std::atomic<bool> ended_{false};
  grpc::Status status_;  // set before ended_
  std::thread reader_;
};

inline mv1::AgentMessage RegisterMessage(const std::string& host = "agent-1") {
  mv1::AgentMessage m;
  cv1::AgentInfo* info = m.mutable_register_agent()->mutable_agent_info();
  info->mutable_address()->set_hostname(host);
  info->mutable_address()->set_ip("127.0.3.1");
  info->mutable_address()->set_port(5051);
  *info->add_resources() = Scalar("cpus", 4);
  *info->add_resources() = Scalar("mem", 4096);
  return m;
}

inline cv1::FrameworkInfo Framework(const std::string& name) {
  cv1::FrameworkInfo info;
  info.set_user("root");
  info.set_name(name);
  info.mutable_failover_timeout()->set_seconds(60);
  return info;
}

}  // namespace dcos::testing
