// dcos-zk: the replicated coordination service (ZooKeeper's data model on Raft).
#include "libs/runtime/main.h"
#include "services/zk-ensemble/zk_server.h"

int main(int argc, char** argv) {
  dcos::zk::ZkConfig config;
  dcos::runtime::MainSpec spec;
  spec.component = "dcos-zk";
  spec.description = "replicated coordination service: znodes on Raft";
  spec.default_grpc_listen = "127.0.0.1:2181";
  spec.default_metrics_listen = "127.0.0.1:9181";
  spec.add_config = [&](dcos::config::Schema& schema) {
    dcos::zk::RegisterZkConfig(schema, &config);
  };
  spec.build = [&](dcos::runtime::ServiceRuntime& runtime) {
    return dcos::zk::BuildZk(config, runtime);
  };
  return dcos::runtime::RunMain(argc, argv, spec);
}
