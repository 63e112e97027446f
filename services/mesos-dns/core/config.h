#pragma once

// What the record set is built from besides the cluster state: the zone, TTLs, SOA fields and
// the naming options of Mesos-DNS's config.json (names in comments; see protos/dns/v1/dns.proto
// DnsConfig, which a driver converts into this).

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/dns/label.h"
#include "libs/dns/message.h"

namespace dcos::dns::core {

// Where a task's own address comes from (`IPSources`), tried in order; the first that yields an
// address wins.
enum class IpSource {
  kNetInfo,  // "netinfo": the container's addresses (TaskStatus.container_status.network_infos)
  kHost,     // "host": the address of the agent the task runs on
};

struct RecordConfig {
  // Zone served authoritatively (`domain`).
  std::string domain = "mesos";
  // TTL of every record, seconds (`ttl`).
  uint32_t ttl = 60;
  // SOA fields (`SOAMname`, `SOARname`, `SOARefresh`, `SOARetry`, `SOAExpire`, `SOAMinttl`).
  // Empty mname/rname: "ns1.<domain>" and "root.ns1.<domain>".
  std::string soa_mname;
  std::string soa_rname;
  uint32_t soa_refresh = 60;
  uint32_t soa_retry = 600;
  uint32_t soa_expire = 86400;
  uint32_t soa_minttl = 60;  // also caps the TTL of negative answers (RFC 2308 §5)
  // SOA serial of the first record set; every later published change adds one. A driver passes
  // e.g. the start time in Unix seconds so serials grow across restarts.
  uint32_t initial_serial = 1;
  // `IPSources`.
  std::vector<IpSource> ip_sources = {IpSource::kNetInfo, IpSource::kHost};
  // SRV weight (`srvRecordDefaultWeight`).
  uint16_t srv_default_weight = 1;
  // RFC 952 labels instead of RFC 1123 (`EnforceRFC952`).
  bool enforce_rfc952 = false;
  // Publish only tasks whose latest health check passed, among tasks that have one.
  bool healthy_only = false;
  // Static master addresses, "ip" or "ip:port" (`masters`): published under master.<domain>
  // and master<N>.<domain> besides the leader.
  std::vector<std::string> masters;
  // Addresses of this server, published as A/AAAA records of the SOA mname when it is inside
  // the domain (Mesos-DNS's listener record).
  std::vector<std::string> self_addresses;
  // Most SRV records made from one task's port resources (a task holding the range 1-65535
  // would otherwise make 131,070 of them).
  size_t max_ports_per_task = 64;
};

// A RecordConfig checked and turned into wire types. Immutable.
struct Zone {
  Name domain;
  uint32_t ttl = 60;
  SoaData soa;  // serial = initial_serial
  LabelRule label_rule = LabelRule::kRfc1123;
  std::vector<IpSource> ip_sources;
  uint16_t srv_default_weight = 1;
  bool healthy_only = false;
  size_t max_ports_per_task = 64;
  std::vector<RData> self_addresses;  // AData / AaaaData
  struct Master {
    RData address;  // AData / AaaaData
    std::string text;  // as configured, "ip" or "ip:port"
  };
  std::vector<Master> masters;
};

// InvalidArgument naming the field: a domain that is not a name, mname/rname not names, an
// address that is not an IPv4/IPv6 literal, TTL 0 is allowed; an empty ip_sources list is not.
absl::StatusOr<Zone> CompileConfig(const RecordConfig& config);

// Parses "10.0.0.1" or "fd00::1" into AData / AaaaData. InvalidArgument otherwise.
absl::StatusOr<RData> ParseAddress(absl::string_view text);

// Splits "ip:port", "[v6]:port", "ip" or "v6" into the address and the port (0 if none).
// InvalidArgument if the address is not an IP literal or the port not 1..65535.
absl::StatusOr<std::pair<RData, uint16_t>> ParseHostPort(absl::string_view text);

}  // namespace dcos::dns::core
