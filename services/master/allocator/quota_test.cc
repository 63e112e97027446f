// Quota: a role's guarantee is allocated before fair sharing, and while it is unmet enough
// unreserved resources are held back from other roles (headroom).

#include <catch2/catch.hpp>

#include "services/master/allocator/allocator.h"
#include "services/master/allocator/test_util.h"

namespace dcos::master::allocator {
namespace {

using namespace testing;  // NOLINT
using resources::Resources;

void FourAgents(DrfAllocator& a) {
  for (int i = 1; i <= 4; ++i) RequireOk(a.AddAgent("n" + std::to_string(i), R("cpus:4;mem:1024")));
}

Resources RoleAllocated(const DrfAllocator& a, const std::string& role) {
  for (const RoleSummary& r : a.Roles()) {
    if (r.name == role) return r.allocated;
  }
  return Resources();
}

TEST_CASE("a quota role gets its guarantee before fair sharing", "[quota]") {
  DrfAllocator a(Ordered());
  FourAgents(a);
  RequireOk(a.SetQuota("q", R("cpus:8")));
  RequireOk(a.AddFramework("fq", {"q"}));
  RequireOk(a.SetWeight("r", 100));  // r would win every agent on fairness alone
  RequireOk(a.AddFramework("fr", {"r"}));
  CHECK(Describe(a.Allocate(kT0)) == std::vector<std::string>{"fq@n1(q)=cpus:4;mem:1024",
                                                               "fq@n2(q)=cpus:4;mem:1024",
                                                               "fr@n3(r)=cpus:4;mem:1024",
                                                               "fr@n4(r)=cpus:4;mem:1024"});
  RequireInvariants(a);
}

TEST_CASE("the quota stage offers only what the guarantee lacks", "[quota]") {
  DrfAllocator a(Ordered());
  FourAgents(a);
  RequireOk(a.SetQuota("q", R("cpus:6")));
  RequireOk(a.AddFramework("fq", {"q"}));
  RequireOk(a.SetWeight("r", 100));
  RequireOk(a.AddFramework("fr", {"r"}));
  CHECK(Describe(a.Allocate(kT0)) == std::vector<std::string>{"fq@n1(q)=cpus:4;mem:1024",
                                                               "fq@n2(q)=cpus:2;mem:1024",
                                                               "fr@n2(r)=cpus:2",
                                                               "fr@n3(r)=cpus:4;mem:1024",
                                                               "fr@n4(r)=cpus:4;mem:1024"});
  CHECK(RoleAllocated(a, "q") == R("cpus:6;mem:2048"));
  RequireInvariants(a);
}

TEST_CASE("headroom for unmet quota is held back from other roles", "[quota]") {
  DrfAllocator a(Ordered());
  FourAgents(a);
  RequireOk(a.SetQuota("q", R("cpus:8")));  // no framework in q yet
  RequireOk(a.AddFramework("fr", {"r"}));
  CHECK(Describe(a.Allocate(kT0)) == std::vector<std::string>{"fr@n1(r)=cpus:4;mem:1024",
                                                               "fr@n2(r)=cpus:4;mem:1024",
                                                               "fr@n3(r)=mem:1024",
                                                               "fr@n4(r)=mem:1024"});
  CHECK(RoleAllocated(a, "r") == R("cpus:8;mem:4096"));
  // The held-back cpus go to q as soon as it has a framework.
  RequireOk(a.AddFramework("fq", {"q"}));
  CHECK(Describe(a.Allocate(kT0)) ==
        std::vector<std::string>{"fq@n3(q)=cpus:4", "fq@n4(q)=cpus:4"});
  // Removing the quota releases the headroom.
  DeclineAll(a, a.Allocate(kT0), std::nullopt, kT0);
  RequireOk(a.RemoveFramework("fq"));
  RequireOk(a.SetQuota("q", Resources()));
  CHECK(Describe(a.Allocate(kT0)) == std::vector<std::string>{"fr@n3(r)=cpus:4", "fr@n4(r)=cpus:4"});
  RequireInvariants(a);
}

TEST_CASE("reservations for a quota role count toward its guarantee", "[quota]") {
  DrfAllocator a(Ordered());
  RequireOk(a.AddAgent("n1", R("cpus(q):8;mem(q):1024")));
  RequireOk(a.AddAgent("n2", R("cpus:4;mem:1024")));
  RequireOk(a.SetQuota("q", R("cpus:8")));
  RequireOk(a.AddFramework("fr", {"r"}));
  CHECK(Describe(a.Allocate(kT0)) == std::vector<std::string>{"fr@n2(r)=cpus:4;mem:1024"});
}

TEST_CASE("beyond its guarantee a quota role shares fairly", "[quota]") {
  DrfAllocator a(Ordered());
  FourAgents(a);
  RequireOk(a.SetQuota("q", R("cpus:4")));
  RequireOk(a.AddFramework("fq", {"q"}));
  RequireOk(a.AddFramework("fr", {"r"}));
  CHECK(CountByFramework(a.Allocate(kT0)) == std::map<std::string, int>{{"fq", 2}, {"fr", 2}});
  RequireInvariants(a);
}

TEST_CASE("a filtered quota role keeps its headroom", "[quota]") {
  DrfAllocator a(Ordered());
  FourAgents(a);
  RequireOk(a.SetQuota("q", R("cpus:4")));
  RequireOk(a.AddFramework("fq", {"q"}));
  std::vector<Offer> offers = a.Allocate(kT0);
  CHECK(Describe(offers) == std::vector<std::string>{"fq@n1(q)=cpus:4;mem:1024",
                                                      "fq@n2(q)=cpus:4;mem:1024",
                                                      "fq@n3(q)=cpus:4;mem:1024",
                                                      "fq@n4(q)=cpus:4;mem:1024"});
  DeclineAll(a, offers, absl::Hours(1), kT0);
  RequireOk(a.AddFramework("fr", {"r"}));
  // 16 cpus free, 4 still owed to q: r may take 12.
  CHECK(RoleAllocated(a, "r").empty());
  a.Allocate(kT0);
  CHECK(RoleAllocated(a, "r") == R("cpus:12;mem:4096"));
  RequireInvariants(a);
}

}  // namespace
}  // namespace dcos::master::allocator
