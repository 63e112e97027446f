// AgentCore: registration, the master's messages, recovery, timers and state.

#include "services/agent/agent_core.h"

#include <csignal>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "libs/resources/resources.h"
#include "services/agent/command_executor.h"
#include "services/agent/host_resources.h"
#include "services/agent/proto_time.h"

namespace dcos::agent {
namespace {

using common::v1::TaskState;
using common::v1::TaskStatus;

std::vector<common::v1::Attribute> AttributesOf(const common::v1::AgentInfo& info) {
  return {info.attributes().begin(), info.attributes().end()};
}

}  // namespace

bool Outbox::empty() const {
  return !write_agent.has_value() && write_frameworks.empty() && remove_frameworks.empty() &&
         write_tasks.empty() && remove_tasks.empty() && to_master.empty() && launches.empty() &&
         signals.empty() && probes.empty() && !reconnect && !shutdown;
}

AgentCore::AgentCore(CoreOptions options)
    : options_(std::move(options)), layout_(options_.work_dir), rng_(options_.seed) {}

// ---------------- recovery ----------------

absl::Status AgentCore::CheckCompatible(const common::v1::AgentInfo& saved) const {
  absl::StatusOr<resources::Resources> before = resources::Resources::FromProto(saved.resources());
  absl::StatusOr<resources::Resources> now =
      resources::Resources::FromProto(options_.info.resources());
  std::string was_attributes = AttributesToString(AttributesOf(saved));
  std::string now_attributes = AttributesToString(AttributesOf(options_.info));
  bool same_resources = before.ok() && now.ok() && *before == *now;
  if (same_resources && was_attributes == now_attributes) return absl::OkStatus();
  std::string what =
      !same_resources
          ? absl::StrCat("agent.resources changed: the agent registered with '",
                         before.ok() ? before->ToString() : "?", "', now it has '",
                         now.ok() ? now->ToString() : "?", "'")
          : absl::StrCat("agent.attributes changed: the agent registered with '", was_attributes,
                         "', now they are '", now_attributes, "'");
  return absl::FailedPreconditionError(absl::StrCat(
      "incompatible agent info: ", what, ". The agent id ", saved.id().value(),
      " stands for what it advertised. Either restart with the old values, or make this a new "
      "agent: drain it (dcos-master DrainAgent) or let its tasks end, stop it, remove ",
      layout_.MetaDir(), " and start it again; it then registers under a new id."));
}

absl::Status AgentCore::Recover(const CheckpointState& state,
                                const std::map<std::string, RecoveredContainer>& containers,
                                absl::Time now) {
  if (state.agent.has_value()) {
    absl::Status compatible = CheckCompatible(state.agent->info());
    if (!compatible.ok()) return compatible;
    *options_.info.mutable_id() = state.agent->info().id();
  }
  for (const checkpoint::FrameworkCheckpoint& f : state.frameworks) {
    frameworks_[f.info().id().value()].info = f.info();
  }
  for (const checkpoint::TaskCheckpoint& t : state.tasks) RecoverTask(t, containers, now);
  return absl::OkStatus();
}

void AgentCore::RecoverTask(const checkpoint::TaskCheckpoint& saved,
                            const std::map<std::string, RecoveredContainer>& containers,
                            absl::Time now) {
  TaskKey key{saved.framework_id().value(), saved.task().task_id().value()};
  TaskRecord& t = tasks_[key];
  t.framework_id = key.first;
  t.info = saved.task();
  t.container_id = saved.container_id().value();
  t.state = saved.state();
  t.updates = StatusUpdateStream(options_.updates);
  for (const TaskStatus& s : saved.pending_updates()) t.updates.Add(s, now);
  t.statuses.assign(saved.statuses().begin(), saved.statuses().end());
  t.kill_requested = saved.kill_requested();
  if (saved.has_kill_deadline()) t.kill_deadline = TimeOf(saved.kill_deadline());
  t.kill_reason = saved.kill_reason();
  t.started_at = TimeOf(saved.started_at());
  if (saved.has_ended_at()) t.ended_at = TimeOf(saved.ended_at());
  t.pids.task_pid = static_cast<pid_t>(saved.task_pid());
  if (saved.has_healthy()) t.healthy = saved.healthy();
  FrameworkRecord& f = frameworks_[key.first];
  if (!f.info.has_id()) f.info.mutable_id()->set_value(key.first);
  f.tasks.insert(key.second);
  containers_[t.container_id] = key;
  if (IsTerminal(t.state)) return;  // only its updates are left to deliver

  auto it = containers.find(t.container_id);
  if (it == containers.end() || it->second.state == RecoveredContainer::State::kNeverStarted) {
    Update(t, t.kill_requested ? common::v1::TASK_KILLED : common::v1::TASK_FAILED,
           TaskStatus::SOURCE_AGENT, TaskStatus::REASON_AGENT_RESTARTED,
           "the agent restarted before the task could start", now);
    t.ended_at = now;
    return;
  }
  t.launched = true;
  if (it->second.state == RecoveredContainer::State::kExited) {
    t.pids = it->second.pids;
    EndTask(t, it->second.exit, now);
    return;
  }
  const bool kill_pending_launch = t.kill_requested && t.pids.task_pid == 0;
  t.pids = it->second.pids;
  StartHealthChecks(t, now);
  if (kill_pending_launch) {
    StartKill(t, KillGracePeriod(t.info, nullptr), now);
  } else if (t.kill_requested && t.kill_deadline.has_value() && *t.kill_deadline <= now) {
    outbox_.signals.emplace_back(t.container_id, SIGKILL);
    t.kill_deadline.reset();
    MarkDirty(key);
  } else if (!t.kill_requested && (t.state == common::v1::TASK_STAGING ||
                                   t.state == common::v1::TASK_STARTING)) {
    // Launched just before the agent died, before it could say so.
    Update(t, common::v1::TASK_RUNNING, TaskStatus::SOURCE_EXECUTOR,
           TaskStatus::REASON_UNSPECIFIED, "", now);
  }
}

// ---------------- the master ----------------

master::v1::AgentMessage AgentCore::Connected(absl::Time now) {
  link_ = Link::kConnecting;
  link_changed_ = now;
  if (options_.info.id().value().empty()) {
    master::v1::AgentMessage m;
    *m.mutable_register_agent()->mutable_agent_info() = options_.info;
    *m.mutable_register_agent()->mutable_build() = options_.build;
    return m;
  }
  return ReregisterMessage();
}

master::v1::AgentMessage AgentCore::ReregisterMessage() const {
  master::v1::AgentMessage m;
  master::v1::Reregister* r = m.mutable_reregister_agent();
  *r->mutable_agent_info() = options_.info;
  *r->mutable_build() = options_.build;
  std::set<std::string> frameworks;
  for (const auto& [key, t] : tasks_) {
    const bool unacknowledged = !t.updates.empty();
    if (IsTerminal(t.state) && !unacknowledged) continue;
    *r->add_tasks() = TaskProto(t);
    frameworks.insert(key.first);
    if (IsTerminal(t.state) || !t.launched) continue;
    common::v1::ExecutorInfo* e = r->add_executors();
    e->mutable_executor_id()->set_value(key.second);
    e->mutable_framework_id()->set_value(key.first);
    *e->mutable_command() = t.info.command();
    e->set_name(absl::StrCat("Command Executor (Task: ", key.second, ")"));
  }
  for (const std::string& fid : frameworks) {
    auto f = frameworks_.find(fid);
    if (f != frameworks_.end()) *r->add_frameworks() = f->second.info;
  }
  return m;
}

void AgentCore::Disconnected(absl::Time now) {
  link_ = Link::kDisconnected;
  link_changed_ = now;
}

void AgentCore::Registered(const common::v1::AgentID& id,
                           const google::protobuf::Duration& ping_timeout, uint32_t max_pings,
                           const common::v1::MasterInfo& master, absl::Time now) {
  if (link_ != Link::kConnecting) return;
  if (options_.info.id().value().empty() && !id.value().empty()) {
    *options_.info.mutable_id() = id;
    checkpoint::AgentCheckpoint saved;
    *saved.mutable_info() = options_.info;
    saved.set_boot_id(options_.boot_id);
    outbox_.write_agent = std::move(saved);
  }
  link_ = Link::kRegistered;
  link_changed_ = now;
  last_heard_ = now;
  ping_timeout_ = DurationOf(ping_timeout);
  max_ping_timeouts_ = max_pings;
  master_ = master;
  // Everything not yet acknowledged goes out again at once.
  for (auto& [key, t] : tasks_) t.updates.Reset(now);
}

void AgentCore::Receive(const master::v1::MasterMessage& m, absl::Time now) {
  switch (m.message_case()) {
    case master::v1::MasterMessage::kRegistered:
      Registered(m.registered().agent_id(), m.registered().ping_timeout(),
                 m.registered().max_ping_timeouts(), m.registered().master_info(), now);
      break;
    case master::v1::MasterMessage::kReregistered:
      Registered(m.reregistered().agent_id(), m.reregistered().ping_timeout(),
                 m.reregistered().max_ping_timeouts(), m.reregistered().master_info(), now);
      break;
    case master::v1::MasterMessage::kRunTask:
      RunTask(m.run_task(), now);
      break;
    case master::v1::MasterMessage::kKillTask:
      KillTask(m.kill_task().framework_id().value(), m.kill_task().task_id().value(),
               m.kill_task().has_kill_policy() ? &m.kill_task().kill_policy() : nullptr, now);
      break;
    case master::v1::MasterMessage::kShutdownFramework:
      ShutdownFramework(m.shutdown_framework().framework_id().value(), now);
      break;
    case master::v1::MasterMessage::kStatusUpdateAck:
      Acknowledge(m.status_update_ack(), now);
      break;
    case master::v1::MasterMessage::kPing: {
      last_heard_ = now;
      master::v1::AgentMessage pong;
      pong.mutable_pong()->set_sequence(m.ping().sequence());
      SendToMaster(std::move(pong));
      break;
    }
    case master::v1::MasterMessage::kShutdown:
      Shutdown(m.shutdown().message(), now);
      break;
    default:
      break;  // a message this agent does not know: ignored
  }
  FlushUpdates(now);
}

void AgentCore::Tick(absl::Time now) {
  for (auto& [key, t] : tasks_) {
    if (t.kill_deadline.has_value() && *t.kill_deadline <= now && t.launched &&
        !IsTerminal(t.state)) {
      outbox_.signals.emplace_back(t.container_id, SIGKILL);
      t.kill_deadline.reset();
      MarkDirty(key);
    }
  }
  RunDueChecks(now);
  bool silent = false;
  if (link_ == Link::kConnecting) {
    silent = now - link_changed_ > options_.registration_timeout;
  } else if (link_ == Link::kRegistered && ping_timeout_ > absl::ZeroDuration()) {
    silent = now - last_heard_ > ping_timeout_ * std::max<uint32_t>(1, max_ping_timeouts_);
  }
  if (silent) {
    outbox_.reconnect = true;
    Disconnected(now);
  }
  FlushUpdates(now);
}

void AgentCore::SendToMaster(master::v1::AgentMessage message) {
  // Only on a registered stream; whatever must arrive is retried by its stream.
  if (link_ == Link::kRegistered) outbox_.to_master.push_back(std::move(message));
}

void AgentCore::FlushUpdates(absl::Time now) {
  if (link_ != Link::kRegistered) return;
  for (auto& [key, t] : tasks_) {
    const TaskStatus* due = t.updates.TakeDue(now);
    if (due == nullptr) continue;
    master::v1::AgentMessage m;
    m.mutable_status_update()->mutable_framework_id()->set_value(key.first);
    *m.mutable_status_update()->mutable_status() = *due;
    m.mutable_status_update()->set_latest_state(t.state);
    outbox_.to_master.push_back(std::move(m));
  }
}

Outbox AgentCore::TakeOutbox() {
  for (const std::string& fid : dirty_frameworks_) {
    auto f = frameworks_.find(fid);
    if (f == frameworks_.end() || !ValidatePathComponent(fid, "framework_id").ok()) continue;
    checkpoint::FrameworkCheckpoint saved;
    *saved.mutable_info() = f->second.info;
    outbox_.write_frameworks.push_back(std::move(saved));
  }
  dirty_frameworks_.clear();
  for (const TaskKey& key : dirty_tasks_) {
    auto t = tasks_.find(key);
    if (t == tasks_.end() || !t->second.persistent) continue;
    outbox_.write_tasks.push_back(TaskCheckpointOf(t->second));
  }
  dirty_tasks_.clear();
  Outbox out = std::move(outbox_);
  outbox_ = Outbox{};
  return out;
}

// ---------------- ids ----------------

std::string AgentCore::NewUuid() {
  std::string uuid(16, '\0');
  for (int i = 0; i < 2; ++i) {
    uint64_t bits = rng_();
    for (int j = 0; j < 8; ++j) uuid[i * 8 + j] = static_cast<char>((bits >> (8 * j)) & 0xff);
  }
  uuid[6] = static_cast<char>((uuid[6] & 0x0f) | 0x40);  // version 4
  uuid[8] = static_cast<char>((uuid[8] & 0x3f) | 0x80);  // RFC 4122 variant
  return uuid;
}

std::string AgentCore::NewContainerId() {
  std::string u = NewUuid();
  std::string hex;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) hex += '-';
    absl::StrAppendFormat(&hex, "%02x", static_cast<uint8_t>(u[i]));
  }
  return hex;
}

// ---------------- introspection ----------------

AgentCore::TaskRecord* AgentCore::FindTask(const TaskKey& key) {
  auto it = tasks_.find(key);
  return it == tasks_.end() ? nullptr : &it->second;
}

AgentCore::TaskRecord* AgentCore::FindContainer(const std::string& container_id) {
  auto it = containers_.find(container_id);
  return it == containers_.end() ? nullptr : FindTask(it->second);
}

std::string AgentCore::SandboxDir(const TaskRecord& t) const {
  return layout_.SandboxDir(options_.info.id().value(), t.framework_id, t.info.task_id().value(),
                            t.container_id);
}

absl::StatusOr<AgentCore::SandboxRef> AgentCore::TaskSandbox(const std::string& framework_id,
                                                             const std::string& task_id) const {
  // The latest run of each matching task: a current task is newer than a completed one.
  std::map<std::string, SandboxRef> found;  // by framework
  for (const CompletedTask& c : completed_) {
    const std::string& fid = c.task.framework_id().value();
    if (c.task.task_id().value() != task_id || (!framework_id.empty() && fid != framework_id)) {
      continue;
    }
    found[fid] = {c.sandbox, Layout::VirtualSandboxPath(fid, task_id, c.container_id)};
  }
  for (const auto& [key, t] : tasks_) {
    if (key.second != task_id || (!framework_id.empty() && key.first != framework_id)) continue;
    found[key.first] = {SandboxDir(t), Layout::VirtualSandboxPath(key.first, task_id, t.container_id)};
  }
  if (found.empty()) {
    return absl::NotFoundError(absl::StrCat("task_id: no task '", task_id, "' on this agent"));
  }
  if (found.size() > 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "framework_id: required, two frameworks here have a task '", task_id, "'"));
  }
  return found.begin()->second;
}

absl::StatusOr<AgentCore::SandboxRef> AgentCore::RunSandbox(const std::string& framework_id,
                                                            const std::string& executor_id,
                                                            const std::string& container_id) const {
  if (container_id == "latest") return TaskSandbox(framework_id, executor_id);
  for (const std::string* id : {&framework_id, &executor_id, &container_id}) {
    absl::Status ok = ValidatePathComponent(*id, "location.path");
    if (!ok.ok()) return ok;
  }
  // Runs the agent forgot (completed before a restart) are still on disk until collected.
  return SandboxRef{layout_.SandboxDir(options_.info.id().value(), framework_id, executor_id,
                                       container_id),
                    Layout::VirtualSandboxPath(framework_id, executor_id, container_id)};
}

std::set<std::string> AgentCore::KnownContainers() const {
  std::set<std::string> out;
  for (const auto& [id, key] : containers_) out.insert(id);
  return out;
}

std::vector<AgentCore::RunningContainer> AgentCore::RunningContainers() const {
  std::vector<RunningContainer> out;
  for (const auto& [key, t] : tasks_) {
    if (t.launched && !IsTerminal(t.state)) out.push_back({key, t.container_id, t.pids});
  }
  return out;
}

agent::v1::GetStateResponse AgentCore::State() const {
  agent::v1::GetStateResponse s;
  *s.mutable_agent_info() = options_.info;
  *s.mutable_build() = options_.build;
  *s.mutable_start_time() = TimestampOf(options_.start_time);
  if (master_.has_value()) *s.mutable_master_info() = *master_;
  s.set_connected(link_ == Link::kRegistered);
  resources::Resources allocated;
  std::map<std::string, agent::v1::FrameworkState> frameworks;
  auto executor_state = [&](const std::string& fid, const std::string& tid,
                            const std::string& container, absl::Time started,
                            std::optional<absl::Time> ended) {
    agent::v1::ExecutorState e;
    e.mutable_executor_info()->mutable_executor_id()->set_value(tid);
    e.mutable_executor_info()->mutable_framework_id()->set_value(fid);
    e.mutable_executor_info()->set_name(absl::StrCat("Command Executor (Task: ", tid, ")"));
    e.mutable_container_id()->set_value(container);
    e.set_sandbox_path(Layout::VirtualSandboxPath(fid, tid, container));
    *e.mutable_started_at() = TimestampOf(started);
    if (ended.has_value()) *e.mutable_ended_at() = TimestampOf(*ended);
    return e;
  };
  for (const auto& [fid, f] : frameworks_) *frameworks[fid].mutable_framework_info() = f.info;
  for (const auto& [key, t] : tasks_) {
    *s.add_tasks() = TaskProto(t);
    agent::v1::ExecutorState e =
        executor_state(key.first, key.second, t.container_id, t.started_at, t.ended_at);
    *e.mutable_executor_info()->mutable_command() = t.info.command();
    if (t.ended_at.has_value()) {
      *frameworks[key.first].add_completed_executors() = std::move(e);
    } else {
      *frameworks[key.first].add_executors() = std::move(e);
      absl::StatusOr<resources::Resources> r = resources::Resources::FromProto(t.info.resources());
      if (r.ok()) allocated += *r;
    }
  }
  for (const CompletedTask& c : completed_) {
    *s.add_completed_tasks() = c.task;
    const std::string& fid = c.task.framework_id().value();
    agent::v1::FrameworkState& f = frameworks[fid];
    if (!f.has_framework_info()) f.mutable_framework_info()->mutable_id()->set_value(fid);
    *f.add_completed_executors() =
        executor_state(fid, c.task.task_id().value(), c.container_id, c.started_at, c.ended_at);
  }
  for (auto& [fid, f] : frameworks) *s.add_frameworks() = std::move(f);
  allocated.ToProto(s.mutable_allocated_resources());
  return s;
}

}  // namespace dcos::agent
