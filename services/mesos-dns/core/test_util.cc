#include "services/mesos-dns/core/test_util.h"

#include "absl/strings/str_cat.h"

namespace dcos::dns::core::testing {

master::v1::Agent MakeAgent(const std::string& id, const std::string& ip, uint32_t port,
                            master::v1::Agent::State state) {
  master::v1::Agent agent;
  agent.mutable_agent_info()->mutable_id()->set_value(id);
  agent.mutable_agent_info()->mutable_address()->set_ip(ip);
  agent.mutable_agent_info()->mutable_address()->set_hostname("host-" + id);
  agent.mutable_agent_info()->mutable_address()->set_port(port);
  agent.set_state(state);
  return agent;
}

master::v1::Framework MakeFramework(const std::string& id, const std::string& name,
                                    const std::string& hostname) {
  master::v1::Framework framework;
  framework.mutable_framework_info()->mutable_id()->set_value(id);
  framework.mutable_framework_info()->set_name(name);
  framework.mutable_framework_info()->set_hostname(hostname);
  framework.set_connected(true);
  return framework;
}

common::v1::MasterInfo MakeLeader(const std::string& ip, uint32_t port) {
  common::v1::MasterInfo leader;
  leader.set_id("master-" + ip);
  leader.mutable_address()->set_ip(ip);
  leader.mutable_address()->set_port(port);
  return leader;
}

common::v1::TaskStatus MakeStatus(const std::string& task_id, common::v1::TaskState state,
                                  std::optional<bool> healthy,
                                  const std::vector<std::string>& container_ips) {
  common::v1::TaskStatus status;
  status.mutable_task_id()->set_value(task_id);
  status.set_state(state);
  if (healthy) status.set_healthy(*healthy);
  if (!container_ips.empty()) {
    auto* network = status.mutable_container_status()->add_network_infos();
    for (const std::string& ip : container_ips) network->add_ip_addresses()->set_ip_address(ip);
  }
  return status;
}

common::v1::Task MakeTask(const TaskSpec& spec) {
  common::v1::Task task;
  task.set_name(spec.name);
  task.mutable_task_id()->set_value(spec.id);
  task.mutable_framework_id()->set_value(spec.framework_id);
  task.mutable_agent_id()->set_value(spec.agent_id);
  task.set_state(spec.state);
  if (!spec.port_ranges.empty()) {
    auto* ports = task.add_resources();
    ports->set_name("ports");
    ports->set_type(common::v1::Value::TYPE_RANGES);
    for (const auto& [begin, end] : spec.port_ranges) {
      auto* range = ports->mutable_ranges()->add_range();
      range->set_begin(begin);
      range->set_end(end);
    }
  }
  if (spec.health_check) task.mutable_health_check()->set_type(common::v1::HealthCheck::TYPE_TCP);
  *task.add_statuses() = MakeStatus(spec.id, spec.state, spec.healthy, spec.container_ips);
  if (!spec.discovery_name.empty() || !spec.discovery_ports.empty() || spec.framework_only) {
    auto* discovery = task.mutable_discovery();
    discovery->set_name(spec.discovery_name);
    if (spec.framework_only) {
      discovery->set_visibility(common::v1::DiscoveryInfo::VISIBILITY_FRAMEWORK);
    }
    for (const auto& p : spec.discovery_ports) {
      auto* port = discovery->mutable_ports()->add_ports();
      port->set_number(p.number);
      port->set_name(p.name);
      port->set_protocol(p.protocol);
    }
  }
  return task;
}

master::v1::ClusterState MakeCluster(int agents, int tasks, int apps) {
  master::v1::ClusterState state;
  *state.mutable_leader() = MakeLeader("10.1.0.1");
  for (int i = 0; i < agents; ++i) {
    *state.add_agents() = MakeAgent(absl::StrCat("agent-S", i),
                                    absl::StrCat("10.0.", i / 250, ".", i % 250 + 1));
  }
  *state.add_frameworks() = MakeFramework("fw-1", "marathon", "10.1.0.2");
  for (int j = 0; j < tasks; ++j) {
    TaskSpec spec;
    spec.name = absl::StrCat("app", j % apps);
    spec.id = absl::StrCat(spec.name, ".", j);
    // Instances of one app on different agents.
    spec.agent_id = absl::StrCat("agent-S", (j + j / apps) % agents);
    const uint64_t port = 20000 + static_cast<uint64_t>(j % 10000);
    spec.port_ranges = {{port, port}};
    *state.add_tasks() = MakeTask(spec);
  }
  return state;
}

}  // namespace dcos::dns::core::testing
