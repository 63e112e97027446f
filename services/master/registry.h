#pragma once

// Registry: where the leading master records the agents it admitted, so that a new leader
// knows which agents to expect (Mesos's registrar). Implementations: InMemoryRegistry (a
// single master, `master.registry=in_memory`, like Mesos's flag of that name) and the dcos-zk
// one under /mesos/registry.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "services/master/core/outbox.h"

namespace dcos::master {

struct RegistryContents {
  std::vector<common::v1::AgentInfo> admitted;
  std::vector<common::v1::AgentInfo> unreachable;
  std::vector<common::v1::AgentInfo> gone;  // may never register again
  // By agent id: the drains and deactivations of admitted and unreachable agents, for those
  // that have one (a few: most agents have none).
  std::map<std::string, v1::AgentRegistryState> states;
  // Every role weight and quota, once an operator has set one (UpdateWeights, UpdateQuota):
  // then it replaces the master.weights / master.quotas flags. Unset before that.
  std::optional<v1::RolePolicy> policy;
};

class Registry {
 public:
  virtual ~Registry() = default;
  // Applies the ops durably, in order, all or nothing.
  virtual absl::Status Apply(const std::vector<RegistryOp>& ops) = 0;
  virtual absl::StatusOr<RegistryContents> Load() = 0;
};

// Applies ops to `contents` (pure; shared by the implementations): each op replaces the
// agent's entry, its state included; kSetPolicy replaces the policy.
void ApplyRegistryOps(const std::vector<RegistryOp>& ops, RegistryContents* contents);

class InMemoryRegistry final : public Registry {
 public:
  absl::Status Apply(const std::vector<RegistryOp>& ops) override;
  absl::StatusOr<RegistryContents> Load() override;

 private:
  absl::Mutex mu_;
  RegistryContents contents_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dcos::master
