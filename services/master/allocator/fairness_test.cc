// DRF between roles and between the frameworks of a role: lowest share first, weights,
// convergence to equal dominant shares, reservations, several roles per framework.

#include <catch2/catch.hpp>

#include <map>

#include "services/master/allocator/allocator.h"
#include "services/master/allocator/test_util.h"

namespace dcos::master::allocator {
namespace {

using namespace testing;  // NOLINT
using resources::Resources;

// Adds one agent and runs an event-triggered cycle; returns "framework(role)" it went to.
std::string AddAndAllocate(DrfAllocator& a, const std::string& agent, const std::string& res) {
  RequireOk(a.AddAgent(agent, R(res)));
  std::vector<Offer> offers = a.AllocateChanged(kT0);
  REQUIRE(offers.size() == 1);
  CHECK(offers[0].agent_id == agent);
  CHECK(offers[0].resources == R(res));
  return offers[0].framework_id + "(" + offers[0].role + ")";
}

TEST_CASE("each agent goes to the role, then the framework, with the lowest dominant share",
          "[fairness]") {
  DrfAllocator a(Ordered());
  RequireOk(a.AddFramework("f1", {"a"}));
  CHECK(AddAndAllocate(a, "n1", "cpus:8;mem:8192") == "f1(a)");
  RequireOk(a.AddFramework("f2", {"b"}));
  // b has nothing: share 0.
  CHECK(AddAndAllocate(a, "n2", "cpus:2;mem:16384") == "f2(b)");
  // Totals cpus 14, mem 25600: a = max(8/14, 8192/25600) = .57; b = max(2/14, 16384/25600) = .64.
  CHECK(AddAndAllocate(a, "n3", "cpus:4;mem:1024") == "f1(a)");
  RequireOk(a.AddFramework("f3", {"a"}));
  // a = 12/15 = .8 > b = 16384/26624 = .62: b wins although f3 holds nothing.
  CHECK(AddAndAllocate(a, "n4", "cpus:1;mem:1024") == "f2(b)");
  // a = 12/31 = .39 > b = 17408/92160 = .19.
  CHECK(AddAndAllocate(a, "n5", "cpus:16;mem:65536") == "f2(b)");
  // a = 12/33 = .36 < b = 82944/94208 = .88; inside a, f3 (0) before f1.
  CHECK(AddAndAllocate(a, "n6", "cpus:2;mem:2048") == "f3(a)");
  RequireInvariants(a);
}

TEST_CASE("two frameworks with different task shapes converge to equal dominant shares",
          "[fairness]") {
  // The DRF paper's example: 9 cpus, 18 GiB; A's tasks <1 cpu, 4 GiB>, B's <3 cpus, 1 GiB>.
  // DRF gives A three tasks and B two: both dominant shares 2/3.
  DrfAllocator a(Ordered());
  RequireOk(a.AddAgent("n1", R("cpus:9;mem:18432")));
  RequireOk(a.AddFramework("A", {"*"}));
  RequireOk(a.AddFramework("B", {"*"}));
  const std::map<std::string, Resources> task = {{"A", R("cpus:1;mem:4096")},
                                                 {"B", R("cpus:3;mem:1024")}};
  std::map<std::string, int> launched;
  absl::Time now = kT0;
  for (int cycle = 0; cycle < 20; ++cycle, now += absl::Seconds(1)) {
    for (const Offer& o : a.Allocate(now)) {
      const Resources& t = task.at(o.framework_id);
      if (o.resources.Contains(t)) {
        ++launched[o.framework_id];
        RequireOk(a.Recover(o.framework_id, o.agent_id, o.role, o.resources - t));
      } else {
        RequireOk(a.Recover(o.framework_id, o.agent_id, o.role, o.resources, absl::Hours(1), now));
      }
    }
  }
  CHECK(launched["A"] == 3);
  CHECK(launched["B"] == 2);
  CHECK(*a.Allocated("A", "n1") == R("cpus:3;mem:12288"));
  CHECK(*a.Allocated("B", "n1") == R("cpus:6;mem:2048"));
}

TEST_CASE("frameworks of one role share it equally", "[fairness]") {
  DrfAllocator a(Ordered());
  for (int i = 0; i < 10; ++i) RequireOk(a.AddAgent("n" + std::to_string(i), R("cpus:4;mem:4096")));
  for (const char* f : {"f1", "f2", "f3"}) RequireOk(a.AddFramework(f, {"web"}));
  std::map<std::string, int> got = CountByFramework(a.Allocate(kT0));
  CHECK(got == std::map<std::string, int>{{"f1", 4}, {"f2", 3}, {"f3", 3}});
}

TEST_CASE("a weight-2 role gets twice what a weight-1 role gets", "[fairness]") {
  DrfAllocator a(Ordered());
  for (int i = 0; i < 30; ++i) RequireOk(a.AddAgent("n" + std::to_string(i), R("cpus:4;mem:4096")));
  RequireOk(a.SetWeight("heavy", 2));
  RequireOk(a.AddFramework("fh", {"heavy"}));
  RequireOk(a.AddFramework("fl", {"light"}));
  CHECK(CountByFramework(a.Allocate(kT0)) == std::map<std::string, int>{{"fh", 20}, {"fl", 10}});
  std::vector<RoleSummary> roles = a.Roles();
  REQUIRE(roles.size() == 2);
  CHECK(roles[0].name == "heavy");
  CHECK(roles[0].weight == 2);
  CHECK(roles[0].allocated == R("cpus:80;mem:81920"));
}

TEST_CASE("reserved resources are offered only to frameworks of their role", "[fairness]") {
  DrfAllocator a(Ordered());
  RequireOk(a.AddAgent("n1", R("cpus:2;mem:1024;cpus(web):8;mem(web):4096")));
  RequireOk(a.AddAgent("n2", R("cpus(web):4;mem(web):512")));
  RequireOk(a.AddFramework("fa", {"analytics"}));
  // No framework of "web" yet: the reservations stay unoffered.
  CHECK(Describe(a.Allocate(kT0)) ==
        std::vector<std::string>{"fa@n1(analytics)=cpus:2;mem:1024"});
  RequireOk(a.AddFramework("fw", {"web"}));
  CHECK(Describe(a.Allocate(kT0)) ==
        std::vector<std::string>{"fw@n1(web)=cpus(web):8;mem(web):4096",
                                 "fw@n2(web)=cpus(web):4;mem(web):512"});
  RequireInvariants(a);
}

TEST_CASE("a role's framework gets its reservation and the unreserved rest in one offer",
          "[fairness]") {
  DrfAllocator a(Ordered());
  RequireOk(a.AddAgent("n1", R("cpus:2;mem:1024;cpus(web):8")));
  RequireOk(a.AddFramework("fw", {"web"}));
  RequireOk(a.AddFramework("fz", {"zzz"}));
  // "web" sorts before "zzz" at equal shares: it may use everything.
  CHECK(Describe(a.Allocate(kT0)) ==
        std::vector<std::string>{"fw@n1(web)=cpus:2;mem:1024;cpus(web):8"});
}

TEST_CASE("a framework with several roles is offered per role and recovers per role",
          "[fairness]") {
  DrfAllocator a(Ordered());
  RequireOk(a.AddAgent("n1", R("cpus:4;mem:1024;cpus(x):1;mem(x):64")));
  RequireOk(a.AddAgent("n2", R("cpus:4;mem:1024;cpus(y):1;mem(y):64")));
  RequireOk(a.AddFramework("f1", {"x", "y"}));
  std::vector<Offer> offers = a.Allocate(kT0);
  CHECK(Describe(offers) == std::vector<std::string>{"f1@n1(x)=cpus:4;mem:1024;cpus(x):1;mem(x):64",
                                                      "f1@n2(y)=cpus:4;mem:1024;cpus(y):1;mem(y):64"});
  CHECK(a.Recover("f1", "n1", "y", R("cpus:4")).code() == absl::StatusCode::kFailedPrecondition);
  RequireOk(a.Recover("f1", "n1", "x", R("cpus:4")));
  RequireInvariants(a);
}

TEST_CASE("agent order is shuffled from the seed, deterministically", "[fairness]") {
  auto run = [](uint64_t seed) {
    AllocatorOptions o;
    o.seed = seed;
    DrfAllocator a(o);
    for (int i = 0; i < 20; ++i) RequireOk(a.AddAgent("n" + std::to_string(i), R("cpus:1;mem:64")));
    RequireOk(a.AddFramework("f1", {"*"}));
    RequireOk(a.AddFramework("f2", {"*"}));
    std::vector<std::string> order;
    for (const Offer& o : a.Allocate(kT0)) order.push_back(o.framework_id + "@" + o.agent_id);
    return order;
  };
  CHECK(run(7) == run(7));
  CHECK(run(7) != run(8));
}

}  // namespace
}  // namespace dcos::master::allocator
