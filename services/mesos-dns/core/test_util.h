#pragma once

// Builders of the master's protos for the dcos-dns core's tests and benchmarks.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "protos/master/v1/cluster_state.pb.h"

namespace dcos::dns::core::testing {

master::v1::Agent MakeAgent(const std::string& id, const std::string& ip, uint32_t port = 5051,
                            master::v1::Agent::State state = master::v1::Agent::STATE_ACTIVE);

master::v1::Framework MakeFramework(const std::string& id, const std::string& name,
                                    const std::string& hostname = "");

common::v1::MasterInfo MakeLeader(const std::string& ip, uint32_t port = 5050);

struct TaskSpec {
  std::string framework_id = "fw-1";
  std::string id;
  std::string name;
  std::string agent_id = "agent-S1";
  common::v1::TaskState state = common::v1::TASK_RUNNING;
  std::vector<std::pair<uint64_t, uint64_t>> port_ranges;  // "ports" resource
  std::vector<std::string> container_ips;                  // latest status's network_infos
  bool health_check = false;
  std::optional<bool> healthy;                             // latest status's healthy
  std::string discovery_name;
  struct Port {
    uint32_t number;
    std::string name;
    std::string protocol;
  };
  std::vector<Port> discovery_ports;
  bool framework_only = false;  // DiscoveryInfo visibility FRAMEWORK
};

common::v1::Task MakeTask(const TaskSpec& spec);

// A status update for `task_id` in `state`, optionally with health and container addresses.
common::v1::TaskStatus MakeStatus(const std::string& task_id, common::v1::TaskState state,
                                  std::optional<bool> healthy = std::nullopt,
                                  const std::vector<std::string>& container_ips = {});

// A cluster of `agents` agents (10.0.<i/250>.<i%250+1>, ids "agent-S<i>"), one framework
// "marathon" (id "fw-1"), leader 10.1.0.1:5050, and `tasks` running tasks spread over the
// agents (instances of an app on different agents), named "app<j % apps>" (so apps have
// tasks/apps instances) with ids "app<j % apps>.<j>", each holding one port.
master::v1::ClusterState MakeCluster(int agents, int tasks, int apps);

}  // namespace dcos::dns::core::testing
