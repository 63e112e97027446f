// DrfAllocator: one allocation cycle.
//
// Stage 1 (only when some role has unmet quota): each agent's resources go first to quota roles
// (lowest share first), at most what their guarantee still lacks.
// Stage 2: each agent's remaining resources go to roles in DRF order and, within a role, to its
// frameworks in DRF order — the first framework not filtered gets everything the role may use
// on that agent — while keeping enough unreserved resources unallocated for the quota still
// unmet (headroom).

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "services/master/allocator/allocator.h"

namespace dcos::master::allocator {

using resources::Resource;
using resources::Resources;

class DrfAllocator::Cycle {
 public:
  explicit Cycle(DrfAllocator& al) : al_(al) {}

  std::vector<Offer> Run(const std::vector<AgentIdx>& agents) {
    offers_.reserve(agents.size());
    BuildOrders();
    if (quota_active_) {
      quota_stage_offers_ = true;  // stage 2 may add to a stage-1 offer: index them
      ComputeHeadroom();
      for (AgentIdx a : agents) QuotaStage(a);
    }
    for (AgentIdx a : agents) FairStage(a);
    return std::move(offers_);
  }

  CycleStats stats;

 private:
  internal::Agent& agent(AgentIdx a) { return al_.agents_[a]; }
  internal::Role& role(RoleIdx r) { return al_.roles_[r]; }

  DrfOrder::Key SlotKey(SlotIdx s) const {
    const internal::Slot& slot = al_.slots_[s];
    return {DominantShare(slot.allocated, al_.total_), slot.allocations,
            &al_.frameworks_[slot.framework].id, s};
  }

  DrfOrder::Key RoleKey(RoleIdx r) const {
    const internal::Role& ro = al_.roles_[r];
    return {DominantShare(ro.allocated, al_.total_) / ro.weight, ro.allocations, &ro.name, r};
  }

  // Orders the eligible slots of every role, and the roles that have any.
  void BuildOrders() {
    for (RoleIdx r = 0; r < al_.roles_.size(); ++r) {
      internal::Role& ro = role(r);
      if (!ro.in_use) continue;
      ro.frameworks.Clear();
      ro.touched = false;
      for (SlotIdx s : ro.slots) {
        if (!al_.Eligible(s)) continue;
        al_.slots_[s].key = SlotKey(s);
        ro.frameworks.Insert(al_.slots_[s].key);
      }
      if (ro.frameworks.empty()) continue;
      ro.key = RoleKey(r);
      role_order_.Insert(ro.key);
      if (!ro.quota.empty()) {
        quota_active_ = true;
        quota_order_.Insert(ro.key);
      }
    }
    // Quota also binds roles with no eligible framework: their headroom is held back.
    for (const internal::Role& ro : al_.roles_) quota_active_ |= ro.in_use && !ro.quota.empty();
  }

  // Re-sorts the roles that got offers on the agent just processed.
  void RefreshTouchedRoles() {
    for (RoleIdx r : touched_) {
      internal::Role& ro = role(r);
      ro.touched = false;
      DrfOrder::Key key = RoleKey(r);
      role_order_.Update(ro.key, key);
      if (!ro.quota.empty()) quota_order_.Update(ro.key, key);
      ro.key = key;
    }
    touched_.clear();
  }

  // --- Quota -------------------------------------------------------------------------------

  // What the role's guarantee still lacks, per kind: guarantee - (reserved for it in agents'
  // totals + allocated to it unreserved), floored at zero.
  Quantities Unmet(RoleIdx r) const {
    const internal::Role& ro = al_.roles_[r];
    Quantities out;
    for (size_t k = 0; k < ro.quota_q.size(); ++k) {
      int64_t consumed = ro.reserved_total.Get(k) + ro.allocated.Get(k) - ro.allocated_reserved.Get(k);
      int64_t lack = ro.quota_q.Get(k) - consumed;
      if (lack > 0) out.Add(k, lack);
    }
    return out;
  }

  void ComputeHeadroom() {
    for (const internal::Agent& ag : al_.agents_) {
      if (!ag.in_use || !ag.active) continue;
      al_.kinds_.AddScalarsIf(ag.free, available_, [](const Resource& e) { return !e.reserved(); });
    }
    for (RoleIdx r = 0; r < al_.roles_.size(); ++r) {
      if (al_.roles_[r].in_use && !al_.roles_[r].quota.empty()) required_ += Unmet(r);
    }
  }

  // Unreserved scalar entries of `r` cut down to `limit(kind)` (negative: no limit), shared
  // across entries of the same kind. Reserved and non-scalar entries pass unchanged.
  template <typename Limit>
  Resources Chop(const Resources& r, Limit limit, bool* chopped) {
    Resources out;
    Quantities used;
    for (const Resource& e : r) {
      if (e.type() != resources::ValueType::kScalar || e.reserved()) {
        out.Add(e);
        continue;
      }
      size_t k = al_.kinds_.Intern(e.name());
      int64_t lim = limit(k);
      if (lim < 0) {
        out.Add(e);
        continue;
      }
      int64_t take = std::min(e.milli(), std::max<int64_t>(0, lim - used.Get(k)));
      used.Add(k, take);
      if (take < e.milli()) *chopped = true;
      out.Add(Resource::Scalar(e.name(), take));
    }
    return out;
  }

  void QuotaStage(AgentIdx a) {
    internal::Agent& ag = agent(a);
    if (!ag.active || ag.free.empty()) return;
    for (const DrfOrder::Key& key : quota_order_) {
      if (ag.free.empty()) break;
      RoleIdx r = key.id;
      Quantities unmet = Unmet(r);
      if (unmet.IsZero()) continue;
      const internal::Role& ro = role(r);
      bool chopped = false;
      // Kinds the role's quota names: up to what it lacks. Kinds another quota names: held for
      // stage 2's headroom check. Others: all.
      Resources candidate = Chop(
          ag.free.AllocatableTo(ro.name),
          [&](size_t k) -> int64_t {
            if (ro.quota_q.Get(k) > 0) return unmet.Get(k);
            return required_.Get(k) > 0 ? 0 : -1;
          },
          &chopped);
      TryRole(a, r, candidate, /*whole_free=*/false, /*cacheable=*/false);
    }
    RefreshTouchedRoles();
  }

  // --- Fair sharing ---------------------------------------------------------------------------

  void FairStage(AgentIdx a) {
    internal::Agent& ag = agent(a);
    if (!ag.active || ag.free.empty()) return;
    ++stats.agents_considered;
    for (const DrfOrder::Key& key : role_order_) {
      if (ag.free.empty()) break;
      RoleIdx r = key.id;
      if (IsSaturated(ag, r)) {
        ++stats.saturated_skips;
        continue;
      }
      const internal::Role& ro = role(r);
      bool reserved = ag.free.HasReserved();
      bool whole = !reserved;
      Resources scoped;
      if (reserved) {
        scoped = ag.free.AllocatableTo(ro.name);
        if (scoped.empty()) continue;
      }
      const Resources& candidate = reserved ? scoped : ag.free;
      if (quota_active_ && NeedsHeadroom(candidate)) {
        bool chopped = false;
        Quantities unmet = ro.quota.empty() ? Quantities() : Unmet(r);
        Resources cut = Chop(
            candidate,
            [&](size_t k) -> int64_t {
              if (required_.Get(k) <= 0) return -1;
              return std::max<int64_t>(0, available_.Get(k) - required_.Get(k) + unmet.Get(k));
            },
            &chopped);
        if (chopped) {
          TryRole(a, r, cut, /*whole_free=*/false, /*cacheable=*/false);
          continue;
        }
      }
      TryRole(a, r, candidate, whole, /*cacheable=*/true);
    }
    RefreshTouchedRoles();
  }

  bool NeedsHeadroom(const Resources& candidate) const {
    for (const Resource& e : candidate) {
      if (e.type() != resources::ValueType::kScalar || e.reserved()) continue;
      int k = al_.kinds_.Find(e.name());
      if (k >= 0 && required_.Get(static_cast<size_t>(k)) > 0) return true;
    }
    return false;
  }

  // --- Offers -------------------------------------------------------------------------------

  // Whether a (non-empty) candidate is worth an offer: it holds one of the minimum quantities.
  bool Offerable(const Quantities& q) const {
    if (al_.min_allocatable_.empty()) return true;
    for (const Quantities& min : al_.min_allocatable_) {
      if (q.Covers(min)) return true;
    }
    return false;
  }

  bool Filtered(const internal::Agent& ag, SlotIdx s, const Resources& candidate) const {
    if (ag.filters.empty()) return false;
    auto it = ag.filters.find(s);
    return it != ag.filters.end() && it->second.refused.Contains(candidate);
  }

  bool IsSaturated(const internal::Agent& ag, RoleIdx r) const {
    if (!al_.options_.remember_filtered_agents) return false;
    for (const internal::Saturation& s : ag.saturated) {
      if (s.role != r) continue;
      return s.agent_change_epoch == ag.change_epoch && s.agent_filter_epoch == ag.filter_epoch &&
             s.role_eligible_epoch == al_.roles_[r].eligible_epoch;
    }
    return false;
  }

  void RecordSaturation(internal::Agent& ag, RoleIdx r) {
    std::erase_if(ag.saturated, [&](const internal::Saturation& s) {
      return s.role == r || s.agent_change_epoch != ag.change_epoch;
    });
    ag.saturated.push_back({r, ag.change_epoch, ag.filter_epoch, al_.roles_[r].eligible_epoch});
  }

  // Offers `candidate` (from agent `a`) to the first unfiltered framework of role `r`.
  // `whole_free`: candidate is the agent's entire free resources (moved, not copied).
  // `cacheable`: candidate is all the role may use there, so "all filtered" can be remembered.
  void TryRole(AgentIdx a, RoleIdx r, const Resources& candidate, bool whole_free, bool cacheable) {
    if (candidate.empty()) return;
    Quantities q = al_.kinds_.Of(candidate);
    if (!Offerable(q)) return;
    internal::Agent& ag = agent(a);
    internal::Role& ro = role(r);
    for (const DrfOrder::Key& key : ro.frameworks) {
      if (Filtered(ag, key.id, candidate)) {
        ++stats.filtered;
        continue;
      }
      MakeOffer(a, key.id, candidate, whole_free);
      return;
    }
    if (cacheable && !ro.frameworks.empty()) RecordSaturation(ag, r);
  }

  void MakeOffer(AgentIdx a, SlotIdx s, const Resources& candidate, bool whole_free) {
    internal::Agent& ag = agent(a);
    internal::Slot& slot = al_.slots_[s];
    RoleIdx r = slot.role;
    internal::Role& ro = role(r);
    Resources offered;
    if (whole_free) {
      offered = std::move(ag.free);
      ag.free.clear();
    } else {
      offered = candidate;
      ag.free -= offered;
    }
    ag.change_epoch = al_.NextEpoch();

    Quantities unmet_before;
    if (quota_active_) {
      if (!ro.quota.empty()) unmet_before = Unmet(r);
      Quantities unreserved;
      al_.kinds_.AddScalarsIf(offered, unreserved, [](const Resource& e) { return !e.reserved(); });
      available_ -= unreserved;
    }

    auto it = std::find_if(ag.allocations.begin(), ag.allocations.end(),
                           [s](const internal::AgentAllocation& x) { return x.slot == s; });
    if (it == ag.allocations.end()) {
      ag.allocations.push_back({s, offered});
      ++slot.agents_allocated;
    } else {
      it->resources += offered;
    }
    al_.AddSlotQuantities(s, offered, +1);
    ++slot.allocations;
    ++ro.allocations;
    DrfOrder::Key key = SlotKey(s);
    ro.frameworks.Update(slot.key, key);
    slot.key = key;
    if (!ro.touched) {
      ro.touched = true;
      touched_.push_back(r);
    }
    if (quota_active_ && !ro.quota.empty()) {
      required_ -= unmet_before;
      required_ += Unmet(r);
    }

    ++stats.offers;
    uint64_t pair = (static_cast<uint64_t>(s) << 32) | a;
    if (quota_stage_offers_) {
      auto [at, inserted] = offer_index_.try_emplace(pair, offers_.size());
      if (!inserted) {
        offers_[at->second].resources += offered;
        return;
      }
    }
    offers_.push_back(Offer{al_.frameworks_[slot.framework].id, ag.id, ro.name, std::move(offered)});
  }

  DrfAllocator& al_;
  DrfOrder role_order_;
  DrfOrder quota_order_;
  bool quota_active_ = false;
  bool quota_stage_offers_ = false;
  Quantities available_;  // unreserved scalars free on active agents
  Quantities required_;   // sum of every quota role's unmet guarantee
  std::vector<RoleIdx> touched_;
  absl::flat_hash_map<uint64_t, size_t> offer_index_;  // (slot, agent) -> offer, with quota
  std::vector<Offer> offers_;
};

std::vector<Offer> DrfAllocator::Allocate(absl::Time now) { return RunCycle(now, false); }

std::vector<Offer> DrfAllocator::AllocateChanged(absl::Time now) { return RunCycle(now, true); }

std::vector<Offer> DrfAllocator::RunCycle(absl::Time now, bool changed_only) {
  ExpireFilters(now);
  std::vector<AgentIdx> agents;
  if (changed_only && !all_dirty_) {
    for (AgentIdx a : dirty_agents_) {
      if (agents_[a].in_use && agents_[a].dirty) agents.push_back(a);
      agents_[a].dirty = false;
    }
  } else {
    agents.reserve(agent_by_id_.size());
    for (AgentIdx a = 0; a < agents_.size(); ++a) {
      agents_[a].dirty = false;
      if (agents_[a].in_use) agents.push_back(a);
    }
  }
  dirty_agents_.clear();
  all_dirty_ = false;
  std::erase_if(agents, [&](AgentIdx a) { return !agents_[a].active || agents_[a].free.empty(); });
  if (options_.shuffle_agents) std::shuffle(agents.begin(), agents.end(), rng_);

  Cycle cycle(*this);
  std::vector<Offer> offers = cycle.Run(agents);
  last_cycle_ = cycle.stats;
  return offers;
}

}  // namespace dcos::master::allocator
