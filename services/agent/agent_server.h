#pragma once

// Builds a dcos-agent on the runtime: its config fields (agent.*), the checkpoint, the
// launcher, the driver with its master link, and the Agent gRPC service. main.cc only wires
// this into RunMain.
//
// Start-up: the resources and attributes are worked out (bad values stop it naming the field;
// so does giving both or neither of agent.master and agent.zk),
// the checkpoint is recovered (tasks reattached; a changed agent info exits 1 with the way
// forward), then the agent connects to the master and serves.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/config/config.h"
#include "libs/runtime/main.h"

namespace dcos::agent {

struct AgentConfig {
  // Exactly one of master / zk.
  std::string master;                     // agent.master: host:port[,host:port...]
  std::vector<std::string> zk;            // agent.zk: dcos-zk members, host:port
  std::string zk_path = "/mesos";         // agent.zk_path: election under <zk_path>/leader
  absl::Duration zk_session_timeout = absl::Seconds(10);  // agent.zk_session_timeout
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
  absl::Duration fetch_timeout = absl::Minutes(5);        // agent.fetch_timeout
  absl::Duration fetch_stall_timeout = absl::Minutes(1);  // agent.fetch_stall_timeout
  int64_t fetch_max_bytes = int64_t{4} << 30;             // agent.fetch_max_bytes
};

void RegisterAgentConfig(config::Schema& schema, AgentConfig* config);

absl::StatusOr<std::unique_ptr<runtime::Component>> BuildAgent(const AgentConfig& config,
                                                               runtime::ServiceRuntime& runtime);

}  // namespace dcos::agent
