#include "libs/runtime/main.h"

#include <signal.h>

#include <cstdio>
#include <cstring>

#include "absl/synchronization/mutex.h"
#include "libs/log/log.h"
#include "libs/runtime/signals.h"

namespace dcos::runtime {

int RunMain(int argc, char** argv, const MainSpec& spec) {
  BlockShutdownSignals();
  // Debian builds Abseil without NDEBUG, so every absl::Mutex (gRPC's included) records lock
  // order in one global graph: about a tenth of a busy server's CPU. Unit tests keep it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--version") == 0) {
      std::printf("%s %s\n", spec.component.c_str(), spec.version.c_str());
      return 0;
    }
  }

  ServerOptions options;
  options.grpc_listen = spec.default_grpc_listen;
  options.metrics_listen = spec.default_metrics_listen;
  config::Schema schema;
  RegisterServerOptions(schema, &options);
  if (spec.add_config) spec.add_config(schema);

  bool help = false;
  absl::Status parsed = config::ParseCommandLine(argc, argv, schema, &help);
  if (help) {
    std::printf("%s: %s\n\nUsage: %s [--config FILE.yaml] [--field=value ...]\n\n%s",
                spec.component.c_str(), spec.description.c_str(), spec.component.c_str(),
                schema.Help().c_str());
    return 0;
  }
  if (!parsed.ok()) {
    std::fprintf(stderr, "%s: bad configuration: %s\n", spec.component.c_str(),
                 std::string(parsed.message()).c_str());
    return 2;
  }

  log::SetComponent(spec.component);
  log::SetLevel(*log::ParseLevel(options.log_level));
  log::SetFormat(*log::ParseFormat(options.log_format));

  if (spec.prepare) {
    absl::Status prepared = spec.prepare();
    if (!prepared.ok()) {
      log::Error("cannot prepare").Field("error", prepared);
      return 1;
    }
  }
  absl::StatusOr<std::unique_ptr<ServiceRuntime>> runtime =
      ServiceRuntime::Create(spec.component, spec.version, options);
  if (!runtime.ok()) {
    log::Error("cannot start").Field("error", runtime.status());
    return 1;
  }
  absl::StatusOr<std::unique_ptr<Component>> component = spec.build(**runtime);
  if (!component.ok()) {
    log::Error("cannot build").Field("error", component.status());
    return 1;
  }
  absl::Status started = (*runtime)->Start();
  if (started.ok()) started = (*component)->Start(**runtime);
  if (!started.ok()) {
    log::Error("cannot start").Field("error", started);
    (*runtime)->Shutdown();
    return 1;
  }
  log::Info("started").Field("version", spec.version);

  int sig = WaitForShutdownSignal();
  log::Info("shutting down")
      .Field("signal", sig == SIGTERM ? "SIGTERM" : "SIGINT")
      .Field("grace", options.shutdown_grace);
  (*component)->BeginShutdown();
  (*runtime)->Shutdown();
  component->reset();
  log::Info("stopped");
  return 0;
}

}  // namespace dcos::runtime
