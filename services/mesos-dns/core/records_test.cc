// Tests of record generation: the Mesos-DNS names of a task, an agent, a framework and the
// masters, IP sources, health filtering, DiscoveryInfo, sanitising.

#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <string>

#include "absl/strings/match.h"

#include "libs/dns/wire_test_util.h"
#include "services/mesos-dns/core/records.h"
#include "services/mesos-dns/core/test_util.h"

namespace dcos::dns::core {
namespace {

using testing::MakeTask;
using testing::TaskSpec;

Zone MakeZone(RecordConfig config = {}) {
  absl::StatusOr<Zone> zone = CompileConfig(config);
  REQUIRE(zone.ok());
  return *zone;
}

// "name TYPE data" lines, sorted, for comparing whole record lists.
std::set<std::string> Lines(const std::vector<Record>& records) {
  std::set<std::string> out;
  for (const Record& r : records) {
    out.insert(r.name.ToText() + " " + RRTypeName(r.type) + " " + RDataToText(r.data));
  }
  return out;
}

const RData kAgentIp = AData{{10, 0, 3, 1}};

TaskSpec Spec(const std::string& id, const std::string& name) {
  TaskSpec spec;
  spec.id = id;
  spec.name = name;
  return spec;
}

TEST_CASE("TaskIdHash is Mesos-DNS's: zbase32 of SHA-1, 5 characters") {
  // Reference values computed independently (Python hashlib + the zbase32 alphabet).
  CHECK(TaskIdHash("web.1") == "e844k");
  CHECK(TaskIdHash("app0.0") == "t7qzo");
  CHECK(TaskIdHash("nginx.5a2b3eca-1234") == "za9j7");
  CHECK(TaskIdHash("") == "5eh48");
}

TEST_CASE("AgentIdTail: the last dash-separated field, sanitised") {
  CHECK(AgentIdTail("20160101-abcdef-S12", LabelRule::kRfc1123) == "s12");
  CHECK(AgentIdTail("plain", LabelRule::kRfc1123) == "plain");
  CHECK(AgentIdTail("x-", LabelRule::kRfc1123) == "");
}

TEST_CASE("A running task on the host network: every Mesos-DNS name") {
  Zone zone = MakeZone();
  TaskSpec spec = Spec("web.1", "web");
  spec.port_ranges = {{31000, 31001}};
  std::vector<Record> records = TaskRecords(zone, MakeTask(spec), "marathon", &kAgentIp);
  CHECK(Lines(records) == std::set<std::string>{
                              "web.marathon.mesos. A 10.0.3.1",
                              "web-e844k-s1.marathon.mesos. A 10.0.3.1",
                              "web.marathon.slave.mesos. A 10.0.3.1",
                              "web-e844k-s1.marathon.slave.mesos. A 10.0.3.1",
                              "_web._tcp.marathon.slave.mesos. SRV 0 1 31000 web-e844k-s1.marathon.slave.mesos.",
                              "_web._tcp.marathon.slave.mesos. SRV 0 1 31001 web-e844k-s1.marathon.slave.mesos.",
                              "_web._udp.marathon.slave.mesos. SRV 0 1 31000 web-e844k-s1.marathon.slave.mesos.",
                              "_web._udp.marathon.slave.mesos. SRV 0 1 31001 web-e844k-s1.marathon.slave.mesos.",
                              "_web._tcp.marathon.mesos. SRV 0 1 31000 web-e844k-s1.marathon.slave.mesos.",
                              "_web._tcp.marathon.mesos. SRV 0 1 31001 web-e844k-s1.marathon.slave.mesos.",
                              "_web._udp.marathon.mesos. SRV 0 1 31000 web-e844k-s1.marathon.slave.mesos.",
                              "_web._udp.marathon.mesos. SRV 0 1 31001 web-e844k-s1.marathon.slave.mesos.",
                          });
}

TEST_CASE("A task with a container address: netinfo first, the agent under .slave") {
  Zone zone = MakeZone();
  TaskSpec spec = Spec("web.1", "web");
  spec.container_ips = {"172.17.0.5", "fd00::5", "not-an-ip"};
  std::set<std::string> lines = Lines(TaskRecords(zone, MakeTask(spec), "marathon", &kAgentIp));
  CHECK(lines.count("web.marathon.mesos. A 172.17.0.5"));
  CHECK(lines.count("web.marathon.mesos. AAAA fd00:0:0:0:0:0:0:5"));
  CHECK(lines.count("web-e844k-s1.marathon.mesos. A 172.17.0.5"));
  CHECK_FALSE(lines.count("web.marathon.mesos. A 10.0.3.1"));
  CHECK(lines.count("web.marathon.slave.mesos. A 10.0.3.1"));

  SECTION("with IPSources [host] the container address is ignored") {
    RecordConfig config;
    config.ip_sources = {IpSource::kHost};
    lines = Lines(TaskRecords(MakeZone(config), MakeTask(spec), "marathon", &kAgentIp));
    CHECK(lines.count("web.marathon.mesos. A 10.0.3.1"));
    CHECK_FALSE(lines.count("web.marathon.mesos. A 172.17.0.5"));
  }
  SECTION("with IPSources [netinfo] and no container address there is no task A record") {
    RecordConfig config;
    config.ip_sources = {IpSource::kNetInfo};
    spec.container_ips.clear();
    lines = Lines(TaskRecords(MakeZone(config), MakeTask(spec), "marathon", &kAgentIp));
    CHECK_FALSE(lines.count("web.marathon.mesos. A 10.0.3.1"));
    CHECK(lines.count("web.marathon.slave.mesos. A 10.0.3.1"));
  }
}

TEST_CASE("Only RUNNING tasks are published") {
  Zone zone = MakeZone();
  for (auto state : {common::v1::TASK_STAGING, common::v1::TASK_STARTING,
                     common::v1::TASK_KILLING, common::v1::TASK_FINISHED,
                     common::v1::TASK_UNREACHABLE, common::v1::TASK_LOST}) {
    TaskSpec spec = Spec("web.1", "web");
    spec.state = state;
    INFO(state);
    CHECK(TaskRecords(zone, MakeTask(spec), "marathon", &kAgentIp).empty());
  }
}

TEST_CASE("healthy_only: tasks with a health check need healthy=true") {
  RecordConfig config;
  config.healthy_only = true;
  Zone zone = MakeZone(config);
  TaskSpec spec = Spec("web.1", "web");
  CHECK_FALSE(TaskRecords(zone, MakeTask(spec), "marathon", &kAgentIp).empty());  // no check
  spec.health_check = true;
  CHECK(TaskRecords(zone, MakeTask(spec), "marathon", &kAgentIp).empty());  // not yet checked
  spec.healthy = false;
  CHECK(TaskRecords(zone, MakeTask(spec), "marathon", &kAgentIp).empty());
  spec.healthy = true;
  CHECK_FALSE(TaskRecords(zone, MakeTask(spec), "marathon", &kAgentIp).empty());
  // Without healthy_only health does not matter.
  spec.healthy = false;
  CHECK_FALSE(TaskRecords(MakeZone(), MakeTask(spec), "marathon", &kAgentIp).empty());
}

TEST_CASE("DiscoveryInfo: its name, its ports (task address), named ports, visibility") {
  Zone zone = MakeZone();
  TaskSpec spec = Spec("web.1", "ignored");
  spec.discovery_name = "Web";
  spec.port_ranges = {{31000, 31000}};
  spec.discovery_ports = {{8080, "http", ""}, {53, "", "udp"}};
  std::set<std::string> lines = Lines(TaskRecords(zone, MakeTask(spec), "marathon", &kAgentIp));
  CHECK(lines.count("web.marathon.mesos. A 10.0.3.1"));
  CHECK(lines.count("_web._tcp.marathon.mesos. SRV 0 1 8080 web-e844k-s1.marathon.mesos."));
  CHECK(lines.count("_http._web._tcp.marathon.mesos. SRV 0 1 8080 web-e844k-s1.marathon.mesos."));
  CHECK(lines.count("_web._udp.marathon.mesos. SRV 0 1 53 web-e844k-s1.marathon.mesos."));
  // Resource ports still give the .slave SRV records, but not the plain ones.
  CHECK(lines.count(
      "_web._tcp.marathon.slave.mesos. SRV 0 1 31000 web-e844k-s1.marathon.slave.mesos."));
  CHECK_FALSE(lines.count(
      "_web._tcp.marathon.mesos. SRV 0 1 31000 web-e844k-s1.marathon.slave.mesos."));

  spec.framework_only = true;
  CHECK(TaskRecords(zone, MakeTask(spec), "marathon", &kAgentIp).empty());
}

TEST_CASE("Marathon group paths stay dotted; labels are sanitised") {
  Zone zone = MakeZone();
  TaskSpec spec = Spec("baz.1", "Baz.Bar.Foo");
  spec.port_ranges = {{80, 80}};
  std::set<std::string> lines =
      Lines(TaskRecords(zone, MakeTask(spec), "My_Marathon", &kAgentIp));
  const std::string c = "baz-" + TaskIdHash("baz.1") + "-s1";
  CHECK(lines.count("baz.bar.foo.my-marathon.mesos. A 10.0.3.1"));
  CHECK(lines.count(c + ".bar.foo.my-marathon.mesos. A 10.0.3.1"));
  CHECK(lines.count("_baz.bar.foo._tcp.my-marathon.mesos. SRV 0 1 80 " + c +
                    ".bar.foo.my-marathon.slave.mesos."));
  // A name that sanitises to nothing gets no records.
  spec.name = "___";
  CHECK(TaskRecords(zone, MakeTask(spec), "marathon", &kAgentIp).empty());
  spec.name = "web";
  CHECK(TaskRecords(zone, MakeTask(spec), "!!!", &kAgentIp).empty());
}

TEST_CASE("Long names: the canonical label is cut to 63 bytes, over-long names are skipped") {
  Zone zone = MakeZone();
  TaskSpec spec = Spec("x", std::string(80, 'a'));
  std::vector<Record> records = TaskRecords(zone, MakeTask(spec), "marathon", &kAgentIp);
  REQUIRE_FALSE(records.empty());
  for (const Record& r : records) {
    for (absl::string_view label : r.name.labels()) CHECK(label.size() <= 63);
  }
  // A framework name of 200 bytes in 4 labels: every task name would pass 255 bytes.
  std::string f = std::string(63, 'f') + "." + std::string(63, 'g') + "." +
                  std::string(63, 'h') + "." + std::string(10, 'i');
  CHECK(TaskRecords(zone, MakeTask(spec), f, &kAgentIp).empty());
}

TEST_CASE("Ports: at most max_ports_per_task from a huge range; port 0 skipped") {
  RecordConfig config;
  config.max_ports_per_task = 3;
  Zone zone = MakeZone(config);
  TaskSpec spec = Spec("x", "big");
  spec.port_ranges = {{0, 65535}};
  std::vector<Record> records = TaskRecords(zone, MakeTask(spec), "marathon", &kAgentIp);
  size_t srv = std::count_if(records.begin(), records.end(),
                             [](const Record& r) { return r.type == RRType::kSRV; });
  CHECK(srv == 3 * 4);  // ports 1..3, _tcp/_udp, plain and .slave
}

TEST_CASE("Unknown agent: no agent-side records, no host address") {
  Zone zone = MakeZone();
  TaskSpec spec = Spec("web.1", "web");
  CHECK(TaskRecords(zone, MakeTask(spec), "marathon", nullptr).empty());
  spec.container_ips = {"172.17.0.5"};
  CHECK(Lines(TaskRecords(zone, MakeTask(spec), "marathon", nullptr)) ==
        std::set<std::string>{"web.marathon.mesos. A 172.17.0.5",
                              "web-e844k-s1.marathon.mesos. A 172.17.0.5"});
}

TEST_CASE("Agent records: slave.<domain> and _slave._tcp, not for unreachable agents") {
  Zone zone = MakeZone();
  CHECK(Lines(AgentRecords(zone, testing::MakeAgent("a-S1", "10.0.3.1"))) ==
        std::set<std::string>{"slave.mesos. A 10.0.3.1",
                              "_slave._tcp.mesos. SRV 0 1 5051 slave.mesos."});
  CHECK(AgentRecords(zone, testing::MakeAgent("a-S1", "10.0.3.1", 5051,
                                              master::v1::Agent::STATE_UNREACHABLE))
            .empty());
  CHECK(AgentRecords(zone, testing::MakeAgent("a-S1", "agent-1.example.com")).empty());
}

TEST_CASE("Framework records: <framework>.<domain> when the host is an IP") {
  Zone zone = MakeZone();
  CHECK(Lines(FrameworkRecords(zone, testing::MakeFramework("f", "Marathon", "10.1.0.2")
                                         .framework_info())) ==
        std::set<std::string>{"marathon.mesos. A 10.1.0.2"});
  CHECK(FrameworkRecords(zone, testing::MakeFramework("f", "marathon", "m1.example.com")
                                   .framework_info())
            .empty());
}

TEST_CASE("Master records: leader, master, masterN, _leader SRV") {
  RecordConfig config;
  config.masters = {"10.1.0.1:5050", "10.1.0.2"};
  Zone zone = MakeZone(config);
  common::v1::MasterInfo leader = testing::MakeLeader("10.1.0.2");
  CHECK(Lines(MasterRecords(zone, &leader)) ==
        std::set<std::string>{"leader.mesos. A 10.1.0.2", "master.mesos. A 10.1.0.1",
                              "master.mesos. A 10.1.0.2", "master0.mesos. A 10.1.0.1",
                              "master1.mesos. A 10.1.0.2",
                              "_leader._tcp.mesos. SRV 0 1 5050 leader.mesos.",
                              "_leader._udp.mesos. SRV 0 1 5050 leader.mesos."});
  common::v1::MasterInfo other = testing::MakeLeader("10.1.0.9");
  CHECK(Lines(MasterRecords(zone, &other)).count("master2.mesos. A 10.1.0.9"));
  CHECK(Lines(MasterRecords(zone, nullptr)).size() == 4);  // static masters only
}

TEST_CASE("Zone records: NS and the server's own address") {
  RecordConfig config;
  config.self_addresses = {"127.0.5.1"};
  CHECK(Lines(ZoneRecords(MakeZone(config))) ==
        std::set<std::string>{"mesos. NS ns1.mesos.", "ns1.mesos. A 127.0.5.1"});
  config.soa_mname = "ns.example.com";
  CHECK(Lines(ZoneRecords(MakeZone(config))) ==
        std::set<std::string>{"mesos. NS ns.example.com."});
}

TEST_CASE("CompileConfig: errors name the field") {
  RecordConfig config;
  config.domain = "a..b";
  CHECK(absl::StrContains(CompileConfig(config).status().message(), "domain"));
  config = RecordConfig{};
  config.masters = {"10.0.0.1", "nope"};
  CHECK(absl::StrContains(CompileConfig(config).status().message(), "masters[1]"));
  config = RecordConfig{};
  config.self_addresses = {"10.0.0.300"};
  CHECK(absl::StrContains(CompileConfig(config).status().message(), "self_addresses[0]"));
  config = RecordConfig{};
  config.ip_sources.clear();
  CHECK(absl::StrContains(CompileConfig(config).status().message(), "ip_sources"));
  config = RecordConfig{};
  config.domain = "DCOS.Example";
  absl::StatusOr<Zone> zone = CompileConfig(config);
  REQUIRE(zone.ok());
  CHECK(zone->domain.ToText() == "dcos.example.");
  CHECK(zone->soa.mname.ToText() == "ns1.dcos.example.");
  CHECK(zone->soa.rname.ToText() == "root.ns1.dcos.example.");
}

TEST_CASE("ParseHostPort") {
  CHECK(ParseHostPort("10.0.0.1:5050")->second == 5050);
  CHECK(ParseHostPort("10.0.0.1")->second == 0);
  CHECK(ParseHostPort("[fd00::1]:53")->second == 53);
  CHECK(ParseHostPort("fd00::1").ok());
  CHECK_FALSE(ParseHostPort("10.0.0.1:0").ok());
  CHECK_FALSE(ParseHostPort("10.0.0.1:70000").ok());
  CHECK_FALSE(ParseHostPort("host:53").ok());
  CHECK_FALSE(ParseHostPort("[fd00::1").ok());
}

}  // namespace
}  // namespace dcos::dns::core
