// dcos-dns: authoritative DNS for the cluster's tasks, agents and masters, following the leading
// master's event stream; names outside the domain forwarded upstream; a gRPC lookup API.
#include "libs/runtime/main.h"
#include "services/mesos-dns/dns_component.h"

int main(int argc, char** argv) {
  dcos::dns::DnsFlags flags;
  dcos::runtime::MainSpec spec;
  spec.component = "dcos-dns";
  spec.description =
      "authoritative DNS for the cluster (Mesos-DNS), following the leading master's events";
  spec.default_grpc_listen = "127.0.0.1:8123";
  spec.default_metrics_listen = "127.0.0.1:9123";
  spec.add_config = [&](dcos::config::Schema& schema) {
    dcos::dns::RegisterDnsConfig(schema, &flags);
  };
  spec.build = [&](dcos::runtime::ServiceRuntime& runtime) {
    return dcos::dns::BuildDns(flags, spec.version, runtime);
  };
  return dcos::runtime::RunMain(argc, argv, spec);
}
