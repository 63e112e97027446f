#pragma once

// AgentCore: the agent's pure core — its registration with the master, its frameworks and
// tasks, their status update streams, kills and their escalation, and recovery from the
// checkpoint. No threads, I/O or clock reads: inputs carry `now`, decisions accumulate in an
// Outbox that the driver carries out in order (checkpoint first, so that nothing is sent or
// started that a restarted agent would not know about; then messages to the master; then
// launches and signals).
//
// Tasks (Mesos's command executor semantics):
//   RunTask -> checkpoint (STAGING, container id) -> TASK_STARTING + launch
//   launched -> TASK_RUNNING (with the task's pid)      launch failed -> TASK_FAILED
//   process ended -> FINISHED / FAILED / KILLED (command_executor.h) + ExecutorExited
//   KillTask -> [TASK_KILLING] SIGTERM, SIGKILL after the grace period
// Every update carries a fresh uuid and goes through the task's StatusUpdateStream: in order,
// one in flight, retried until the master relays the framework's acknowledgement; the task is
// forgotten (its checkpoint removed) when its terminal update is acknowledged.
//
// Single-threaded: owned by the driver's loop thread.

#include <deque>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "protos/agent/v1/agent.pb.h"
#include "protos/master/v1/agent_channel.pb.h"
#include "services/agent/checkpoint.h"
#include "services/agent/health_check.h"
#include "services/agent/health_prober.h"
#include "services/agent/launcher.h"
#include "services/agent/layout.h"
#include "services/agent/status_update_stream.h"

namespace dcos::agent {

// (framework id, task id).
using TaskKey = std::pair<std::string, std::string>;

struct CoreOptions {
  // This agent as configured: address, resources, attributes. The id is unset; it comes from
  // the checkpoint (Recover) or the master (Registered).
  common::v1::AgentInfo info;
  common::v1::BuildInfo build;
  // /proc/sys/kernel/random/boot_id, recorded with the agent's identity.
  std::string boot_id;
  std::string work_dir;
  StatusUpdateStream::Options updates;
  // Without an answer to Register/Reregister for this long, connect again.
  absl::Duration registration_timeout = absl::Seconds(30);
  // Acknowledged terminal tasks remembered for the state API.
  size_t max_completed_tasks = 1000;
  // Seeds the uuids of updates and the container ids.
  uint64_t seed = 0;
  // When the agent started (GetState).
  absl::Time start_time;
};

// What the driver carries out after each input, in this order.
struct Outbox {
  std::optional<checkpoint::AgentCheckpoint> write_agent;
  std::vector<checkpoint::FrameworkCheckpoint> write_frameworks;
  std::vector<std::string> remove_frameworks;
  std::vector<checkpoint::TaskCheckpoint> write_tasks;
  std::vector<TaskKey> remove_tasks;
  std::vector<master::v1::AgentMessage> to_master;
  std::vector<LaunchSpec> launches;
  std::vector<std::pair<std::string, int>> signals;  // container id, signal
  std::vector<ProbeRequest> probes;                  // health checks to run
  // Drop the master stream and connect again (the master went silent).
  bool reconnect = false;
  // Stop the agent process (the master said Shutdown).
  bool shutdown = false;
  std::string shutdown_message;

  bool empty() const;
};

class AgentCore {
 public:
  explicit AgentCore(CoreOptions options);

  // ---- recovery (once, before anything else) ----
  // `state` is the checkpoint; `containers` what the launcher found of each non-terminal
  // task's container, by container id (missing: never started). Errors: FAILED_PRECONDITION
  // when the checkpointed agent advertised other resources or attributes than this one
  // (the message says how to go on).
  absl::Status Recover(const CheckpointState& state,
                       const std::map<std::string, RecoveredContainer>& containers,
                       absl::Time now);

  // ---- the master ----
  // A new stream to the master is open: the first message to send (Register, or Reregister
  // with everything the agent runs).
  master::v1::AgentMessage Connected(absl::Time now);
  void Disconnected(absl::Time now);
  void Receive(const master::v1::MasterMessage& message, absl::Time now);

  // ---- the launcher ----
  void Launched(const std::string& container_id, const ContainerPids& pids, absl::Time now);
  void LaunchFailed(const std::string& container_id, const absl::Status& error, absl::Time now);
  void Exited(const std::string& container_id, const ExitInfo& exit, absl::Time now);

  // ---- health checks ----
  void HealthResult(const std::string& container_id, uint64_t sequence,
                    const ProbeResult& result, absl::Time now);

  // ---- operators (Agent API) ----
  // Kills a task as KillTask from the master would. NOT_FOUND for unknown or terminal tasks;
  // INVALID_ARGUMENT when the task id is ambiguous without a framework id.
  absl::Status KillTaskByOperator(const std::string& framework_id, const std::string& task_id,
                                  std::optional<absl::Duration> grace, absl::Time now);

  // Timers: kill escalation, update retries, the master's silence.
  void Tick(absl::Time now);

  Outbox TakeOutbox();

  // ---- introspection ----
  bool registered() const { return link_ == Link::kRegistered; }
  const common::v1::AgentInfo& info() const { return options_.info; }
  agent::v1::GetStateResponse State() const;
  struct RunningContainer {
    TaskKey task;
    std::string container_id;
    ContainerPids pids;
  };
  // Containers whose task runs (GetContainers).
  std::vector<RunningContainer> RunningContainers() const;

  // A sandbox: where it is on disk and its virtual path ("/frameworks/F/executors/E/runs/C").
  struct SandboxRef {
    std::string disk;
    std::string virtual_path;
  };
  // The latest run of task `task_id` (of `framework_id`, needed only when two frameworks here
  // use that id), current or completed. NOT_FOUND, or INVALID_ARGUMENT naming framework_id.
  absl::StatusOr<SandboxRef> TaskSandbox(const std::string& framework_id,
                                         const std::string& task_id) const;
  // A run named by its ids; `container_id` "latest" is the executor's latest run. A run the
  // agent no longer remembers (before a restart) is found on disk. NOT_FOUND otherwise.
  absl::StatusOr<SandboxRef> RunSandbox(const std::string& framework_id,
                                        const std::string& executor_id,
                                        const std::string& container_id) const;
  // Containers the agent runs or remembers (for sandbox garbage collection).
  std::set<std::string> KnownContainers() const;

 private:
  enum class Link { kDisconnected, kConnecting, kRegistered };

  struct TaskRecord {
    std::string framework_id;
    common::v1::TaskInfo info;
    std::string container_id;
    common::v1::TaskState state = common::v1::TASK_STAGING;
    StatusUpdateStream updates;
    std::deque<common::v1::TaskStatus> statuses;
    bool persistent = true;  // ids are usable as paths: checkpointed
    bool launching = false;
    bool launched = false;
    ContainerPids pids;
    bool kill_requested = false;
    std::optional<absl::Time> kill_deadline;
    common::v1::TaskStatus::Reason kill_reason = common::v1::TaskStatus::REASON_UNSPECIFIED;
    absl::Time started_at;
    std::optional<absl::Time> ended_at;
    std::optional<bool> healthy;
    std::optional<HealthCheckState> health;  // while it runs, if it has a check
    std::string kill_message;                // why the agent itself killed it
  };

  // An acknowledged terminal task, kept for the state API and its sandbox.
  struct CompletedTask {
    common::v1::Task task;
    std::string container_id;
    std::string sandbox;
    absl::Time started_at;
    absl::Time ended_at;
  };

  struct FrameworkRecord {
    common::v1::FrameworkInfo info;
    std::set<std::string> tasks;
    bool shutting_down = false;
  };

  // agent_core.cc: registration and messages.
  master::v1::AgentMessage ReregisterMessage() const;
  void Registered(const common::v1::AgentID& id, const google::protobuf::Duration& ping_timeout,
                  uint32_t max_pings, const common::v1::MasterInfo& master, absl::Time now);
  absl::Status CheckCompatible(const common::v1::AgentInfo& checkpointed) const;
  void RecoverTask(const checkpoint::TaskCheckpoint& saved,
                   const std::map<std::string, RecoveredContainer>& containers, absl::Time now);

  // agent_core_tasks.cc: tasks.
  void RunTask(const master::v1::RunTask& run, absl::Time now);
  void KillTask(const std::string& framework_id, const std::string& task_id,
                const common::v1::KillPolicy* policy, absl::Time now);
  void ShutdownFramework(const std::string& framework_id, absl::Time now);
  void Acknowledge(const master::v1::StatusUpdateAck& ack, absl::Time now);
  void Shutdown(const std::string& message, absl::Time now);
  void StartKill(TaskRecord& task, absl::Duration grace, absl::Time now);
  void EndTask(TaskRecord& task, const ExitInfo& exit, absl::Time now);
  // A new update of `task`, queued on its stream (and its latest state).
  void Update(TaskRecord& task, common::v1::TaskState state, common::v1::TaskStatus::Source source,
              common::v1::TaskStatus::Reason reason, const std::string& message, absl::Time now);
  // An update for a task the agent does not track (sent once, not retried).
  void DetachedUpdate(const std::string& framework_id, const common::v1::TaskID& task_id,
                      common::v1::TaskState state, common::v1::TaskStatus::Reason reason,
                      const std::string& message, absl::Time now);
  void CompleteTask(const TaskKey& key);
  LaunchSpec MakeLaunchSpec(const TaskRecord& task) const;
  // Starts health checking a running task (`healthy`: its last reported health, if any).
  void StartHealthChecks(TaskRecord& task, absl::Time now);
  void RunDueChecks(absl::Time now);
  common::v1::Task TaskProto(const TaskRecord& task) const;
  checkpoint::TaskCheckpoint TaskCheckpointOf(const TaskRecord& task) const;
  bool PartitionAware(const std::string& framework_id) const;
  bool HasCapability(const std::string& framework_id,
                     common::v1::FrameworkInfo::Capability::Type type) const;
  // Sends what the update streams have due.
  void FlushUpdates(absl::Time now);
  void SendToMaster(master::v1::AgentMessage message);
  std::string NewUuid();
  std::string NewContainerId();
  std::string SandboxDir(const TaskRecord& task) const;

  TaskRecord* FindTask(const TaskKey& key);
  TaskRecord* FindContainer(const std::string& container_id);
  void MarkDirty(const TaskKey& key) { dirty_tasks_.insert(key); }

  CoreOptions options_;
  Layout layout_;
  std::mt19937_64 rng_;
  Link link_ = Link::kDisconnected;
  absl::Time link_changed_;
  absl::Time last_heard_;  // the master's last Ping (or the registration)
  absl::Duration ping_timeout_ = absl::ZeroDuration();
  uint32_t max_ping_timeouts_ = 0;
  std::optional<common::v1::MasterInfo> master_;
  std::map<std::string, FrameworkRecord> frameworks_;
  std::map<TaskKey, TaskRecord> tasks_;
  std::map<std::string, TaskKey> containers_;  // container id -> task
  std::deque<CompletedTask> completed_;
  std::set<TaskKey> dirty_tasks_;
  std::set<std::string> dirty_frameworks_;
  Outbox outbox_;
};

}  // namespace dcos::agent
