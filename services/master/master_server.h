#pragma once

// Builds a dcos-master on the runtime: its config fields (master.*), the DRF allocator, the
// registry, the driver and the three gRPC services. main.cc only wires this into RunMain.
//
// With master.zk (dcos-zk members) the masters contend through the leader-election recipe
// under <master.zk_path>/leader (each node's data: the master's MasterInfo as JSON); the
// leader keeps the registry under <master.zk_path>/registry (zk_registry.h); standbys answer
// with redirects; a leader that loses its session or its leadership exits, for its supervisor
// to restart it. Without master.zk a master runs alone with an in-memory registry (Mesos's
// --registry=in_memory): it leads from the start, and a restart forgets the admitted agents.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/config/config.h"
#include "libs/runtime/main.h"
#include "protos/master/v1/roles.pb.h"
#include "services/master/allocator/allocator.h"

namespace dcos::master {

struct MasterConfig {
  std::string hostname;  // master.hostname: advertised; default: grpc.listen's host
  std::vector<std::string> zk;                           // master.zk: dcos-zk members
  std::string zk_path = "/mesos";                        // master.zk_path
  absl::Duration zk_session_timeout = absl::Seconds(10);  // master.zk_session_timeout
  // master.registry_prefetch_interval: how often a standby refreshes its warm copy of the
  // registry (0: never; a new leader then reads it all)
  absl::Duration registry_prefetch_interval = absl::Seconds(1);
  absl::Duration agent_ping_timeout = absl::Seconds(15);              // master.agent_ping_timeout
  int64_t max_agent_ping_timeouts = 5;                    // master.max_agent_ping_timeouts
  absl::Duration agent_removal_interval = absl::Seconds(6);  // master.agent_removal_interval
  int64_t agent_removal_burst = 5;                           // master.agent_removal_burst
  absl::Duration agent_reregister_timeout = absl::Minutes(2);  // master.agent_reregister_timeout
  absl::Duration framework_heartbeat_interval = absl::Seconds(15);
  absl::Duration allocation_interval = absl::Seconds(1);  // master.allocation_interval
  absl::Duration offer_timeout = absl::ZeroDuration();    // master.offer_timeout (0: none)
  absl::Duration tick = absl::Milliseconds(50);           // master.tick
  std::vector<std::string> weights;  // master.weights: "role=weight", e.g. "ads=2"
  std::vector<std::string> quotas;   // master.quotas: "role=resources", e.g. "ads=cpus:4;mem:1024"
  int64_t heap_reserve_mib = 0;      // master.heap_reserve_mib: heap_reserve.h (0: none)
};

void RegisterMasterConfig(config::Schema& schema, MasterConfig* config);

// Process-wide settings, before any thread starts (MainSpec::prepare): the heap reserve.
absl::Status PrepareMaster(const MasterConfig& config);

// master.weights and master.quotas as the core's initial role policy (MasterCoreConfig::policy).
// INVALID_ARGUMENT naming the field and the entry. Once an operator has updated a weight or a
// quota, the registry's policy replaces these at every new leader.
absl::StatusOr<v1::RolePolicy> PolicyFromFlags(const MasterConfig& config);

absl::StatusOr<std::unique_ptr<runtime::Component>> BuildMaster(const MasterConfig& config,
                                                                runtime::ServiceRuntime& runtime);

}  // namespace dcos::master
