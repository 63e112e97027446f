#pragma once

// What the master core needs from an allocator: the hierarchical DRF allocator
// (services/master/allocator) behind a narrow interface, so the core's tests can also run on
// a trivial one. Pure: no threads, no clock reads (`now` is passed in).

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "protos/common/v1/agent_info.pb.h"
#include "protos/common/v1/framework.pb.h"
#include "protos/common/v1/resources.pb.h"
#include "protos/master/v1/cluster_state.pb.h"

namespace dcos::master {

using ResourceList = std::vector<common::v1::Resource>;

// Resources in use by a framework on an agent, for one of its roles: the resources of each of
// its tasks there, borrowed for the duration of the call (no copies: a failover adds 100,000).
struct RoleResources {
  std::string framework_id;
  std::string role;
  std::vector<const google::protobuf::RepeatedPtrField<common::v1::Resource>*> tasks;
};

// One offer decided by an allocation cycle.
struct Allocation {
  std::string framework_id;
  std::string agent_id;
  std::string role;
  ResourceList resources;
};

class AllocatorPort {
 public:
  virtual ~AllocatorPort() = default;

  // `used`: resources already in use on the agent (tasks it reported when it re-registered).
  virtual void AddAgent(const std::string& agent_id, const common::v1::AgentInfo& info,
                        const std::vector<RoleResources>& used) = 0;
  virtual void RemoveAgent(const std::string& agent_id) = 0;
  // Draining or deactivated agents get no offers.
  virtual void SetAgentActive(const std::string& agent_id, bool active) = 0;

  virtual void AddFramework(const std::string& framework_id,
                            const common::v1::FrameworkInfo& info, bool active) = 0;
  virtual void RemoveFramework(const std::string& framework_id) = 0;
  virtual void SetFrameworkActive(const std::string& framework_id, bool active) = 0;
  // Empty `roles`: all of the framework's roles.
  virtual void Suppress(const std::string& framework_id, const std::vector<std::string>& roles) = 0;
  virtual void Revive(const std::string& framework_id, const std::vector<std::string>& roles) = 0;

  // Resources allocated to the framework on the agent come back (declined, unused part of an
  // accept, a task ended, an offer rescinded). With `refuse`, the framework is not offered that
  // agent's resources again until now + refuse.
  virtual void Recover(const std::string& framework_id, const std::string& agent_id,
                       const std::string& role, const ResourceList& resources,
                       std::optional<absl::Duration> refuse, absl::Time now) = 0;

  // DRF weight of a role (finite, > 0; 1 is the default) and its quota guarantee (unreserved
  // scalars; empty removes it). The core validates both first.
  virtual void SetWeight(const std::string& role, double weight) = 0;
  virtual void SetQuota(const std::string& role, const ResourceList& guarantee) = 0;

  // Decides this cycle's offers; their resources count as allocated from now on.
  virtual std::vector<Allocation> Allocate(absl::Time now) = 0;

  // Every role with a weight, quota, reservation, allocation or framework (for the state).
  virtual std::vector<v1::Role> Roles() const = 0;
};

}  // namespace dcos::master
