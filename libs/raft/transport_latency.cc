// Not a test: prints the one-way latency (round trip / 2) of a small message between two
// GrpcTransports on loopback. Run: bazel run //libs/raft:transport_latency

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "libs/log/log.h"
#include "libs/raft/transport_test_util.h"
#include "libs/testing/harness.h"

namespace dcos::raft {
namespace {

// A sink that answers every message from `peer` at once through `transport` (a ping-pong).
class EchoSink final : public MessageSink {
 public:
  void Receive(Message message) override {
    absl::MutexLock lock(&mu_);
    ++received_;
    if (transport_ != nullptr) transport_->Send({App(message.to(), message.from(), 0)});
  }
  void ReceiveSnapshot(Message, std::string) override {}
  void ReportUnreachable(uint64_t) override {}
  void ReportSnapshot(uint64_t, bool) override {}
  void set_transport(Transport* t) {
    absl::MutexLock lock(&mu_);
    transport_ = t;
  }
  uint64_t received() const {
    absl::MutexLock lock(&mu_);
    return received_;
  }
  void WaitAbove(uint64_t n) const {
    absl::MutexLock lock(&mu_);
    auto above = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return received_ > n; };
    mu_.Await(absl::Condition(&above));
  }

 private:
  mutable absl::Mutex mu_;
  Transport* transport_ ABSL_GUARDED_BY(mu_) = nullptr;
  uint64_t received_ ABSL_GUARDED_BY(mu_) = 0;
};

std::unique_ptr<grpc::Server> StartServer(grpc::Service* service, std::string* address) {
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(service);
  auto server = builder.BuildAndStart();
  Require(server != nullptr && port != 0, "loopback server");
  *address = absl::StrCat("127.0.0.1:", port);
  return server;
}

int Main() {
  log::SetLevel(log::Level::kWarning);
  const uint64_t cluster = TestClusterId();
  EchoSink sink1, sink2;
  RaftTransportService s1({ReceiverIdentity{cluster, 1, nullptr}, &sink1});
  RaftTransportService s2({ReceiverIdentity{cluster, 2, nullptr}, &sink2});
  std::string a1, a2;
  auto server1 = StartServer(&s1, &a1);
  auto server2 = StartServer(&s2, &a2);
  auto t1 = NewTransport(1, &sink1, {{2, a2}});
  auto t2 = NewTransport(2, &sink2, {{1, a1}});
  sink2.set_transport(t2.get());  // 2 echoes back to 1
  Require(dcos::testing::WaitFor(
              [&] { return t1->Stats(2)->connected && t2->Stats(1)->connected; },
              absl::Seconds(10), "connected")
              .ok(),
          "connect");
  std::vector<double> one_way_us;
  for (int i = 0; i < 5000; ++i) {
    uint64_t before = sink1.received();
    auto start = std::chrono::steady_clock::now();
    t1->Send({App(1, 2, 1, 256)});
    sink1.WaitAbove(before);
    auto rtt = std::chrono::steady_clock::now() - start;
    if (i >= 500) {
      one_way_us.push_back(std::chrono::duration<double, std::micro>(rtt).count() / 2);
    }
  }
  std::sort(one_way_us.begin(), one_way_us.end());
  auto pct = [&](double p) {
    return one_way_us[static_cast<size_t>(p * static_cast<double>(one_way_us.size() - 1))];
  };
  std::printf("one-way latency (RTT/2), 256-byte entry, %zu samples: p50 %.1f us, p90 %.1f us, "
              "p99 %.1f us\n",
              one_way_us.size(), pct(0.5), pct(0.9), pct(0.99));
  sink2.set_transport(nullptr);
  t1->Stop();
  t2->Stop();
  server1->Shutdown(std::chrono::system_clock::now());
  server2->Shutdown(std::chrono::system_clock::now());
  return 0;
}

}  // namespace
}  // namespace dcos::raft

int main() { return dcos::raft::Main(); }
