// dcos-master: offers with DRF, the scheduler and operator APIs, agent admission and health.
#include "libs/runtime/main.h"
#include "services/master/master_server.h"

int main(int argc, char** argv) {
  dcos::master::MasterConfig config;
  dcos::runtime::MainSpec spec;
  spec.component = "dcos-master";
  spec.description = "the cluster's master: agents, frameworks, offers (DRF) and tasks";
  spec.default_grpc_listen = "127.0.0.1:5050";
  spec.default_metrics_listen = "127.0.0.1:9050";
  spec.add_config = [&](dcos::config::Schema& schema) {
    dcos::master::RegisterMasterConfig(schema, &config);
  };
  spec.prepare = [&] { return dcos::master::PrepareMaster(config); };
  spec.build = [&](dcos::runtime::ServiceRuntime& runtime) {
    return dcos::master::BuildMaster(config, runtime);
  };
  return dcos::runtime::RunMain(argc, argv, spec);
}
