#pragma once

// Apache ZooKeeper 3.8 (Debian's `zookeeper` package) for zk_bench: three QuorumPeerMain JVMs
// on loopback ports, each with its own dataDir and dataLogDir (forceSync=yes, the default),
// the AdminServer off and only the `srvr` four-letter word on (used to find the leader),
// driven through Debian's C client (libzookeeper-mt) with its async API. Each client
// connection is to one member, round-robin; ZooKeeper forwards writes to its leader itself.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "tools/bench/zk_workload.h"

namespace dcos::bench {

struct ApacheZkOptions {
  std::string java = "/usr/bin/java";
  // The server jar; Debian's jar names its dependencies in its manifest's Class-Path.
  std::string classpath = "/usr/share/java/zookeeper.jar";
  std::string heap = "1000m";  // -Xmx, zkServer.sh's default (ZK_SERVER_HEAP)
  std::string dir;             // member directories, configs and logs go here
};

// Writes the configs, starts the members and waits (up to 90 s) until one reports itself
// leader, two followers, and a client's write succeeds.
absl::StatusOr<std::unique_ptr<ZkEnsemble>> StartApacheZk(const ApacheZkOptions& options);

}  // namespace dcos::bench
