#pragma once

// MasterStream: one call of the master's Operator.Subscribe, read on a thread of its own. Each
// event is handed to on_event as it arrives; when the stream ends (the master closed it, it
// broke, the master refused it, or it was cancelled) on_end runs once with the call's status
// (details such as a LeaderInfo redirect kept as payloads). Nothing runs after on_end.
//
// Every stream gets its own channel (a local subchannel pool, quick reconnects): a master that
// was unreachable a moment ago is tried afresh, not after gRPC's own reconnect backoff.
//
// Lifetime: destruction cancels the call and joins the thread (on_end may run inside the
// destructor, with CANCELLED). Thread-compatible; the callbacks run on the stream's thread.

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <grpcpp/client_context.h>

#include "absl/status/status.h"
#include "protos/common/v1/master_info.pb.h"
#include "protos/master/v1/operator_events.pb.h"

namespace dcos::dns::driver {

class MasterStream {
 public:
  using OnEvent = std::function<void(master::v1::OperatorEvent event)>;
  using OnEnd = std::function<void(const absl::Status& end)>;

  // Starts the call to `target` ("host:port").
  static std::unique_ptr<MasterStream> Open(const std::string& target, OnEvent on_event,
                                            OnEnd on_end);
  ~MasterStream();

  MasterStream(const MasterStream&) = delete;
  MasterStream& operator=(const MasterStream&) = delete;

 private:
  MasterStream() = default;
  void Run(const std::string& target, OnEvent on_event, OnEnd on_end);

  grpc::ClientContext context_;
  std::thread thread_;
};

}  // namespace dcos::dns::driver
