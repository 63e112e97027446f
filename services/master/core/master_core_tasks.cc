// MasterCore: tasks — status updates relayed to frameworks and acknowledgements relayed back
// (at least once, in order per task: the agent sends a task's next update only after the
// previous one was acknowledged), kill, reconciliation.

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "services/master/core/master_core.h"
#include "services/master/core/proto_time.h"

namespace dcos::master {
namespace {

using common::v1::Task;
using common::v1::TaskState;
using common::v1::TaskStatus;

// Statuses kept per task (the newest).
constexpr int kStatusesKept = 8;

constexpr size_t kUuidBytes = 16;

// Mesos 1.9+: while an agent drains, its tasks' KILLING and KILLED updates carry
// REASON_AGENT_DRAINING, and when the drain marks the agent gone a partition-aware framework's
// killed task is TASK_GONE_BY_OPERATOR. Mesos's agent rewrites its updates; this agent does not
// know it drains, so the master rewrites them as it relays them. (Mesos also turns KILLING into
// GONE_BY_OPERATOR, a terminal state while the task may still run its grace period: here only
// KILLED becomes GONE_BY_OPERATOR.)
void DrainingStatus(bool gone_by_operator, TaskStatus& status, TaskState& latest) {
  const TaskState state = status.state();
  if (state == common::v1::TASK_KILLING || state == common::v1::TASK_KILLED) {
    status.set_reason(TaskStatus::REASON_AGENT_DRAINING);
  }
  if (gone_by_operator && state == common::v1::TASK_KILLED) {
    status.set_state(common::v1::TASK_GONE_BY_OPERATOR);
  }
  if (gone_by_operator && latest == common::v1::TASK_KILLED) {
    latest = common::v1::TASK_GONE_BY_OPERATOR;
  }
}

}  // namespace

bool MasterCore::PartitionAware(const std::string& framework_id) const {
  auto it = frameworks_.find(framework_id);
  if (it == frameworks_.end()) return false;
  const auto& caps = it->second.info.capabilities();
  return std::any_of(caps.begin(), caps.end(), [](const auto& c) {
    return c.type() == common::v1::FrameworkInfo::Capability::TYPE_PARTITION_AWARE;
  });
}

std::string MasterCore::DefaultRole(const std::string& framework_id) const {
  auto it = frameworks_.find(framework_id);
  if (it == frameworks_.end() || it->second.info.roles().empty()) return "*";
  return it->second.info.roles(0);
}

void MasterCore::AddTask(TaskMap::const_iterator hint, TaskKey key, Task task, std::string role) {
  if (operator_events_) {
    v1::OperatorEvent e;
    *e.mutable_task_added()->mutable_task() = task;
    EmitOperatorEvent(std::move(e));
  }
  task_tally_.Count(task, +1);
  tasks_.emplace_hint(hint, std::move(key), TaskRecord{std::move(task), std::move(role)});
}

void MasterCore::SetTaskState(Task& task, TaskState state) {
  if (!IsTerminal(task.state()) && IsTerminal(state)) ++tasks_ended_[state];
  task_tally_.Count(task, -1);
  task.set_state(state);
  task_tally_.Count(task, +1);
}

std::pair<MasterCore::TaskMap::const_iterator, MasterCore::TaskMap::const_iterator>
MasterCore::FrameworkTasks(const std::string& framework_id) const {
  auto first = tasks_.lower_bound({framework_id, std::string()});
  auto last = first;
  while (last != tasks_.end() && last->first.first == framework_id) ++last;
  return {first, last};
}

TaskStatus MasterCore::MasterStatus(const Task& task, TaskState state, TaskStatus::Reason reason,
                                    const std::string& message, absl::Time now) const {
  TaskStatus s;
  *s.mutable_task_id() = task.task_id();
  s.set_state(state);
  s.set_message(message);
  s.set_source(TaskStatus::SOURCE_MASTER);
  s.set_reason(reason);
  *s.mutable_agent_id() = task.agent_id();
  *s.mutable_executor_id() = task.executor_id();
  ToProto(now, s.mutable_timestamp());
  return s;
}

void MasterCore::SendUpdate(const std::string& framework_id, const TaskStatus& status) {
  v1::Event e;
  *e.mutable_update()->mutable_status() = status;
  SendToFramework(framework_id, std::move(e));
}

void MasterCore::RecordStatus(TaskMap::iterator it, const TaskStatus& status, TaskState latest) {
  Task& task = it->second.task;
  SetTaskState(task, latest);
  task.set_status_update_state(status.state());
  task.set_status_update_uuid(status.uuid());
  *task.add_statuses() = status;
  if (task.statuses_size() > kStatusesKept) {
    task.mutable_statuses()->DeleteSubrange(0, task.statuses_size() - kStatusesKept);
  }
  if (operator_events_) {
    v1::OperatorEvent e;
    v1::OperatorEvent::TaskUpdated* u = e.mutable_task_updated();
    u->mutable_framework_id()->set_value(it->first.first);
    *u->mutable_status() = status;
    u->set_state(latest);
    EmitOperatorEvent(std::move(e));
  }
}

void MasterCore::TransitionTask(const TaskKey& key, const TaskStatus& status, TaskState latest,
                                absl::Time now) {
  auto it = tasks_.find(key);
  if (it == tasks_.end()) return;
  const Task& task = it->second.task;
  const bool was_terminal = IsTerminal(task.state());
  if (latest == common::v1::TASK_STATE_UNSPECIFIED) latest = status.state();
  RecordStatus(it, status, latest);
  if (!was_terminal && IsTerminal(latest)) {
    // Resources come back as soon as the task is known to be over (Mesos releases them on the
    // latest state, before the terminal update is acknowledged).
    auto agent = agents_.find(task.agent_id().value());
    if (agent != agents_.end() && agent->second.state == v1::Agent::STATE_ACTIVE) {
      allocator_->Recover(key.first, task.agent_id().value(), it->second.role,
                          ResourceList(task.resources().begin(), task.resources().end()),
                          std::nullopt, now);
      allocation_wanted_ = true;
    }
  }
}

void MasterCore::CompleteTask(const TaskKey& key) {
  auto it = tasks_.find(key);
  if (it == tasks_.end()) return;
  auto agent = agents_.find(it->second.task.agent_id().value());
  if (agent != agents_.end()) agent->second.tasks.erase(key);
  task_tally_.Count(it->second.task, -1);
  completed_tasks_.push_back(std::move(it->second.task));
  if (completed_tasks_.size() > config_.max_completed_tasks) {
    completed_tasks_.erase(completed_tasks_.begin());
  }
  tasks_.erase(it);
}

void MasterCore::StatusUpdate(const std::string& agent_id, const v1::StatusUpdate& update,
                              absl::Time now) {
  const std::string& fid = update.framework_id().value();
  TaskKey key{fid, update.status().task_id().value()};
  TaskStatus status = update.status();
  status.mutable_agent_id()->set_value(agent_id);
  TaskState latest = update.latest_state() != common::v1::TASK_STATE_UNSPECIFIED
                         ? update.latest_state()
                         : status.state();
  auto agent = agents_.find(agent_id);
  if (agent != agents_.end() && agent->second.draining) {
    DrainingStatus(agent->second.mark_gone_when_drained && PartitionAware(fid), status, latest);
  }
  if (IsTerminal(latest) && agent != agents_.end()) {
    agent->second.kills.erase(key);  // over on the agent: a kill kept for it is done
  }
  if (tasks_.count(key) > 0) TransitionTask(key, status, latest, now);
  // Relayed even for a task the master does not track (so the framework can acknowledge
  // it and the agent stops resending).
  SendUpdate(fid, status);
  auto task = tasks_.find(key);
  if (task != tasks_.end() && IsTerminal(task->second.task.state())) {
    MaybeFinishDrain(task->second.task.agent_id().value(), now);
  }
}

absl::Status MasterCore::Acknowledge(const v1::AcknowledgeRequest& request, absl::Time now) {
  absl::Status ok = CheckSubscribed(request.framework_id(), request.stream_id());
  if (!ok.ok()) return ok;
  if (request.uuid().size() != kUuidBytes) {
    return absl::InvalidArgumentError("uuid: must be 16 bytes");
  }
  const std::string& agent_id = request.agent_id().value();
  TaskKey key{request.framework_id().value(), request.task_id().value()};
  auto agent = agents_.find(agent_id);
  if (agent != agents_.end() && agent->second.connected) {
    // Relayed even when the master does not track the task: the agent holds the update.
    v1::MasterMessage m;
    v1::StatusUpdateAck* ack = m.mutable_status_update_ack();
    *ack->mutable_framework_id() = request.framework_id();
    *ack->mutable_task_id() = request.task_id();
    ack->set_uuid(request.uuid());
    outbox_.to_agents.emplace_back(agent_id, std::move(m));
  }
  auto task = tasks_.find(key);
  if (task != tasks_.end() && task->second.task.status_update_uuid() == request.uuid() &&
      IsTerminal(task->second.task.status_update_state())) {
    CompleteTask(key);
    MaybeFinishDrain(agent_id, now);
  }
  return absl::OkStatus();
}

absl::Status MasterCore::Kill(const v1::KillRequest& request, absl::Time now) {
  absl::Status ok = CheckSubscribed(request.framework_id(), request.stream_id());
  if (!ok.ok()) return ok;
  if (request.task_id().value().empty()) return absl::InvalidArgumentError("task_id: required");
  const std::string& fid = request.framework_id().value();
  TaskKey key{fid, request.task_id().value()};
  v1::KillTask kill;
  *kill.mutable_framework_id() = request.framework_id();
  *kill.mutable_task_id() = request.task_id();
  if (request.has_kill_policy()) *kill.mutable_kill_policy() = request.kill_policy();
  auto task = tasks_.find(key);
  if (task == tasks_.end()) {
    // The named agent has not re-registered since this master took over and may run the task:
    // the kill waits for it, unanswered (as Mesos's reconciliation answers nothing then).
    auto agent = agents_.find(request.agent_id().value());
    if (agent != agents_.end() && agent->second.state == v1::Agent::STATE_RECOVERED) {
      agent->second.kills[key] = std::move(kill);
      return absl::OkStatus();
    }
    // No agent named, and some agent may still bring the task back: no answer (Mesos); the
    // framework kills again later.
    if (request.agent_id().value().empty() && AnyAgentRecovering()) return absl::OkStatus();
    Task unknown;
    *unknown.mutable_task_id() = request.task_id();
    *unknown.mutable_agent_id() = request.agent_id();
    TaskState state = PartitionAware(fid) ? common::v1::TASK_UNKNOWN : common::v1::TASK_LOST;
    SendUpdate(fid, MasterStatus(unknown, state, TaskStatus::REASON_TASK_UNKNOWN,
                                 "the master does not know this task", now));
    return absl::OkStatus();
  }
  auto agent = agents_.find(task->second.task.agent_id().value());
  if (agent == agents_.end()) return absl::OkStatus();  // a task's agent is always known
  // Sent now if the agent is connected; kept either way and sent again when it re-registers
  // (a disconnected agent's kill is not lost, and the framework hears nothing until the agent
  // answers it, as in Mesos).
  KillOnAgent(agent->second, key, std::move(kill));
  if (agent->second.state == v1::Agent::STATE_UNREACHABLE) {
    // Mesos answers a kill of an unreachable task with its state; the kill still waits for
    // the agent's return here (Mesos forgets it).
    TaskStatus status =
        MasterStatus(task->second.task, task->second.task.state(),
                     TaskStatus::REASON_RECONCILIATION,
                     "the agent is unreachable: the kill is sent if it re-registers", now);
    ToProto(agent->second.unreachable_since, status.mutable_unreachable_time());
    SendUpdate(fid, status);
  }
  return absl::OkStatus();
}

bool MasterCore::AnyAgentRecovering() const {
  return std::any_of(agents_.begin(), agents_.end(), [](const auto& a) {
    return a.second.state == v1::Agent::STATE_RECOVERED;
  });
}

absl::Status MasterCore::Reconcile(const v1::ReconcileRequest& request, absl::Time now) {
  absl::Status ok = CheckSubscribed(request.framework_id(), request.stream_id());
  if (!ok.ok()) return ok;
  const std::string& fid = request.framework_id().value();
  auto answer = [&](const Task& task) {
    TaskStatus s = MasterStatus(task, task.state(), TaskStatus::REASON_RECONCILIATION,
                                "reconciliation", now);
    if (!task.statuses().empty()) {
      const TaskStatus& last = task.statuses(task.statuses_size() - 1);
      if (last.has_healthy()) s.set_healthy(last.healthy());
      *s.mutable_container_status() = last.container_status();
    }
    SendUpdate(fid, s);
  };
  if (request.tasks().empty()) {
    auto [first, last] = FrameworkTasks(fid);
    for (auto it = first; it != last; ++it) answer(it->second.task);
    return absl::OkStatus();
  }
  std::optional<bool> recovering;  // AnyAgentRecovering, once asked
  for (const v1::ReconcileRequest::Task& t : request.tasks()) {
    auto task = tasks_.find({fid, t.task_id().value()});
    if (task != tasks_.end()) {
      answer(task->second.task);
      continue;
    }
    Task unknown;
    *unknown.mutable_task_id() = t.task_id();
    *unknown.mutable_agent_id() = t.agent_id();
    TaskState state = PartitionAware(fid) ? common::v1::TASK_UNKNOWN : common::v1::TASK_LOST;
    // A task on an agent that is still expected to re-register is not known to be lost.
    auto agent = agents_.find(t.agent_id().value());
    if (agent != agents_.end() && agent->second.state == v1::Agent::STATE_RECOVERED) continue;
    // Without an agent, any agent still expected back may run it (Mesos answers nothing then;
    // an answer of LOST would have a scheduler such as Marathon start a second copy).
    if (t.agent_id().value().empty()) {
      if (!recovering.has_value()) recovering = AnyAgentRecovering();
      if (*recovering) continue;
    }
    if (agent != agents_.end() && agent->second.state == v1::Agent::STATE_UNREACHABLE) {
      state = PartitionAware(fid) ? common::v1::TASK_UNREACHABLE : common::v1::TASK_LOST;
    }
    SendUpdate(fid, MasterStatus(unknown, state, TaskStatus::REASON_RECONCILIATION,
                                 "reconciliation: the master does not know this task", now));
  }
  return absl::OkStatus();
}

}  // namespace dcos::master
