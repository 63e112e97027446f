#pragma once

// Builds a dcos-master on the runtime: its config fields (master.*), the DRF allocator, the
// registry, the driver and the three gRPC services. main.cc only wires this into RunMain.
//
// Today a master runs alone with `master.registry=in_memory` (as Mesos's flag of that name):
// it leads from the start and a restart forgets the admitted agents (they re-register and are
// admitted again). Leader election and the dcos-zk registry are the next step (issue 5).

#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/config/config.h"
#include "libs/runtime/main.h"

namespace dcos::master {

struct MasterConfig {
  std::string hostname;  // master.hostname: advertised; default: grpc.listen's host
  std::string registry = "in_memory";                                 // master.registry
  absl::Duration agent_ping_timeout = absl::Seconds(15);              // master.agent_ping_timeout
  int64_t max_agent_ping_timeouts = 5;                    // master.max_agent_ping_timeouts
  absl::Duration agent_removal_interval = absl::Seconds(6);  // master.agent_removal_interval
  int64_t agent_removal_burst = 5;                           // master.agent_removal_burst
  absl::Duration agent_reregister_timeout = absl::Minutes(2);  // master.agent_reregister_timeout
  absl::Duration framework_heartbeat_interval = absl::Seconds(15);
  absl::Duration allocation_interval = absl::Seconds(1);  // master.allocation_interval
  absl::Duration offer_timeout = absl::ZeroDuration();    // master.offer_timeout (0: none)
  absl::Duration tick = absl::Milliseconds(50);           // master.tick
};

void RegisterMasterConfig(config::Schema& schema, MasterConfig* config);

absl::StatusOr<std::unique_ptr<runtime::Component>> BuildMaster(const MasterConfig& config,
                                                                runtime::ServiceRuntime& runtime);

}  // namespace dcos::master
