#pragma once

// DrfAllocator: the master's hierarchical DRF allocator as a pure core — no threads, no clock
// reads (every call that needs the time takes `now`), no I/O. Mesos semantics; see README.md
// for the algorithm and its guarantees.
//
// The driver (the master's event loop) owns one DrfAllocator and feeds it agent, framework and
// offer events; it runs Allocate() on an interval and AllocateChanged() shortly after events
// (when HasChanges()), turns the returned decisions into offers and sends them. The allocator
// counts offered resources as allocated until the driver calls Recover() (declined, rescinded,
// unused part of an accept, terminal tasks) or RemoveFramework/RemoveAgent.
//
// Ids are the opaque strings of AgentID / FrameworkID. Errors: NotFound for unknown ids,
// AlreadyExists for duplicates, InvalidArgument (naming the field) for bad input,
// FailedPrecondition for resources not allocated as claimed. A failed call changes nothing.
//
// Not thread-safe: one thread (the driver's loop) owns it.

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/resources/resources.h"
#include "protos/common/v1/offer.pb.h"
#include "services/master/allocator/drf_order.h"
#include "services/master/allocator/quantities.h"
#include "services/master/allocator/state.h"

namespace dcos::master::allocator {

struct AllocatorOptions {
  // Refuse filter of a decline that names none (Mesos: 5 s); longer ones are capped.
  absl::Duration default_refuse = absl::Seconds(5);
  absl::Duration max_refuse = absl::Hours(24 * 365);
  // An offer is made only if it holds at least one of these quantities (Mesos defaults:
  // cpus 0.01 or mem 32 MiB), so crumbs left by accepted offers are not offered forever.
  std::vector<resources::Resources> min_allocatable = {
      resources::Resources(*resources::Resources::Parse("cpus:0.01")),
      resources::Resources(*resources::Resources::Parse("mem:32"))};
  // Agents are visited in a fresh random order every cycle (from this seed), so no agent is
  // always offered first. False: in the order they were added (tests).
  bool shuffle_agents = true;
  uint64_t seed = 1;
  // Remember (role, agent) pairs where every framework's filter covered the whole candidate,
  // and skip them in O(1) until the agent, its filters or the role's frameworks change. Off
  // only to check, in tests, that it changes no decision.
  bool remember_filtered_agents = true;
};

// One decision of a cycle: offer `resources` of `agent_id` to `framework_id` for `role`.
// A cycle makes at most one Offer per (framework, agent, role).
struct Offer {
  std::string framework_id;
  std::string agent_id;
  std::string role;
  resources::Resources resources;
};

// Resources an agent already runs for a framework when it is added (master failover).
struct Allocation {
  std::string framework_id;
  std::string role;
  resources::Resources resources;
};

// What one cycle did, for metrics.
struct CycleStats {
  uint64_t agents_considered = 0;
  uint64_t offers = 0;
  uint64_t filtered = 0;          // (framework, agent) pairs skipped by a refuse filter
  uint64_t saturated_skips = 0;   // (role, agent) pairs skipped as wholly filtered, O(1) each
};

// A role as the operator API reports it.
struct RoleSummary {
  std::string name;
  double weight = 1.0;
  resources::Resources quota;
  resources::Resources allocated;  // scalar quantities (unreserved form)
  resources::Resources reserved;   // scalar quantities reserved in agents' totals
  std::vector<std::string> frameworks;
};

// Mesos's reading of a decline's Filters: unset or negative refuse -> default_refuse, above
// max_refuse -> max_refuse. `filters` may be null (no Filters sent).
absl::Duration RefuseDuration(const common::v1::Filters* filters, const AllocatorOptions& options);

class DrfAllocator {
 public:
  explicit DrfAllocator(AllocatorOptions options = {});

  // --- Agents -----------------------------------------------------------------------------
  // `used`: what the agent already runs (its frameworks must have been added, e.g. inactive
  // after a master failover); sum(used) must be within `total`.
  absl::Status AddAgent(const std::string& agent_id, const resources::Resources& total,
                        const std::vector<Allocation>& used = {});
  // Forgets the agent and every allocation on it (the driver rescinds its offers and marks its
  // tasks lost).
  absl::Status RemoveAgent(const std::string& agent_id);
  // Inactive (deactivated, draining, unreachable): its resources are not offered; allocations
  // stay until recovered.
  absl::Status UpdateAgentActive(const std::string& agent_id, bool active);
  // A new total (re-registration with other resources). Must still cover what is allocated.
  absl::Status UpdateAgentTotal(const std::string& agent_id, const resources::Resources& total);

  // --- Frameworks ---------------------------------------------------------------------------
  // `roles` empty means {"*"}. An inactive framework (recovered after failover, not yet
  // re-subscribed) holds allocations but gets no offers.
  absl::Status AddFramework(const std::string& framework_id, const std::vector<std::string>& roles,
                            bool active = true);
  // Re-subscription with another role list. Left roles with allocations keep tracking them.
  absl::Status UpdateFrameworkRoles(const std::string& framework_id,
                                    const std::vector<std::string>& roles);
  // Recovers everything allocated to the framework and drops its filters.
  absl::Status RemoveFramework(const std::string& framework_id);
  absl::Status ActivateFramework(const std::string& framework_id);
  absl::Status DeactivateFramework(const std::string& framework_id);
  // No offers for these roles (empty: all of the framework's roles) until Revive.
  absl::Status Suppress(const std::string& framework_id, const std::vector<std::string>& roles = {});
  // Ends suppression and clears the refuse filters for these roles (empty: all).
  absl::Status Revive(const std::string& framework_id, const std::vector<std::string>& roles = {});

  // --- Allocations --------------------------------------------------------------------------
  // Gives back `resources` allocated to (framework, role) on the agent: a declined or rescinded
  // offer, the unused part of an accept, a finished task's resources. With `refuse` > 0 (a
  // decline) the framework is not offered these resources of this agent for this role again
  // until now + refuse (or Revive). FailedPrecondition if they are not all allocated so;
  // recovering nothing is a no-op (no filter either).
  absl::Status Recover(const std::string& framework_id, const std::string& agent_id,
                       const std::string& role, const resources::Resources& resources,
                       std::optional<absl::Duration> refuse = std::nullopt,
                       absl::Time now = absl::InfinitePast());
  // Replaces allocated `from` with `to` (RESERVE / UNRESERVE of offered resources): the same
  // quantities in another reservation form. The agent's total changes the same way.
  absl::Status UpdateAllocation(const std::string& framework_id, const std::string& agent_id,
                                const std::string& role, const resources::Resources& from,
                                const resources::Resources& to);

  // --- Roles ---------------------------------------------------------------------------------
  // DRF weight (> 0, default 1): a role's share is divided by it.
  absl::Status SetWeight(const std::string& role, double weight);
  // Quota guarantee: unreserved scalars the role gets before fair sharing, and held back from
  // other roles while unmet. Empty removes the quota.
  absl::Status SetQuota(const std::string& role, const resources::Resources& guarantee);

  // --- Allocation cycles -----------------------------------------------------------------------
  // One cycle over every active agent: returns the offers decided (at most one per framework,
  // agent and role). Expires refuse filters that ended by `now`.
  std::vector<Offer> Allocate(absl::Time now);
  // A cycle over only the agents whose offerable state changed since the last cycle (resources
  // recovered, agent added or reactivated, filters expired), or over all when a framework- or
  // role-level change happened (framework added/activated/revived, roles, weight, quota).
  // This is what event-triggered allocation should run.
  std::vector<Offer> AllocateChanged(absl::Time now);
  // Whether AllocateChanged would look at anything (filter expiries aside).
  bool HasChanges() const { return all_dirty_ || !dirty_agents_.empty(); }
  // When the earliest refuse filter ends (the driver may schedule a cycle then).
  std::optional<absl::Time> NextFilterExpiry();
  const CycleStats& last_cycle() const { return last_cycle_; }

  // --- Introspection (operator API, metrics, tests) -------------------------------------------
  absl::StatusOr<resources::Resources> AgentFree(const std::string& agent_id) const;
  // What the framework holds on the agent, all roles together.
  absl::StatusOr<resources::Resources> Allocated(const std::string& framework_id,
                                                 const std::string& agent_id) const;
  // Scalar totals of every agent (active or not) and of every allocation.
  resources::Resources TotalScalars() const { return kinds_.ToResources(total_); }
  resources::Resources AllocatedScalars() const;
  std::vector<RoleSummary> Roles() const;
  size_t num_agents() const { return agent_by_id_.size(); }
  size_t num_frameworks() const { return framework_by_id_.size(); }
  // Checks every bookkeeping invariant (sums, indices, epochs); "" or the first violation.
  std::string CheckInvariants() const;

 private:
  using AgentIdx = internal::AgentIdx;
  using SlotIdx = internal::SlotIdx;
  using RoleIdx = internal::RoleIdx;
  using FrameworkIdx = internal::FrameworkIdx;
  class Cycle;

  // Lookups.
  absl::StatusOr<AgentIdx> FindAgent(const std::string& id) const;
  absl::StatusOr<FrameworkIdx> FindFramework(const std::string& id) const;
  // The framework's slot for `role` (subscribed or tracking), or NotFound.
  absl::StatusOr<SlotIdx> FindSlot(FrameworkIdx fw, const std::string& role) const;
  absl::StatusOr<std::vector<SlotIdx>> SelectSlots(FrameworkIdx fw,
                                                   const std::vector<std::string>& roles) const;

  // Roles and slots.
  RoleIdx InternRole(const std::string& name);
  void MaybeForgetRole(RoleIdx r);
  SlotIdx NewSlot(FrameworkIdx fw, RoleIdx r);
  void DeleteSlot(SlotIdx s);
  void MaybeDeleteTrackingSlot(SlotIdx s);
  bool Eligible(SlotIdx s) const;
  void MarkEligible(SlotIdx s);

  // Resource accounting.
  void AddToAgentTotal(internal::Agent& a, const resources::Resources& r, int sign);
  void AllocateOnAgent(AgentIdx a, SlotIdx s, const resources::Resources& r);
  void ReleaseOnAgent(AgentIdx a, size_t allocation_index, const resources::Resources& r);
  void AddSlotQuantities(SlotIdx s, const resources::Resources& r, int sign);

  // Filters.
  void InstallFilter(AgentIdx a, SlotIdx s, resources::Resources refused, absl::Time expires);
  void RemoveFilter(AgentIdx a, SlotIdx s);
  void ClearSlotFilters(SlotIdx s);
  void ExpireFilters(absl::Time now);

  // Dirty tracking for AllocateChanged.
  void MarkAgentDirty(AgentIdx a);
  void MarkAllDirty() { all_dirty_ = true; }
  uint64_t NextEpoch() { return ++epoch_; }

  std::vector<Offer> RunCycle(absl::Time now, bool changed_only);

  AllocatorOptions options_;
  std::vector<Quantities> min_allocatable_;
  std::mt19937_64 rng_;

  std::vector<internal::Agent> agents_;
  std::vector<AgentIdx> free_agents_;
  absl::flat_hash_map<std::string, AgentIdx> agent_by_id_;

  std::vector<internal::Framework> frameworks_;
  std::vector<FrameworkIdx> free_frameworks_;
  absl::flat_hash_map<std::string, FrameworkIdx> framework_by_id_;

  std::vector<internal::Slot> slots_;
  std::vector<SlotIdx> free_slots_;

  std::vector<internal::Role> roles_;
  std::vector<RoleIdx> free_roles_;
  absl::flat_hash_map<std::string, RoleIdx> role_by_name_;

  Kinds kinds_;
  Quantities total_;  // every agent's total scalars

  std::vector<internal::Expiry> expiries_;  // min-heap on `at`
  uint64_t next_filter_id_ = 1;
  uint64_t epoch_ = 0;

  std::vector<AgentIdx> dirty_agents_;
  bool all_dirty_ = true;
  CycleStats last_cycle_;
};

}  // namespace dcos::master::allocator
