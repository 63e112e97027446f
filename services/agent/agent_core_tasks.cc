// AgentCore: tasks — launch, kill and its escalation, their end, status updates and their
// acknowledgement, framework shutdown.

#include <csignal>

#include "absl/strings/str_cat.h"
#include "services/agent/agent_core.h"
#include "services/agent/command_executor.h"
#include "services/agent/proto_time.h"

namespace dcos::agent {
namespace {

using common::v1::TaskState;
using common::v1::TaskStatus;

// Statuses kept per task: the first ones and the most recent, at most this many.
constexpr size_t kStatusesKept = 16;

}  // namespace

bool AgentCore::HasCapability(const std::string& framework_id,
                              common::v1::FrameworkInfo::Capability::Type type) const {
  auto f = frameworks_.find(framework_id);
  if (f == frameworks_.end()) return false;
  for (const auto& c : f->second.info.capabilities()) {
    if (c.type() == type) return true;
  }
  return false;
}

bool AgentCore::PartitionAware(const std::string& framework_id) const {
  return HasCapability(framework_id, common::v1::FrameworkInfo::Capability::TYPE_PARTITION_AWARE);
}

// ---------------- updates ----------------

void AgentCore::Update(TaskRecord& t, TaskState state, TaskStatus::Source source,
                       TaskStatus::Reason reason, const std::string& message, absl::Time now) {
  TaskStatus s;
  *s.mutable_task_id() = t.info.task_id();
  s.set_state(state);
  s.set_message(message);
  s.set_source(source);
  s.set_reason(reason);
  *s.mutable_agent_id() = options_.info.id();
  s.mutable_executor_id()->set_value(t.info.task_id().value());
  *s.mutable_timestamp() = TimestampOf(now);
  s.set_uuid(NewUuid());
  if (t.healthy.has_value()) s.set_healthy(*t.healthy);
  s.mutable_container_status()->mutable_container_id()->set_value(t.container_id);
  s.mutable_container_status()->set_executor_pid(static_cast<uint32_t>(t.pids.task_pid));
  t.state = state;
  t.statuses.push_back(s);
  // Keep the first status and the most recent ones.
  if (t.statuses.size() > kStatusesKept) t.statuses.erase(t.statuses.begin() + 1);
  t.updates.Add(std::move(s), now);
  MarkDirty({t.framework_id, t.info.task_id().value()});
}

void AgentCore::DetachedUpdate(const std::string& framework_id, const common::v1::TaskID& task_id,
                               TaskState state, TaskStatus::Reason reason,
                               const std::string& message, absl::Time now) {
  master::v1::AgentMessage m;
  m.mutable_status_update()->mutable_framework_id()->set_value(framework_id);
  TaskStatus* s = m.mutable_status_update()->mutable_status();
  *s->mutable_task_id() = task_id;
  s->set_state(state);
  s->set_message(message);
  s->set_source(TaskStatus::SOURCE_AGENT);
  s->set_reason(reason);
  *s->mutable_agent_id() = options_.info.id();
  s->mutable_executor_id()->set_value(task_id.value());
  *s->mutable_timestamp() = TimestampOf(now);
  s->set_uuid(NewUuid());
  m.mutable_status_update()->set_latest_state(state);
  SendToMaster(std::move(m));
}

// ---------------- launch ----------------

LaunchSpec AgentCore::MakeLaunchSpec(const TaskRecord& t) const {
  LaunchSpec spec;
  spec.container_id = t.container_id;
  spec.sandbox_dir = SandboxDir(t);
  spec.run_dir = layout_.RunDir(t.framework_id, t.info.task_id().value(), t.container_id);
  const common::v1::CommandInfo& command = t.info.command();
  spec.shell = !command.has_shell() || command.shell();
  spec.command = command.value();
  spec.arguments.assign(command.arguments().begin(), command.arguments().end());
  spec.uris.assign(command.uris().begin(), command.uris().end());
  TaskContext context{options_.info.address().hostname().empty() ? options_.info.address().ip()
                                                                   : options_.info.address().hostname(),
                      options_.info.id().value(), t.framework_id, t.container_id,
                      spec.sandbox_dir};
  spec.environment = TaskEnvironment(t.info, context);
  for (const common::v1::Resource& r : t.info.resources()) {
    if (r.type() != common::v1::Value::TYPE_SCALAR) continue;
    if (r.name() == "cpus") spec.cpus += r.scalar().value();
    if (r.name() == "mem") spec.mem_bytes += static_cast<uint64_t>(r.scalar().value() * 1024 * 1024);
  }
  auto f = frameworks_.find(t.framework_id);
  spec.user = !command.user().empty() ? command.user()
              : f != frameworks_.end() ? f->second.info.user()
                                       : "";
  return spec;
}

void AgentCore::RunTask(const master::v1::RunTask& run, absl::Time now) {
  const std::string& fid = run.framework_info().id().value();
  const common::v1::TaskInfo& info = run.task();
  TaskKey key{fid, info.task_id().value()};
  if (tasks_.count(key) > 0) {
    // Never touch the task that already has this id.
    DetachedUpdate(fid, info.task_id(), common::v1::TASK_ERROR, TaskStatus::REASON_TASK_INVALID,
                   absl::StrCat("task.task_id: '", key.second,
                                "' is already used by a task of this framework on this agent"),
                   now);
    return;
  }
  FrameworkRecord& f = frameworks_[fid];
  f.info = run.framework_info();
  f.tasks.insert(key.second);
  dirty_frameworks_.insert(fid);

  TaskRecord& t = tasks_[key];
  t.framework_id = fid;
  t.info = info;
  t.container_id = NewContainerId();
  t.updates = StatusUpdateStream(options_.updates);
  t.started_at = now;
  containers_[t.container_id] = key;
  absl::Status fid_ok = ValidatePathComponent(fid, "framework_info.id");
  absl::Status valid = fid_ok.ok() ? ValidateTask(info) : fid_ok;
  // Ids that cannot name a directory are never written to disk.
  t.persistent = fid_ok.ok() && ValidatePathComponent(key.second, "task.task_id").ok();
  if (!valid.ok()) {
    Update(t, common::v1::TASK_ERROR, TaskStatus::SOURCE_AGENT, TaskStatus::REASON_TASK_INVALID,
           std::string(valid.message()), now);
    t.ended_at = now;
    return;
  }
  if (f.shutting_down) {
    Update(t, PartitionAware(fid) ? common::v1::TASK_DROPPED : common::v1::TASK_LOST,
           TaskStatus::SOURCE_AGENT, TaskStatus::REASON_FRAMEWORK_REMOVED,
           "the framework is shutting down on this agent", now);
    t.ended_at = now;
    return;
  }
  Update(t, common::v1::TASK_STARTING, TaskStatus::SOURCE_EXECUTOR, TaskStatus::REASON_UNSPECIFIED,
         "", now);
  t.launching = true;
  outbox_.launches.push_back(MakeLaunchSpec(t));
}

void AgentCore::Launched(const std::string& container_id, const ContainerPids& pids,
                         absl::Time now) {
  TaskRecord* t = FindContainer(container_id);
  if (t == nullptr || !t->launching) {
    outbox_.signals.emplace_back(container_id, SIGKILL);  // nobody wants it
    return;
  }
  t->launching = false;
  t->launched = true;
  t->pids = pids;
  MarkDirty({t->framework_id, t->info.task_id().value()});
  if (t->kill_requested) {
    StartKill(*t, KillGracePeriod(t->info, nullptr), now);
  } else {
    Update(*t, common::v1::TASK_RUNNING, TaskStatus::SOURCE_EXECUTOR,
           TaskStatus::REASON_UNSPECIFIED, "", now);
    StartHealthChecks(*t, now);
  }
  FlushUpdates(now);
}

void AgentCore::LaunchFailed(const std::string& container_id, const absl::Status& error,
                             absl::Time now) {
  TaskRecord* t = FindContainer(container_id);
  if (t == nullptr || !t->launching) return;
  t->launching = false;
  t->ended_at = now;
  Update(*t, common::v1::TASK_FAILED, TaskStatus::SOURCE_AGENT,
         TaskStatus::REASON_CONTAINER_LAUNCH_FAILED, std::string(error.message()), now);
  FlushUpdates(now);
}

// ---------------- health checks ----------------

void AgentCore::StartHealthChecks(TaskRecord& t, absl::Time now) {
  if (!t.info.has_health_check()) return;
  t.health.emplace(t.info.health_check(), now);
  if (t.healthy.has_value()) t.health->Restore(*t.healthy);
}

void AgentCore::RunDueChecks(absl::Time now) {
  for (auto& [key, t] : tasks_) {
    if (!t.health.has_value() || t.state != common::v1::TASK_RUNNING || t.kill_requested) continue;
    std::optional<uint64_t> sequence = t.health->TakeDue(now);
    if (!sequence.has_value()) continue;
    ProbeRequest probe;
    probe.container_id = t.container_id;
    probe.sequence = *sequence;
    probe.check = t.info.health_check();
    const common::v1::Address& a = options_.info.address();
    probe.host = !a.ip().empty() ? a.ip() : !a.hostname().empty() ? a.hostname() : "127.0.0.1";
    LaunchSpec spec = MakeLaunchSpec(t);
    probe.sandbox_dir = spec.sandbox_dir;
    probe.environment = std::move(spec.environment);
    probe.timeout = t.health->timeout();
    outbox_.probes.push_back(std::move(probe));
  }
}

void AgentCore::HealthResult(const std::string& container_id, uint64_t sequence,
                             const ProbeResult& result, absl::Time now) {
  TaskRecord* t = FindContainer(container_id);
  if (t == nullptr || !t->health.has_value() || t->state != common::v1::TASK_RUNNING ||
      t->kill_requested) {
    return;
  }
  HealthCheckState::Verdict v = t->health->Result(sequence, result.healthy, now);
  if (v.report.has_value()) {
    t->healthy = *v.report;
    Update(*t, common::v1::TASK_RUNNING, TaskStatus::SOURCE_EXECUTOR,
           TaskStatus::REASON_TASK_HEALTH_CHECK_STATUS_UPDATED,
           *v.report ? "" : absl::StrCat("health check failed: ", result.message), now);
  }
  if (v.kill) {
    t->kill_reason = TaskStatus::REASON_TASK_HEALTH_CHECK_STATUS_UPDATED;
    t->kill_message = absl::StrCat("killed after failing ", t->health->consecutive_failures(),
                                   " health checks in a row (last: ", result.message, ")");
    StartKill(*t, KillGracePeriod(t->info, nullptr), now);
  }
  FlushUpdates(now);
}

// ---------------- kill and end ----------------

void AgentCore::StartKill(TaskRecord& t, absl::Duration grace, absl::Time now) {
  const TaskKey key{t.framework_id, t.info.task_id().value()};
  const bool first = !t.kill_requested;
  t.kill_requested = true;
  MarkDirty(key);
  if (!t.launched) return;  // the launch finishes first (Launched starts the kill)
  if (first && HasCapability(t.framework_id,
                             common::v1::FrameworkInfo::Capability::TYPE_TASK_KILLING_STATE)) {
    Update(t, common::v1::TASK_KILLING, TaskStatus::SOURCE_EXECUTOR, t.kill_reason, "", now);
  }
  if (grace <= absl::ZeroDuration()) {
    outbox_.signals.emplace_back(t.container_id, SIGKILL);
    t.kill_deadline.reset();
    return;
  }
  absl::Time deadline = now + grace;
  if (first || !t.kill_deadline.has_value()) {
    outbox_.signals.emplace_back(t.container_id, SIGTERM);
    t.kill_deadline = deadline;
  } else if (deadline < *t.kill_deadline) {
    t.kill_deadline = deadline;  // a later kill with a shorter grace period
  }
}

void AgentCore::KillTask(const std::string& framework_id, const std::string& task_id,
                         const common::v1::KillPolicy* policy, absl::Time now) {
  TaskRecord* t = FindTask({framework_id, task_id});
  if (t == nullptr) {
    common::v1::TaskID id;
    id.set_value(task_id);
    DetachedUpdate(framework_id, id,
                   PartitionAware(framework_id) ? common::v1::TASK_DROPPED : common::v1::TASK_LOST,
                   TaskStatus::REASON_TASK_UNKNOWN, "the agent does not know this task", now);
    return;
  }
  if (IsTerminal(t->state)) return;
  StartKill(*t, KillGracePeriod(t->info, policy), now);
}

absl::Status AgentCore::KillTaskByOperator(const std::string& framework_id,
                                           const std::string& task_id,
                                           std::optional<absl::Duration> grace, absl::Time now) {
  std::vector<TaskKey> live;
  for (const auto& [key, t] : tasks_) {
    if (key.second == task_id && (framework_id.empty() || key.first == framework_id) &&
        !IsTerminal(t.state)) {
      live.push_back(key);
    }
  }
  if (live.empty()) {
    return absl::NotFoundError(absl::StrCat("task_id: no running task '", task_id, "' here"));
  }
  if (live.size() > 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "framework_id: required, two frameworks here have a task '", task_id, "'"));
  }
  TaskRecord& t = tasks_.at(live[0]);
  StartKill(t, grace.has_value() ? *grace : KillGracePeriod(t.info, nullptr), now);
  FlushUpdates(now);
  return absl::OkStatus();
}

void AgentCore::EndTask(TaskRecord& t, const ExitInfo& exit, absl::Time now) {
  TaskEnd end = MapExit(exit, t.kill_requested);
  if (t.kill_requested && t.kill_reason != TaskStatus::REASON_UNSPECIFIED) end.reason = t.kill_reason;
  if (t.kill_requested && !t.kill_message.empty()) end.message = t.kill_message;
  if (end.reason == TaskStatus::REASON_CONTAINER_LIMITATION_MEMORY) {
    end.message = absl::StrCat(end.message, ": the task used all of its ",
                               MakeLaunchSpec(t).mem_bytes >> 20, " MiB and was killed");
  }
  t.health.reset();
  t.ended_at = now;
  t.kill_deadline.reset();
  Update(t, end.state, TaskStatus::SOURCE_EXECUTOR, end.reason, end.message, now);
  master::v1::AgentMessage m;
  m.mutable_executor_exited()->mutable_framework_id()->set_value(t.framework_id);
  m.mutable_executor_exited()->mutable_executor_id()->set_value(t.info.task_id().value());
  if (exit.wait_status.has_value()) m.mutable_executor_exited()->set_status(*exit.wait_status);
  SendToMaster(std::move(m));
}

void AgentCore::Exited(const std::string& container_id, const ExitInfo& exit, absl::Time now) {
  TaskRecord* t = FindContainer(container_id);
  if (t == nullptr || IsTerminal(t->state)) return;
  EndTask(*t, exit, now);
  FlushUpdates(now);
}

void AgentCore::ShutdownFramework(const std::string& framework_id, absl::Time now) {
  auto f = frameworks_.find(framework_id);
  if (f == frameworks_.end()) return;
  f->second.shutting_down = true;
  for (const std::string& tid : f->second.tasks) {
    TaskRecord* t = FindTask({framework_id, tid});
    if (t != nullptr && !IsTerminal(t->state)) {
      StartKill(*t, KillGracePeriod(t->info, nullptr), now);
    }
  }
}

void AgentCore::Shutdown(const std::string& message, absl::Time now) {
  for (auto& [key, t] : tasks_) {
    if (!IsTerminal(t.state)) StartKill(t, absl::ZeroDuration(), now);
  }
  outbox_.shutdown = true;
  outbox_.shutdown_message = message;
}

// ---------------- acknowledgements ----------------

void AgentCore::Acknowledge(const master::v1::StatusUpdateAck& ack, absl::Time now) {
  const TaskKey key{ack.framework_id().value(), ack.task_id().value()};
  TaskRecord* t = FindTask(key);
  if (t == nullptr) return;
  std::optional<TaskStatus> acked = t->updates.Acknowledge(ack.uuid(), now);
  if (!acked.has_value()) return;  // a duplicate or stale acknowledgement
  MarkDirty(key);
  if (IsTerminal(acked->state()) && t->updates.empty()) CompleteTask(key);
}

void AgentCore::CompleteTask(const TaskKey& key) {
  auto it = tasks_.find(key);
  if (it == tasks_.end()) return;
  TaskRecord& t = it->second;
  CompletedTask done;
  done.task = TaskProto(t);
  done.container_id = t.container_id;
  done.sandbox = SandboxDir(t);
  done.started_at = t.started_at;
  done.ended_at = t.ended_at.value_or(t.started_at);
  completed_.push_back(std::move(done));
  if (completed_.size() > options_.max_completed_tasks) completed_.pop_front();
  if (t.persistent) outbox_.remove_tasks.push_back(key);
  containers_.erase(t.container_id);
  tasks_.erase(it);
  auto f = frameworks_.find(key.first);
  if (f == frameworks_.end()) return;
  f->second.tasks.erase(key.second);
  if (f->second.tasks.empty()) {
    // A framework with nothing left here is forgotten (its info comes again with a new task).
    if (ValidatePathComponent(key.first, "framework_id").ok()) {
      outbox_.remove_frameworks.push_back(key.first);
    }
    dirty_frameworks_.erase(key.first);
    frameworks_.erase(f);
  }
}

// ---------------- protos ----------------

common::v1::Task AgentCore::TaskProto(const TaskRecord& t) const {
  common::v1::Task task;
  task.set_name(t.info.name());
  *task.mutable_task_id() = t.info.task_id();
  task.mutable_framework_id()->set_value(t.framework_id);
  task.mutable_executor_id()->set_value(t.info.task_id().value());
  *task.mutable_agent_id() = options_.info.id();
  task.set_state(t.state);
  *task.mutable_resources() = t.info.resources();
  for (const TaskStatus& s : t.statuses) *task.add_statuses() = s;
  if (!t.updates.empty()) {
    task.set_status_update_state(t.updates.pending().front().state());
    task.set_status_update_uuid(t.updates.pending().front().uuid());
  }
  *task.mutable_labels() = t.info.labels();
  *task.mutable_discovery() = t.info.discovery();
  *task.mutable_health_check() = t.info.health_check();
  *task.mutable_kill_policy() = t.info.kill_policy();
  task.set_user(t.info.command().user());
  return task;
}

checkpoint::TaskCheckpoint AgentCore::TaskCheckpointOf(const TaskRecord& t) const {
  checkpoint::TaskCheckpoint c;
  c.mutable_framework_id()->set_value(t.framework_id);
  *c.mutable_task() = t.info;
  c.mutable_container_id()->set_value(t.container_id);
  c.set_state(t.state);
  for (const TaskStatus& s : t.updates.pending()) *c.add_pending_updates() = s;
  for (const TaskStatus& s : t.statuses) *c.add_statuses() = s;
  c.set_kill_requested(t.kill_requested);
  if (t.kill_deadline.has_value()) *c.mutable_kill_deadline() = TimestampOf(*t.kill_deadline);
  *c.mutable_started_at() = TimestampOf(t.started_at);
  if (t.ended_at.has_value()) *c.mutable_ended_at() = TimestampOf(*t.ended_at);
  c.set_kill_reason(t.kill_reason);
  c.set_task_pid(static_cast<uint32_t>(t.pids.task_pid));
  if (t.healthy.has_value()) c.set_healthy(*t.healthy);
  return c;
}

}  // namespace dcos::agent
