#include "services/mesos-dns/core/config.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/status/status_macros.h"

namespace dcos::dns::core {
namespace {

absl::Status FieldError(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", what));
}

absl::StatusOr<Name> FieldName(absl::string_view field, const std::string& text) {
  absl::StatusOr<Name> name = Name::FromText(text);
  if (!name.ok()) return FieldError(field, name.status().message());
  if (name->IsRoot()) return FieldError(field, "must not be the root");
  return name;
}

}  // namespace

absl::StatusOr<RData> ParseAddress(absl::string_view text) {
  std::string s(text);
  AData a;
  if (inet_pton(AF_INET, s.c_str(), a.address.data()) == 1) return a;
  AaaaData aaaa;
  if (inet_pton(AF_INET6, s.c_str(), aaaa.address.data()) == 1) return aaaa;
  return absl::InvalidArgumentError(absl::StrCat("\"", text, "\" is not an IP address"));
}

absl::StatusOr<std::pair<RData, uint16_t>> ParseHostPort(absl::string_view text) {
  absl::string_view host = text;
  absl::string_view port;
  if (absl::StartsWith(text, "[")) {
    size_t close = text.find(']');
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("\"", text, "\": missing ']'"));
    }
    host = text.substr(1, close - 1);
    absl::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return absl::InvalidArgumentError(absl::StrCat("\"", text, "\": bad port"));
      port = rest.substr(1);
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    size_t colon = text.find(':');
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  DCOS_ASSIGN_OR_RETURN(RData address, ParseAddress(host));
  uint32_t number = 0;
  if (!port.empty() && (!absl::SimpleAtoi(port, &number) || number == 0 || number > 65535)) {
    return absl::InvalidArgumentError(absl::StrCat("\"", text, "\": bad port"));
  }
  return std::make_pair(std::move(address), static_cast<uint16_t>(number));
}

absl::StatusOr<Zone> CompileConfig(const RecordConfig& config) {
  Zone zone;
  DCOS_ASSIGN_OR_RETURN(zone.domain, FieldName("domain", config.domain));
  zone.ttl = config.ttl;
  if (config.soa_mname.empty()) {
    absl::StatusOr<Name> mname = zone.domain.Child("ns1");
    if (!mname.ok()) return FieldError("domain", mname.status().message());
    zone.soa.mname = *std::move(mname);
  } else {
    DCOS_ASSIGN_OR_RETURN(zone.soa.mname, FieldName("soa_mname", config.soa_mname));
  }
  if (config.soa_rname.empty()) {
    absl::StatusOr<Name> rname = zone.soa.mname.Child("root");
    if (!rname.ok()) return FieldError("soa_mname", rname.status().message());
    zone.soa.rname = *std::move(rname);
  } else {
    DCOS_ASSIGN_OR_RETURN(zone.soa.rname, FieldName("soa_rname", config.soa_rname));
  }
  // Records are generated in lower case; the writer's compression gives answers the case of
  // the question.
  zone.domain = zone.domain.Lowercased();
  zone.soa.mname = zone.soa.mname.Lowercased();
  zone.soa.rname = zone.soa.rname.Lowercased();
  zone.soa.serial = config.initial_serial;
  zone.soa.refresh = config.soa_refresh;
  zone.soa.retry = config.soa_retry;
  zone.soa.expire = config.soa_expire;
  zone.soa.minimum = config.soa_minttl;
  zone.label_rule = config.enforce_rfc952 ? LabelRule::kRfc952 : LabelRule::kRfc1123;
  if (config.ip_sources.empty()) return FieldError("ip_sources", "must not be empty");
  zone.ip_sources = config.ip_sources;
  zone.srv_default_weight = config.srv_default_weight;
  zone.healthy_only = config.healthy_only;
  zone.max_ports_per_task = config.max_ports_per_task;
  for (size_t i = 0; i < config.self_addresses.size(); ++i) {
    absl::StatusOr<RData> a = ParseAddress(config.self_addresses[i]);
    if (!a.ok()) return FieldError(absl::StrCat("self_addresses[", i, "]"), a.status().message());
    zone.self_addresses.push_back(*std::move(a));
  }
  for (size_t i = 0; i < config.masters.size(); ++i) {
    absl::StatusOr<std::pair<RData, uint16_t>> hp = ParseHostPort(config.masters[i]);
    if (!hp.ok()) return FieldError(absl::StrCat("masters[", i, "]"), hp.status().message());
    zone.masters.push_back(Zone::Master{std::move(hp->first), config.masters[i]});
  }
  return zone;
}

}  // namespace dcos::dns::core
