#pragma once

// The rules of the built-in command executor, pure: which TaskInfos it runs, the environment a
// task gets, how long a kill waits before SIGKILL, and how a process's end maps to a terminal
// task state.

#include <string>
#include <utility>
#include <vector>

#include "libs/tasks/task_states.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "protos/common/v1/task.pb.h"
#include "services/agent/launcher.h"

namespace dcos::agent {

// The task will never run again (libs/tasks).
using ::dcos::tasks::IsTerminal;

// Checks a TaskInfo before anything is started. INVALID_ARGUMENT naming the field, e.g.
// "task.command.value: required" or "task.command.environment.variables[2].name: may not
// contain '='".
absl::Status ValidateTask(const common::v1::TaskInfo& task);

// Where and for whom a task runs.
struct TaskContext {
  std::string hostname;  // the agent's (HOST)
  std::string agent_id;
  std::string framework_id;
  std::string container_id;
  std::string sandbox_dir;
};

// The PATH every task starts with.
inline constexpr char kDefaultPath[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// The task's environment, in order: PATH; then what the agent injects — HOST, PORT0..PORTn
// (the task's ports in the order of its resources), PORT (= PORT0), PORTS (comma-separated),
// MESOS_TASK_ID, MESOS_SANDBOX, MESOS_FRAMEWORK_ID, MESOS_AGENT_ID, MESOS_EXECUTOR_ID,
// MESOS_CONTAINER_ID; then the task's own variables. A later variable of the same name
// replaces the earlier one's value (keeping its place). Nothing of the agent's own
// environment leaks in.
std::vector<std::pair<std::string, std::string>> TaskEnvironment(const common::v1::TaskInfo& task,
                                                                 const TaskContext& context);

// SIGTERM to SIGKILL: `override` (a KillTask's policy) if it has a grace period, else the
// task's KillPolicy, else 3 s. Negative values count as 0.
absl::Duration KillGracePeriod(const common::v1::TaskInfo& task,
                               const common::v1::KillPolicy* override);

// How a task ended, as its terminal status says.
struct TaskEnd {
  common::v1::TaskState state = common::v1::TASK_FAILED;
  common::v1::TaskStatus::Reason reason = common::v1::TaskStatus::REASON_UNSPECIFIED;
  std::string message;
};

// Exit 0: FINISHED "Command exited with status 0"; exit n: FAILED "Command exited with status
// n"; a signal: FAILED "Command terminated with signal Killed (9)"; unknown: FAILED with
// REASON_EXECUTOR_TERMINATED and the launcher's message; over the memory limit: FAILED with
// REASON_CONTAINER_LIMITATION_MEMORY, "Memory limit exceeded". After a kill request
// every end is KILLED (with the same message).
TaskEnd MapExit(const ExitInfo& exit, bool kill_requested);

}  // namespace dcos::agent
