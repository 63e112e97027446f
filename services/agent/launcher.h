#pragma once

// Launcher: how the agent starts, signals and watches task processes (the containers of the
// built-in command executor), behind an interface so the driver can be tested with a fake
// (fake_launcher.h). The real one is PosixLauncher (posix_launcher.h).
//
// A container is one run of one task: a supervisor process and, under it, the task in its own
// process group. The supervisor outlives the agent process, records the task's pids before it
// runs and its wait status when it ends (files in the container's run dir), so an agent that
// restarts finds out what became of a task that ended while it was away.

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "protos/agent/v1/agent_state.pb.h"
#include "protos/common/v1/command.pb.h"

namespace dcos::agent {

struct LaunchSpec {
  std::string container_id;
  // The task's working directory; created if missing. stdout and stderr go to files in it.
  std::string sandbox_dir;
  // Where the supervisor writes its files (pids, exit_status); created if missing.
  std::string run_dir;
  // shell: `/bin/sh -c command`. Otherwise exec `command` (looked up in the task's PATH)
  // with `arguments` as argv (argv[0] included; empty: just the command).
  bool shell = true;
  std::string command;
  std::vector<std::string> arguments;
  // The task's whole environment, in order; names are unique.
  std::vector<std::pair<std::string, std::string>> environment;
  // Unix user to run as; empty: the agent's own user.
  std::string user;
  // Fetched into the sandbox before the command starts (a failed fetch is a failed launch,
  // FAILED_PRECONDITION naming the URI).
  std::vector<common::v1::CommandURI> uris;
  // Limits enforced where the isolation allows (0: none).
  double cpus = 0;
  uint64_t mem_bytes = 0;
};

// Who runs a container. Start times are in clock ticks since boot (field 22 of
// /proc/<pid>/stat): with the pid they name a process unambiguously (pids are reused).
struct ContainerPids {
  pid_t supervisor_pid = 0;
  uint64_t supervisor_start = 0;
  pid_t task_pid = 0;  // also the task's process group id
  uint64_t task_start = 0;
};

// How a container ended.
struct ExitInfo {
  // As from waitpid; unset when the agent cannot know (the supervisor died too).
  std::optional<int> wait_status;
  // Why the wait status is unknown.
  std::string message;
  // The kernel killed a process of the container for going over its memory limit.
  bool memory_limit_hit = false;
};

// What became of a container launched by an earlier agent process.
struct RecoveredContainer {
  enum class State {
    kRunning,       // still running; watched from now on
    kExited,        // ended while the agent was away: `exit` says how
    kNeverStarted,  // the agent died during the launch, before the task could run
  };
  State state = State::kNeverStarted;
  ContainerPids pids;
  ExitInfo exit;
};

class Launcher {
 public:
  // Called once per launched or recovered running container when it ends, on a thread of the
  // launcher's own: the receiver must only hand the event over (post it to its loop).
  using ExitCallback = std::function<void(const std::string& container_id, const ExitInfo& exit)>;
  // Called once per Launch with its outcome: the pids once the task runs, or why it could not
  // start. On a thread of the launcher's own, or on Launch's caller for errors found at once.
  // For a container that started, it comes before the container's exit.
  using LaunchCallback = std::function<void(const std::string& container_id,
                                            const absl::StatusOr<ContainerPids>& result)>;

  virtual ~Launcher() = default;

  // Starts a container and returns at once; the outcome comes through the launch callback:
  // the pids, or
  //   FAILED_PRECONDITION: the task cannot start (the command cannot be executed, an unknown
  //     user, the sandbox cannot be made); the message is for the task's status;
  //   INTERNAL: the agent could not start the supervisor, or it failed.
  // After success the container's end is reported once through the exit callback.
  virtual void Launch(const LaunchSpec& spec) = 0;

  // After an agent restart: the state of a container from its run dir, checking that the
  // recorded processes are still the same ones (pid and start time). A running one is watched
  // from now on. Errors: DATA_LOSS for a damaged pids file, INTERNAL.
  virtual absl::StatusOr<RecoveredContainer> Recover(const std::string& container_id,
                                                     const std::string& run_dir) = 0;

  // Sends `signal` to the container's task process group. Nothing for unknown or ended ones.
  virtual void Signal(const std::string& container_id, int signal) = 0;

  // How containers are isolated, and a usage sample of a running one.
  virtual agent::v1::Container::Isolation isolation() const = 0;
  virtual agent::v1::ResourceStatistics Usage(const std::string& container_id,
                                              const ContainerPids& pids) = 0;
};

}  // namespace dcos::agent
