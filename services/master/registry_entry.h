#pragma once

// The data of an agent's entry in the registry in dcos-zk (<root>/admitted/<agent id>, ...): its
// AgentInfo, serialized, followed by its AgentRegistryState, serialized — nothing more when the
// agent has no drain or deactivation, so such an entry is a bare AgentInfo, exactly what the
// registry held before drains were recorded (protos/master/v1/registry.proto). Pure functions.

#include <string>

#include "absl/status/status.h"
#include "protos/common/v1/agent_info.pb.h"
#include "protos/master/v1/registry.pb.h"

namespace dcos::master {

// Whether the state has anything to record (an entry without one is a bare AgentInfo).
inline bool HasRegistryState(const v1::AgentRegistryState& state) {
  return state.ByteSizeLong() > 0;
}

std::string EncodeRegistryEntry(const common::v1::AgentInfo& agent,
                                const v1::AgentRegistryState& state);

// Reads an entry written by EncodeRegistryEntry or by a master that stored the AgentInfo alone
// (then `state` is empty). INVALID_ARGUMENT, saying which part is at fault, when `data` is not
// an entry; `agent` and `state` are then unspecified.
absl::Status DecodeRegistryEntry(const std::string& data, common::v1::AgentInfo* agent,
                                 v1::AgentRegistryState* state);

}  // namespace dcos::master
