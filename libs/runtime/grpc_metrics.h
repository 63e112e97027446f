#pragma once

// A gRPC server interceptor that gives every RPC, with no code in the handler:
//   grpc_server_started_total{grpc_service, grpc_method, grpc_type}
//   grpc_server_handled_total{grpc_service, grpc_method, grpc_type, grpc_code}
//   grpc_server_handling_seconds{grpc_service, grpc_method, grpc_type}   (histogram)
// (the names and labels of go-grpc-prometheus, so existing dashboards and alerts work).
//
// Thread-safe: prometheus-cpp families lock internally; one interceptor object per call.

#include <memory>

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

  prometheus::Family<prometheus::Counter>& started() { return started_; }
  prometheus::Family<prometheus::Counter>& handled() { return handled_; }
  prometheus::Family<prometheus::Histogram>& handling_seconds() { return handling_seconds_; }

 private:
  prometheus::Family<prometheus::Counter>& started_;
  prometheus::Family<prometheus::Counter>& handled_;
  prometheus::Family<prometheus::Histogram>& handling_seconds_;
};

// The textual name of a gRPC status code as Prometheus labels show it ("OK", "NOT_FOUND", ...).
const char* GrpcCodeName(grpc::StatusCode code);

}  // namespace dcos::runtime
