#include "libs/runtime/grpc_metrics.h"

#include <chrono>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/histogram.h>

namespace dcos::runtime {
namespace {

using grpc::experimental::InterceptionHookPoints;

const char* TypeName(grpc::experimental::ServerRpcInfo::Type type) {
  using Type = grpc::experimental::ServerRpcInfo::Type;
  switch (type) {
    case Type::UNARY: return "unary";
    case Type::CLIENT_STREAMING: return "client_stream";
    case Type::SERVER_STREAMING: return "server_stream";
    case Type::BIDI_STREAMING: return "bidi_stream";
  }
  return "unknown";
}

// Splits "/pkg.Service/Method" into its service and method.
void SplitMethod(const char* full, std::string* service, std::string* method) {
  std::string s = full == nullptr ? "" : full;
  if (!s.empty() && s[0] == '/') s.erase(0, 1);
  size_t slash = s.find('/');
  if (slash == std::string::npos) {
    *service = "unknown";
    *method = s;
    return;
  }
  *service = s.substr(0, slash);
  *method = s.substr(slash + 1);
}

class GrpcMetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  GrpcMetricsInterceptor(GrpcMetricsInterceptorFactory& factory,
                         GrpcMetricsInterceptorFactory::MethodMetrics* metrics)
      : factory_(factory), metrics_(metrics), start_(std::chrono::steady_clock::now()) {
    metrics_->started->Increment();
    factory_.CallStarted();
  }

  ~GrpcMetricsInterceptor() override {
    // A call that ended without a status (cancelled by the client or the deadline).
    if (!recorded_) Record(grpc::StatusCode::CANCELLED);
    factory_.CallDone();
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      Record(methods->GetSendStatus().error_code());
    }
    methods->Proceed();
  }

 private:
  void Record(grpc::StatusCode code) {
    recorded_ = true;
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    factory_.Handled(metrics_, code)->Increment();
    metrics_->seconds->Observe(seconds);
  }

  GrpcMetricsInterceptorFactory& factory_;
  GrpcMetricsInterceptorFactory::MethodMetrics* metrics_;
  std::chrono::steady_clock::time_point start_;
  bool recorded_ = false;
};

}  // namespace

const char* GrpcCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return "OK";
    case grpc::StatusCode::CANCELLED: return "CANCELLED";
    case grpc::StatusCode::UNKNOWN: return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND: return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS: return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED: return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED: return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE: return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED: return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL: return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE: return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS: return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED: return "UNAUTHENTICATED";
    default: return "UNKNOWN";
  }
}

GrpcMetricsInterceptorFactory::GrpcMetricsInterceptorFactory(prometheus::Registry& registry)
    : started_(prometheus::BuildCounter()
                   .Name("grpc_server_started_total")
                   .Help("RPCs started on the server")
                   .Register(registry)),
      handled_(prometheus::BuildCounter()
                   .Name("grpc_server_handled_total")
                   .Help("RPCs completed on the server, by status code")
                   .Register(registry)),
      handling_seconds_(prometheus::BuildHistogram()
                            .Name("grpc_server_handling_seconds")
                            .Help("Time from the start of an RPC to its status, seconds")
                            .Register(registry)) {}

GrpcMetricsInterceptorFactory::MethodMetrics* GrpcMetricsInterceptorFactory::ForMethod(
    const char* full_method, const char* type) {
  absl::MutexLock lock(&mu_);
  std::string key = full_method == nullptr ? "" : full_method;
  auto it = methods_.find(key);
  if (it != methods_.end()) return it->second.get();
  auto m = std::make_unique<MethodMetrics>();
  SplitMethod(full_method, &m->service, &m->method);
  m->type = type;
  m->started = &started_.Add(
      {{"grpc_service", m->service}, {"grpc_method", m->method}, {"grpc_type", m->type}});
  m->seconds = &handling_seconds_.Add(
      {{"grpc_service", m->service}, {"grpc_method", m->method}, {"grpc_type", m->type}},
      prometheus::Histogram::BucketBoundaries{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                              0.1, 0.25, 0.5, 1, 2.5, 5, 10});
  MethodMetrics* raw = m.get();
  methods_.emplace(key, std::move(m));
  return raw;
}

prometheus::Counter* GrpcMetricsInterceptorFactory::Handled(MethodMetrics* m,
                                                            grpc::StatusCode code) {
  absl::MutexLock lock(&mu_);
  prometheus::Counter*& counter = m->handled[static_cast<int>(code)];
  if (counter == nullptr) {
    counter = &handled_.Add({{"grpc_service", m->service},
                             {"grpc_method", m->method},
                             {"grpc_type", m->type},
                             {"grpc_code", GrpcCodeName(code)}});
  }
  return counter;
}

grpc::experimental::Interceptor* GrpcMetricsInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  using Type = grpc::experimental::ServerRpcInfo::Type;
  if (info->type() == Type::CLIENT_STREAMING || info->type() == Type::BIDI_STREAMING) {
    return nullptr;  // see the class comment
  }
  return new GrpcMetricsInterceptor(*this, ForMethod(info->method(), TypeName(info->type())));
}

}  // namespace dcos::runtime
