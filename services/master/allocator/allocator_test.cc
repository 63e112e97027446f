// The allocator's API: offers of whole agents, recovery, agents and frameworks coming and going,
// drain, suppress/revive, failover allocations, reservations through UpdateAllocation, errors.

#include <catch2/catch.hpp>

#include "services/master/allocator/allocator.h"
#include "services/master/allocator/test_util.h"

namespace dcos::master::allocator {
namespace {

using namespace testing;  // NOLINT
using resources::Resources;

TEST_CASE("a lone framework is offered each agent's free resources once", "[allocator]") {
  DrfAllocator a(Ordered());
  RequireOk(a.AddAgent("a1", R("cpus:4;mem:1024;ports:[31000-32000]")));
  RequireOk(a.AddAgent("a2", R("cpus:2;mem:512")));
  RequireOk(a.AddFramework("f1", {"*"}));
  std::vector<Offer> offers = a.Allocate(kT0);
  CHECK(Describe(offers) == std::vector<std::string>{"f1@a1(*)=cpus:4;mem:1024;ports:[31000-32000]",
                                                      "f1@a2(*)=cpus:2;mem:512"});
  // Everything is allocated until recovered.
  CHECK(a.Allocate(kT0).empty());
  CHECK(a.AllocatedScalars() == R("cpus:6;mem:1536"));
  RequireOk(a.Recover("f1", "a2", "*", R("cpus:1;mem:512")));
  CHECK(Describe(a.Allocate(kT0)) == std::vector<std::string>{"f1@a2(*)=cpus:1;mem:512"});
  RequireInvariants(a);
}

TEST_CASE("the unused part of an accept comes back; a task's resources on termination", "[allocator]") {
  DrfAllocator a(Ordered());
  RequireOk(a.AddAgent("a1", R("cpus:4;mem:1024;ports:[31000-32000]")));
  RequireOk(a.AddFramework("f1", {}));  // no roles: "*"
  std::vector<Offer> offers = a.Allocate(kT0);
  REQUIRE(offers.size() == 1);
  CHECK(offers[0].role == "*");
  Resources task = R("cpus:1;mem:128;ports:[31000-31000]");
  RequireOk(a.Recover("f1", "a1", "*", offers[0].resources - task));
  CHECK(*a.Allocated("f1", "a1") == task);
  CHECK(*a.AgentFree("a1") == R("cpus:3;mem:896;ports:[31001-32000]"));
  RequireOk(a.Recover("f1", "a1", "*", task));  // TASK_FINISHED
  CHECK(*a.AgentFree("a1") == R("cpus:4;mem:1024;ports:[31000-32000]"));
  RequireInvariants(a);
}

TEST_CASE("removing an agent drops its allocations", "[allocator]") {
  DrfAllocator a(Ordered());
  RequireOk(a.AddAgent("a1", R("cpus:4;mem:1024")));
  RequireOk(a.AddFramework("f1", {"*"}));
  REQUIRE(a.Allocate(kT0).size() == 1);
  RequireOk(a.RemoveAgent("a1"));
  CHECK(a.AllocatedScalars().empty());
  CHECK(a.TotalScalars().empty());
  CHECK(a.Recover("f1", "a1", "*", R("cpus:4")).code() == absl::StatusCode::kNotFound);
  CHECK(a.Allocate(kT0).empty());
  // The same id may come back (a re-registered agent).
  RequireOk(a.AddAgent("a1", R("cpus:1;mem:64")));
  CHECK(Describe(a.Allocate(kT0)) == std::vector<std::string>{"f1@a1(*)=cpus:1;mem:64"});
  RequireInvariants(a);
}

TEST_CASE("removing a framework recovers what it held for others", "[allocator]") {
  DrfAllocator a(Ordered());
  RequireOk(a.AddAgent("a1", R("cpus:4;mem:1024")));
  RequireOk(a.AddFramework("f1", {"*"}));
  REQUIRE(a.Allocate(kT0).size() == 1);
  RequireOk(a.AddFramework("f2", {"*"}));
  CHECK(a.Allocate(kT0).empty());
  RequireOk(a.RemoveFramework("f1"));
  CHECK(Describe(a.Allocate(kT0)) == std::vector<std::string>{"f2@a1(*)=cpus:4;mem:1024"});
  CHECK(a.num_frameworks() == 1);
  RequireInvariants(a);
}

TEST_CASE("a draining (inactive) agent gets no new offers and keeps its allocations", "[allocator]") {
  DrfAllocator a(Ordered());
  RequireOk(a.AddAgent("a1", R("cpus:4;mem:1024")));
  RequireOk(a.AddAgent("a2", R("cpus:4;mem:1024")));
  RequireOk(a.AddFramework("f1", {"*"}));
  RequireOk(a.UpdateAgentActive("a1", false));
  CHECK(Describe(a.Allocate(kT0)) == std::vector<std::string>{"f1@a2(*)=cpus:4;mem:1024"});
  RequireOk(a.Recover("f1", "a2", "*", R("cpus:4;mem:1024")));
  RequireOk(a.UpdateAgentActive("a2", false));
  CHECK(a.Allocate(kT0).empty());
  CHECK(a.AllocateChanged(kT0).empty());
  RequireOk(a.UpdateAgentActive("a1", true));
  CHECK(a.HasChanges());
  CHECK(Describe(a.AllocateChanged(kT0)) ==
        std::vector<std::string>{"f1@a1(*)=cpus:4;mem:1024"});
}

TEST_CASE("suppress stops offers until revive", "[allocator]") {
  DrfAllocator a(Ordered());
  RequireOk(a.AddAgent("a1", R("cpus:4;mem:1024")));
  RequireOk(a.AddFramework("f1", {"web", "batch"}));
  RequireOk(a.Suppress("f1"));
  CHECK(a.Allocate(kT0).empty());
  RequireOk(a.Revive("f1", {"batch"}));
  CHECK(Describe(a.Allocate(kT0)) == std::vector<std::string>{"f1@a1(batch)=cpus:4;mem:1024"});
  CHECK(a.Suppress("f1", {"ads"}).message() ==
        "roles[0]: framework 'f1' is not subscribed to role 'ads'");
}

TEST_CASE("an inactive framework gets nothing until activated", "[allocator]") {
  DrfAllocator a(Ordered());
  RequireOk(a.AddAgent("a1", R("cpus:4;mem:1024")));
  RequireOk(a.AddFramework("f1", {"*"}, /*active=*/false));
  CHECK(a.Allocate(kT0).empty());
  RequireOk(a.ActivateFramework("f1"));
  CHECK(a.Allocate(kT0).size() == 1);
  RequireOk(a.Recover("f1", "a1", "*", R("cpus:4;mem:1024")));
  RequireOk(a.DeactivateFramework("f1"));
  CHECK(a.Allocate(kT0).empty());
}

TEST_CASE("an agent re-registering after failover brings its frameworks' allocations", "[allocator]") {
  DrfAllocator a(Ordered());
  RequireOk(a.AddFramework("f1", {"web"}, /*active=*/false));
  // f1 runs a task under a role it no longer subscribes to ("old"): tracked, never offered.
  RequireOk(a.AddAgent("a1", R("cpus:4;mem:1024"),
                       {{"f1", "web", R("cpus:1;mem:128")}, {"f1", "old", R("cpus:1")}}));
  CHECK(*a.AgentFree("a1") == R("cpus:2;mem:896"));
  CHECK(*a.Allocated("f1", "a1") == R("cpus:2;mem:128"));
  RequireOk(a.ActivateFramework("f1"));
  CHECK(Describe(a.Allocate(kT0)) == std::vector<std::string>{"f1@a1(web)=cpus:2;mem:896"});
  RequireOk(a.Recover("f1", "a1", "old", R("cpus:1")));
  CHECK(a.Recover("f1", "a1", "old", R("cpus:1")).code() == absl::StatusCode::kNotFound);
  RequireInvariants(a);

  CHECK(a.AddAgent("a2", R("cpus:1"), {{"nope", "web", R("cpus:1")}}).message() ==
        "framework 'nope' not found");
  CHECK(a.AddAgent("a2", R("cpus:1"), {{"f1", "web", R("cpus:2")}}).message() ==
        "used: 'cpus:2' exceed the agent's total 'cpus:1'");
  CHECK(a.AddAgent("a2", R("cpus(x):1"), {{"f1", "web", R("cpus(x):1")}}).message() ==
        "used[0].resources: 'cpus(x):1' hold resources reserved for another role than 'web'");
  CHECK(a.num_agents() == 1);
}

TEST_CASE("UpdateAllocation turns offered resources into a reservation", "[allocator]") {
  DrfAllocator a(Ordered());
  RequireOk(a.AddAgent("a1", R("cpus:4;mem:1024")));
  RequireOk(a.AddFramework("f1", {"ads"}));
  REQUIRE(a.Allocate(kT0).size() == 1);
  Resources reserved;
  resources::Resource cpus = resources::Resource::Scalar("cpus", 2000);
  cpus.SetDynamicReservation("ads", {"marathon", {}});
  reserved.Add(cpus);
  RequireOk(a.UpdateAllocation("f1", "a1", "ads", R("cpus:2"), reserved));
  CHECK(*a.Allocated("f1", "a1") == R("cpus:2;mem:1024") + reserved);
  std::vector<RoleSummary> roles = a.Roles();
  REQUIRE(roles.size() == 1);
  CHECK(roles[0].name == "ads");
  CHECK(roles[0].reserved == R("cpus:2"));
  CHECK(roles[0].allocated == R("cpus:4;mem:1024"));
  CHECK(roles[0].frameworks == std::vector<std::string>{"f1"});
  CHECK(a.UpdateAllocation("f1", "a1", "ads", R("cpus:1"), R("cpus:2")).message() ==
        "to: 'cpus:2' must hold the same resources as from: 'cpus:1'");
  CHECK(a.UpdateAllocation("f1", "a1", "ads", R("cpus:1"), R("cpus(web):1")).message() ==
        "to: 'cpus(web):1' holds resources reserved for another role than 'ads'");
  // Given back, the reservation is offered to the role again.
  RequireOk(a.Recover("f1", "a1", "ads", reserved));
  std::vector<Offer> offers = a.Allocate(kT0);
  REQUIRE(offers.size() == 1);
  CHECK(offers[0].resources == reserved);
  RequireInvariants(a);
}

TEST_CASE("crumbs below the minimum allocatable are not offered", "[allocator]") {
  DrfAllocator a(Ordered());
  RequireOk(a.AddAgent("a1", R("cpus:0.005;mem:16;disk:100;ports:[1-10]")));
  RequireOk(a.AddAgent("a2", R("cpus:0.01")));
  RequireOk(a.AddFramework("f1", {"*"}));
  CHECK(Describe(a.Allocate(kT0)) == std::vector<std::string>{"f1@a2(*)=cpus:0.01"});
}

TEST_CASE("frameworks change roles on re-subscription", "[allocator]") {
  DrfAllocator a(Ordered());
  RequireOk(a.AddAgent("a1", R("cpus:4;mem:1024")));
  RequireOk(a.AddFramework("f1", {"web"}));
  REQUIRE(a.Allocate(kT0).size() == 1);
  RequireOk(a.UpdateFrameworkRoles("f1", {"batch"}));
  RequireOk(a.AddAgent("a2", R("cpus:1;mem:64")));
  CHECK(Describe(a.Allocate(kT0)) == std::vector<std::string>{"f1@a2(batch)=cpus:1;mem:64"});
  // The web allocation is still tracked and can be recovered.
  RequireOk(a.Recover("f1", "a1", "web", R("cpus:4;mem:1024")));
  CHECK(Describe(a.Allocate(kT0)) == std::vector<std::string>{"f1@a1(batch)=cpus:4;mem:1024"});
  RequireInvariants(a);
}

TEST_CASE("an agent's total may change if it still covers what is allocated", "[allocator]") {
  DrfAllocator a(Ordered());
  RequireOk(a.AddAgent("a1", R("cpus:4;mem:1024")));
  RequireOk(a.AddFramework("f1", {"*"}));
  REQUIRE(a.Allocate(kT0).size() == 1);
  RequireOk(a.Recover("f1", "a1", "*", R("cpus:3;mem:1000")));
  RequireOk(a.UpdateAgentTotal("a1", R("cpus:8;mem:1024")));
  CHECK(*a.AgentFree("a1") == R("cpus:7;mem:1000"));
  CHECK(a.UpdateAgentTotal("a1", R("mem:1024")).code() == absl::StatusCode::kFailedPrecondition);
  RequireInvariants(a);
}

TEST_CASE("bad input gets an error naming the field and changes nothing", "[allocator]") {
  DrfAllocator a(Ordered());
  RequireOk(a.AddAgent("a1", R("cpus:4;mem:1024")));
  RequireOk(a.AddFramework("f1", {"*"}));
  CHECK(a.AddAgent("a1", R("cpus:1")).code() == absl::StatusCode::kAlreadyExists);
  CHECK(a.AddAgent("", R("cpus:1")).message() == "agent_id: must not be empty");
  CHECK(a.AddFramework("f1", {}).code() == absl::StatusCode::kAlreadyExists);
  CHECK(a.AddFramework("f2", {"a", "a"}).message() == "roles[1]: duplicate role 'a'");
  CHECK(a.AddFramework("f2", {"-x"}).message() ==
        "roles[0]: role '-x' has a component starting with '-'");
  CHECK(a.RemoveFramework("nope").message() == "framework 'nope' not found");
  CHECK(a.RemoveAgent("nope").message() == "agent 'nope' not found");
  CHECK(a.SetWeight("web", 0).message() == "weight: must be a finite number > 0, got 0");
  CHECK(a.SetWeight("a b", 1).message() ==
        "role: role 'a b' has a whitespace, control or '\\' character");
  CHECK(a.SetQuota("*", R("cpus:1")).message() == "role: quota cannot be set for '*'");
  CHECK(a.SetQuota("web", R("ports:[1-2]")).message() ==
        "guarantee: 'ports:[1-2]' is not an unreserved scalar (quota is cpus, mem, ...)");
  CHECK(a.Recover("f1", "a1", "*", R("cpus:1")).message() ==
        "resources: 'cpus:1' are not all allocated to framework 'f1' on agent 'a1' for role '*' "
        "(allocated: '')");
  CHECK(a.Recover("f1", "a1", "web", R("cpus:1")).message() ==
        "framework 'f1' has no allocation role 'web'");
  REQUIRE(a.Allocate(kT0).size() == 1);
  CHECK(a.Recover("f1", "a1", "*", R("cpus:5")).code() == absl::StatusCode::kFailedPrecondition);
  CHECK(a.Recover("f1", "a1", "*", R("cpus:1"), absl::Seconds(5)).message() ==
        "now: required with a refuse duration");
  CHECK(a.num_frameworks() == 1);
  CHECK(a.num_agents() == 1);
  RequireInvariants(a);
}

}  // namespace
}  // namespace dcos::master::allocator
