// dcos-agent: runs tasks as real processes in sandboxes, reports their status reliably to the
// master, and survives its own restarts with its tasks still running.
#include "libs/runtime/main.h"
#include "services/agent/agent_server.h"

int main(int argc, char** argv) {
  dcos::agent::AgentConfig config;
  dcos::runtime::MainSpec spec;
  spec.component = "dcos-agent";
  spec.description = "a cluster agent: advertises the host's resources and runs tasks on it";
  spec.default_grpc_listen = "127.0.0.1:5051";
  spec.default_metrics_listen = "127.0.0.1:9051";
  spec.add_config = [&](dcos::config::Schema& schema) {
    dcos::agent::RegisterAgentConfig(schema, &config);
  };
  spec.build = [&](dcos::runtime::ServiceRuntime& runtime) {
    return dcos::agent::BuildAgent(config, runtime);
  };
  return dcos::runtime::RunMain(argc, argv, spec);
}
