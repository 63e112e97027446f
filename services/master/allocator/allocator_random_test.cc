// Randomized event sequences against the allocator: after every step the bookkeeping
// invariants hold, every offer is legal (active agent, eligible framework, free resources, the
// right reservations, one per framework/agent/role), and the "wholly filtered agent" shortcut
// changes no decision (a twin allocator without it decides the same).
//
// Each run picks a seed and prints it; replay with ALLOCATOR_TEST_SEED=<seed>.

#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/master/allocator/allocator.h"
#include "services/master/allocator/test_util.h"

namespace dcos::master::allocator {
namespace {

using namespace testing;  // NOLINT
using resources::Resource;
using resources::Resources;

uint64_t TestSeed() {
  static const uint64_t seed = [] {
    const char* env = std::getenv("ALLOCATOR_TEST_SEED");
    uint64_t s = env != nullptr ? std::strtoull(env, nullptr, 10) : std::random_device{}();
    std::printf("allocator random test: seed=%llu (replay with ALLOCATOR_TEST_SEED)\n",
                static_cast<unsigned long long>(s));
    return s;
  }();
  return seed;
}

const std::vector<std::string> kRoles = {"*", "a", "b", "c"};

struct Task {
  std::string framework, agent, role;
  Resources resources;
};

// A refuse filter as the model sees it.
struct FilterModel {
  absl::Time expires;
  Resources refused;
};
using FilterKey = std::tuple<std::string, std::string, std::string>;  // framework, agent, role

struct FrameworkModel {
  std::vector<std::string> roles;
  bool active = true;
  std::set<std::string> suppressed;
};

class Scenario {
 public:
  explicit Scenario(uint64_t seed) : rng_(seed), main_(Options(seed, true)), twin_(Options(seed, false)) {}

  // Applies one random step to both allocators; returns "" or what went wrong.
  std::string Step() {
    int op = Int(0, 99);
    if (op < 12) return AddAgent();
    if (op < 15) {
      std::string agent = Pick(agents_);
      return Both([&](DrfAllocator& a) { return a.RemoveAgent(agent); }, [&] { DropAgent(agent); });
    }
    if (op < 19) {
      bool active = Int(0, 1) == 1;
      std::string agent = Pick(agents_);
      return Both([&](DrfAllocator& a) { return a.UpdateAgentActive(agent, active); },
                  [&] { if (!agent.empty()) agent_active_[agent] = active; });
    }
    if (op < 25) return AddFramework();
    if (op < 27) {
      std::string f = PickFramework();
      return Both([&](DrfAllocator& a) { return a.RemoveFramework(f); }, [&] { DropFramework(f); });
    }
    if (op < 31) return ToggleActive();
    if (op < 36) return SuppressOrRevive();
    if (op < 38) return ChangeRoles();
    if (op < 40) {
      std::string role = kRoles[static_cast<size_t>(Int(1, 3))];
      double w = 0.5 * Int(1, 6);
      return Both([&](DrfAllocator& a) { return a.SetWeight(role, w); }, [] {});
    }
    if (op < 42) {
      std::string role = kRoles[static_cast<size_t>(Int(1, 3))];
      Resources q = Int(0, 2) == 0 ? Resources() : R(absl::StrCat("cpus:", Int(1, 20)));
      return Both([&](DrfAllocator& a) { return a.SetQuota(role, q); }, [] {});
    }
    if (op < 55) return FinishTask();
    now_ += absl::Milliseconds(Int(0, 3000));
    return Cycle(op < 80);
  }

  std::string Check() const {
    std::string bad = main_.CheckInvariants();
    if (!bad.empty()) return "main: " + bad;
    bad = twin_.CheckInvariants();
    return bad.empty() ? "" : "twin: " + bad;
  }

 private:
  static AllocatorOptions Options(uint64_t seed, bool remember) {
    AllocatorOptions o;
    o.seed = seed;
    o.remember_filtered_agents = remember;
    return o;
  }

  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

  template <typename C>
  std::string Pick(const C& c) {
    if (c.empty()) return "";
    auto it = c.begin();
    std::advance(it, Int(0, static_cast<int>(c.size()) - 1));
    if constexpr (std::is_same_v<typename C::value_type, std::string>) {
      return *it;
    } else {
      return it->first;
    }
  }
  std::string PickFramework() { return Pick(frameworks_); }

  // Runs `op` on both allocators: both must agree on success; on success applies `model`.
  template <typename Op, typename Model>
  std::string Both(Op op, Model model) {
    absl::Status s1 = op(main_);
    absl::Status s2 = op(twin_);
    if (s1.code() != s2.code()) return "allocators disagree: " + s1.ToString() + " vs " + s2.ToString();
    if (s1.ok()) model();
    return "";
  }

  std::string AddAgent() {
    std::string id = absl::StrCat("n", next_agent_++);
    std::string text = absl::StrCat("cpus:", Int(1, 16), ";mem:", 256 * Int(1, 16));
    if (Int(0, 1)) absl::StrAppend(&text, ";ports:[", 31000, "-", 31000 + Int(0, 100), "]");
    if (Int(0, 3) == 0) absl::StrAppend(&text, ";cpus(", kRoles[static_cast<size_t>(Int(1, 3))], "):", Int(1, 4));
    if (Int(0, 5) == 0) absl::StrAppend(&text, ";disks:{d1,d2}");
    Resources total = R(text);
    return Both([&](DrfAllocator& a) { return a.AddAgent(id, total); },
                [&] {
                  agents_.insert(id);
                  agent_active_[id] = true;
                });
  }

  void DropFilters(const std::string& framework, const std::string& agent, const std::string& role) {
    std::erase_if(filters_, [&](const auto& f) {
      const auto& [fw, ag, ro] = f.first;
      return (framework.empty() || fw == framework) && (agent.empty() || ag == agent) &&
             (role.empty() || ro == role);
    });
  }

  void DropAgent(const std::string& agent) {
    DropFilters("", agent, "");
    std::erase_if(tasks_, [&](const Task& t) { return t.agent == agent; });
    agent_active_.erase(agent);
    agents_.erase(agent);
  }

  std::vector<std::string> RandomRoles() {
    std::vector<std::string> roles;
    for (const std::string& r : kRoles) {
      if (Int(0, 2) == 0) roles.push_back(r);
    }
    if (roles.empty()) roles.push_back(kRoles[static_cast<size_t>(Int(0, 3))]);
    return roles;
  }

  std::string AddFramework() {
    std::string id = absl::StrCat("f", next_framework_++);
    std::vector<std::string> roles = RandomRoles();
    bool active = Int(0, 4) != 0;
    return Both([&](DrfAllocator& a) { return a.AddFramework(id, roles, active); },
                [&] { frameworks_[id] = {roles, active, {}}; });
  }

  void DropFramework(const std::string& f) {
    DropFilters(f, "", "");
    frameworks_.erase(f);
    std::erase_if(tasks_, [&](const Task& t) { return t.framework == f; });
  }

  std::string ToggleActive() {
    std::string f = PickFramework();
    if (f.empty()) return "";
    bool active = Int(0, 1) == 1;
    return Both(
        [&](DrfAllocator& a) { return active ? a.ActivateFramework(f) : a.DeactivateFramework(f); },
        [&] { frameworks_[f].active = active; });
  }

  std::string SuppressOrRevive() {
    std::string f = PickFramework();
    if (f.empty()) return "";
    FrameworkModel& m = frameworks_[f];
    std::vector<std::string> roles;
    if (Int(0, 1)) roles.push_back(m.roles[static_cast<size_t>(Int(0, static_cast<int>(m.roles.size()) - 1))]);
    bool suppress = Int(0, 1) == 1;
    return Both([&](DrfAllocator& a) { return suppress ? a.Suppress(f, roles) : a.Revive(f, roles); },
                [&] {
                  for (const std::string& r : roles.empty() ? m.roles : roles) {
                    if (suppress) {
                      m.suppressed.insert(r);
                    } else {
                      m.suppressed.erase(r);
                      DropFilters(f, "", r);
                    }
                  }
                });
  }

  std::string ChangeRoles() {
    std::string f = PickFramework();
    if (f.empty()) return "";
    std::vector<std::string> roles = RandomRoles();
    return Both([&](DrfAllocator& a) { return a.UpdateFrameworkRoles(f, roles); },
                [&] {
                  FrameworkModel& m = frameworks_[f];
                  for (const std::string& r : m.roles) {
                    if (std::find(roles.begin(), roles.end(), r) == roles.end()) DropFilters(f, "", r);
                  }
                  std::set<std::string> kept;
                  for (const std::string& r : roles) {
                    if (m.suppressed.contains(r)) kept.insert(r);
                  }
                  m.roles = roles;
                  m.suppressed = kept;
                });
  }

  std::string FinishTask() {
    if (tasks_.empty()) return "";
    size_t i = static_cast<size_t>(Int(0, static_cast<int>(tasks_.size()) - 1));
    Task t = tasks_[i];
    tasks_.erase(tasks_.begin() + static_cast<std::ptrdiff_t>(i));
    return Both([&](DrfAllocator& a) { return a.Recover(t.framework, t.agent, t.role, t.resources); },
                [] {});
  }

  // Which offers are legal given the free resources before the cycle.
  std::string CheckOffers(const std::vector<Offer>& offers,
                          const std::map<std::string, Resources>& free_before) {
    std::set<std::tuple<std::string, std::string, std::string>> seen;
    std::map<std::string, Resources> offered;
    for (const Offer& o : offers) {
      std::string what = absl::StrCat(o.framework_id, "@", o.agent_id, "(", o.role, ")=",
                                      o.resources.ToString());
      if (!seen.insert({o.framework_id, o.agent_id, o.role}).second) return "duplicate offer " + what;
      auto fw = frameworks_.find(o.framework_id);
      if (fw == frameworks_.end() || !fw->second.active) return "offer to inactive " + what;
      const FrameworkModel& m = fw->second;
      if (std::find(m.roles.begin(), m.roles.end(), o.role) == m.roles.end()) {
        return "offer for an unsubscribed role " + what;
      }
      if (m.suppressed.contains(o.role)) return "offer to a suppressed role " + what;
      if (!agent_active_.at(o.agent_id)) return "offer from an inactive agent " + what;
      if (!(o.resources.AllocatableTo(o.role) == o.resources)) return "wrong reservation " + what;
      if (o.resources.empty()) return "empty offer " + what;
      auto filter = filters_.find({o.framework_id, o.agent_id, o.role});
      if (filter != filters_.end() && filter->second.expires > now_ &&
          filter->second.refused.Contains(o.resources)) {
        return "offer despite a refuse filter " + what;
      }
      offered[o.agent_id] += o.resources;
    }
    for (const auto& [agent, res] : offered) {
      if (!free_before.at(agent).Contains(res)) {
        return absl::StrCat("agent ", agent, " offered ", res.ToString(), " of free ",
                            free_before.at(agent).ToString());
      }
    }
    return "";
  }

  std::string Cycle(bool full) {
    std::map<std::string, Resources> free_before;
    for (const std::string& agent : agents_) free_before[agent] = *main_.AgentFree(agent);
    std::vector<Offer> offers = full ? main_.Allocate(now_) : main_.AllocateChanged(now_);
    std::vector<Offer> twin = full ? twin_.Allocate(now_) : twin_.AllocateChanged(now_);
    if (Describe(offers) != Describe(twin)) {
      return absl::StrCat("the twin without the filtered-agent shortcut decided otherwise (",
                          offers.size(), " vs ", twin.size(), " offers)");
    }
    if (std::string bad = CheckOffers(offers, free_before); !bad.empty()) return bad;
    // Frameworks keep a random part of each offer as a task and decline the rest.
    for (const Offer& o : offers) {
      Resources kept = o.resources.Filter([&](const Resource&) { return Int(0, 2) == 0; });
      std::optional<absl::Duration> refuse;
      if (int f = Int(0, 3); f > 0) refuse = absl::Milliseconds(f == 1 ? 0 : Int(1, 10000));
      Resources rest = o.resources - kept;
      std::string bad = Both(
          [&](DrfAllocator& a) { return a.Recover(o.framework_id, o.agent_id, o.role, rest, refuse, now_); },
          [&] {
            if (!kept.empty()) tasks_.push_back({o.framework_id, o.agent_id, o.role, kept});
            if (refuse.has_value() && *refuse > absl::ZeroDuration() && !rest.empty()) {
              filters_[{o.framework_id, o.agent_id, o.role}] = {now_ + *refuse, rest};
            }
          });
      if (!bad.empty()) return bad;
    }
    return "";
  }

  std::mt19937_64 rng_;
  DrfAllocator main_;
  DrfAllocator twin_;
  absl::Time now_ = kT0;
  std::set<std::string> agents_;
  std::map<std::string, bool> agent_active_;
  std::map<std::string, FrameworkModel> frameworks_;
  std::vector<Task> tasks_;
  std::map<FilterKey, FilterModel> filters_;
  int next_agent_ = 0;
  int next_framework_ = 0;
};

TEST_CASE("random events keep every invariant and every offer legal", "[random]") {
  constexpr int kScenarios = 60;
  constexpr int kSteps = 400;
  for (int sc = 0; sc < kScenarios; ++sc) {
    uint64_t seed = TestSeed() + static_cast<uint64_t>(sc);
    Scenario s(seed);
    for (int step = 0; step < kSteps; ++step) {
      std::string bad = s.Step();
      if (bad.empty()) bad = s.Check();
      INFO("seed=" << TestSeed() << " scenario " << sc << " step " << step << ": " << bad);
      REQUIRE(bad.empty());
    }
  }
}

}  // namespace
}  // namespace dcos::master::allocator
