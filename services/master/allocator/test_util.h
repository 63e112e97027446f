#pragma once

// Helpers for the allocator tests: parsing, a fixed start time, offer lookups.

#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "services/master/allocator/allocator.h"

namespace dcos::master::allocator::testing {

inline resources::Resources R(absl::string_view text) {
  absl::StatusOr<resources::Resources> r = resources::Resources::Parse(text);
  INFO(text << ": " << r.status().ToString());
  REQUIRE(r.ok());
  return *r;
}

// An arbitrary fixed instant; tests move time by adding durations to it (a SimClock's Now()).
inline const absl::Time kT0 = absl::FromUnixSeconds(1767225600);

// Deterministic agent order (the order agents were added) unless a test wants shuffling.
inline AllocatorOptions Ordered() {
  AllocatorOptions o;
  o.shuffle_agents = false;
  return o;
}

// "framework@agent(role)=resources" per offer, sorted: readable failure messages.
inline std::vector<std::string> Describe(const std::vector<Offer>& offers) {
  std::vector<std::string> out;
  for (const Offer& o : offers) {
    out.push_back(o.framework_id + "@" + o.agent_id + "(" + o.role + ")=" + o.resources.ToString());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Offers per framework id.
inline std::map<std::string, int> CountByFramework(const std::vector<Offer>& offers) {
  std::map<std::string, int> out;
  for (const Offer& o : offers) ++out[o.framework_id];
  return out;
}

// Declines every offer (refuse: nullopt = no filter).
inline void DeclineAll(DrfAllocator& a, const std::vector<Offer>& offers,
                       std::optional<absl::Duration> refuse, absl::Time now) {
  for (const Offer& o : offers) {
    absl::Status s = a.Recover(o.framework_id, o.agent_id, o.role, o.resources, refuse, now);
    INFO(s.ToString());
    REQUIRE(s.ok());
  }
}

inline void RequireOk(const absl::Status& s) {
  INFO(s.ToString());
  REQUIRE(s.ok());
}

inline void RequireInvariants(const DrfAllocator& a) {
  std::string bad = a.CheckInvariants();
  INFO(bad);
  REQUIRE(bad.empty());
}

}  // namespace dcos::master::allocator::testing
