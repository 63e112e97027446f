#pragma once

// RunMain: the whole life of a service binary, so each main.cc is only wiring:
//
//   int main(int argc, char** argv) {
//     dcos::runtime::MainSpec spec;
//     spec.component = "dcos-master";
//     spec.default_grpc_listen = "127.0.0.1:5050";
//     spec.default_metrics_listen = "127.0.0.1:9050";
//     spec.add_config = [&](dcos::config::Schema& s) { RegisterMasterConfig(s, &config); };
//     spec.build = [&](dcos::runtime::ServiceRuntime& rt) { return BuildMaster(config, rt); };
//     return dcos::runtime::RunMain(argc, argv, spec);
//   }
//
// Steps: block SIGTERM/SIGINT; parse `--config FILE` and `--field=value` flags (exit 2 with the
// field and file named on bad config; `--help` lists every field); set up logging; build the
// component (it registers its gRPC services); start listening; Component::Start; wait for
// SIGTERM/SIGINT; Component::BeginShutdown; graceful gRPC shutdown; destroy the component; exit 0.
// A failure to build or start exits 1 with the reason.

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "libs/config/config.h"
#include "libs/runtime/service_runtime.h"

namespace dcos::runtime {

// What a service binary runs. Owned by RunMain until shutdown.
class Component {
 public:
  virtual ~Component() = default;

  // Called once after the server listens. Start background work here; call
  // runtime.SetReady(true) when the component can serve (now, or later from its own thread).
  virtual absl::Status Start(ServiceRuntime& runtime) = 0;

  // Called on SIGTERM/SIGINT before the gRPC server drains: end long-lived streams, stop
  // accepting new work. Calls in flight keep running until the shutdown grace ends.
  virtual void BeginShutdown() {}
};

struct MainSpec {
  std::string component;               // binary name, e.g. "dcos-master"; used in logs and metrics
  std::string version = "0.1.0-dev";   // reported in dcos_build_info and on --version
  std::string default_grpc_listen;     // e.g. "127.0.0.1:5050"
  std::string default_metrics_listen;  // e.g. "127.0.0.1:9050"; empty disables by default
  std::string description;             // one line for --help
  // Registers the component's own config fields (optional).
  std::function<void(config::Schema&)> add_config;
  // Runs once the config is loaded, before the runtime starts (and so before gRPC's and the
  // metrics server's threads exist): process-wide settings such as malloc's (optional). An
  // error stops start-up (exit 1).
  std::function<absl::Status()> prepare;
  // Builds the component after the config is loaded; it registers its gRPC services on the
  // runtime with AddService. An error stops start-up (exit 1).
  std::function<absl::StatusOr<std::unique_ptr<Component>>(ServiceRuntime&)> build;
};

int RunMain(int argc, char** argv, const MainSpec& spec);

}  // namespace dcos::runtime
