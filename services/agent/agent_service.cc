#include "services/agent/agent_service.h"

#include "libs/status/grpc_status.h"
#include "services/agent/proto_time.h"

namespace dcos::agent {

absl::StatusOr<AgentDriver*> AgentService::Driver() const {
  AgentDriver* driver = driver_.load();
  if (driver == nullptr) return absl::UnavailableError("the agent is still recovering");
  return driver;
}

grpc::Status AgentService::GetState(grpc::ServerContext*, const agent::v1::GetStateRequest*,
                                    agent::v1::GetStateResponse* response) {
  absl::StatusOr<AgentDriver*> driver = Driver();
  if (!driver.ok()) return status::ToGrpc(driver.status());
  absl::StatusOr<agent::v1::GetStateResponse> state =
      (*driver)->Run<agent::v1::GetStateResponse>(
          [](AgentCore& core, absl::Time) { return core.State(); });
  if (!state.ok()) return status::ToGrpc(state.status());
  *response = std::move(*state);
  return grpc::Status::OK;
}

grpc::Status AgentService::GetContainers(grpc::ServerContext*,
                                         const agent::v1::GetContainersRequest*,
                                         agent::v1::GetContainersResponse*) {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "GetContainers: not yet");
}

grpc::Status AgentService::ListFiles(grpc::ServerContext*, const agent::v1::ListFilesRequest*,
                                     agent::v1::ListFilesResponse*) {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "ListFiles: not yet");
}

grpc::Status AgentService::ReadFile(grpc::ServerContext*, const agent::v1::ReadFileRequest*,
                                    agent::v1::ReadFileResponse*) {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "ReadFile: not yet");
}

grpc::Status AgentService::KillTask(grpc::ServerContext*, const agent::v1::KillTaskRequest* request,
                                    agent::v1::KillTaskResponse*) {
  absl::StatusOr<AgentDriver*> driver = Driver();
  if (!driver.ok()) return status::ToGrpc(driver.status());
  if (request->task_id().value().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "task_id: required");
  }
  std::optional<absl::Duration> grace;
  if (request->has_grace_period()) {
    grace = DurationOf(request->grace_period());
    if (*grace < absl::ZeroDuration()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "grace_period: must be >= 0");
    }
  }
  const std::string fid = request->framework_id().value();
  const std::string tid = request->task_id().value();
  absl::StatusOr<absl::Status> killed = (*driver)->Run<absl::Status>(
      [&](AgentCore& core, absl::Time now) { return core.KillTaskByOperator(fid, tid, grace, now); });
  if (!killed.ok()) return status::ToGrpc(killed.status());
  return status::ToGrpc(*killed);
}

grpc::Status AgentService::GetHealth(grpc::ServerContext*, const agent::v1::GetHealthRequest*,
                                     agent::v1::GetHealthResponse* response) {
  absl::StatusOr<AgentDriver*> driver = Driver();
  response->set_recovered(driver.ok());
  if (!driver.ok()) return grpc::Status::OK;
  absl::StatusOr<agent::v1::GetHealthResponse> health =
      (*driver)->Run<agent::v1::GetHealthResponse>([](AgentCore& core, absl::Time) {
        agent::v1::GetHealthResponse h;
        h.set_connected(core.registered());
        *h.mutable_agent_id() = core.info().id();
        return h;
      });
  if (!health.ok()) return status::ToGrpc(health.status());
  response->set_healthy(true);
  response->set_connected(health->connected());
  *response->mutable_agent_id() = health->agent_id();
  response->mutable_build()->set_version("0.1.0-dev");
  return grpc::Status::OK;
}

grpc::Status AgentService::GetFlags(grpc::ServerContext*, const agent::v1::GetFlagsRequest*,
                                    agent::v1::GetFlagsResponse* response) {
  for (const auto& [name, value] : flags_) (*response->mutable_flags())[name] = value;
  return grpc::Status::OK;
}

}  // namespace dcos::agent
