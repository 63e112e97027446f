#pragma once

// Builds dcos-dns on the runtime: the dns.* config compiled (CompileDnsConfig), the driver
// following the leading master, the DNS server (UDP and TCP listeners on dns.listener:dns.port)
// with the c-ares forwarder, the gRPC lookup API (dcos.dns.v1.Dns) and the metrics. main.cc
// only wires this into RunMain.
//
// Readiness (grpc.health.v1): SERVING once the first SUBSCRIBED state from a master is served;
// it stays SERVING if the master goes away later (the last records are still served).

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "libs/runtime/main.h"
#include "services/mesos-dns/dns_config.h"

namespace dcos::dns {

// `version`: the binary's version, reported by GetVersion.
absl::StatusOr<std::unique_ptr<runtime::Component>> BuildDns(const DnsFlags& flags,
                                                             const std::string& version,
                                                             runtime::ServiceRuntime& runtime);

}  // namespace dcos::dns
