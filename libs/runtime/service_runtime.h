#pragma once

// ServiceRuntime: the gRPC server every dcos binary is built on, with what an operator expects
// of each: grpc.health.v1 (NOT_SERVING until the service is ready), server reflection (grpcurl),
// keepalives and message-size limits, TLS / mutual TLS, per-RPC Prometheus metrics and process
// metrics on a separate HTTP port, and graceful shutdown bounded by a deadline.
//
// Lifetime: Create -> AddService... -> Start -> SetReady(true) ... -> Shutdown. Services added
// must outlive the runtime's Shutdown(). Thread-safety: AddService and Start from one thread;
// SetReady, Shutdown and the accessors from any thread.

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/server.h>
#include <prometheus/exposer.h>
#include <prometheus/registry.h>

#include "absl/status/statusor.h"
#include "libs/runtime/health_service.h"
#include "libs/runtime/process_metrics.h"
#include "libs/runtime/server_options.h"

namespace dcos::runtime {

class GrpcMetricsInterceptorFactory;

class ServiceRuntime {
 public:
  // Validates the options (TLS files are read now, so a bad path fails before anything listens).
  static absl::StatusOr<std::unique_ptr<ServiceRuntime>> Create(std::string component,
                                                                std::string version,
                                                                const ServerOptions& options);
  ~ServiceRuntime();

  ServiceRuntime(const ServiceRuntime&) = delete;
  ServiceRuntime& operator=(const ServiceRuntime&) = delete;

  // Registers a gRPC service before Start(). `full_name` (e.g. "dcos.master.v1.Operator") is
  // also answered by the health service.
  void AddService(grpc::Service* service, const std::string& full_name);

  // Starts listening (gRPC and metrics). Health stays NOT_SERVING until SetReady(true).
  // Errors: UNAVAILABLE when an address cannot be bound (the message names the field).
  absl::Status Start();

  // Readiness: SERVING when true. A service calls this once it can really serve (e.g. after
  // recovering its state) and may turn it off again (e.g. while it has lost its leader).
  void SetReady(bool ready);

  // Unary and server-streaming calls in flight now (0 before Start).
  int64_t calls_in_flight() const;

  // Graceful shutdown: health NOT_SERVING, no new calls, in-flight calls may finish for
  // `shutdown.grace`, the rest are cancelled; then the metrics endpoint stops. Idempotent.
  // Once no unary or server-streaming call is in flight (long-lived streams must have been
  // ended by the component's BeginShutdown; bidi streams are not counted) the connections
  // are closed at once: gRPC's graceful GOAWAY would otherwise wait for each client to answer
  // a ping, which an idle client channel does only every 5 s (its backup poller), and one
  // that is gone only after 20 s.
  void Shutdown();

  // The metrics registry services add their own metrics to.
  prometheus::Registry& metrics() { return *registry_; }
  // Metrics computed on each scrape (e.g. counts read from the service's state), exposed next
  // to the registry's. Before Start().
  void AddCollectable(std::shared_ptr<prometheus::Collectable> collectable) {
    collectables_.push_back(std::move(collectable));
  }

  // The bound addresses ("127.0.0.1:41234"), valid after Start(); metrics empty if disabled.
  const std::string& grpc_address() const { return grpc_address_; }
  const std::string& metrics_address() const { return metrics_address_; }

  const std::string& component() const { return component_; }
  const ServerOptions& options() const { return options_; }

 private:
  ServiceRuntime(std::string component, std::string version, ServerOptions options,
                 std::shared_ptr<grpc::ServerCredentials> credentials);

  std::string component_;
  std::string version_;
  ServerOptions options_;
  std::shared_ptr<grpc::ServerCredentials> credentials_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<ProcessCollector> process_collector_;
  std::vector<std::shared_ptr<prometheus::Collectable>> collectables_;
  HealthService health_;
  std::vector<grpc::Service*> services_;
  std::unique_ptr<grpc::Server> server_;
  GrpcMetricsInterceptorFactory* interceptors_ = nullptr;  // owned by server_
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::string grpc_address_;
  std::string metrics_address_;
  std::atomic<bool> shut_down_{false};
};

// Replaces a trailing ":0" port of `listen` with `port`.
std::string WithPort(const std::string& listen, int port);

}  // namespace dcos::runtime
