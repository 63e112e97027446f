// DrfAllocator: resource accounting, Recover / UpdateAllocation, refuse filters.

#include <algorithm>
#include <functional>

#include "absl/strings/str_cat.h"
#include "libs/status/status_macros.h"
#include "services/master/allocator/allocator.h"

namespace dcos::master::allocator {

using resources::Resource;
using resources::Resources;

void DrfAllocator::AddToAgentTotal(internal::Agent& a, const Resources& r, int sign) {
  std::vector<RoleIdx> emptied;
  for (const Resource& e : r) {
    if (e.type() != resources::ValueType::kScalar) continue;
    size_t k = kinds_.Intern(e.name());
    total_.Add(k, sign * e.milli());
    if (!e.reserved()) continue;
    RoleIdx role = InternRole(e.role());
    roles_[role].reserved_total.Add(k, sign * e.milli());
    if (sign < 0) emptied.push_back(role);
  }
  if (sign > 0) {
    a.total += r;
  } else {
    a.total -= r;  // r may be a.total itself
  }
  for (RoleIdx role : emptied) MaybeForgetRole(role);
}

void DrfAllocator::AddSlotQuantities(SlotIdx s, const Resources& r, int sign) {
  internal::Slot& slot = slots_[s];
  internal::Role& role = roles_[slot.role];
  for (const Resource& e : r) {
    if (e.type() != resources::ValueType::kScalar) continue;
    size_t k = kinds_.Intern(e.name());
    int64_t m = sign * e.milli();
    slot.allocated.Add(k, m);
    role.allocated.Add(k, m);
    if (e.reserved()) role.allocated_reserved.Add(k, m);
  }
}

void DrfAllocator::AllocateOnAgent(AgentIdx a, SlotIdx s, const Resources& r) {
  internal::Agent& agent = agents_[a];
  agent.free -= r;
  agent.change_epoch = NextEpoch();
  auto it = std::find_if(agent.allocations.begin(), agent.allocations.end(),
                         [s](const internal::AgentAllocation& x) { return x.slot == s; });
  if (it == agent.allocations.end()) {
    agent.allocations.push_back({s, r});
    ++slots_[s].agents_allocated;
  } else {
    it->resources += r;
  }
  AddSlotQuantities(s, r, +1);
}

void DrfAllocator::ReleaseOnAgent(AgentIdx a, size_t i, const Resources& r) {
  internal::Agent& agent = agents_[a];
  SlotIdx s = agent.allocations[i].slot;
  agent.allocations[i].resources -= r;
  if (agent.allocations[i].resources.empty()) {
    agent.allocations.erase(agent.allocations.begin() + static_cast<std::ptrdiff_t>(i));
    --slots_[s].agents_allocated;
  }
  agent.free += r;
  agent.change_epoch = NextEpoch();
  AddSlotQuantities(s, r, -1);
  MarkAgentDirty(a);
}

absl::Status DrfAllocator::Recover(const std::string& framework_id, const std::string& agent_id,
                                   const std::string& role, const Resources& resources,
                                   std::optional<absl::Duration> refuse, absl::Time now) {
  DCOS_ASSIGN_OR_RETURN(FrameworkIdx fw, FindFramework(framework_id));
  DCOS_ASSIGN_OR_RETURN(AgentIdx a, FindAgent(agent_id));
  DCOS_ASSIGN_OR_RETURN(SlotIdx s, FindSlot(fw, role));
  if (refuse.has_value() && *refuse > absl::ZeroDuration() && now == absl::InfinitePast()) {
    return absl::InvalidArgumentError("now: required with a refuse duration");
  }
  if (resources.empty()) return absl::OkStatus();
  internal::Agent& agent = agents_[a];
  auto it = std::find_if(agent.allocations.begin(), agent.allocations.end(),
                         [s](const internal::AgentAllocation& x) { return x.slot == s; });
  if (it == agent.allocations.end() || !it->resources.Contains(resources)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "resources: '", resources.ToString(), "' are not all allocated to framework '",
        framework_id, "' on agent '", agent_id, "' for role '", role, "' (allocated: '",
        it == agent.allocations.end() ? "" : it->resources.ToString(), "')"));
  }
  ReleaseOnAgent(a, static_cast<size_t>(it - agent.allocations.begin()), resources);
  if (refuse.has_value() && *refuse > absl::ZeroDuration() && slots_[s].subscribed) {
    InstallFilter(a, s, resources, now + std::min(*refuse, options_.max_refuse));
  }
  MaybeDeleteTrackingSlot(s);
  return absl::OkStatus();
}

absl::Status DrfAllocator::UpdateAllocation(const std::string& framework_id,
                                            const std::string& agent_id, const std::string& role,
                                            const Resources& from, const Resources& to) {
  DCOS_ASSIGN_OR_RETURN(FrameworkIdx fw, FindFramework(framework_id));
  DCOS_ASSIGN_OR_RETURN(AgentIdx a, FindAgent(agent_id));
  DCOS_ASSIGN_OR_RETURN(SlotIdx s, FindSlot(fw, role));
  internal::Agent& agent = agents_[a];
  auto it = std::find_if(agent.allocations.begin(), agent.allocations.end(),
                         [s](const internal::AgentAllocation& x) { return x.slot == s; });
  if (it == agent.allocations.end() || !it->resources.Contains(from)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "from: '", from.ToString(), "' is not all allocated to framework '", framework_id,
        "' on agent '", agent_id, "' for role '", role, "'"));
  }
  if (!(from.Flatten() == to.Flatten())) {
    return absl::InvalidArgumentError(absl::StrCat("to: '", to.ToString(),
                                                   "' must hold the same resources as from: '",
                                                   from.ToString(), "'"));
  }
  if (!(to.AllocatableTo(role) == to)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "to: '", to.ToString(), "' holds resources reserved for another role than '", role, "'"));
  }
  it->resources -= from;
  it->resources += to;
  AddSlotQuantities(s, from, -1);
  AddSlotQuantities(s, to, +1);
  AddToAgentTotal(agent, to, +1);
  AddToAgentTotal(agent, from, -1);
  return absl::OkStatus();
}

// --- Filters ---------------------------------------------------------------------------------

void DrfAllocator::InstallFilter(AgentIdx a, SlotIdx s, Resources refused, absl::Time expires) {
  internal::Agent& agent = agents_[a];
  internal::Slot& slot = slots_[s];
  uint64_t id = next_filter_id_++;
  auto [it, inserted] = agent.filters.try_emplace(s);
  if (inserted) {
    ++slot.live_filters;
    slot.filter_agents.push_back(a);
    if (slot.filter_agents.size() > 2 * static_cast<size_t>(slot.live_filters) + 16) {
      // Compact: drop agents whose filter of this slot is gone.
      std::sort(slot.filter_agents.begin(), slot.filter_agents.end());
      slot.filter_agents.erase(std::unique(slot.filter_agents.begin(), slot.filter_agents.end()),
                               slot.filter_agents.end());
      std::erase_if(slot.filter_agents, [&](AgentIdx x) {
        return !agents_[x].in_use || !agents_[x].filters.contains(s);
      });
    }
  } else {
    // The latest decline replaces the earlier filter; it may cover less, so saturation is void.
    agent.filter_epoch = NextEpoch();
  }
  it->second = internal::Filter{id, expires, std::move(refused)};
  expiries_.push_back({expires, a, s, id});
  std::push_heap(expiries_.begin(), expiries_.end(), std::greater<>());
}

void DrfAllocator::RemoveFilter(AgentIdx a, SlotIdx s) {
  internal::Agent& agent = agents_[a];
  if (agent.filters.erase(s) == 0) return;
  --slots_[s].live_filters;
  agent.filter_epoch = NextEpoch();
  MarkAgentDirty(a);
}

void DrfAllocator::ClearSlotFilters(SlotIdx s) {
  internal::Slot& slot = slots_[s];
  for (AgentIdx a : slot.filter_agents) {
    if (agents_[a].in_use) RemoveFilter(a, s);
  }
  slot.filter_agents.clear();
  slot.live_filters = 0;
}

void DrfAllocator::ExpireFilters(absl::Time now) {
  while (!expiries_.empty() && expiries_.front().at <= now) {
    internal::Expiry e = expiries_.front();
    std::pop_heap(expiries_.begin(), expiries_.end(), std::greater<>());
    expiries_.pop_back();
    if (e.agent >= agents_.size() || !agents_[e.agent].in_use) continue;
    auto it = agents_[e.agent].filters.find(e.slot);
    if (it == agents_[e.agent].filters.end() || it->second.id != e.filter_id) continue;
    RemoveFilter(e.agent, e.slot);
  }
}

std::optional<absl::Time> DrfAllocator::NextFilterExpiry() {
  while (!expiries_.empty()) {
    const internal::Expiry& e = expiries_.front();
    if (e.agent < agents_.size() && agents_[e.agent].in_use) {
      auto it = agents_[e.agent].filters.find(e.slot);
      if (it != agents_[e.agent].filters.end() && it->second.id == e.filter_id) return e.at;
    }
    std::pop_heap(expiries_.begin(), expiries_.end(), std::greater<>());
    expiries_.pop_back();
  }
  return std::nullopt;
}

}  // namespace dcos::master::allocator
