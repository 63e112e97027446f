#pragma once

// FakeMaster: the master's Operator.Subscribe on a loopback gRPC server, scripted by a test or
// a benchmark: SUBSCRIBED with a given ClusterState, then whatever events are pushed, or a
// refusal with a LeaderInfo redirect (a standby), or streams ended on demand (a master that
// went away). Every other Operator call is UNIMPLEMENTED. Test-only.
//
// Thread-safe. Destruction ends every stream and stops the server.

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <grpcpp/server.h>

#include "absl/synchronization/mutex.h"
#include "protos/master/v1/operator.grpc.pb.h"

namespace dcos::dns::driver::testing {

class FakeMaster final : public master::v1::Operator::Service {
 public:
  // Listens on `ip`:`port` (0: a free port).
  static std::unique_ptr<FakeMaster> Start(const std::string& ip = "127.0.0.1", int port = 0);
  ~FakeMaster() override;

  // "ip:port".
  const std::string& address() const { return address_; }
  int port() const { return port_; }

  // What SUBSCRIBED carries to later subscribers (its leader is this master unless set).
  void SetState(master::v1::ClusterState state);
  // Refuse Subscribe with UNAVAILABLE + LeaderInfo naming `leader` ("ip:port"); nullopt: serve.
  // known=false when `leader` is "".
  void SetRedirect(std::optional<std::string> leader);
  // Sends `event` to every open stream (after their SUBSCRIBED).
  void Push(const master::v1::OperatorEvent& event);
  // Ends every open stream with UNAVAILABLE.
  void EndStreams();

  // Streams open now; Subscribe calls answered so far (refusals included).
  int open_streams() const;
  int subscribe_calls() const;

  grpc::Status Subscribe(grpc::ServerContext* context,
                         const master::v1::SubscribeOperatorRequest* request,
                         grpc::ServerWriter<master::v1::OperatorEvent>* writer) override;

 private:
  struct Stream {
    std::deque<master::v1::OperatorEvent> queue;
    bool ended = false;
  };

  FakeMaster() = default;

  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  int port_ = 0;

  mutable absl::Mutex mu_;
  master::v1::ClusterState state_ ABSL_GUARDED_BY(mu_);
  std::optional<std::string> redirect_ ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<Stream>> streams_ ABSL_GUARDED_BY(mu_);
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace dcos::dns::driver::testing
