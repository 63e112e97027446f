#pragma once

// A gRPC server interceptor that gives every RPC, with no code in the handler:
//   grpc_server_started_total{grpc_service, grpc_method, grpc_type}
//   grpc_server_handled_total{grpc_service, grpc_method, grpc_type, grpc_code}
//   grpc_server_handling_seconds{grpc_service, grpc_method, grpc_type}   (histogram)
// (the names and labels of go-grpc-prometheus, so existing dashboards and alerts work).
//
// Client-streaming and bidirectional RPCs (e.g. the Raft transport's peer streams) are not
// intercepted: an interceptor runs on every message of a stream, and on such hot paths it
// costs more than the figures are worth (a stream's "latency" is its lifetime anyway).
//
// It also counts the intercepted calls in flight (calls_in_flight), which ServiceRuntime's
// shutdown uses to tell when only connections are left to close.
//
// Thread-safe: the per-method metric objects are cached under a mutex; one interceptor object
// per call.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

#include <grpcpp/support/server_interceptor.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace dcos::runtime {

class GrpcMetricsInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  // Registers the metric families in `registry`, which must outlive this factory.
  explicit GrpcMetricsInterceptorFactory(prometheus::Registry& registry);

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

  // The metric objects of one method, created on first use.
  struct MethodMetrics {
    prometheus::Counter* started = nullptr;
    prometheus::Histogram* seconds = nullptr;
    std::string service, method, type;
    // By status code; guarded by the factory's mutex.
    std::map<int, prometheus::Counter*> handled;
  };
  MethodMetrics* ForMethod(const char* full_method, const char* type);
  prometheus::Counter* Handled(MethodMetrics* m, grpc::StatusCode code);

  // Unary and server-streaming calls started and not yet done (client-streaming and bidi
  // calls are not counted: they are not intercepted).
  int64_t calls_in_flight() const { return in_flight_.load(); }
  // For the interceptors: a call starts, a call is done.
  void CallStarted() { in_flight_.fetch_add(1); }
  void CallDone() { in_flight_.fetch_sub(1); }

 private:
  absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<MethodMetrics>> methods_ ABSL_GUARDED_BY(mu_);
  prometheus::Family<prometheus::Counter>& started_;
  prometheus::Family<prometheus::Counter>& handled_;
  prometheus::Family<prometheus::Histogram>& handling_seconds_;
  std::atomic<int64_t> in_flight_{0};
};

// The textual name of a gRPC status code as Prometheus labels show it ("OK", "NOT_FOUND", ...).
const char* GrpcCodeName(grpc::StatusCode code);

}  // namespace dcos::runtime
