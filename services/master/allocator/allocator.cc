// DrfAllocator: agents, frameworks, roles and their bookkeeping.

#include "services/master/allocator/allocator.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "libs/status/status_macros.h"

namespace dcos::master::allocator {

using resources::Resource;
using resources::Resources;

absl::Duration RefuseDuration(const common::v1::Filters* filters, const AllocatorOptions& options) {
  if (filters == nullptr || !filters->has_refuse()) return options.default_refuse;
  absl::Duration d = absl::Seconds(filters->refuse().seconds()) +
                     absl::Nanoseconds(filters->refuse().nanos());
  if (d < absl::ZeroDuration()) return options.default_refuse;
  return std::min(d, options.max_refuse);
}

DrfAllocator::DrfAllocator(AllocatorOptions options)
    : options_(std::move(options)), rng_(options_.seed) {
  for (const Resources& r : options_.min_allocatable) min_allocatable_.push_back(kinds_.Of(r));
}

// --- Lookups -------------------------------------------------------------------------------

absl::StatusOr<DrfAllocator::AgentIdx> DrfAllocator::FindAgent(const std::string& id) const {
  auto it = agent_by_id_.find(id);
  if (it == agent_by_id_.end()) return absl::NotFoundError(absl::StrCat("agent '", id, "' not found"));
  return it->second;
}

absl::StatusOr<DrfAllocator::FrameworkIdx> DrfAllocator::FindFramework(const std::string& id) const {
  auto it = framework_by_id_.find(id);
  if (it == framework_by_id_.end()) {
    return absl::NotFoundError(absl::StrCat("framework '", id, "' not found"));
  }
  return it->second;
}

absl::StatusOr<DrfAllocator::SlotIdx> DrfAllocator::FindSlot(FrameworkIdx fw,
                                                             const std::string& role) const {
  for (SlotIdx s : frameworks_[fw].slots) {
    if (roles_[slots_[s].role].name == role) return s;
  }
  return absl::NotFoundError(absl::StrCat("framework '", frameworks_[fw].id,
                                          "' has no allocation role '", role, "'"));
}

absl::StatusOr<std::vector<DrfAllocator::SlotIdx>> DrfAllocator::SelectSlots(
    FrameworkIdx fw, const std::vector<std::string>& roles) const {
  std::vector<SlotIdx> out;
  if (roles.empty()) {
    for (SlotIdx s : frameworks_[fw].slots) {
      if (slots_[s].subscribed) out.push_back(s);
    }
    return out;
  }
  for (size_t i = 0; i < roles.size(); ++i) {
    absl::StatusOr<SlotIdx> s = FindSlot(fw, roles[i]);
    if (!s.ok() || !slots_[*s].subscribed) {
      return absl::InvalidArgumentError(absl::StrCat("roles[", i, "]: framework '",
                                                     frameworks_[fw].id,
                                                     "' is not subscribed to role '", roles[i], "'"));
    }
    out.push_back(*s);
  }
  return out;
}

// --- Roles and slots -------------------------------------------------------------------------

DrfAllocator::RoleIdx DrfAllocator::InternRole(const std::string& name) {
  auto it = role_by_name_.find(name);
  if (it != role_by_name_.end()) return it->second;
  RoleIdx r;
  if (!free_roles_.empty()) {
    r = free_roles_.back();
    free_roles_.pop_back();
  } else {
    r = static_cast<RoleIdx>(roles_.size());
    roles_.emplace_back();
  }
  roles_[r] = internal::Role();
  roles_[r].in_use = true;
  roles_[r].name = name;
  roles_[r].eligible_epoch = NextEpoch();
  role_by_name_.emplace(name, r);
  return r;
}

void DrfAllocator::MaybeForgetRole(RoleIdx r) {
  internal::Role& role = roles_[r];
  if (!role.in_use || role.weight_set || !role.quota.empty() || !role.slots.empty() ||
      !role.reserved_total.IsZero()) {
    return;
  }
  role_by_name_.erase(role.name);
  role = internal::Role();
  free_roles_.push_back(r);
}

DrfAllocator::SlotIdx DrfAllocator::NewSlot(FrameworkIdx fw, RoleIdx r) {
  SlotIdx s;
  if (!free_slots_.empty()) {
    s = free_slots_.back();
    free_slots_.pop_back();
  } else {
    s = static_cast<SlotIdx>(slots_.size());
    slots_.emplace_back();
  }
  slots_[s] = internal::Slot();
  slots_[s].in_use = true;
  slots_[s].framework = fw;
  slots_[s].role = r;
  roles_[r].slots.push_back(s);
  frameworks_[fw].slots.push_back(s);
  MarkEligible(s);
  return s;
}

void DrfAllocator::DeleteSlot(SlotIdx s) {
  ClearSlotFilters(s);
  internal::Slot& slot = slots_[s];
  auto drop = [s](std::vector<SlotIdx>& v) { v.erase(std::find(v.begin(), v.end(), s)); };
  drop(roles_[slot.role].slots);
  drop(frameworks_[slot.framework].slots);
  RoleIdx r = slot.role;
  slot = internal::Slot();
  free_slots_.push_back(s);
  MaybeForgetRole(r);
}

void DrfAllocator::MaybeDeleteTrackingSlot(SlotIdx s) {
  if (!slots_[s].subscribed && slots_[s].agents_allocated == 0) DeleteSlot(s);
}

bool DrfAllocator::Eligible(SlotIdx s) const {
  const internal::Slot& slot = slots_[s];
  return slot.subscribed && !slot.suppressed && frameworks_[slot.framework].active;
}

void DrfAllocator::MarkEligible(SlotIdx s) {
  roles_[slots_[s].role].eligible_epoch = NextEpoch();
  MarkAllDirty();
}

void DrfAllocator::MarkAgentDirty(AgentIdx a) {
  if (agents_[a].dirty) return;
  agents_[a].dirty = true;
  dirty_agents_.push_back(a);
}

// --- Agents ----------------------------------------------------------------------------------

absl::Status DrfAllocator::AddAgent(const std::string& agent_id, const Resources& total,
                                    const std::vector<Allocation>& used) {
  if (agent_id.empty()) return absl::InvalidArgumentError("agent_id: must not be empty");
  if (agent_by_id_.contains(agent_id)) {
    return absl::AlreadyExistsError(absl::StrCat("agent '", agent_id, "' already added"));
  }
  Resources used_sum;
  std::vector<FrameworkIdx> used_fw;
  for (size_t i = 0; i < used.size(); ++i) {
    DCOS_ASSIGN_OR_RETURN(FrameworkIdx fw, FindFramework(used[i].framework_id));
    DCOS_RETURN_IF_ERROR(resources::ValidateRole(used[i].role));
    if (!(used[i].resources.AllocatableTo(used[i].role) == used[i].resources)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "used[", i, "].resources: '", used[i].resources.ToString(),
          "' hold resources reserved for another role than '", used[i].role, "'"));
    }
    used_fw.push_back(fw);
    used_sum += used[i].resources;
  }
  if (!total.Contains(used_sum)) {
    return absl::InvalidArgumentError(absl::StrCat("used: '", used_sum.ToString(),
                                                   "' exceed the agent's total '",
                                                   total.ToString(), "'"));
  }
  AgentIdx a;
  if (!free_agents_.empty()) {
    a = free_agents_.back();
    free_agents_.pop_back();
  } else {
    a = static_cast<AgentIdx>(agents_.size());
    agents_.emplace_back();
  }
  internal::Agent& agent = agents_[a];
  agent = internal::Agent();
  agent.in_use = true;
  agent.id = agent_id;
  agent.free = total;
  agent.allocations.reserve(4);
  agent.change_epoch = NextEpoch();
  AddToAgentTotal(agent, total, +1);
  agent_by_id_.emplace(agent_id, a);
  for (size_t i = 0; i < used.size(); ++i) {
    absl::StatusOr<SlotIdx> s = FindSlot(used_fw[i], used[i].role);
    SlotIdx slot;
    if (s.ok()) {
      slot = *s;
    } else {
      slot = NewSlot(used_fw[i], InternRole(used[i].role));
      slots_[slot].subscribed = false;  // tracks a role the framework does not (yet) subscribe to
    }
    AllocateOnAgent(a, slot, used[i].resources);
  }
  MarkAgentDirty(a);
  return absl::OkStatus();
}

absl::Status DrfAllocator::RemoveAgent(const std::string& agent_id) {
  DCOS_ASSIGN_OR_RETURN(AgentIdx a, FindAgent(agent_id));
  internal::Agent& agent = agents_[a];
  std::vector<SlotIdx> touched;
  for (internal::AgentAllocation& alloc : agent.allocations) {
    AddSlotQuantities(alloc.slot, alloc.resources, -1);
    --slots_[alloc.slot].agents_allocated;
    touched.push_back(alloc.slot);
  }
  for (const auto& [slot, filter] : agent.filters) --slots_[slot].live_filters;
  AddToAgentTotal(agent, agent.total, -1);
  agent_by_id_.erase(agent_id);
  agent = internal::Agent();
  free_agents_.push_back(a);
  for (SlotIdx s : touched) MaybeDeleteTrackingSlot(s);
  return absl::OkStatus();
}

absl::Status DrfAllocator::UpdateAgentActive(const std::string& agent_id, bool active) {
  DCOS_ASSIGN_OR_RETURN(AgentIdx a, FindAgent(agent_id));
  if (agents_[a].active == active) return absl::OkStatus();
  agents_[a].active = active;
  if (active) MarkAgentDirty(a);
  return absl::OkStatus();
}

absl::Status DrfAllocator::UpdateAgentTotal(const std::string& agent_id, const Resources& total) {
  DCOS_ASSIGN_OR_RETURN(AgentIdx a, FindAgent(agent_id));
  internal::Agent& agent = agents_[a];
  Resources allocated;
  for (const internal::AgentAllocation& alloc : agent.allocations) allocated += alloc.resources;
  if (!total.Contains(allocated)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "total: '", total.ToString(), "' does not cover what is allocated on agent '", agent_id,
        "': '", allocated.ToString(), "'"));
  }
  AddToAgentTotal(agent, agent.total, -1);
  AddToAgentTotal(agent, total, +1);
  agent.free = total - allocated;
  agent.change_epoch = NextEpoch();
  MarkAgentDirty(a);
  return absl::OkStatus();
}

// --- Frameworks ------------------------------------------------------------------------------

namespace {

absl::Status ValidateRoles(const std::vector<std::string>& roles) {
  for (size_t i = 0; i < roles.size(); ++i) {
    if (absl::Status s = resources::ValidateRole(roles[i]); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("roles[", i, "]: ", s.message()));
    }
    for (size_t j = 0; j < i; ++j) {
      if (roles[j] == roles[i]) {
        return absl::InvalidArgumentError(
            absl::StrCat("roles[", i, "]: duplicate role '", roles[i], "'"));
      }
    }
  }
  return absl::OkStatus();
}

std::vector<std::string> OrStar(const std::vector<std::string>& roles) {
  if (roles.empty()) return {std::string(resources::kUnreservedRole)};
  return roles;
}

}  // namespace

absl::Status DrfAllocator::AddFramework(const std::string& framework_id,
                                        const std::vector<std::string>& roles, bool active) {
  if (framework_id.empty()) return absl::InvalidArgumentError("framework_id: must not be empty");
  DCOS_RETURN_IF_ERROR(ValidateRoles(roles));
  if (framework_by_id_.contains(framework_id)) {
    return absl::AlreadyExistsError(absl::StrCat("framework '", framework_id, "' already added"));
  }
  FrameworkIdx fw;
  if (!free_frameworks_.empty()) {
    fw = free_frameworks_.back();
    free_frameworks_.pop_back();
  } else {
    fw = static_cast<FrameworkIdx>(frameworks_.size());
    frameworks_.emplace_back();
  }
  frameworks_[fw] = internal::Framework();
  frameworks_[fw].in_use = true;
  frameworks_[fw].active = active;
  frameworks_[fw].id = framework_id;
  framework_by_id_.emplace(framework_id, fw);
  for (const std::string& role : OrStar(roles)) NewSlot(fw, InternRole(role));
  return absl::OkStatus();
}

absl::Status DrfAllocator::UpdateFrameworkRoles(const std::string& framework_id,
                                                const std::vector<std::string>& roles) {
  DCOS_RETURN_IF_ERROR(ValidateRoles(roles));
  DCOS_ASSIGN_OR_RETURN(FrameworkIdx fw, FindFramework(framework_id));
  std::vector<std::string> wanted = OrStar(roles);
  std::vector<SlotIdx> current = frameworks_[fw].slots;
  for (SlotIdx s : current) {
    if (std::find(wanted.begin(), wanted.end(), roles_[slots_[s].role].name) != wanted.end()) {
      continue;
    }
    slots_[s].subscribed = false;
    slots_[s].suppressed = false;
    ClearSlotFilters(s);
    MaybeDeleteTrackingSlot(s);
  }
  for (const std::string& role : wanted) {
    absl::StatusOr<SlotIdx> s = FindSlot(fw, role);
    if (!s.ok()) {
      NewSlot(fw, InternRole(role));
    } else if (!slots_[*s].subscribed) {
      slots_[*s].subscribed = true;
      MarkEligible(*s);
    }
  }
  return absl::OkStatus();
}

absl::Status DrfAllocator::RemoveFramework(const std::string& framework_id) {
  DCOS_ASSIGN_OR_RETURN(FrameworkIdx fw, FindFramework(framework_id));
  bool holds = false;
  for (SlotIdx s : frameworks_[fw].slots) holds |= slots_[s].agents_allocated > 0;
  if (holds) {
    for (AgentIdx a = 0; a < agents_.size(); ++a) {
      internal::Agent& agent = agents_[a];
      if (!agent.in_use) continue;
      for (size_t i = agent.allocations.size(); i-- > 0;) {
        if (slots_[agent.allocations[i].slot].framework != fw) continue;
        Resources r = agent.allocations[i].resources;
        ReleaseOnAgent(a, i, r);
      }
    }
  }
  std::vector<SlotIdx> slots = frameworks_[fw].slots;
  for (SlotIdx s : slots) DeleteSlot(s);
  framework_by_id_.erase(framework_id);
  frameworks_[fw] = internal::Framework();
  free_frameworks_.push_back(fw);
  return absl::OkStatus();
}

absl::Status DrfAllocator::ActivateFramework(const std::string& framework_id) {
  DCOS_ASSIGN_OR_RETURN(FrameworkIdx fw, FindFramework(framework_id));
  if (frameworks_[fw].active) return absl::OkStatus();
  frameworks_[fw].active = true;
  for (SlotIdx s : frameworks_[fw].slots) MarkEligible(s);
  return absl::OkStatus();
}

absl::Status DrfAllocator::DeactivateFramework(const std::string& framework_id) {
  DCOS_ASSIGN_OR_RETURN(FrameworkIdx fw, FindFramework(framework_id));
  frameworks_[fw].active = false;
  return absl::OkStatus();
}

absl::Status DrfAllocator::Suppress(const std::string& framework_id,
                                    const std::vector<std::string>& roles) {
  DCOS_ASSIGN_OR_RETURN(FrameworkIdx fw, FindFramework(framework_id));
  DCOS_ASSIGN_OR_RETURN(std::vector<SlotIdx> slots, SelectSlots(fw, roles));
  for (SlotIdx s : slots) slots_[s].suppressed = true;
  return absl::OkStatus();
}

absl::Status DrfAllocator::Revive(const std::string& framework_id,
                                  const std::vector<std::string>& roles) {
  DCOS_ASSIGN_OR_RETURN(FrameworkIdx fw, FindFramework(framework_id));
  DCOS_ASSIGN_OR_RETURN(std::vector<SlotIdx> slots, SelectSlots(fw, roles));
  for (SlotIdx s : slots) {
    slots_[s].suppressed = false;
    ClearSlotFilters(s);
    MarkEligible(s);
  }
  return absl::OkStatus();
}

// --- Roles -----------------------------------------------------------------------------------

absl::Status DrfAllocator::SetWeight(const std::string& role, double weight) {
  if (absl::Status s = resources::ValidateRole(role); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("role: ", s.message()));
  }
  if (!std::isfinite(weight) || weight <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("weight: must be a finite number > 0, got ", weight));
  }
  RoleIdx r = InternRole(role);
  roles_[r].weight = weight;
  roles_[r].weight_set = true;
  MarkAllDirty();
  return absl::OkStatus();
}

absl::Status DrfAllocator::SetQuota(const std::string& role, const Resources& guarantee) {
  if (absl::Status s = resources::ValidateRole(role); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("role: ", s.message()));
  }
  if (role == resources::kUnreservedRole) {
    return absl::InvalidArgumentError("role: quota cannot be set for '*'");
  }
  for (const Resource& r : guarantee) {
    if (r.type() != resources::ValueType::kScalar || r.reserved()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "guarantee: '", r.ToString(), "' is not an unreserved scalar (quota is cpus, mem, ...)"));
    }
  }
  RoleIdx r = InternRole(role);
  roles_[r].quota = guarantee;
  roles_[r].quota_q = kinds_.Of(guarantee);
  MaybeForgetRole(r);
  MarkAllDirty();
  return absl::OkStatus();
}

}  // namespace dcos::master::allocator
