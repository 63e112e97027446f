// Refuse filters with an explicit `now` (as a SimClock would give it), their expiry, revive,
// the default duration, event-triggered cycles and the "wholly filtered agent" shortcut.

#include <catch2/catch.hpp>

#include "services/master/allocator/allocator.h"
#include "services/master/allocator/test_util.h"

namespace dcos::master::allocator {
namespace {

using namespace testing;  // NOLINT
using resources::Resources;

TEST_CASE("a declined agent is not offered to that framework until the filter expires",
          "[filters]") {
  DrfAllocator a(Ordered());
  RequireOk(a.AddAgent("n1", R("cpus:4;mem:1024")));
  RequireOk(a.AddFramework("f1", {"*"}));
  std::vector<Offer> offers = a.Allocate(kT0);
  REQUIRE(offers.size() == 1);
  DeclineAll(a, offers, absl::Seconds(10), kT0);
  CHECK(a.NextFilterExpiry() == kT0 + absl::Seconds(10));
  CHECK(a.Allocate(kT0 + absl::Seconds(1)).empty());
  CHECK(a.Allocate(kT0 + absl::Seconds(9.999)).empty());
  CHECK(a.Allocate(kT0 + absl::Seconds(10)).size() == 1);
  CHECK(a.NextFilterExpiry() == std::nullopt);
  RequireInvariants(a);
}

TEST_CASE("a filter binds one framework and one agent", "[filters]") {
  DrfAllocator a(Ordered());
  RequireOk(a.AddAgent("n1", R("cpus:4;mem:1024")));
  RequireOk(a.AddFramework("f1", {"*"}));
  DeclineAll(a, a.Allocate(kT0), absl::Hours(1), kT0);
  RequireOk(a.AddFramework("f2", {"*"}));
  RequireOk(a.AddAgent("n2", R("cpus:4;mem:1024")));
  // f1 (declined n1) still gets n2; n1 goes to f2.
  CHECK(Describe(a.Allocate(kT0)) == std::vector<std::string>{"f1@n2(*)=cpus:4;mem:1024",
                                                               "f2@n1(*)=cpus:4;mem:1024"});
}

TEST_CASE("a filter covers only what was refused: more free resources are offered again",
          "[filters]") {
  DrfAllocator a(Ordered());
  RequireOk(a.AddAgent("n1", R("cpus:4;mem:1024")));
  RequireOk(a.AddFramework("f1", {"*"}));
  RequireOk(a.AddFramework("f2", {"*"}));
  std::vector<Offer> offers = a.Allocate(kT0);
  REQUIRE(offers.size() == 1);
  REQUIRE(offers[0].framework_id == "f1");
  // f1 keeps cpus:2 for a task and declines the rest for an hour.
  RequireOk(a.Recover("f1", "n1", "*", R("cpus:2;mem:1024"), absl::Hours(1), kT0));
  offers = a.Allocate(kT0);
  REQUIRE(offers.size() == 1);
  CHECK(offers[0].framework_id == "f2");  // f1 is filtered
  DeclineAll(a, offers, absl::Hours(1), kT0);
  CHECK(a.Allocate(kT0).empty());  // both filtered
  // f1's task ends: cpus:4;mem:1024 free now exceeds what either refused.
  RequireOk(a.Recover("f1", "n1", "*", R("cpus:2")));
  offers = a.Allocate(kT0);
  REQUIRE(offers.size() == 1);
  CHECK(offers[0].resources == R("cpus:4;mem:1024"));
}

TEST_CASE("revive clears the framework's filters", "[filters]") {
  DrfAllocator a(Ordered());
  RequireOk(a.AddAgent("n1", R("cpus:4;mem:1024")));
  RequireOk(a.AddFramework("f1", {"*"}));
  DeclineAll(a, a.Allocate(kT0), absl::Hours(24), kT0);
  CHECK(a.Allocate(kT0).empty());
  RequireOk(a.Revive("f1"));
  CHECK(a.Allocate(kT0).size() == 1);
  RequireInvariants(a);
}

TEST_CASE("refuse 0 or no refuse installs no filter", "[filters]") {
  DrfAllocator a(Ordered());
  RequireOk(a.AddAgent("n1", R("cpus:4;mem:1024")));
  RequireOk(a.AddFramework("f1", {"*"}));
  DeclineAll(a, a.Allocate(kT0), absl::ZeroDuration(), kT0);
  DeclineAll(a, a.Allocate(kT0), std::nullopt, kT0);
  CHECK(a.Allocate(kT0).size() == 1);
}

TEST_CASE("RefuseDuration reads Filters as Mesos does", "[filters]") {
  AllocatorOptions o;
  CHECK(RefuseDuration(nullptr, o) == absl::Seconds(5));
  common::v1::Filters f;
  CHECK(RefuseDuration(&f, o) == absl::Seconds(5));  // refuse unset
  f.mutable_refuse()->set_seconds(-3);
  CHECK(RefuseDuration(&f, o) == absl::Seconds(5));
  f.mutable_refuse()->set_seconds(2);
  f.mutable_refuse()->set_nanos(500000000);
  CHECK(RefuseDuration(&f, o) == absl::Milliseconds(2500));
  f.mutable_refuse()->set_seconds(400LL * 24 * 3600);
  CHECK(RefuseDuration(&f, o) == absl::Hours(24 * 365));
  f.mutable_refuse()->set_seconds(0);
  f.mutable_refuse()->set_nanos(0);
  CHECK(RefuseDuration(&f, o) == absl::ZeroDuration());
}

TEST_CASE("a default-length filter lasts five seconds", "[filters]") {
  DrfAllocator a(Ordered());
  RequireOk(a.AddAgent("n1", R("cpus:4;mem:1024")));
  RequireOk(a.AddFramework("f1", {"*"}));
  DeclineAll(a, a.Allocate(kT0), RefuseDuration(nullptr, AllocatorOptions()), kT0);
  CHECK(a.Allocate(kT0 + absl::Seconds(4)).empty());
  CHECK(a.Allocate(kT0 + absl::Seconds(5)).size() == 1);
}

TEST_CASE("AllocateChanged looks only at agents that changed", "[filters]") {
  DrfAllocator a(Ordered());
  RequireOk(a.AddAgent("n1", R("cpus:4;mem:1024")));
  RequireOk(a.AddAgent("n2", R("cpus:4;mem:1024")));
  RequireOk(a.AddFramework("f1", {"*"}));
  CHECK(a.HasChanges());
  std::vector<Offer> offers = a.AllocateChanged(kT0);
  CHECK(offers.size() == 2);
  CHECK_FALSE(a.HasChanges());
  CHECK(a.AllocateChanged(kT0).empty());
  CHECK(a.last_cycle().agents_considered == 0);
  RequireOk(a.Recover("f1", "n2", "*", R("cpus:1")));
  CHECK(a.HasChanges());
  CHECK(Describe(a.AllocateChanged(kT0)) == std::vector<std::string>{"f1@n2(*)=cpus:1"});
  CHECK(a.last_cycle().agents_considered == 1);
  // A filter that expires makes its agent changed again.
  RequireOk(a.Recover("f1", "n1", "*", R("cpus:4;mem:1024"), absl::Seconds(5), kT0));
  CHECK(a.AllocateChanged(kT0).empty());
  CHECK(a.AllocateChanged(kT0 + absl::Seconds(5)).size() == 1);
}

TEST_CASE("a wholly filtered agent is skipped cheaply and reconsidered when anything changes",
          "[filters]") {
  DrfAllocator a(Ordered());
  RequireOk(a.AddAgent("n1", R("cpus:4;mem:1024")));
  RequireOk(a.AddFramework("f1", {"*"}));
  RequireOk(a.AddFramework("f2", {"*"}));
  DeclineAll(a, a.Allocate(kT0), absl::Hours(1), kT0);  // f1
  DeclineAll(a, a.Allocate(kT0), absl::Hours(1), kT0);  // f2
  CHECK(a.Allocate(kT0).empty());
  CHECK(a.last_cycle().filtered == 2);
  CHECK(a.Allocate(kT0).empty());
  CHECK(a.last_cycle().saturated_skips == 1);
  CHECK(a.last_cycle().filtered == 0);
  SECTION("a new framework") {
    RequireOk(a.AddFramework("f3", {"*"}));
    CHECK(CountByFramework(a.Allocate(kT0)) == std::map<std::string, int>{{"f3", 1}});
  }
  SECTION("a filter expiring") {
    CHECK(a.Allocate(kT0 + absl::Hours(1)).size() == 1);
  }
  SECTION("a revive") {
    RequireOk(a.Revive("f2"));
    CHECK(CountByFramework(a.Allocate(kT0)) == std::map<std::string, int>{{"f2", 1}});
  }
  SECTION("a suppressed framework unsuppressed") {
    RequireOk(a.Suppress("f1"));
    RequireOk(a.Revive("f1"));
    CHECK(CountByFramework(a.Allocate(kT0)) == std::map<std::string, int>{{"f1", 1}});
  }
  SECTION("the agent's free resources growing") {
    RequireOk(a.UpdateAgentTotal("n1", R("cpus:8;mem:1024")));
    CHECK(a.Allocate(kT0).size() == 1);
  }
}

}  // namespace
}  // namespace dcos::master::allocator
