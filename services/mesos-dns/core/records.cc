#include "services/mesos-dns/core/records.h"

#include <openssl/sha.h>

#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/dns/label.h"

namespace dcos::dns::core {
namespace {

using common::v1::Task;
using common::v1::TaskStatus;

constexpr char kZbase32[] = "ybndrfg8ejkmcpqxot1uwisza345h769";

// `fragments`, left to right, each one or more dot-separated labels, under the zone's domain.
// nullopt if the result breaks a DNS limit.
std::optional<Name> Under(const Name& base, std::initializer_list<absl::string_view> fragments) {
  std::vector<absl::string_view> labels;
  for (absl::string_view f : fragments) {
    for (absl::string_view l : absl::StrSplit(f, '.')) labels.push_back(l);
  }
  Name name = base;
  for (size_t i = labels.size(); i-- > 0;) {
    absl::StatusOr<Name> child = name.Child(labels[i]);
    if (!child.ok()) return std::nullopt;
    name = *std::move(child);
  }
  return name;
}

RRType AddressType(const RData& address) {
  return std::holds_alternative<AaaaData>(address) ? RRType::kAAAA : RRType::kA;
}

void AddAddress(std::vector<Record>& out, const std::optional<Name>& name, const RData& address) {
  if (name) out.push_back(Record{*name, AddressType(address), address});
}

void AddSrv(std::vector<Record>& out, const std::optional<Name>& name, const Zone& zone,
            uint16_t port, const std::optional<Name>& target) {
  if (name && target) {
    out.push_back(Record{*name, RRType::kSRV, SrvData{0, zone.srv_default_weight, port, *target}});
  }
}

// The container's addresses from the latest status.
std::vector<RData> ContainerAddresses(const TaskStatus* status) {
  std::vector<RData> out;
  if (status == nullptr) return out;
  for (const auto& network : status->container_status().network_infos()) {
    for (const auto& ip : network.ip_addresses()) {
      absl::StatusOr<RData> a = ParseAddress(ip.ip_address());
      if (a.ok()) out.push_back(*std::move(a));
    }
  }
  return out;
}

// Ports of the task's "ports" resources, ascending within each range, at most `limit`.
std::vector<uint16_t> ResourcePorts(const Task& task, size_t limit) {
  std::vector<uint16_t> out;
  for (const auto& resource : task.resources()) {
    if (resource.name() != "ports") continue;
    for (const auto& range : resource.ranges().range()) {
      for (uint64_t p = std::max<uint64_t>(range.begin(), 1);
           p <= range.end() && p <= 65535 && out.size() < limit; ++p) {
        out.push_back(static_cast<uint16_t>(p));
      }
    }
  }
  return out;
}

// The canonical first label: "<first>-<hash>-<agent tail>", cut to 63 bytes.
std::string CanonicalLabel(absl::string_view first, const std::string& hash,
                           const std::string& tail) {
  std::string suffix = absl::StrCat("-", hash, tail.empty() ? "" : "-", tail.substr(0, 40));
  std::string head(first.substr(0, kMaxLabelLength - suffix.size()));
  while (!head.empty() && head.back() == '-') head.pop_back();
  return head + suffix;
}

}  // namespace

std::string TaskIdHash(absl::string_view task_id) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(task_id.data()), task_id.size(), digest);
  // 5 characters of 5 bits each: the digest's first 25 bits, most significant first.
  uint32_t bits = (uint32_t{digest[0]} << 24) | (uint32_t{digest[1]} << 16) |
                  (uint32_t{digest[2]} << 8) | digest[3];
  std::string out;
  for (int i = 0; i < 5; ++i) out.push_back(kZbase32[(bits >> (27 - 5 * i)) & 0x1F]);
  return out;
}

std::string AgentIdTail(absl::string_view agent_id, LabelRule rule) {
  size_t dash = agent_id.rfind('-');
  absl::string_view tail = dash == absl::string_view::npos ? agent_id : agent_id.substr(dash + 1);
  // RFC 952's leading-letter rule is for whole host names; a tail like "s12" passes anyway.
  return SanitizeLabel(tail, rule == LabelRule::kRfc952 ? LabelRule::kRfc1123 : rule);
}

bool IsPublished(const Zone& zone, const Task& task) {
  if (task.state() != common::v1::TASK_RUNNING) return false;
  if (task.discovery().visibility() == common::v1::DiscoveryInfo::VISIBILITY_FRAMEWORK) {
    return false;
  }
  if (zone.healthy_only && task.has_health_check()) {
    if (task.statuses().empty()) return false;
    const TaskStatus& latest = *task.statuses().rbegin();
    return latest.has_healthy() && latest.healthy();
  }
  return true;
}

std::vector<Record> TaskRecords(const Zone& zone, const Task& task,
                                absl::string_view framework_name, const RData* agent_address) {
  std::vector<Record> out;
  if (!IsPublished(zone, task)) return out;
  const std::string f = SanitizeDomainFragment(framework_name, zone.label_rule);
  const std::string t = SanitizeDomainFragment(
      task.discovery().name().empty() ? task.name() : task.discovery().name(), zone.label_rule);
  if (f.empty() || t.empty()) return out;
  const size_t dot = t.find('.');
  const absl::string_view t_first = absl::string_view(t).substr(0, dot);
  const absl::string_view t_rest =
      dot == std::string::npos ? absl::string_view() : absl::string_view(t).substr(dot);
  const std::string c = CanonicalLabel(t_first, TaskIdHash(task.task_id().value()),
                                       AgentIdTail(task.agent_id().value(), zone.label_rule)) +
                        std::string(t_rest);
  const std::string srv_t = absl::StrCat("_", t);
  const Name& d = zone.domain;

  const TaskStatus* latest = task.statuses().empty() ? nullptr : &*task.statuses().rbegin();
  std::vector<RData> task_addresses;
  for (IpSource source : zone.ip_sources) {
    if (source == IpSource::kNetInfo) {
      task_addresses = ContainerAddresses(latest);
    } else if (agent_address != nullptr) {
      task_addresses = {*agent_address};
    }
    if (!task_addresses.empty()) break;
  }
  for (const RData& a : task_addresses) {
    AddAddress(out, Under(d, {t, f}), a);
    AddAddress(out, Under(d, {c, f}), a);
  }
  if (agent_address != nullptr) {
    AddAddress(out, Under(d, {t, f, "slave"}), *agent_address);
    AddAddress(out, Under(d, {c, f, "slave"}), *agent_address);
  }

  const bool discovery_ports = task.discovery().ports().ports_size() > 0;
  const std::optional<Name> slave_target = Under(d, {c, f, "slave"});
  for (uint16_t port : ResourcePorts(task, zone.max_ports_per_task)) {
    for (absl::string_view proto : {"_tcp", "_udp"}) {
      AddSrv(out, Under(d, {srv_t, proto, f, "slave"}), zone, port, slave_target);
      if (!discovery_ports) AddSrv(out, Under(d, {srv_t, proto, f}), zone, port, slave_target);
    }
  }
  const std::optional<Name> task_target = Under(d, {c, f});
  for (const auto& p : task.discovery().ports().ports()) {
    if (p.number() == 0 || p.number() > 65535) continue;
    const std::string proto_label =
        SanitizeLabel(p.protocol().empty() ? "tcp" : p.protocol(), LabelRule::kRfc1123);
    if (proto_label.empty()) continue;
    const std::string proto = absl::StrCat("_", proto_label);
    const uint16_t port = static_cast<uint16_t>(p.number());
    AddSrv(out, Under(d, {srv_t, proto, f}), zone, port, task_target);
    const std::string port_name = SanitizeLabel(p.name(), zone.label_rule);
    if (!port_name.empty()) {
      AddSrv(out, Under(d, {absl::StrCat("_", port_name), srv_t, proto, f}), zone, port,
             task_target);
    }
  }
  return out;
}

std::optional<RData> AgentAddress(const master::v1::Agent& agent) {
  if (agent.state() == master::v1::Agent::STATE_UNREACHABLE ||
      agent.state() == master::v1::Agent::STATE_GONE) {
    return std::nullopt;
  }
  absl::StatusOr<RData> a = ParseAddress(agent.agent_info().address().ip());
  if (!a.ok()) return std::nullopt;
  return *std::move(a);
}

std::vector<Record> AgentRecords(const Zone& zone, const master::v1::Agent& agent) {
  std::vector<Record> out;
  std::optional<RData> address = AgentAddress(agent);
  if (!address) return out;
  std::optional<Name> slave = Under(zone.domain, {"slave"});
  AddAddress(out, slave, *address);
  const uint32_t port = agent.agent_info().address().port();
  if (port > 0 && port <= 65535) {
    AddSrv(out, Under(zone.domain, {"_slave", "_tcp"}), zone, static_cast<uint16_t>(port), slave);
  }
  return out;
}

std::vector<Record> FrameworkRecords(const Zone& zone, const common::v1::FrameworkInfo& info) {
  std::vector<Record> out;
  const std::string f = SanitizeDomainFragment(info.name(), zone.label_rule);
  absl::StatusOr<RData> address = ParseAddress(info.hostname());
  if (f.empty() || !address.ok()) return out;
  AddAddress(out, Under(zone.domain, {f}), *address);
  return out;
}

std::vector<Record> MasterRecords(const Zone& zone, const common::v1::MasterInfo* leader) {
  std::vector<Record> out;
  const std::optional<Name> master = Under(zone.domain, {"master"});
  bool leader_listed = false;
  std::optional<RData> leader_address;
  if (leader != nullptr) {
    absl::StatusOr<RData> a = ParseAddress(leader->address().ip());
    if (a.ok()) leader_address = *std::move(a);
  }
  for (size_t i = 0; i < zone.masters.size(); ++i) {
    const RData& a = zone.masters[i].address;
    AddAddress(out, master, a);
    AddAddress(out, Under(zone.domain, {absl::StrCat("master", i)}), a);
    if (leader_address && *leader_address == a) leader_listed = true;
  }
  if (leader_address) {
    const std::optional<Name> leader_name = Under(zone.domain, {"leader"});
    AddAddress(out, leader_name, *leader_address);
    AddAddress(out, master, *leader_address);
    if (!leader_listed) {
      AddAddress(out, Under(zone.domain, {absl::StrCat("master", zone.masters.size())}),
                 *leader_address);
    }
    const uint32_t port = leader->address().port();
    if (port > 0 && port <= 65535) {
      for (absl::string_view proto : {"_tcp", "_udp"}) {
        AddSrv(out, Under(zone.domain, {"_leader", proto}), zone, static_cast<uint16_t>(port),
               leader_name);
      }
    }
  }
  return out;
}

std::vector<Record> ZoneRecords(const Zone& zone) {
  std::vector<Record> out;
  out.push_back(Record{zone.domain.Lowercased(), RRType::kNS, NameData{zone.soa.mname}});
  if (zone.soa.mname.IsSubdomainOf(zone.domain)) {
    for (const RData& a : zone.self_addresses) {
      out.push_back(Record{zone.soa.mname.Lowercased(), AddressType(a), a});
    }
  }
  return out;
}

}  // namespace dcos::dns::core
