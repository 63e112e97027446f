#pragma once

// DrfPort: the hierarchical DRF allocator (services/master/allocator) as the core's
// AllocatorPort — converts between resource protos and libs/resources values, and counts the
// calls the allocator refused (a bookkeeping disagreement between core and allocator, which
// tests require to be zero and metrics expose).

#include <cstdint>
#include <string>
#include <vector>

#include "services/master/allocator/allocator.h"
#include "services/master/core/allocator_port.h"

namespace dcos::master {

class DrfPort final : public AllocatorPort {
 public:
  explicit DrfPort(allocator::AllocatorOptions options = {});

  void AddAgent(const std::string& agent_id, const common::v1::AgentInfo& info,
                const std::vector<RoleResources>& used) override;
  void RemoveAgent(const std::string& agent_id) override;
  void SetAgentActive(const std::string& agent_id, bool active) override;
  void AddFramework(const std::string& framework_id, const common::v1::FrameworkInfo& info,
                    bool active) override;
  void RemoveFramework(const std::string& framework_id) override;
  void SetFrameworkActive(const std::string& framework_id, bool active) override;
  void Suppress(const std::string& framework_id, const std::vector<std::string>& roles) override;
  void Revive(const std::string& framework_id, const std::vector<std::string>& roles) override;
  void Recover(const std::string& framework_id, const std::string& agent_id,
               const std::string& role, const ResourceList& resources,
               std::optional<absl::Duration> refuse, absl::Time now) override;
  void SetWeight(const std::string& role, double weight) override;
  void SetQuota(const std::string& role, const ResourceList& guarantee) override;
  std::vector<Allocation> Allocate(absl::Time now) override;
  std::vector<v1::Role> Roles() const override;

  allocator::DrfAllocator& drf() { return drf_; }
  // Wall time of the last Allocate, and how many have run (for metrics; measured here, in the
  // adapter, so the core stays clock-free).
  double last_allocation_seconds() const { return last_allocation_seconds_; }
  uint64_t allocations() const { return allocations_; }
  // Calls the allocator refused, and the last refusal.
  uint64_t errors() const { return errors_; }
  const absl::Status& last_error() const { return last_error_; }

 private:
  void Note(const absl::Status& status);

  allocator::DrfAllocator drf_;
  uint64_t errors_ = 0;
  double last_allocation_seconds_ = 0;
  uint64_t allocations_ = 0;
  absl::Status last_error_;
};

}  // namespace dcos::master
