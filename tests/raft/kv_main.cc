// dcos-raft-kv: a test-only replicated key-value store on libs/raft (see kv_server.h).

#include "libs/runtime/main.h"
#include "tests/raft/kv_server.h"

int main(int argc, char** argv) {
  dcos::testing::raftkv::KvConfig config;
  dcos::runtime::MainSpec spec;
  spec.component = "dcos-raft-kv";
  spec.description = "test-only replicated key-value store on libs/raft";
  spec.default_grpc_listen = "127.0.0.1:0";
  spec.add_config = [&](dcos::config::Schema& schema) {
    dcos::testing::raftkv::RegisterKvConfig(schema, &config);
  };
  spec.build = [&](dcos::runtime::ServiceRuntime& runtime) {
    return dcos::testing::raftkv::BuildKv(config, runtime);
  };
  return dcos::runtime::RunMain(argc, argv, spec);
}
