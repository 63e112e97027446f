#pragma once

// dcos-zk for zk_bench: three dcos-zk processes on loopback ports, each with its own Raft
// directory (real fdatasync), and a client (dcos_zk_client.h: pipelined, or one unary call
// per op on one CompletionQueue) that sends writes to the leader — following the followers'
// UNAVAILABLE "leader is member N at HOST:PORT" redirect — and reads to the connection's own
// member.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tools/bench/zk_workload.h"

namespace dcos::bench {

struct DcosZkOptions {
  std::string binary;                   // bazel-bin/services/zk-ensemble/dcos-zk
  std::string dir;                      // member directories and logs go here
  std::vector<std::string> extra_args;  // appended to every member's command line
  bool pipeline = true;                 // ZooKeeper.Pipeline streams; false: a call per op
};

// Starts the members and waits (up to 60 s) until a leader accepts a write.
absl::StatusOr<std::unique_ptr<ZkEnsemble>> StartDcosZk(const DcosZkOptions& options);

}  // namespace dcos::bench
