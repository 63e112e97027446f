// DrfAllocator: read-only views (operator API, metrics) and the invariant checker tests use.

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "libs/status/status_macros.h"
#include "services/master/allocator/allocator.h"

namespace dcos::master::allocator {

using resources::Resources;

absl::StatusOr<Resources> DrfAllocator::AgentFree(const std::string& agent_id) const {
  DCOS_ASSIGN_OR_RETURN(AgentIdx a, FindAgent(agent_id));
  return agents_[a].free;
}

absl::StatusOr<Resources> DrfAllocator::Allocated(const std::string& framework_id,
                                                  const std::string& agent_id) const {
  DCOS_ASSIGN_OR_RETURN(FrameworkIdx fw, FindFramework(framework_id));
  DCOS_ASSIGN_OR_RETURN(AgentIdx a, FindAgent(agent_id));
  Resources out;
  for (const internal::AgentAllocation& alloc : agents_[a].allocations) {
    if (slots_[alloc.slot].framework == fw) out += alloc.resources;
  }
  return out;
}

Resources DrfAllocator::AllocatedScalars() const {
  Quantities sum;
  for (const internal::Role& role : roles_) {
    if (role.in_use) sum += role.allocated;
  }
  return kinds_.ToResources(sum);
}

std::vector<RoleSummary> DrfAllocator::Roles() const {
  std::vector<RoleSummary> out;
  for (const internal::Role& role : roles_) {
    if (!role.in_use) continue;
    RoleSummary s;
    s.name = role.name;
    s.weight = role.weight;
    s.quota = role.quota;
    s.allocated = kinds_.ToResources(role.allocated);
    s.reserved = kinds_.ToResources(role.reserved_total);
    for (SlotIdx slot : role.slots) {
      if (slots_[slot].subscribed) s.frameworks.push_back(frameworks_[slots_[slot].framework].id);
    }
    std::sort(s.frameworks.begin(), s.frameworks.end());
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(),
            [](const RoleSummary& a, const RoleSummary& b) { return a.name < b.name; });
  return out;
}

std::string DrfAllocator::CheckInvariants() const {
  Quantities total;
  std::vector<Quantities> slot_alloc(slots_.size());
  std::vector<uint32_t> slot_agents(slots_.size(), 0);
  std::vector<uint32_t> slot_filters(slots_.size(), 0);
  std::vector<Quantities> role_reserved(roles_.size());
  Kinds kinds = kinds_;
  for (AgentIdx a = 0; a < agents_.size(); ++a) {
    const internal::Agent& agent = agents_[a];
    if (!agent.in_use) continue;
    auto indexed = agent_by_id_.find(agent.id);
    if (indexed == agent_by_id_.end() || indexed->second != a) {
      return absl::StrCat("agent ", agent.id, ": index map");
    }
    Resources sum = agent.free;
    for (const internal::AgentAllocation& alloc : agent.allocations) {
      if (!slots_[alloc.slot].in_use) return absl::StrCat("agent ", agent.id, ": dead slot");
      if (alloc.resources.empty()) return absl::StrCat("agent ", agent.id, ": empty allocation");
      const std::string& role = roles_[slots_[alloc.slot].role].name;
      if (!(alloc.resources.AllocatableTo(role) == alloc.resources)) {
        return absl::StrCat("agent ", agent.id, ": allocation to role ", role,
                            " holds another role's reservation: ", alloc.resources.ToString());
      }
      // Ranges and sets must not be held twice (a union would hide it).
      Resources held = sum.Filter(
          [](const resources::Resource& e) { return e.type() != resources::ValueType::kScalar; });
      if (!(held - alloc.resources == held)) {
        return absl::StrCat("agent ", agent.id, ": ", alloc.resources.ToString(),
                            " overlaps free or another allocation");
      }
      sum += alloc.resources;
      kinds.AddScalars(alloc.resources, slot_alloc[alloc.slot]);
      ++slot_agents[alloc.slot];
    }
    if (!(sum == agent.total)) {
      return absl::StrCat("agent ", agent.id, ": free + allocations = ", sum.ToString(),
                          " but total = ", agent.total.ToString());
    }
    kinds.AddScalars(agent.total, total);
    for (const resources::Resource& e : agent.total) {
      if (!e.reserved() || e.type() != resources::ValueType::kScalar) continue;
      auto it = role_by_name_.find(e.role());
      if (it == role_by_name_.end()) return absl::StrCat("reserved role ", e.role(), " unknown");
      role_reserved[it->second].Add(kinds.Intern(e.name()), e.milli());
    }
    for (const auto& [slot, filter] : agent.filters) ++slot_filters[slot];
  }
  if (!(total == total_)) return "cluster total differs from the sum of agent totals";
  for (RoleIdx r = 0; r < roles_.size(); ++r) {
    const internal::Role& role = roles_[r];
    if (!role.in_use) continue;
    Quantities alloc;
    for (SlotIdx s : role.slots) alloc += slots_[s].allocated;
    if (!(alloc == role.allocated)) return absl::StrCat("role ", role.name, ": allocated sum");
    if (!(role_reserved[r] == role.reserved_total)) {
      return absl::StrCat("role ", role.name, ": reserved total");
    }
  }
  for (SlotIdx s = 0; s < slots_.size(); ++s) {
    const internal::Slot& slot = slots_[s];
    if (!slot.in_use) continue;
    if (!(slot_alloc[s] == slot.allocated)) return absl::StrCat("slot ", s, ": allocated");
    if (slot_agents[s] != slot.agents_allocated) return absl::StrCat("slot ", s, ": agents");
    if (slot_filters[s] != slot.live_filters) return absl::StrCat("slot ", s, ": live filters");
    if (!slot.subscribed && slot.agents_allocated == 0) {
      return absl::StrCat("slot ", s, ": tracking slot with nothing allocated");
    }
  }
  return "";
}

}  // namespace dcos::master::allocator
