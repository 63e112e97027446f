// Resource detection and parsing, attributes.

#include <catch2/catch.hpp>

#include "services/agent/host_resources.h"

namespace dcos::agent {
namespace {

constexpr uint64_t kGiB = 1024ull * 1024 * 1024;

HostProbe Host(int cpus, uint64_t mem_gib, uint64_t disk_gib) {
  return HostProbe{cpus, mem_gib * kGiB, disk_gib * kGiB};
}

TEST_CASE("MemTotal is read from /proc/meminfo text", "[resources]") {
  auto total = ParseMeminfoTotal("MemFree:  1 kB\nMemTotal:       24683620 kB\nBuffers: 2 kB\n");
  REQUIRE(total.ok());
  CHECK(*total == 24683620ull * 1024);
  CHECK(ParseMeminfoTotal("MemFree: 1 kB\n").status().message() == "/proc/meminfo: no MemTotal line");
  CHECK_FALSE(ParseMeminfoTotal("MemTotal: lots kB\n").ok());
  CHECK_FALSE(ParseMeminfoTotal("MemTotal: 12 MB\n").ok());
}

TEST_CASE("detected resources leave room for the host (Mesos's rules)", "[resources]") {
  CHECK(DetectedResources(Host(2, 24, 252)).ToString() ==
        "cpus:2;mem:23552;disk:252928;ports:[31000-32000]");
  // Small hosts keep half.
  CHECK(DetectedResources(Host(1, 1, 8)).ToString() == "cpus:1;mem:512;disk:4096;ports:[31000-32000]");
}

TEST_CASE("configured resources override by name; the rest is detected", "[resources]") {
  auto r = AgentResources("cpus:4;ports:[5000-5010]", Host(2, 24, 100));
  REQUIRE(r.ok());
  CHECK(r->ToString() == "cpus:4;ports:[5000-5010];mem:23552;disk:97280");
  // A reserved entry counts as naming the resource.
  r = AgentResources("cpus(ads):3;mem:1024;disk:10", Host(2, 24, 100));
  REQUIRE(r.ok());
  CHECK(r->ToString() == "cpus(ads):3;mem:1024;disk:10;ports:[31000-32000]");
  CHECK(AgentResources("", Host(2, 24, 100))->ToString() == DetectedResources(Host(2, 24, 100)).ToString());
  // Custom resources pass through.
  CHECK(AgentResources("gpus:1", Host(2, 24, 100))->Scalar("gpus") == 1);
}

TEST_CASE("bad --agent.resources names the flag and the entry", "[resources]") {
  auto r = AgentResources("cpus:4;mem:lots", Host(2, 24, 100));
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(r.status().message().find("agent.resources: resource 'mem:lots'") == 0);
  r = AgentResources("mem:0.0001;cpus:1", Host(0, 0, 0));
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("no cpus or no mem") != std::string::npos);
}

TEST_CASE("attributes: text, scalar, ranges, set", "[attributes]") {
  auto a = ParseAttributes(" rack:r1; zone:a;level:3.5;ids:[1-3,7-7];tags:{x,y};;");
  REQUIRE(a.ok());
  REQUIRE(a->size() == 5);
  CHECK((*a)[0].type() == common::v1::Value::TYPE_TEXT);
  CHECK((*a)[0].text().value() == "r1");
  CHECK((*a)[2].type() == common::v1::Value::TYPE_SCALAR);
  CHECK((*a)[2].scalar().value() == 3.5);
  CHECK((*a)[3].type() == common::v1::Value::TYPE_RANGES);
  CHECK((*a)[3].ranges().range_size() == 2);
  CHECK((*a)[4].type() == common::v1::Value::TYPE_SET);
  CHECK((*a)[4].set().item_size() == 2);
  CHECK(AttributesToString(*a) == "rack:r1;zone:a;level:3.5;ids:[1-3,7-7];tags:{x,y}");
  CHECK(ParseAttributes("")->empty());
}

TEST_CASE("bad attributes are refused with the entry quoted", "[attributes]") {
  CHECK(ParseAttributes("rack").status().message() ==
        "attribute 'rack': expected name:value, e.g. rack:r1");
  CHECK(ParseAttributes("rack:").status().message() == "attribute 'rack:': empty value");
  CHECK(ParseAttributes("rack:a;rack:b").status().message() ==
        "attribute 'rack:b': 'rack' is given more than once");
  CHECK(ParseAttributes("ids:[3-1]").status().message() ==
        "attribute 'ids:[3-1]': invalid ranges (expected e.g. [1-3,5-6])");
  CHECK(ParseAttributes("ids:{a,a}").status().message() ==
        "attribute 'ids:{a,a}': invalid set (expected e.g. {a,b})");
  CHECK_FALSE(ParseAttributes("my rack:1").ok());
}

TEST_CASE("the real host can be probed", "[resources]") {
  auto probe = ProbeHost("/");
  REQUIRE(probe.ok());
  CHECK(probe->cpus >= 1);
  CHECK(probe->mem_total_bytes > 0);
  CHECK(probe->disk_total_bytes > 0);
  CHECK(ProbeHost("/no/such/dir").status().message().find("agent.work_dir") != std::string::npos);
}

}  // namespace
}  // namespace dcos::agent
