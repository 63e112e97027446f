#pragma once

// Test helpers for GrpcTransport / RaftTransportService: a recording MessageSink, a member's
// receiving side on a loopback gRPC server, ports that refuse or hang, message builders.
// Helpers abort on setup failures (a port that cannot be bound): a broken test machine, not
// a result. Thread-safety: RecordingSink is thread-safe; the rest belong to one test thread.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <grpcpp/server.h>

#include "absl/synchronization/mutex.h"
#include "libs/raft/grpc_transport.h"
#include "libs/raft/transport_service.h"

namespace dcos::raft {

// Per process, so a server of a test running in parallel that happens to get a port this test
// let go of refuses our streams instead of taking our messages.
uint64_t TestClusterId();

// Aborts with `what` when `ok` is false.
void Require(bool ok, const char* what = "test setup");

using ::dcos::raft::v1::Message;

// Records everything a transport delivers. Thread-safe.
class RecordingSink final : public MessageSink {
 public:
  void Receive(Message message) override {
    absl::MutexLock lock(&mu_);
    received_.push_back(std::move(message));
  }
  void ReceiveSnapshot(Message message, std::string data) override {
    absl::MutexLock lock(&mu_);
    snapshots_.emplace_back(std::move(message), std::move(data));
  }
  void ReportUnreachable(uint64_t peer) override {
    absl::MutexLock lock(&mu_);
    ++unreachable_[peer];
  }
  void ReportSnapshot(uint64_t peer, bool ok) override {
    absl::MutexLock lock(&mu_);
    snapshot_reports_.emplace_back(peer, ok);
  }

  std::vector<Message> received() const {
    absl::MutexLock lock(&mu_);
    return received_;
  }
  size_t received_count() const {
    absl::MutexLock lock(&mu_);
    return received_.size();
  }
  std::vector<std::pair<Message, std::string>> snapshots() const {
    absl::MutexLock lock(&mu_);
    return snapshots_;
  }
  int unreachable(uint64_t peer) const {
    absl::MutexLock lock(&mu_);
    auto it = unreachable_.find(peer);
    return it == unreachable_.end() ? 0 : it->second;
  }
  std::vector<std::pair<uint64_t, bool>> snapshot_reports() const {
    absl::MutexLock lock(&mu_);
    return snapshot_reports_;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<Message> received_ ABSL_GUARDED_BY(mu_);
  std::vector<std::pair<Message, std::string>> snapshots_ ABSL_GUARDED_BY(mu_);
  std::map<uint64_t, int> unreachable_ ABSL_GUARDED_BY(mu_);
  std::vector<std::pair<uint64_t, bool>> snapshot_reports_ ABSL_GUARDED_BY(mu_);
};

// A member's receiving side: RaftTransportService on a loopback gRPC server.
class Member {
 public:
  // port 0 picks a free port.
  Member(uint64_t id, int port = 0, uint64_t cluster = TestClusterId(),
         uint64_t max_snapshot_bytes = uint64_t{1} << 30);
  ~Member() { Shutdown(); }

  // Stops the server, cancelling open streams after 100 ms. Idempotent.
  void Shutdown();

  uint64_t id() const { return id_; }
  const std::string& address() const { return address_; }
  RecordingSink& sink() { return sink_; }

 private:
  uint64_t id_;
  RecordingSink sink_;
  RaftTransportService service_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
};

// A MsgApp from `from` to `to` at `index`, with one entry of `payload` bytes if non-zero.
::dcos::raft::v1::Message App(uint64_t from, uint64_t to, uint64_t index, size_t payload = 0);

// A transport of `self` with `peers`, seed 1, other options at their defaults.
std::unique_ptr<GrpcTransport> NewTransport(uint64_t self, MessageSink* sink,
                                            std::map<uint64_t, std::string> peers,
                                            uint64_t cluster = TestClusterId());

// Holds a loopback port bound but not listening: connections to it are refused, and no other
// server (of this process or another) can take it until Release().
class ReservedPort {
 public:
  ReservedPort() { Bind(0); }
  ~ReservedPort() { Release(); }
  int port() const { return port_; }
  void Release();
  // Takes the same port again (after Release()).
  void Reserve() { Bind(port_); }

 private:
  void Bind(int port);

  int fd_ = -1;
  int port_ = 0;
};

// A TCP port that accepts connections (the kernel's backlog) but never speaks HTTP/2: a peer
// that hangs rather than refuses.
class BlackHole {
 public:
  BlackHole();
  ~BlackHole();
  const std::string& address() const { return address_; }

 private:
  int fd_ = -1;
  std::string address_;
};

}  // namespace dcos::raft
