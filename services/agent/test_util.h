#pragma once

// Helpers for the agent's own tests: a scalar resource proto, a shell task's LaunchSpec, and
// LauncherEvents, which records what a Launcher reports (launch outcomes, exits) and waits
// for it.

#include <map>
#include <optional>
#include <string>

#include <catch2/catch.hpp>

#include "absl/synchronization/mutex.h"
#include "libs/testing/harness.h"
#include "protos/common/v1/resources.pb.h"
#include "services/agent/launcher.h"

namespace dcos::agent {

inline common::v1::Resource ScalarResource(const std::string& name, double value) {
  common::v1::Resource r;
  r.set_name(name);
  r.set_type(common::v1::Value::TYPE_SCALAR);
  r.mutable_scalar()->set_value(value);
  return r;
}

// A shell task in `dir` (sandbox-<id>, run-<id>) with PATH set.
inline LaunchSpec ShellSpec(const std::string& dir, const std::string& id,
                            const std::string& command) {
  LaunchSpec s;
  s.container_id = id;
  s.sandbox_dir = dir + "/sandbox-" + id;
  s.run_dir = dir + "/run-" + id;
  s.command = command;
  s.environment = {{"PATH", "/usr/bin:/bin"}};
  return s;
}

// A file's content; "" if it cannot be read.
inline std::string ReadOrEmpty(const std::string& path) {
  auto text = testing::ReadFile(path);
  return text.ok() ? *text : "";
}

class LauncherEvents {
 public:
  Launcher::ExitCallback Callback() {
    return [this](const std::string& id, const ExitInfo& exit) {
      absl::MutexLock lock(&mu_);
      exits_[id] = exit;
    };
  }
  Launcher::LaunchCallback LaunchCallback() {
    return [this](const std::string& id, const absl::StatusOr<ContainerPids>& result) {
      absl::MutexLock lock(&mu_);
      launches_.emplace(id, result);
    };
  }
  // Launches and waits for the outcome.
  absl::StatusOr<ContainerPids> Start(Launcher& launcher, const LaunchSpec& spec) {
    launcher.Launch(spec);
    REQUIRE(testing::WaitFor([&] {
              absl::MutexLock lock(&mu_);
              return launches_.count(spec.container_id) > 0;
            }, absl::Seconds(30), "launch of " + spec.container_id).ok());
    absl::MutexLock lock(&mu_);
    return launches_.at(spec.container_id);
  }
  std::optional<ExitInfo> Get(const std::string& id) {
    absl::MutexLock lock(&mu_);
    auto it = exits_.find(id);
    if (it == exits_.end()) return std::nullopt;
    return it->second;
  }
  ExitInfo Wait(const std::string& id) {
    REQUIRE(testing::WaitFor([&] { return Get(id).has_value(); }, absl::Seconds(30),
                             "exit of " + id).ok());
    return *Get(id);
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, ExitInfo> exits_;
  std::map<std::string, absl::StatusOr<ContainerPids>> launches_;
};

}  // namespace dcos::agent
