// Tests of dcos-dns's configuration: defaults, per-field errors naming the field (and leaving
// the value unchanged), cross-field errors when compiling, resolv.conf parsing, and the
// effective config GetConfig reports.

#include <catch2/catch.hpp>

#include "libs/config/config.h"
#include "services/mesos-dns/dns_config.h"

namespace dcos::dns {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1767225600);

struct Fixture {
  DnsFlags flags;
  config::Schema schema;
  Fixture() { RegisterDnsConfig(schema, &flags); }

  absl::Status Set(const std::string& field, const std::string& value) {
    return schema.Set(field, value, "flag --" + field);
  }
};

TEST_CASE("dns config: defaults compile once a master is named") {
  Fixture f;
  CHECK(f.flags.port == DefaultPort());
  CHECK(CompileDnsConfig(f.flags, "nameserver 10.0.0.2\n", kNow).status().message() ==
        "dns.zk, dns.masters: both empty; dcos-dns needs a master to follow");
  REQUIRE(f.Set("dns.masters", "10.0.2.1:5050,10.0.2.2:5050").ok());
  absl::StatusOr<CompiledConfig> c = CompileDnsConfig(f.flags, "nameserver 10.0.0.2\n", kNow);
  REQUIRE(c.ok());
  CHECK(c->driver.records.domain == "mesos");
  CHECK(c->driver.records.ttl == 60);
  CHECK(c->driver.records.initial_serial == 1767225600u);
  CHECK(c->driver.records.masters.size() == 2);
  CHECK(c->driver.records.self_addresses.empty());  // 0.0.0.0 is no address to publish
  CHECK(c->driver.follower.static_masters.size() == 2);
  CHECK(c->driver.zk.empty());
  CHECK(c->server.ip == "0.0.0.0");
  CHECK(c->server.udp_threads == 2);
  REQUIRE(c->forwarder.has_value());
  CHECK(c->forwarder->resolvers == std::vector<std::string>{"10.0.0.2"});
  CHECK(c->forwarder->timeout_per_resolver == absl::Seconds(5));
  CHECK(c->proto.domain() == "mesos");
  CHECK(c->proto.soa_mname() == "ns1.mesos");
  CHECK(c->proto.soa_rname() == "root.ns1.mesos");
  CHECK(c->proto.ttl().seconds() == 60);
  CHECK(c->proto.resolvers_size() == 1);
  CHECK(c->proto.zk_path() == "/mesos");
}

TEST_CASE("dns config: every field reaches its option") {
  Fixture f;
  REQUIRE(f.schema
              .LoadYamlString(R"(
dns:
  domain: Cluster.Example
  ttl: 5s
  zk: [127.0.1.1:2181, 127.0.1.2:2181]
  zk_path: /mesos-a
  listener: 127.0.5.1
  port: 8053
  udp_threads: 3
  forwarding_enabled: true
  resolvers: [127.0.0.1:1053, 10.0.0.3]
  upstream_timeout: 300ms
  recursion_available: false
  soa_mname: ns.cluster.example
  soa_minttl: 10s
  ip_sources: [host]
  srv_default_weight: 7
  enforce_rfc952: true
  set_truncate_bit: false
  enumeration_enabled: false
  healthy_only: true
  refresh: 1m
  max_udp_payload: 4096
)",
                              "test.yaml")
              .ok());
  absl::StatusOr<CompiledConfig> c = CompileDnsConfig(f.flags, "", kNow);
  REQUIRE(c.ok());
  const auto& r = c->driver.records;
  CHECK(r.domain == "Cluster.Example");
  CHECK(r.ttl == 5);
  CHECK(r.soa_minttl == 10);
  CHECK(r.ip_sources == std::vector<core::IpSource>{core::IpSource::kHost});
  CHECK(r.srv_default_weight == 7);
  CHECK(r.enforce_rfc952);
  CHECK(r.healthy_only);
  CHECK(r.self_addresses == std::vector<std::string>{"127.0.5.1"});
  CHECK(c->driver.zk.size() == 2);
  CHECK(c->driver.zk_leader.election_path == "/mesos-a/leader");
  CHECK(c->driver.follower.refresh == absl::Minutes(1));
  CHECK(c->server.port == 8053);
  CHECK(c->server.udp_threads == 3);
  CHECK_FALSE(c->server.responder.recursion_available);
  CHECK_FALSE(c->server.responder.set_truncate_bit);
  CHECK(c->server.responder.max_udp_payload == 4096);
  CHECK(c->forwarder->resolvers.size() == 2);
  CHECK(c->forwarder->timeout_per_resolver == absl::Milliseconds(300));
  CHECK_FALSE(c->enumeration_enabled);
  CHECK(c->proto.zk() == "127.0.1.1:2181,127.0.1.2:2181");
  CHECK(c->proto.refresh().seconds() == 60);
  CHECK(c->proto.upstream_timeout().nanos() == 300000000);
}

TEST_CASE("dns config: a bad value names its field and changes nothing") {
  Fixture f;
  struct Bad {
    const char* field;
    const char* value;
    const char* says;
  };
  for (const Bad& bad : {
           Bad{"dns.domain", "a..b", "dns.domain"},
           Bad{"dns.masters", "10.0.0.1", "needs a port"},
           Bad{"dns.masters", "master-1:5050", "not an IP address"},
           Bad{"dns.zk", "nohost", "dns.zk"},
           Bad{"dns.zk_path", "mesos", "must start with /"},
           Bad{"dns.listener", "localhost", "not an IP address"},
           Bad{"dns.port", "70000", "out of range"},
           Bad{"dns.udp_threads", "0", "out of range"},
           Bad{"dns.resolvers", "10.0.0.1:99999", "bad port"},
           Bad{"dns.ip_sources", "netinfo,docker", "docker"},
           Bad{"dns.max_udp_payload", "100", "out of range"},
           Bad{"dns.ttl", "-1s", "dns.ttl"},
       }) {
    INFO(bad.field << "=" << bad.value);
    absl::Status s = f.Set(bad.field, bad.value);
    REQUIRE_FALSE(s.ok());
    CHECK(std::string(s.message()).find(bad.field) != std::string::npos);
    CHECK(std::string(s.message()).find(bad.says) != std::string::npos);
  }
  CHECK(f.flags.domain == "mesos");
  CHECK(f.flags.masters.empty());
  CHECK(f.flags.ip_sources == std::vector<std::string>{"netinfo", "host"});
}

TEST_CASE("dns config: resolvers from resolv.conf, and never this server itself") {
  CHECK(ResolvConfNameservers("# comment\nnameserver 10.0.0.2\nsearch x\n  nameserver\t::1 # v6\n"
                              "nameserverx 1.1.1.1\nnameserver not-an-ip\n") ==
        std::vector<std::string>{"10.0.0.2", "::1"});
  Fixture f;
  REQUIRE(f.Set("dns.masters", "10.0.2.1:5050").ok());
  absl::Status none = CompileDnsConfig(f.flags, "search example\n", kNow).status();
  CHECK(none.message().find("dns.resolvers: empty") != absl::string_view::npos);
  REQUIRE(f.Set("dns.forwarding_enabled", "false").ok());
  absl::StatusOr<CompiledConfig> off = CompileDnsConfig(f.flags, "", kNow);
  REQUIRE(off.ok());
  CHECK_FALSE(off->forwarder.has_value());
  CHECK_FALSE(off->server.responder.forwarding_enabled);

  REQUIRE(f.Set("dns.forwarding_enabled", "true").ok());
  REQUIRE(f.Set("dns.port", "53").ok());
  absl::Status loop = CompileDnsConfig(f.flags, "nameserver 127.0.0.1\n", kNow).status();
  CHECK(loop.message().find("dns.resolvers[0]") != absl::string_view::npos);
  CHECK(loop.message().find("would loop") != absl::string_view::npos);
  REQUIRE(f.Set("dns.listener", "127.0.5.1").ok());
  REQUIRE(f.Set("dns.port", "8053").ok());
  CHECK_FALSE(CompileDnsConfig(f.flags, "", kNow).ok());  // resolv.conf empty
  REQUIRE(f.Set("dns.resolvers", "10.0.0.9,127.0.5.1:8053").ok());
  absl::Status self = CompileDnsConfig(f.flags, "", kNow).status();
  CHECK(self.message().find("dns.resolvers[1]") != absl::string_view::npos);
  REQUIRE(f.Set("dns.resolvers", "127.0.5.1:53").ok());
  CHECK(CompileDnsConfig(f.flags, "", kNow).ok());
}

TEST_CASE("dns config: SOA names are checked against the domain") {
  Fixture f;
  REQUIRE(f.Set("dns.masters", "10.0.2.1:5050").ok());
  // A domain of 249 bytes: ns1.<domain> fits, root.ns1.<domain> does not.
  REQUIRE(f.Set("dns.domain", std::string(61, 'a') + "." + std::string(61, 'b') + "." +
                                  std::string(61, 'c') + "." + std::string(61, 'd'))
              .ok());
  absl::Status s = CompileDnsConfig(f.flags, "nameserver 10.0.0.2", kNow).status();
  CHECK(s.message().find("dns.soa_mname") == 0);
  REQUIRE(f.Set("dns.soa_rname", "hostmaster.example").ok());
  CHECK(CompileDnsConfig(f.flags, "nameserver 10.0.0.2", kNow).ok());
}

}  // namespace
}  // namespace dcos::dns
