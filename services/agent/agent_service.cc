#include "services/agent/agent_service.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "libs/status/grpc_status.h"
#include "services/agent/sandbox_files.h"
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
                                         agent::v1::GetContainersResponse* response) {
  absl::StatusOr<AgentDriver*> driver = Driver();
  if (!driver.ok()) return status::ToGrpc(driver.status());
  absl::StatusOr<std::vector<AgentCore::RunningContainer>> running =
      (*driver)->Run<std::vector<AgentCore::RunningContainer>>(
          [](AgentCore& core, absl::Time) { return core.RunningContainers(); });
  if (!running.ok()) return status::ToGrpc(running.status());
  Launcher* launcher = launcher_.load();
  // Usage is sampled here, off the agent's loop.
  for (const AgentCore::RunningContainer& r : *running) {
    agent::v1::Container* c = response->add_containers();
    c->mutable_container_id()->set_value(r.container_id);
    c->mutable_framework_id()->set_value(r.task.first);
    c->mutable_executor_id()->set_value(r.task.second);
    c->mutable_task_id()->set_value(r.task.second);
    c->set_pid(static_cast<uint32_t>(r.pids.task_pid));
    c->set_isolation(launcher->isolation());
    *c->mutable_usage() = launcher->Usage(r.container_id, r.pids);
  }
  return grpc::Status::OK;
}

absl::StatusOr<std::pair<std::string, std::string>> AgentService::Resolve(
    const agent::v1::FileLocation& location) {
  absl::StatusOr<AgentDriver*> driver = Driver();
  if (!driver.ok()) return driver.status();
  std::string relative;
  absl::StatusOr<absl::StatusOr<AgentCore::SandboxRef>> ref;
  if (!location.task_id().value().empty()) {
    relative = location.path();
    const std::string fid = location.framework_id().value();
    const std::string tid = location.task_id().value();
    ref = (*driver)->Run<absl::StatusOr<AgentCore::SandboxRef>>(
        [&](AgentCore& core, absl::Time) { return core.TaskSandbox(fid, tid); });
  } else {
    if (location.path().empty()) {
      return absl::InvalidArgumentError("location: give a path or a task_id");
    }
    absl::StatusOr<VirtualPath> v = ParseVirtualPath(location.path(), "location.path");
    if (!v.ok()) return v.status();
    relative = v->rest;
    ref = (*driver)->Run<absl::StatusOr<AgentCore::SandboxRef>>([&](AgentCore& core, absl::Time) {
      return core.RunSandbox(v->framework_id, v->executor_id, v->container_id);
    });
  }
  if (!ref.ok()) return ref.status();
  if (!ref->ok()) return ref->status();
  absl::StatusOr<std::string> disk = ResolveInSandbox((*ref)->disk, relative, "location.path");
  if (!disk.ok()) return disk.status();
  std::string clean(absl::StripSuffix(absl::StripPrefix(relative, "/"), "/"));
  std::string virtual_path = (*ref)->virtual_path;
  if (!clean.empty() && clean != ".") absl::StrAppend(&virtual_path, "/", clean);
  return std::make_pair(*disk, virtual_path);
}

grpc::Status AgentService::ListFiles(grpc::ServerContext*,
                                     const agent::v1::ListFilesRequest* request,
                                     agent::v1::ListFilesResponse* response) {
  absl::StatusOr<std::pair<std::string, std::string>> where = Resolve(request->location());
  if (!where.ok()) return status::ToGrpc(where.status());
  absl::StatusOr<std::vector<agent::v1::FileInfo>> files = ListPath(where->first, where->second);
  if (!files.ok()) return status::ToGrpc(files.status());
  for (agent::v1::FileInfo& f : *files) *response->add_files() = std::move(f);
  return grpc::Status::OK;
}

grpc::Status AgentService::ReadFile(grpc::ServerContext*,
                                    const agent::v1::ReadFileRequest* request,
                                    agent::v1::ReadFileResponse* response) {
  absl::StatusOr<std::pair<std::string, std::string>> where = Resolve(request->location());
  if (!where.ok()) return status::ToGrpc(where.status());
  std::optional<uint64_t> length;
  if (request->has_length()) length = request->length();
  absl::StatusOr<FileChunk> chunk = ReadChunk(where->first, request->offset(), length);
  if (!chunk.ok()) return status::ToGrpc(chunk.status());
  response->set_data(std::move(chunk->data));
  response->set_size(chunk->size);
  return grpc::Status::OK;
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
