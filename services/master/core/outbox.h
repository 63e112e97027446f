#pragma once

// What the master core decided, for its driver to carry out in order: registry writes first
// (an agent is told it is admitted only once that is durable), then messages to agents, events
// to frameworks and to operator subscribers, and streams to close.

#include <string>
#include <utility>
#include <vector>

#include "protos/common/v1/agent_info.pb.h"
#include "protos/master/v1/agent_channel.pb.h"
#include "protos/master/v1/operator_events.pb.h"
#include "protos/master/v1/registry.pb.h"
#include "protos/master/v1/roles.pb.h"
#include "protos/master/v1/scheduler_events.pb.h"

namespace dcos::master {

// A change to the registry of admitted agents in dcos-zk (/mesos/registry). Each op writes the
// agent's whole entry (its AgentInfo and state) under the list its kind names: admitted
// (kAdmit, kMarkReachable), unreachable or gone. An op of the list the agent is in already
// rewrites its entry there (a drain, a reactivation). kSetPolicy replaces the role policy
// (every weight and quota) with `policy`; its `agent` and `state` are unused.
struct RegistryOp {
  enum class Kind { kAdmit, kMarkUnreachable, kMarkReachable, kMarkGone, kSetPolicy };
  Kind kind;
  common::v1::AgentInfo agent;  // id always set (but for kSetPolicy)
  // Its drain and deactivation; empty when it has neither (always for kMarkGone).
  v1::AgentRegistryState state;
  v1::RolePolicy policy;  // kSetPolicy only
};

struct Outbox {
  std::vector<RegistryOp> registry;
  std::vector<std::pair<std::string, v1::MasterMessage>> to_agents;  // by agent id
  // By framework id + "/" + stream id: an event belongs to one subscription (a replaced
  // stream gets only its ERROR).
  std::vector<std::pair<std::string, v1::Event>> to_frameworks;
  std::vector<v1::OperatorEvent> to_operators;
  // Streams to end after the messages above were sent (a framework removed or replaced, an
  // agent shut down).
  std::vector<std::string> close_frameworks;  // framework id + "/" + stream id
  std::vector<std::string> close_agents;      // agent id

  bool empty() const {
    return registry.empty() && to_agents.empty() && to_frameworks.empty() &&
           to_operators.empty() && close_frameworks.empty() && close_agents.empty();
  }
};

}  // namespace dcos::master
