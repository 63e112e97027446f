// Resources arithmetic: add, subtract, contains, filters, flatten, reservations.

#include <catch2/catch.hpp>

#include "libs/resources/resources.h"

namespace dcos::resources {
namespace {

Resources P(absl::string_view text) {
  absl::StatusOr<Resources> r = Resources::Parse(text);
  INFO(text << " -> " << r.status().ToString());
  REQUIRE(r.ok());
  return *r;
}

TEST_CASE("addition merges combinable entries only", "[resources]") {
  Resources r = P("cpus:1;mem:10") + P("cpus:0.5;cpus(ads):2;ports:[1-2]");
  CHECK(r.ToString() == "cpus:1.5;mem:10;cpus(ads):2;ports:[1-2]");
  r += P("ports:[3-5];disks:{x}");
  CHECK(r.ToString() == "cpus:1.5;mem:10;cpus(ads):2;ports:[1-5];disks:{x}");
}

TEST_CASE("subtraction removes, never goes negative", "[resources]") {
  Resources r = P("cpus:4;mem:2048;ports:[31000-32000];disks:{a,b}");
  r -= P("cpus:1;ports:[31000-31000];disks:{a}");
  CHECK(r.ToString() == "cpus:3;mem:2048;ports:[31001-32000];disks:{b}");
  r -= P("cpus:10;mem:2048");
  CHECK(r.ToString() == "ports:[31001-32000];disks:{b}");
  r -= P("cpus(ads):1");  // nothing combinable: no effect
  CHECK(r.ToString() == "ports:[31001-32000];disks:{b}");
}

TEST_CASE("a value may be added to or subtracted from itself", "[resources]") {
  Resources r = P("cpus:1;ports:[1-2];disks:{a}");
  r += r;
  CHECK(r.ToString() == "cpus:2;ports:[1-2];disks:{a}");
  r -= r;
  CHECK(r.empty());
}

TEST_CASE("reserved and unreserved resources do not combine", "[resources]") {
  Resources r = P("cpus:4;cpus(ads):8");
  r -= P("cpus(ads):1");
  CHECK(r.ToString() == "cpus:4;cpus(ads):7");
  CHECK_FALSE(r.Contains(P("cpus:5")));
  CHECK(r.Contains(P("cpus:4;cpus(ads):7")));
  CHECK_FALSE(r.Contains(P("cpus(web):1")));
}

TEST_CASE("contains is subset on every value type", "[resources]") {
  Resources a = P("cpus:4;mem:2048;ports:[31000-32000];disks:{a,b}");
  CHECK(a.Contains(P("")));
  CHECK(a.Contains(a));
  CHECK(a.Contains(P("cpus:4;ports:[31000-31010,31500-31600];disks:{b}")));
  CHECK_FALSE(a.Contains(P("cpus:4.001")));
  CHECK_FALSE(a.Contains(P("ports:[30999-31000]")));
  CHECK_FALSE(a.Contains(P("disks:{c}")));
  CHECK_FALSE(a.Contains(P("gpus:1")));
}

TEST_CASE("equality ignores order", "[resources]") {
  CHECK(P("cpus:1;mem:2") == P("mem:2;cpus:1"));
  CHECK_FALSE(P("cpus:1;mem:2") == P("cpus:1"));
  CHECK_FALSE(P("cpus:1") == P("cpus(ads):1"));
  CHECK(P("ports:[1-2,3-4]") == P("ports:[1-4]"));
}

TEST_CASE("filters by reservation and role", "[resources]") {
  Resources r = P("cpus:4;mem:10;cpus(ads):8;mem(web):3;ports:[1-2]");
  CHECK(r.Unreserved().ToString() == "cpus:4;mem:10;ports:[1-2]");
  CHECK(r.Reserved().ToString() == "cpus(ads):8;mem(web):3");
  CHECK(r.ReservedFor("web").ToString() == "mem(web):3");
  CHECK(r.AllocatableTo("ads").ToString() == "cpus:4;mem:10;cpus(ads):8;ports:[1-2]");
  CHECK(r.Scalars().ToString() == "cpus:4;mem:10;cpus(ads):8;mem(web):3");
  CHECK(r.HasReserved());
  CHECK_FALSE(r.Unreserved().HasReserved());
  CHECK(r.Reserved().HasUnreserved() == false);
}

TEST_CASE("flatten drops roles and merges", "[resources]") {
  Resources r = P("cpus:4;cpus(ads):8;mem(web):3");
  CHECK(r.Flatten().ToString() == "cpus:12;mem:3");
  CHECK(r.Flatten("x").ToString() == "cpus(x):12;mem(x):3");
}

TEST_CASE("dynamic reservations combine only with equal principal and labels", "[resources]") {
  Resource a = Resource::Scalar("cpus", 1000);
  a.SetDynamicReservation("ads", {"p1", {{"k", "v"}}});
  Resource b = a;
  Resource c = Resource::Scalar("cpus", 1000);
  c.SetDynamicReservation("ads", {"p2", {}});
  Resource s = Resource::Scalar("cpus", 1000, "ads");  // static
  Resources r;
  r.Add(a);
  r.Add(b);
  r.Add(c);
  r.Add(s);
  CHECK(r.size() == 3);
  CHECK(r.ScalarMilli("cpus") == 4000);
  CHECK(r.ReservedFor("ads").size() == 3);
  CHECK(r.Flatten().ToString() == "cpus:4");
}

TEST_CASE("totals per name add up across roles", "[resources]") {
  Resources r = P("cpus:1;cpus(a):2;ports:[1-2];ports(a):[5-6];s:{x};s(a):{y}");
  CHECK(r.ScalarMilli("cpus") == 3000);
  CHECK(r.Scalar("cpus") == 3.0);
  CHECK(r.RangesOf("ports").ToString() == "[1-2,5-6]");
  CHECK(r.SetOf("s") == Set{"x", "y"});
  CHECK(r.ScalarMilli("ports") == 0);
  CHECK(r.ScalarMilli("gpus") == 0);
}

}  // namespace
}  // namespace dcos::resources

namespace dcos::resources {
namespace {

TEST_CASE("CpusMem is a task's unreserved cpus and mem", "[resources]") {
  Resources r = Resources::CpusMem(0.1, 32);
  REQUIRE(r.ToString() == "cpus:0.1;mem:32");
  REQUIRE(r.Unreserved().Scalar("cpus") == 0.1);
  REQUIRE(r.Scalar("mem") == 32);
}

}  // namespace
}  // namespace dcos::resources
