#pragma once

// dcos-dns's configuration: the `dns.*` fields (Mesos-DNS's config.json, as in
// protos/dns/v1/dns.proto's DnsConfig), registered on the runtime's config schema, checked
// field by field there (a bad value exits 2 naming the field), then compiled into what the
// driver, the DNS server and the forwarder take (cross-field errors name the fields too).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/config/config.h"
#include "protos/dns/v1/dns.pb.h"
#include "services/mesos-dns/driver/dns_driver.h"
#include "services/mesos-dns/server/ares_forwarder.h"
#include "services/mesos-dns/server/dns_server.h"

namespace dcos::dns {

struct DnsFlags {
  std::string domain = "mesos";                                 // dns.domain
  absl::Duration ttl = absl::Seconds(60);                       // dns.ttl
  std::vector<std::string> zk;                                  // dns.zk
  std::string zk_path = "/mesos";                               // dns.zk_path
  absl::Duration zk_session_timeout = absl::Seconds(10);        // dns.zk_session_timeout
  std::vector<std::string> masters;                             // dns.masters
  std::string listener = "0.0.0.0";                             // dns.listener
  int64_t port = 0;             // dns.port; 0 here: 53 as root, 8053 otherwise (DefaultPort)
  int64_t udp_threads = 2;                                      // dns.udp_threads
  int64_t tcp_max_connections = 1024;                           // dns.tcp_max_connections
  absl::Duration tcp_idle_timeout = absl::Seconds(10);          // dns.tcp_idle_timeout
  bool forwarding_enabled = true;                               // dns.forwarding_enabled
  std::vector<std::string> resolvers;   // dns.resolvers; empty: /etc/resolv.conf's nameservers
  absl::Duration upstream_timeout = absl::Seconds(5);           // dns.upstream_timeout
  bool recursion_available = true;                              // dns.recursion_available
  std::string soa_mname;                                        // dns.soa_mname
  std::string soa_rname;                                        // dns.soa_rname
  absl::Duration soa_refresh = absl::Seconds(60);               // dns.soa_refresh
  absl::Duration soa_retry = absl::Seconds(600);                // dns.soa_retry
  absl::Duration soa_expire = absl::Seconds(86400);             // dns.soa_expire
  absl::Duration soa_minttl = absl::Seconds(60);                // dns.soa_minttl
  std::vector<std::string> ip_sources = {"netinfo", "host"};    // dns.ip_sources
  int64_t srv_default_weight = 1;                               // dns.srv_default_weight
  bool enforce_rfc952 = false;                                  // dns.enforce_rfc952
  bool set_truncate_bit = true;                                 // dns.set_truncate_bit
  bool enumeration_enabled = true;                              // dns.enumeration_enabled
  bool healthy_only = false;                                    // dns.healthy_only
  absl::Duration refresh = absl::ZeroDuration();                // dns.refresh
  int64_t max_udp_payload = 1232;                               // dns.max_udp_payload
};

// 53 when running as root, else 8053 (Mesos-DNS's port, and the unprivileged one).
int64_t DefaultPort();

// Registers the dns.* fields with their defaults (dns.port gets DefaultPort()) and per-field
// checks.
void RegisterDnsConfig(config::Schema& schema, DnsFlags* flags);

struct CompiledConfig {
  driver::DriverOptions driver;
  server::DnsServerOptions server;
  // Set iff names outside the domain are forwarded.
  std::optional<server::AresForwarderOptions> forwarder;
  bool enumeration_enabled = true;
  // The effective configuration, as GetConfig reports it.
  v1::DnsConfig proto;
};

// Checks what spans fields and builds the options. `resolv_conf`: the text of
// /etc/resolv.conf, read for nameservers when dns.resolvers is empty. `now`: the SOA serial
// starts at its Unix seconds. InvalidArgument naming the field ("dns.masters[1]: ...").
absl::StatusOr<CompiledConfig> CompileDnsConfig(const DnsFlags& flags,
                                                absl::string_view resolv_conf, absl::Time now);

// The nameserver addresses of resolv.conf text, in order.
std::vector<std::string> ResolvConfNameservers(absl::string_view text);

}  // namespace dcos::dns
