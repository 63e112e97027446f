#include "services/mesos-dns/lookup_api.h"

#include <algorithm>
#include <map>
#include <random>

#include "absl/strings/str_cat.h"
#include "libs/dns/label.h"
#include "libs/status/grpc_status.h"

namespace dcos::dns {
namespace {

// "web.marathon.mesos" (lower case, no trailing dot).
std::string Text(const Name& name) {
  std::string text = name.Lowercased().ToText();
  if (text.size() > 1 && text.back() == '.') text.pop_back();
  return text;
}

// The name of a lookup request, checked: a name, inside the domain.
absl::StatusOr<Name> RequestName(const core::RecordSet& records, absl::string_view field,
                                 const std::string& text) {
  absl::StatusOr<Name> name = Name::FromText(text);
  if (!name.ok() || text.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": \"", text, "\" is not a domain name",
        name.ok() ? "" : absl::StrCat(" (", name.status().message(), ")")));
  }
  if (!records.InZone(*name)) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": \"", text, "\" is not in ",
                                                   Text(records.domain())));
  }
  return name;
}

template <typename T>
void Shuffle(google::protobuf::RepeatedPtrField<T>* items) {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  std::shuffle(items->begin(), items->end(), rng);
}

// The A/AAAA addresses of `name` in `records`, as text.
std::vector<std::string> Addresses(const core::RecordSet& records, const Name& name) {
  std::vector<std::string> out;
  const core::NameEntry* entry = records.Lookup(name);
  if (entry == nullptr) return out;
  for (RRType type : {RRType::kA, RRType::kAAAA}) {
    if (const RRset* set = entry->Find(type)) {
      for (const RData& d : set->data) out.push_back(RDataToText(d));
    }
  }
  return out;
}

void AddRecord(const core::Record& r, google::protobuf::RepeatedPtrField<v1::Record>* out) {
  v1::Record::Type type = v1::Record::TYPE_UNSPECIFIED;
  std::string value;
  if (r.type == RRType::kA || r.type == RRType::kAAAA) {
    type = r.type == RRType::kA ? v1::Record::TYPE_A : v1::Record::TYPE_AAAA;
    value = RDataToText(r.data);
  } else if (const auto* srv = std::get_if<SrvData>(&r.data)) {
    type = v1::Record::TYPE_SRV;
    value = absl::StrCat(Text(srv->target), ":", srv->port);
  } else {
    return;  // NS: the zone's own, not a lookup result
  }
  v1::Record* record = out->Add();
  record->set_name(Text(r.name));
  record->set_type(type);
  record->set_value(std::move(value));
}

}  // namespace

LookupApi::LookupApi(driver::DnsDriver* driver, v1::DnsConfig config, bool enumeration_enabled,
                     std::string version, std::function<absl::Time()> updated_at)
    : driver_(driver),
      config_(std::move(config)),
      enumeration_enabled_(enumeration_enabled),
      version_(std::move(version)),
      updated_at_(std::move(updated_at)) {}

grpc::Status LookupApi::GetVersion(grpc::ServerContext*, const v1::GetVersionRequest*,
                                       v1::GetVersionResponse* response) {
  response->set_service("dcos-dns");
  response->mutable_build()->set_version(version_);
  response->mutable_build()->set_git_sha("unknown");
  return grpc::Status::OK;
}

grpc::Status LookupApi::GetConfig(grpc::ServerContext*, const v1::GetConfigRequest*,
                                      v1::GetConfigResponse* response) {
  *response->mutable_config() = config_;
  return grpc::Status::OK;
}

grpc::Status LookupApi::LookupHost(grpc::ServerContext*, const v1::LookupHostRequest* request,
                                       v1::LookupHostResponse* response) {
  std::shared_ptr<const core::RecordSet> records = driver_->holder().Load();
  absl::StatusOr<Name> name = RequestName(*records, "host", request->host());
  if (!name.ok()) return status::ToGrpc(name.status());
  for (std::string& ip : Addresses(*records, *name)) {
    v1::HostRecord* r = response->add_records();
    r->set_host(Text(*name));
    r->set_ip(std::move(ip));
  }
  Shuffle(response->mutable_records());
  return grpc::Status::OK;
}

grpc::Status LookupApi::LookupService(grpc::ServerContext*,
                                          const v1::LookupServiceRequest* request,
                                          v1::LookupServiceResponse* response) {
  std::shared_ptr<const core::RecordSet> records = driver_->holder().Load();
  absl::StatusOr<Name> name = RequestName(*records, "service", request->service());
  if (!name.ok()) return status::ToGrpc(name.status());
  const core::NameEntry* entry = records->Lookup(*name);
  const RRset* srvs = entry == nullptr ? nullptr : entry->Find(RRType::kSRV);
  if (srvs == nullptr) return grpc::Status::OK;
  for (const RData& d : srvs->data) {
    const SrvData& srv = std::get<SrvData>(d);
    std::vector<std::string> ips = Addresses(*records, srv.target);
    if (ips.empty()) ips.push_back("");
    for (std::string& ip : ips) {
      v1::ServiceRecord* r = response->add_records();
      r->set_service(Text(*name));
      r->set_host(Text(srv.target));
      r->set_ip(std::move(ip));
      r->set_port(srv.port);
    }
  }
  Shuffle(response->mutable_records());
  return grpc::Status::OK;
}

grpc::Status LookupApi::Enumerate(grpc::ServerContext*, const v1::EnumerateRequest*,
                                      v1::EnumerateResponse* response) {
  if (!enumeration_enabled_) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        "enumeration is disabled (dns.enumeration_enabled=false)");
  }
  absl::Status inspected = driver_->Inspect(
      [response](const core::RecordBuilder& builder) {
        const LabelRule rule = builder.zone().label_rule;
        // framework name -> its entry in the response, in name order.
        std::map<std::string, v1::EnumeratedFramework> frameworks;
        builder.ForEachTask([&](const common::v1::Task& task, const std::string& framework,
                                const std::vector<core::Record>& records) {
          if (records.empty()) return;
          const std::string f = SanitizeDomainFragment(framework, rule);
          v1::EnumeratedFramework& entry = frameworks[f];
          entry.set_name(f);
          v1::EnumeratedTask* t = entry.add_tasks();
          t->set_name(SanitizeDomainFragment(
              task.discovery().name().empty() ? task.name() : task.discovery().name(), rule));
          t->set_id(task.task_id().value());
          for (const core::Record& r : records) AddRecord(r, t->mutable_records());
        });
        for (auto& [name, framework] : frameworks) {
          *response->add_frameworks() = std::move(framework);
        }
        for (const core::Record& r : builder.ClusterRecords()) {
          AddRecord(r, response->mutable_cluster_records());
        }
      },
      absl::Seconds(10));
  if (!inspected.ok()) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, std::string(inspected.message()));
  }
  const absl::Time updated = updated_at_();
  if (updated != absl::InfinitePast()) {
    const int64_t seconds = absl::ToUnixSeconds(updated);
    response->mutable_updated_at()->set_seconds(seconds);
    response->mutable_updated_at()->set_nanos(static_cast<int32_t>(
        absl::ToInt64Nanoseconds(updated - absl::FromUnixSeconds(seconds))));
  }
  response->set_fresh(driver_->status().connected);
  return grpc::Status::OK;
}

}  // namespace dcos::dns
