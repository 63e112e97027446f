#pragma once

// The allocator's internal bookkeeping (see allocator.h for the contract). Indices are dense
// and reused through free lists; names map to indices in DrfAllocator.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "libs/resources/resources.h"
#include "services/master/allocator/drf_order.h"
#include "services/master/allocator/quantities.h"

namespace dcos::master::allocator::internal {

using AgentIdx = uint32_t;
using SlotIdx = uint32_t;
using RoleIdx = uint32_t;
using FrameworkIdx = uint32_t;

// A refuse filter: while it lasts, the slot is not offered resources of the agent that the
// refused resources cover (candidate ⊆ refused), as in Mesos.
struct Filter {
  uint64_t id = 0;  // unique; matches the expiry queue entry
  absl::Time expires;
  resources::Resources refused;
};

// The resources of one agent allocated (offered or in use) to one slot.
struct AgentAllocation {
  SlotIdx slot = 0;
  resources::Resources resources;
};

// "Every eligible framework of `role` filtered this agent's whole candidate", valid while none
// of the three epochs has moved (free resources, filters removed, frameworks made eligible).
struct Saturation {
  RoleIdx role = 0;
  uint64_t agent_change_epoch = 0;
  uint64_t agent_filter_epoch = 0;
  uint64_t role_eligible_epoch = 0;
};

struct Agent {
  bool in_use = false;
  bool active = true;
  std::string id;
  resources::Resources total;
  resources::Resources free;  // total minus every allocation
  std::vector<AgentAllocation> allocations;
  absl::flat_hash_map<SlotIdx, Filter> filters;
  std::vector<Saturation> saturated;
  uint64_t change_epoch = 0;  // moves whenever `free` changes
  uint64_t filter_epoch = 0;  // moves whenever a filter is removed
  bool dirty = false;         // in DrfAllocator::dirty_agents_
};

// One framework's subscription to one role: the unit DRF orders within a role.
struct Slot {
  bool in_use = false;
  FrameworkIdx framework = 0;
  RoleIdx role = 0;
  // False once the framework left the role while still holding resources in it: the slot then
  // only tracks those allocations and is never offered anything.
  bool subscribed = true;
  bool suppressed = false;
  Quantities allocated;
  uint64_t allocations = 0;  // offers made, for DRF tie-breaking
  uint32_t agents_allocated = 0;  // agents with an AgentAllocation for this slot
  std::vector<AgentIdx> filter_agents;  // agents that may hold a filter of this slot
  uint32_t live_filters = 0;
  DrfOrder::Key key;  // valid while in its role's order during a cycle
};

struct Framework {
  bool in_use = false;
  bool active = true;
  std::string id;
  std::vector<SlotIdx> slots;
};

struct Role {
  bool in_use = false;
  std::string name;
  double weight = 1.0;
  bool weight_set = false;
  resources::Resources quota;  // guarantee; empty = none
  Quantities quota_q;
  Quantities allocated;           // all allocations of the role's slots
  Quantities allocated_reserved;  // the part of `allocated` reserved for this role
  Quantities reserved_total;      // reserved for this role in agents' totals
  std::vector<SlotIdx> slots;
  uint64_t eligible_epoch = 0;  // moves whenever a slot becomes eligible for offers
  uint64_t allocations = 0;
  DrfOrder frameworks;  // eligible slots; rebuilt at the start of every cycle
  DrfOrder::Key key;
  bool touched = false;  // key must be refreshed (during a cycle)
};

// Where a filter expires; stale entries (filter gone or replaced) are skipped.
struct Expiry {
  absl::Time at;
  AgentIdx agent = 0;
  SlotIdx slot = 0;
  uint64_t filter_id = 0;
  bool operator>(const Expiry& o) const { return at > o.at; }
};

}  // namespace dcos::master::allocator::internal
