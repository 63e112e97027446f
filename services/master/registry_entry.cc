#include "services/master/registry_entry.h"

#include <google/protobuf/unknown_field_set.h>

#include "absl/strings/str_cat.h"

namespace dcos::master {

std::string EncodeRegistryEntry(const common::v1::AgentInfo& agent,
                                const v1::AgentRegistryState& state) {
  // Two messages whose field numbers do not overlap, one after the other: the bytes parse as
  // either (protobuf merges what it reads), and as the AgentInfo alone when the state is empty
  // (it serializes to nothing).
  std::string data = agent.SerializeAsString();
  state.AppendToString(&data);
  return data;
}

absl::Status DecodeRegistryEntry(const std::string& data, common::v1::AgentInfo* agent,
                                 v1::AgentRegistryState* state) {
  state->Clear();
  if (!agent->ParseFromString(data)) {
    return absl::InvalidArgumentError(
        absl::StrCat("not an agent entry (an AgentInfo, then an AgentRegistryState): ",
                     data.size(), " bytes that do not parse"));
  }
  // The state's fields are unknown to AgentInfo: they are what it did not take.
  const google::protobuf::Reflection* reflection = agent->GetReflection();
  if (reflection->GetUnknownFields(*agent).empty()) return absl::OkStatus();  // a bare AgentInfo
  std::string rest;
  reflection->GetUnknownFields(*agent).SerializeToString(&rest);
  reflection->MutableUnknownFields(agent)->Clear();
  if (!state->ParseFromString(rest)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "agent ", agent->id().value(), ": the ", rest.size(),
        " bytes after its AgentInfo are not an AgentRegistryState (its drain)"));
  }
  return absl::OkStatus();
}

}  // namespace dcos::master
