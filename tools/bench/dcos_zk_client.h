#pragma once

// zk_bench's clients of dcos-zk, both following the leader redirect of a follower
// (UNAVAILABLE "... leader is member N at HOST:PORT") for writes and sending reads to the
// connection's own member, retrying UNAVAILABLE (member down, no leader yet):
//  - the unary client: one gRPC call per op (dcos_zk_ensemble.cc);
//  - the pipeline client: ZooKeeper.Pipeline, one stream per connection and member, ops
//    batched while the previous batch is being written, results in order — as Apache
//    ZooKeeper's C client pipelines its requests on one connection.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "tools/bench/zk_workload.h"

namespace dcos::bench {

// "... leader is member N at HOST:PORT" -> N - 1; -1 when the message names no member in
// [1, members].
int LeaderFromRedirect(const std::string& message, int members);

// A channel with its own TCP connection (not shared with other channels to the address),
// without gRPC's retries (the clients retry themselves).
std::shared_ptr<grpc::Channel> OwnChannel(const std::string& address);

const char* OpName(ZkOp op);

// What both clients keep of one op across its attempts.
struct OpCall {
  int conn = 0;
  ZkOp op = ZkOp::kGet;
  std::string path;
  const std::string* data = nullptr;
  ZkDriver::Done done;
  int attempts = 0;
  int target = 0;  // the member of the current attempt
};

// A new `Call` (an OpCall) for ZkDriver::Issue's arguments.
template <typename Call>
Call* NewCall(int conn, ZkOp op, const std::string& path, const std::string* data,
              ZkDriver::Done done) {
  auto* call = new Call;
  call->conn = conn;
  call->op = op;
  call->path = path;
  call->data = data;
  call->done = std::move(done);
  return call;
}

// The pipeline client: `connections` connections over the members at `addresses`.
std::unique_ptr<ZkDriver> NewPipelineDriver(const std::vector<std::string>& addresses,
                                            int connections);

}  // namespace dcos::bench
