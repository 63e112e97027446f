#include "services/agent/fake_launcher.h"

namespace dcos::agent {

void FakeLauncher::Launch(const LaunchSpec& spec) {
  absl::StatusOr<ContainerPids> result;
  {
    absl::MutexLock lock(&mu_);
    launches_.push_back(spec);
    if (!next_failure_.ok()) {
      result = next_failure_;
      next_failure_ = absl::OkStatus();
    } else {
      running_.insert(spec.container_id);
      ContainerPids pids;
      pids.supervisor_pid = next_pid_++;
      pids.supervisor_start = 1;
      pids.task_pid = next_pid_++;
      pids.task_start = 1;
      result = pids;
    }
  }
  on_launch_(spec.container_id, result);
}

absl::StatusOr<RecoveredContainer> FakeLauncher::Recover(const std::string& container_id,
                                                         const std::string&) {
  absl::MutexLock lock(&mu_);
  auto it = recovered_.find(container_id);
  if (it == recovered_.end()) return RecoveredContainer{};
  if (it->second.state == RecoveredContainer::State::kRunning) running_.insert(container_id);
  return it->second;
}

void FakeLauncher::Signal(const std::string& container_id, int signal) {
  absl::MutexLock lock(&mu_);
  signals_.emplace_back(container_id, signal);
}

void FakeLauncher::FailNextLaunch(absl::Status error) {
  absl::MutexLock lock(&mu_);
  next_failure_ = std::move(error);
}

void FakeLauncher::SetRecovered(const std::string& container_id, RecoveredContainer recovered) {
  absl::MutexLock lock(&mu_);
  recovered_[container_id] = std::move(recovered);
}

bool FakeLauncher::Exit(const std::string& container_id, const ExitInfo& exit) {
  {
    absl::MutexLock lock(&mu_);
    if (running_.erase(container_id) == 0) return false;
  }
  on_exit_(container_id, exit);
  return true;
}

std::vector<LaunchSpec> FakeLauncher::launches() const {
  absl::MutexLock lock(&mu_);
  return launches_;
}

std::vector<std::pair<std::string, int>> FakeLauncher::signals() const {
  absl::MutexLock lock(&mu_);
  return signals_;
}

bool FakeLauncher::running(const std::string& container_id) const {
  absl::MutexLock lock(&mu_);
  return running_.count(container_id) > 0;
}

}  // namespace dcos::agent
