#pragma once

// The gRPC lookup API dcos.dns.v1.Dns (Mesos-DNS's HTTP API): GetVersion, GetConfig,
// LookupHost, LookupService and Enumerate, answered from the record set the DNS server
// serves (never forwarded). Lookups read the current snapshot; Enumerate runs on the driver's
// loop (it needs the tasks behind the records).
//
// Errors: INVALID_ARGUMENT (naming the request field) for a malformed name or one outside the
// domain; FAILED_PRECONDITION for Enumerate when dns.enumeration_enabled is false;
// UNAVAILABLE when the driver is stopping or too busy to enumerate.
//
// Thread-safe; `driver` must outlive the service.

#include <string>

#include <functional>

#include "absl/time/time.h"
#include "protos/dns/v1/dns.grpc.pb.h"
#include "services/mesos-dns/driver/dns_driver.h"

namespace dcos::dns {

class LookupApi final : public v1::Dns::Service {
 public:
  // `updated_at`: when the records served last changed (InfinitePast: never), for Enumerate.
  LookupApi(driver::DnsDriver* driver, v1::DnsConfig config, bool enumeration_enabled,
            std::string version, std::function<absl::Time()> updated_at);

  grpc::Status GetVersion(grpc::ServerContext*, const v1::GetVersionRequest*,
                          v1::GetVersionResponse* response) override;
  grpc::Status GetConfig(grpc::ServerContext*, const v1::GetConfigRequest*,
                         v1::GetConfigResponse* response) override;
  grpc::Status LookupHost(grpc::ServerContext*, const v1::LookupHostRequest* request,
                          v1::LookupHostResponse* response) override;
  grpc::Status LookupService(grpc::ServerContext*, const v1::LookupServiceRequest* request,
                             v1::LookupServiceResponse* response) override;
  grpc::Status Enumerate(grpc::ServerContext*, const v1::EnumerateRequest*,
                         v1::EnumerateResponse* response) override;

 private:
  driver::DnsDriver* const driver_;
  const v1::DnsConfig config_;
  const bool enumeration_enabled_;
  const std::string version_;
  const std::function<absl::Time()> updated_at_;
};

}  // namespace dcos::dns
