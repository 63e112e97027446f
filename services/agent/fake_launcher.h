#pragma once

// FakeLauncher: a Launcher that starts nothing, for tests of the agent's driver. It records
// launches and signals, hands out made-up pids, and ends containers when the test says so
// (Exit), or fails launches it was told to fail. Thread-safe; Launch calls the launch callback
// and Exit the exit callback on the caller's thread.

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "services/agent/launcher.h"

namespace dcos::agent {

class FakeLauncher final : public Launcher {
 public:
  FakeLauncher(ExitCallback on_exit, LaunchCallback on_launch)
      : on_exit_(std::move(on_exit)), on_launch_(std::move(on_launch)) {}

  void Launch(const LaunchSpec& spec) override;
  absl::StatusOr<RecoveredContainer> Recover(const std::string& container_id,
                                             const std::string& run_dir) override;
  void Signal(const std::string& container_id, int signal) override;
  agent::v1::Container::Isolation isolation() const override {
    return agent::v1::Container::ISOLATION_POSIX;
  }
  agent::v1::ResourceStatistics Usage(const std::string&, const ContainerPids&) override {
    return {};
  }

  // The next Launch fails with `error` (once).
  void FailNextLaunch(absl::Status error);
  // What Recover answers for `container_id` (default: kNeverStarted).
  void SetRecovered(const std::string& container_id, RecoveredContainer recovered);
  // Ends a running container: the exit callback runs now, on this thread. False if it is not
  // running.
  bool Exit(const std::string& container_id, const ExitInfo& exit);

  std::vector<LaunchSpec> launches() const;
  std::vector<std::pair<std::string, int>> signals() const;
  bool running(const std::string& container_id) const;

 private:
  ExitCallback on_exit_;
  LaunchCallback on_launch_;
  mutable absl::Mutex mu_;
  std::vector<LaunchSpec> launches_ ABSL_GUARDED_BY(mu_);
  std::vector<std::pair<std::string, int>> signals_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> running_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, RecoveredContainer> recovered_ ABSL_GUARDED_BY(mu_);
  absl::Status next_failure_ ABSL_GUARDED_BY(mu_);
  pid_t next_pid_ ABSL_GUARDED_BY(mu_) = 1000;
};

}  // namespace dcos::agent
