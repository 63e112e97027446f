#pragma once

// Where an agent keeps things under its work dir. Pure path arithmetic; nothing here touches
// the disk.
//
//   <work_dir>/agents/<agent>/frameworks/<fw>/executors/<ex>/runs/<container>/   a sandbox
//       stdout, stderr (the task's output), whatever the task writes
//   <work_dir>/meta/agent.pb                                          the agent's identity
//   <work_dir>/meta/frameworks/<fw>/framework.pb                      a framework's info
//   <work_dir>/meta/frameworks/<fw>/tasks/<task>/task.pb              a task and its updates
//   <work_dir>/meta/frameworks/<fw>/tasks/<task>/runs/<container>/    the supervisor's files:
//       pids         supervisor and task pid and start times (written before the task runs)
//       exit_status  the task's wait status (written when it ended)
//
// Ids become path components, so they must pass ValidatePathComponent first.

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace dcos::agent {

// An id usable as one path component: 1..255 bytes of printable ASCII, no '/', not "." or
// "..". INVALID_ARGUMENT naming `field` otherwise.
absl::Status ValidatePathComponent(absl::string_view id, absl::string_view field);

class Layout {
 public:
  explicit Layout(std::string work_dir) : work_dir_(std::move(work_dir)) {}

  const std::string& work_dir() const { return work_dir_; }

  // Sandboxes.
  std::string SandboxDir(absl::string_view agent, absl::string_view framework,
                         absl::string_view executor, absl::string_view container) const;
  // The virtual path of a sandbox as the Agent API shows it (ExecutorState.sandbox_path):
  // "/frameworks/<fw>/executors/<ex>/runs/<container>".
  static std::string VirtualSandboxPath(absl::string_view framework, absl::string_view executor,
                                        absl::string_view container);
  // The sandboxes of one agent id: "<work_dir>/agents/<agent>".
  std::string AgentSandboxRoot(absl::string_view agent) const;

  // Checkpoint.
  std::string MetaDir() const;
  std::string AgentFile() const;
  std::string FrameworksDir() const;
  std::string FrameworkDir(absl::string_view framework) const;
  std::string FrameworkFile(absl::string_view framework) const;
  std::string TasksDir(absl::string_view framework) const;
  std::string TaskDir(absl::string_view framework, absl::string_view task) const;
  std::string TaskFile(absl::string_view framework, absl::string_view task) const;
  std::string RunDir(absl::string_view framework, absl::string_view task,
                     absl::string_view container) const;

  // File names inside a run dir (shared with the supervisor).
  static constexpr char kPidsFile[] = "pids";
  static constexpr char kExitStatusFile[] = "exit_status";
  // File names inside a sandbox.
  static constexpr char kStdout[] = "stdout";
  static constexpr char kStderr[] = "stderr";

 private:
  std::string work_dir_;
};

}  // namespace dcos::agent
