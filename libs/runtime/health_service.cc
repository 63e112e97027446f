#include "libs/runtime/health_service.h"

namespace dcos::runtime {

using grpc::health::v1::HealthCheckResponse;

void HealthService::SetServing(bool serving) {
  absl::MutexLock lock(&mu_);
  if (shutdown_ || serving_ == serving) return;
  serving_ = serving;
  ++generation_;
}

void HealthService::AddServiceName(const std::string& name) {
  absl::MutexLock lock(&mu_);
  names_[name] = true;
  ++generation_;
}

void HealthService::Shutdown() {
  absl::MutexLock lock(&mu_);
  shutdown_ = true;
  serving_ = false;
  ++generation_;
}

bool HealthService::serving() const {
  absl::MutexLock lock(&mu_);
  return serving_;
}

HealthService::ServingStatus HealthService::StatusOf(const std::string& service) const {
  if (!service.empty() && names_.find(service) == names_.end()) {
    return HealthCheckResponse::SERVICE_UNKNOWN;
  }
  return serving_ ? HealthCheckResponse::SERVING : HealthCheckResponse::NOT_SERVING;
}

grpc::Status HealthService::Check(grpc::ServerContext*,
                                  const grpc::health::v1::HealthCheckRequest* request,
                                  HealthCheckResponse* response) {
  absl::MutexLock lock(&mu_);
  ServingStatus status = StatusOf(request->service());
  if (status == HealthCheckResponse::SERVICE_UNKNOWN) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown service " + request->service());
  }
  response->set_status(status);
  return grpc::Status::OK;
}

grpc::Status HealthService::Watch(grpc::ServerContext* context,
                                  const grpc::health::v1::HealthCheckRequest* request,
                                  grpc::ServerWriter<HealthCheckResponse>* writer) {
  uint64_t seen = ~uint64_t{0};
  ServingStatus last = HealthCheckResponse::UNKNOWN;
  bool first = true;
  while (true) {
    ServingStatus status;
    bool done;
    {
      absl::MutexLock lock(&mu_);
      // Wake on a change, on shutdown, or every 100 ms to notice a cancelled client.
      auto changed = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return generation_ != seen; };
      mu_.AwaitWithTimeout(absl::Condition(&changed), absl::Milliseconds(100));
      seen = generation_;
      status = StatusOf(request->service());
      done = shutdown_;
    }
    if (context->IsCancelled()) return grpc::Status::CANCELLED;
    if (first || status != last) {
      HealthCheckResponse response;
      response.set_status(status);
      if (!writer->Write(response)) return grpc::Status::CANCELLED;
      first = false;
      last = status;
    }
    if (done) return grpc::Status::OK;
  }
}

}  // namespace dcos::runtime
