#pragma once

// AgentService: dcos.agent.v1.Agent — the agent's own API (state, containers, sandbox files,
// kill, health, flags). Handlers validate their input and ask the driver's loop; they never
// touch the core directly.

#include <atomic>
#include <functional>
#include <map>
#include <string>

#include "protos/agent/v1/agent.grpc.pb.h"
#include "services/agent/agent_driver.h"

namespace dcos::agent {

class AgentService final : public agent::v1::Agent::Service {
 public:
  // `flags`: the effective configuration by flag name (GetFlags).
  explicit AgentService(std::map<std::string, std::string> flags) : flags_(std::move(flags)) {}

  // The driver and launcher, once the agent has recovered its checkpoint; until then every
  // call but GetHealth and GetFlags is UNAVAILABLE. Both must outlive the server.
  void Attach(AgentDriver* driver, Launcher* launcher) {
    launcher_.store(launcher);
    driver_.store(driver);
  }

  grpc::Status GetState(grpc::ServerContext*, const agent::v1::GetStateRequest*,
                        agent::v1::GetStateResponse* response) override;
  grpc::Status GetContainers(grpc::ServerContext*, const agent::v1::GetContainersRequest*,
                             agent::v1::GetContainersResponse* response) override;
  grpc::Status ListFiles(grpc::ServerContext*, const agent::v1::ListFilesRequest* request,
                         agent::v1::ListFilesResponse* response) override;
  grpc::Status ReadFile(grpc::ServerContext*, const agent::v1::ReadFileRequest* request,
                        agent::v1::ReadFileResponse* response) override;
  grpc::Status KillTask(grpc::ServerContext*, const agent::v1::KillTaskRequest* request,
                        agent::v1::KillTaskResponse* response) override;
  grpc::Status GetHealth(grpc::ServerContext*, const agent::v1::GetHealthRequest*,
                         agent::v1::GetHealthResponse* response) override;
  grpc::Status GetFlags(grpc::ServerContext*, const agent::v1::GetFlagsRequest*,
                        agent::v1::GetFlagsResponse* response) override;

 private:
  // The attached driver, or UNAVAILABLE.
  absl::StatusOr<AgentDriver*> Driver() const;
  // The file a FileLocation names: its path on disk and its virtual path.
  absl::StatusOr<std::pair<std::string, std::string>> Resolve(
      const agent::v1::FileLocation& location);

  std::atomic<AgentDriver*> driver_{nullptr};
  std::atomic<Launcher*> launcher_{nullptr};
  std::map<std::string, std::string> flags_;
};

}  // namespace dcos::agent
