#include "services/mesos-dns/dns_config.h"

#include <unistd.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "libs/config/host_port.h"
#include "services/mesos-dns/core/config.h"

namespace dcos::dns {
namespace {

constexpr absl::Duration kMaxTtl = absl::Seconds(2147483647);

// Each comma-separated element of a list field's text through `check`.
std::function<absl::Status(absl::string_view)> Each(
    std::function<absl::Status(absl::string_view)> check) {
  return [check](absl::string_view list) -> absl::Status {
    if (list.empty()) return absl::OkStatus();
    for (absl::string_view element : absl::StrSplit(list, ',')) {
      absl::Status s = check(element);
      if (!s.ok()) return absl::InvalidArgumentError(absl::StrCat("\"", element, "\": ",
                                                                  s.message()));
    }
    return absl::OkStatus();
  };
}

absl::Status IsName(absl::string_view text) {
  if (text.empty()) return absl::OkStatus();
  absl::StatusOr<Name> name = Name::FromText(text);
  if (!name.ok()) return name.status();
  if (name->IsRoot()) return absl::InvalidArgumentError("must not be the root");
  return absl::OkStatus();
}

absl::Status IsIpPort(absl::string_view text) {
  absl::StatusOr<std::pair<RData, uint16_t>> hp = core::ParseHostPort(text);
  if (!hp.ok()) return hp.status();
  if (hp->second == 0) return absl::InvalidArgumentError("needs a port (ip:port)");
  return absl::OkStatus();
}

absl::Status IsIpMaybePort(absl::string_view text) {
  return core::ParseHostPort(text).status();
}

absl::Status IsIp(absl::string_view text) { return core::ParseAddress(text).status(); }

uint32_t Seconds(absl::Duration d) {
  return static_cast<uint32_t>(absl::ToInt64Seconds(d));
}

google::protobuf::Duration ToProto(absl::Duration d) {
  google::protobuf::Duration out;
  out.set_seconds(absl::ToInt64Seconds(d));
  out.set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(d % absl::Seconds(1))));
  return out;
}

// "ns1.mesos" (no trailing dot).
std::string NameText(const Name& name) {
  std::string text = name.ToText();
  if (text.size() > 1 && text.back() == '.') text.pop_back();
  return text;
}

bool IsWildcard(const std::string& ip) { return ip == "0.0.0.0" || ip == "::"; }

bool IsLoopback(const RData& address) {
  if (const auto* a = std::get_if<AData>(&address)) return a->address[0] == 127;
  if (const auto* aaaa = std::get_if<AaaaData>(&address)) {
    for (size_t i = 0; i < 15; ++i) {
      if (aaaa->address[i] != 0) return false;
    }
    return aaaa->address[15] == 1;
  }
  return false;
}

}  // namespace

int64_t DefaultPort() { return geteuid() == 0 ? 53 : 8053; }

std::vector<std::string> ResolvConfNameservers(absl::string_view text) {
  std::vector<std::string> out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (!absl::ConsumePrefix(&line, "nameserver")) continue;
    if (line.empty() || !absl::ascii_isspace(static_cast<unsigned char>(line[0]))) continue;
    line = absl::StripAsciiWhitespace(line);
    std::string address(line.substr(0, line.find_first_of(" \t#;")));
    if (IsIp(address).ok()) out.push_back(address);
  }
  return out;
}

void RegisterDnsConfig(config::Schema& schema, DnsFlags* f) {
  if (f->port == 0) f->port = DefaultPort();
  schema.String("dns.domain", &f->domain, "zone served authoritatively (Mesos-DNS `domain`)")
      .Required()
      .Check(IsName);
  schema.Duration("dns.ttl", &f->ttl, "TTL of every record (`ttl`)")
      .DurationRange(absl::ZeroDuration(), kMaxTtl);
  schema.StringList("dns.zk", &f->zk,
                    "dcos-zk members (host:port,...) to find the leading master (`zk`); empty: "
                    "only dns.masters")
      .Check(Each(config::ValidateHostPort));
  schema.String("dns.zk_path", &f->zk_path,
                "dcos-zk directory of the masters (their election is under <zk_path>/leader)")
      .Check([](absl::string_view p) {
        return absl::StartsWith(p, "/") ? absl::OkStatus()
                                        : absl::InvalidArgumentError("must start with /");
      });
  schema.Duration("dns.zk_session_timeout", &f->zk_session_timeout, "dcos-zk session timeout")
      .DurationRange(absl::Milliseconds(100), absl::Minutes(10));
  schema.StringList("dns.masters", &f->masters,
                    "static masters ip:port,... (`masters`): the fallback when dcos-zk is not "
                    "used or knows no leader; published under master.<domain>")
      .Check(Each(IsIpPort));
  schema.String("dns.listener", &f->listener, "DNS listen address, an IP literal (`listener`)")
      .Check(IsIp);
  schema.Int("dns.port", &f->port, "DNS port, UDP and TCP (`port`; 0: any free port)")
      .Range(0, 65535);
  schema.Int("dns.udp_threads", &f->udp_threads, "UDP threads (SO_REUSEPORT sockets)")
      .Range(1, 64);
  schema.Int("dns.tcp_max_connections", &f->tcp_max_connections, "open DNS TCP connections")
      .Range(1, 1 << 20);
  schema.Duration("dns.tcp_idle_timeout", &f->tcp_idle_timeout,
                  "DNS TCP connections idle this long are closed")
      .DurationRange(absl::Milliseconds(100), absl::Hours(1));
  schema.Bool("dns.forwarding_enabled", &f->forwarding_enabled,
              "forward names outside the domain to dns.resolvers (`externalon`); else REFUSED");
  schema.StringList("dns.resolvers", &f->resolvers,
                    "upstream resolvers ip or ip:port,... tried in order (`resolvers`); empty: "
                    "the nameservers of /etc/resolv.conf")
      .Check(Each(IsIpMaybePort));
  schema.Duration("dns.upstream_timeout", &f->upstream_timeout,
                  "time one upstream resolver gets before the next is asked (`timeout`)")
      .DurationRange(absl::Milliseconds(10), absl::Minutes(1));
  schema.Bool("dns.recursion_available", &f->recursion_available, "RA in answers (`recurseon`)");
  schema.String("dns.soa_mname", &f->soa_mname, "SOA MNAME (`SOAMname`); empty: ns1.<domain>")
      .Check(IsName);
  schema.String("dns.soa_rname", &f->soa_rname,
                "SOA RNAME (`SOARname`); empty: root.<soa_mname>")
      .Check(IsName);
  schema.Duration("dns.soa_refresh", &f->soa_refresh, "SOA REFRESH (`SOARefresh`)")
      .DurationRange(absl::ZeroDuration(), kMaxTtl);
  schema.Duration("dns.soa_retry", &f->soa_retry, "SOA RETRY (`SOARetry`)")
      .DurationRange(absl::ZeroDuration(), kMaxTtl);
  schema.Duration("dns.soa_expire", &f->soa_expire, "SOA EXPIRE (`SOAExpire`)")
      .DurationRange(absl::ZeroDuration(), kMaxTtl);
  schema.Duration("dns.soa_minttl", &f->soa_minttl,
                  "SOA MINIMUM (`SOAMinttl`), also the TTL cap of negative answers")
      .DurationRange(absl::ZeroDuration(), kMaxTtl);
  schema.StringList("dns.ip_sources", &f->ip_sources,
                    "where a task's address comes from, in order (`IPSources`)")
      .Required()
      .OneOf({"netinfo", "host"});
  schema.Int("dns.srv_default_weight", &f->srv_default_weight,
             "SRV weight (`srvRecordDefaultWeight`)")
      .Range(0, 65535);
  schema.Bool("dns.enforce_rfc952", &f->enforce_rfc952, "RFC 952 labels (`EnforceRFC952`)");
  schema.Bool("dns.set_truncate_bit", &f->set_truncate_bit,
              "TC on UDP answers that do not fit (`SetTruncateBit`)");
  schema.Bool("dns.enumeration_enabled", &f->enumeration_enabled,
              "serve the Enumerate call (`enumerationOn`)");
  schema.Bool("dns.healthy_only", &f->healthy_only,
              "publish only tasks whose health checks pass (tasks without checks always)");
  schema.Duration("dns.refresh", &f->refresh,
                  "re-subscribe to the master (a full resynchronisation) this often; 0: never "
                  "(records follow the event stream regardless)")
      .DurationRange(absl::ZeroDuration(), absl::Hours(24));
  schema.Int("dns.max_udp_payload", &f->max_udp_payload,
             "largest UDP answer to EDNS0 clients, and the size advertised")
      .Range(512, 4096);
}

absl::StatusOr<CompiledConfig> CompileDnsConfig(const DnsFlags& f, absl::string_view resolv_conf,
                                                absl::Time now) {
  CompiledConfig c;
  if (f.zk.empty() && f.masters.empty()) {
    return absl::InvalidArgumentError(
        "dns.zk, dns.masters: both empty; dcos-dns needs a master to follow");
  }
  core::RecordConfig& r = c.driver.records;
  r.domain = f.domain;
  r.ttl = Seconds(f.ttl);
  r.soa_mname = f.soa_mname;
  r.soa_rname = f.soa_rname;
  r.soa_refresh = Seconds(f.soa_refresh);
  r.soa_retry = Seconds(f.soa_retry);
  r.soa_expire = Seconds(f.soa_expire);
  r.soa_minttl = Seconds(f.soa_minttl);
  r.initial_serial = static_cast<uint32_t>(absl::ToUnixSeconds(now));
  r.ip_sources.clear();
  for (const std::string& s : f.ip_sources) {
    r.ip_sources.push_back(s == "host" ? core::IpSource::kHost : core::IpSource::kNetInfo);
  }
  r.srv_default_weight = static_cast<uint16_t>(f.srv_default_weight);
  r.enforce_rfc952 = f.enforce_rfc952;
  r.healthy_only = f.healthy_only;
  r.masters = f.masters;
  if (!IsWildcard(f.listener)) r.self_addresses = {f.listener};
  absl::StatusOr<core::Zone> zone = core::CompileConfig(r);
  if (!zone.ok()) return absl::InvalidArgumentError(absl::StrCat("dns.", zone.status().message()));

  c.driver.follower.static_masters = f.masters;
  c.driver.follower.refresh = f.refresh;
  c.driver.zk = f.zk;
  c.driver.zk_leader.election_path = absl::StrCat(f.zk_path == "/" ? "" : f.zk_path, "/leader");
  c.driver.zk_leader.session_timeout = f.zk_session_timeout;

  c.server.ip = f.listener;
  c.server.port = static_cast<uint16_t>(f.port);
  c.server.udp_threads = static_cast<int>(f.udp_threads);
  c.server.tcp.max_connections = static_cast<int>(f.tcp_max_connections);
  c.server.tcp.idle_timeout = f.tcp_idle_timeout;
  c.server.responder.forwarding_enabled = f.forwarding_enabled;
  c.server.responder.recursion_available = f.recursion_available;
  c.server.responder.set_truncate_bit = f.set_truncate_bit;
  c.server.responder.max_udp_payload = static_cast<uint16_t>(f.max_udp_payload);

  std::vector<std::string> resolvers = f.resolvers;
  if (f.forwarding_enabled) {
    if (resolvers.empty()) resolvers = ResolvConfNameservers(resolv_conf);
    if (resolvers.empty()) {
      return absl::InvalidArgumentError(
          "dns.resolvers: empty, and /etc/resolv.conf names no nameserver (set "
          "dns.resolvers, or dns.forwarding_enabled=false)");
    }
    for (size_t i = 0; i < resolvers.size(); ++i) {
      absl::StatusOr<std::pair<RData, uint16_t>> hp = core::ParseHostPort(resolvers[i]);
      if (!hp.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("dns.resolvers[", i, "]: ", hp.status().message()));
      }
      const uint16_t port = hp->second == 0 ? 53 : hp->second;
      absl::StatusOr<RData> listener = core::ParseAddress(f.listener);
      const bool same_host = (listener.ok() && *listener == hp->first) ||
                             (IsWildcard(f.listener) && IsLoopback(hp->first));
      if (port == f.port && same_host) {
        return absl::InvalidArgumentError(absl::StrCat(
            "dns.resolvers[", i, "]: \"", resolvers[i],
            "\" is this server itself (dns.listener, dns.port): forwarding would loop"));
      }
    }
    server::AresForwarderOptions fo;
    fo.resolvers = resolvers;
    fo.timeout_per_resolver = f.upstream_timeout;
    c.forwarder = fo;
  }
  c.enumeration_enabled = f.enumeration_enabled;

  v1::DnsConfig& p = c.proto;
  p.set_domain(f.domain);
  *p.mutable_ttl() = ToProto(f.ttl);
  p.set_zk(absl::StrJoin(f.zk, ","));
  for (const std::string& m : f.masters) p.add_masters(m);
  p.set_listener(f.listener);
  p.set_port(static_cast<uint32_t>(f.port));
  p.set_forwarding_enabled(f.forwarding_enabled);
  for (const std::string& r : resolvers) p.add_resolvers(r);
  *p.mutable_upstream_timeout() = ToProto(f.upstream_timeout);
  p.set_recursion_available(f.recursion_available);
  p.set_soa_mname(NameText(zone->soa.mname));
  p.set_soa_rname(NameText(zone->soa.rname));
  *p.mutable_soa_refresh() = ToProto(f.soa_refresh);
  *p.mutable_soa_retry() = ToProto(f.soa_retry);
  *p.mutable_soa_expire() = ToProto(f.soa_expire);
  *p.mutable_soa_minttl() = ToProto(f.soa_minttl);
  for (const std::string& s : f.ip_sources) p.add_ip_sources(s);
  p.set_srv_default_weight(static_cast<uint32_t>(f.srv_default_weight));
  p.set_enforce_rfc952(f.enforce_rfc952);
  p.set_set_truncate_bit(f.set_truncate_bit);
  p.set_enumeration_enabled(f.enumeration_enabled);
  p.set_healthy_only(f.healthy_only);
  *p.mutable_refresh() = ToProto(f.refresh);
  p.set_zk_path(f.zk_path);
  return c;
}

}  // namespace dcos::dns
