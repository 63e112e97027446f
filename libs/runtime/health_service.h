#pragma once

// grpc.health.v1.Health, implemented here (not gRPC's default service) so a server is
// NOT_SERVING from the moment it accepts connections until its owner says it is ready.
//
// Thread-safe: SetServing may be called from any thread; Watch streams are woken on change.

#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace dcos::runtime {

class HealthService final : public grpc::health::v1::Health::Service {
 public:
  HealthService() = default;

  // Sets the status of the whole server ("") and of every registered service name.
  void SetServing(bool serving);

  // Registers a service name (e.g. "dcos.master.v1.Scheduler") that follows the server status.
  void AddServiceName(const std::string& name);

  // Ends every Watch stream with the final status NOT_SERVING; further calls see NOT_SERVING.
  void Shutdown();

  bool serving() const;

  grpc::Status Check(grpc::ServerContext* context,
                     const grpc::health::v1::HealthCheckRequest* request,
                     grpc::health::v1::HealthCheckResponse* response) override;

  grpc::Status Watch(grpc::ServerContext* context,
                     const grpc::health::v1::HealthCheckRequest* request,
                     grpc::ServerWriter<grpc::health::v1::HealthCheckResponse>* writer) override;

 private:
  using ServingStatus = grpc::health::v1::HealthCheckResponse::ServingStatus;

  // NOT_FOUND-like SERVICE_UNKNOWN for names never registered.
  ServingStatus StatusOf(const std::string& service) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  bool serving_ ABSL_GUARDED_BY(mu_) = false;
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;  // bumped on every change, for Watch
  std::map<std::string, bool> names_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dcos::runtime
