#pragma once

// Builds a dcos-agent on the runtime: its config fields (agent.*), the checkpoint, the
// launcher, the driver with its master link, and the Agent gRPC service. main.cc only wires
// this into RunMain.
//
// Start-up: the resources and attributes are worked out (bad values exit 2 naming the field),
// the checkpoint is recovered (tasks reattached; a changed agent info exits 1 with the way
// forward), then the agent connects to the master and serves.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/config/config.h"
#include "libs/runtime/main.h"

namespace dcos::agent {

struct AgentConfig {
  std::string master = "127.0.0.1:5050";  // agent.master: host:port of the master
  std::string work_dir;                   // agent.work_dir: required
  std::string resources;                  // agent.resources: Mesos grammar; empty: detected
  std::string attributes;                 // agent.attributes: rack:r1;zone:a
  std::string hostname;                   // agent.hostname: default grpc.listen's host
  std::string supervisor;                 // agent.supervisor: default next to the binary
  bool switch_user = true;                // agent.switch_user
  std::string isolation = "auto";         // agent.isolation: auto, cgroups, posix
  std::string pid_namespaces = "auto";    // agent.pid_namespaces: auto, on, off
  absl::Duration registration_backoff_factor = absl::Seconds(1);
  absl::Duration status_update_retry_interval = absl::Seconds(10);
  absl::Duration status_update_retry_max = absl::Minutes(10);
  absl::Duration tick = absl::Milliseconds(100);  // agent.tick: timer resolution
  absl::Duration gc_delay = absl::Hours(24 * 7);   // agent.gc_delay
  double gc_disk_headroom = 0.1;                    // agent.gc_disk_headroom
  absl::Duration gc_interval = absl::Minutes(1);    // agent.gc_interval
};

void RegisterAgentConfig(config::Schema& schema, AgentConfig* config);

absl::StatusOr<std::unique_ptr<runtime::Component>> BuildAgent(const AgentConfig& config,
                                                               runtime::ServiceRuntime& runtime);

}  // namespace dcos::agent
