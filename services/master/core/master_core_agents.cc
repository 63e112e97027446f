// MasterCore: agents — admission, re-registration with reconciliation of their tasks, health
// (pings; unreachable after missed ones, rate-limited), drain, gone.

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "services/master/core/master_core.h"
#include "services/master/core/proto_time.h"

namespace dcos::master {
namespace {

using common::v1::TaskState;
using common::v1::TaskStatus;

// The kill a drain sends for each task. The drain's grace period is a bound (Mesos's max_grace_period): a task whose own kill policy
// is shorter keeps it.
v1::KillTask DrainKill(const std::pair<std::string, std::string>& key,
                       std::optional<absl::Duration> grace, const common::v1::Task* task) {
  v1::KillTask k;
  k.mutable_framework_id()->set_value(key.first);
  k.mutable_task_id()->set_value(key.second);
  if (task != nullptr && task->kill_policy().has_grace_period()) {
    const absl::Duration own = FromProto(task->kill_policy().grace_period());
    if (!grace.has_value() || own < *grace) grace = own;
  }
  if (grace.has_value()) ToProto(*grace, k.mutable_kill_policy()->mutable_grace_period());
  return k;
}

// The registry list an agent of this state is in: a drain or a reactivation rewrites its entry
// there.
RegistryOp::Kind ListOf(v1::Agent::State state) {
  return state == v1::Agent::STATE_UNREACHABLE ? RegistryOp::Kind::kMarkUnreachable
                                               : RegistryOp::Kind::kAdmit;
}

// An agent must say where it is and bring cpus and mem.
absl::Status ValidateAgentInfo(const common::v1::AgentInfo& info) {
  if (info.address().hostname().empty() && info.address().ip().empty()) {
    return absl::InvalidArgumentError("agent_info.address: hostname or ip is required");
  }
  if (info.address().port() == 0 || info.address().port() > 65535) {
    return absl::InvalidArgumentError("agent_info.address.port: must be 1..65535");
  }
  bool cpus = false, mem = false;
  for (const common::v1::Resource& r : info.resources()) {
    if (r.type() == common::v1::Value::TYPE_SCALAR && r.scalar().value() < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("agent_info.resources: ", r.name(), " is negative"));
    }
    if (r.name() == "cpus" && r.scalar().value() > 0) cpus = true;
    if (r.name() == "mem" && r.scalar().value() > 0) mem = true;
  }
  if (!cpus || !mem) {
    return absl::InvalidArgumentError("agent_info.resources: cpus and mem are required");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> MasterCore::RegisterAgent(const v1::Register& request,
                                                      absl::Time now) {
  if (!request.agent_info().id().value().empty()) {
    return absl::InvalidArgumentError(
        "register_agent.agent_info.id: must be unset (use reregister_agent)");
  }
  absl::Status valid = ValidateAgentInfo(request.agent_info());
  if (!valid.ok()) return valid;
  AgentRecord record;
  record.info = request.agent_info();
  record.info.mutable_id()->set_value(NextId("S"));
  record.build = request.build();
  record.registered = now;
  std::string id = record.info.id().value();
  AdmitAgent(std::move(record), now);
  v1::MasterMessage m;
  v1::Registered* r = m.mutable_registered();
  r->mutable_agent_id()->set_value(id);
  *r->mutable_master_info() = config_.master_info;
  ToProto(config_.agent_ping_timeout, r->mutable_ping_timeout());
  r->set_max_ping_timeouts(static_cast<uint32_t>(config_.max_agent_ping_timeouts));
  outbox_.to_agents.emplace_back(id, std::move(m));
  return id;
}

void MasterCore::WriteRegistry(RegistryOp::Kind kind, const AgentRecord& agent) {
  RegistryOp op{kind, agent.info, {}, {}};
  if (kind != RegistryOp::Kind::kMarkGone) {
    if (agent.draining) {
      v1::AgentDrainConfig* drain = op.state.mutable_drain();
      if (agent.drain_grace.has_value()) {
        ToProto(*agent.drain_grace, drain->mutable_max_grace_period());
      }
      drain->set_mark_gone(agent.mark_gone_when_drained);
    }
    op.state.set_deactivated(agent.deactivated);
  }
  outbox_.registry.push_back(std::move(op));
}

void MasterCore::AdmitAgent(AgentRecord record, absl::Time now, bool write_registry) {
  const std::string id = record.info.id().value();
  if (write_registry) WriteRegistry(RegistryOp::Kind::kAdmit, record);
  record.state = v1::Agent::STATE_ACTIVE;
  record.connected = true;
  record.next_ping = now + config_.agent_ping_timeout;
  ScheduleAgentCheck(id, record.next_ping);
  AgentRecord& agent = agents_[id] = std::move(record);
  std::vector<RoleResources> used;  // one per framework and role (a handful)
  for (const TaskKey& key : agent.tasks) {
    auto task = tasks_.find(key);
    if (task == tasks_.end() || IsTerminal(task->second.task.state())) continue;
    const std::string& role = task->second.role;
    auto group = std::find_if(used.begin(), used.end(), [&](const RoleResources& u) {
      return u.framework_id == key.first && u.role == role;
    });
    if (group == used.end()) group = used.insert(used.end(), {key.first, role, {}});
    group->tasks.push_back(&task->second.task.resources());
  }
  allocator_->AddAgent(id, agent.info, used);
  if (agent.draining || agent.deactivated) allocator_->SetAgentActive(id, false);
  if (operator_events_) {
    v1::OperatorEvent e;
    *e.mutable_agent_added()->mutable_agent()->mutable_agent_info() = agent.info;
    e.mutable_agent_added()->mutable_agent()->set_state(v1::Agent::STATE_ACTIVE);
    EmitOperatorEvent(std::move(e));
  }
  allocation_wanted_ = true;
}

absl::Status MasterCore::ReregisterAgent(v1::Reregister request, absl::Time now) {
  const std::string id = request.agent_info().id().value();
  if (id.empty()) {
    return absl::InvalidArgumentError("reregister_agent.agent_info.id: required");
  }
  absl::Status valid = ValidateAgentInfo(request.agent_info());
  if (!valid.ok()) return valid;
  if (gone_agents_.count(id) > 0) {
    v1::MasterMessage m;
    m.mutable_shutdown()->set_message("this agent was marked gone; wipe its work dir to reuse "
                                      "the host");
    outbox_.to_agents.emplace_back(id, std::move(m));
    outbox_.close_agents.push_back(id);
    return absl::FailedPreconditionError(absl::StrCat("agent ", id, " was marked gone"));
  }

  // Frameworks the master does not know yet (it just took over) are recovered from the report.
  for (const common::v1::FrameworkInfo& info : request.frameworks()) {
    const std::string& fid = info.id().value();
    if (fid.empty() || frameworks_.count(fid) > 0 || removed_frameworks_.count(fid) > 0) continue;
    FrameworkRecord f;
    f.info = info;
    f.recovered = true;
    f.registered = now;
    f.disconnected = now;
    FrameworkRecord& added = frameworks_[fid] = std::move(f);
    allocator_->AddFramework(fid, info, /*active=*/false);
    if (operator_events_) {
      v1::OperatorEvent e;
      *e.mutable_framework_added()->mutable_framework() = FrameworkState(fid, added);
      EmitOperatorEvent(std::move(e));
    }
  }

  auto existing = agents_.find(id);
  const bool known = existing != agents_.end();
  const bool was_unreachable = known && existing->second.state == v1::Agent::STATE_UNREACHABLE;
  const bool in_allocator = known && (existing->second.state == v1::Agent::STATE_ACTIVE);
  // A recovered agent is in the registry already (that is where the master learned of it): a
  // failover re-registers thousands of them, and writing each again would cost the registry a
  // write per agent before the first one is answered. Only a changed AgentInfo is written.
  const bool registered_as_is =
      known && existing->second.state == v1::Agent::STATE_RECOVERED &&
      existing->second.info.SerializeAsString() == request.agent_info().SerializeAsString();

  // Tasks: take the agent's report as the truth about what runs there. Tasks new to the
  // master are moved out of the request into their one record (tasks_; no copy).
  std::vector<TaskKey> reported;
  reported.reserve(static_cast<size_t>(request.tasks_size()));
  for (common::v1::Task& t : *request.mutable_tasks()) {
    TaskKey key{t.framework_id().value(), t.task_id().value()};
    if (removed_frameworks_.count(key.first) > 0) {
      v1::MasterMessage m;
      m.mutable_shutdown_framework()->mutable_framework_id()->set_value(key.first);
      outbox_.to_agents.emplace_back(id, std::move(m));
      continue;
    }
    auto task = tasks_.lower_bound(key);
    if (task == tasks_.end() || task->first != key) {
      t.mutable_agent_id()->set_value(id);
      AddTask(task, key, std::move(t), DefaultRole(key.first));
    } else if (task->second.task.state() == common::v1::TASK_UNREACHABLE) {
      // Back from a partition (rare: a failover's tasks are all new to the master).
      TaskStatus status = MasterStatus(task->second.task, t.state(),
                                       TaskStatus::REASON_AGENT_REREGISTERED,
                                       "the agent re-registered", now);
      RecordStatus(task, status, t.state());
      if (PartitionAware(key.first)) SendUpdate(key.first, status);
    }
    reported.push_back(std::move(key));
  }
  std::sort(reported.begin(), reported.end());
  if (known) {
    // Tasks the master knew there but the agent does not report are gone.
    std::vector<TaskKey> missing;
    for (const TaskKey& key : existing->second.tasks) {
      if (!std::binary_search(reported.begin(), reported.end(), key)) missing.push_back(key);
    }
    for (const TaskKey& key : missing) {
      auto task = tasks_.find(key);
      if (task == tasks_.end() || IsTerminal(task->second.task.state())) continue;
      TaskState state = PartitionAware(key.first) ? common::v1::TASK_GONE : common::v1::TASK_LOST;
      TaskStatus status = MasterStatus(task->second.task, state,
                                       TaskStatus::REASON_AGENT_REREGISTERED,
                                       "the agent re-registered without this task", now);
      TransitionTask(key, status, state, now);
      SendUpdate(key.first, status);
      CompleteTask(key);  // a master-generated terminal state: nothing will acknowledge it
    }
  }

  AgentRecord record = known ? std::move(existing->second) : AgentRecord{};
  record.info = std::move(*request.mutable_agent_info());
  record.build = std::move(*request.mutable_build());
  if (!known) record.registered = now;
  record.reregistered = now;
  record.missed_pings = 0;
  record.pong_sequence = record.ping_sequence;
  for (TaskKey& key : reported) record.tasks.insert(record.tasks.end(), std::move(key));
  const bool kills_due = !record.kills.empty() || record.draining;
  if (in_allocator) {
    // Already admitted and offered: only the connection changed.
    record.connected = true;
    record.next_ping = now + config_.agent_ping_timeout;
    ScheduleAgentCheck(id, record.next_ping);
    agents_[id] = std::move(record);
    allocator_->SetAgentActive(id, !agents_[id].draining && !agents_[id].deactivated);
  } else {
    if (was_unreachable) {
      WriteRegistry(RegistryOp::Kind::kMarkReachable, record);
    }
    AdmitAgent(std::move(record), now, /*write_registry=*/!registered_as_is);
  }
  v1::MasterMessage m;
  v1::Reregistered* r = m.mutable_reregistered();
  r->mutable_agent_id()->set_value(id);
  *r->mutable_master_info() = config_.master_info;
  ToProto(config_.agent_ping_timeout, r->mutable_ping_timeout());
  r->set_max_ping_timeouts(static_cast<uint32_t>(config_.max_agent_ping_timeouts));
  outbox_.to_agents.emplace_back(id, std::move(m));
  if (kills_due) {
    ResendKills(id);  // after Reregistered: the agent takes them as the new master's
    MaybeFinishDrain(id, now);
  }
  return absl::OkStatus();
}

void MasterCore::AgentDisconnected(const std::string& agent_id, absl::Time now) {
  auto it = agents_.find(agent_id);
  if (it == agents_.end() || !it->second.connected) return;
  it->second.connected = false;
  // No offers of an agent we cannot reach; its tasks keep running until pings say otherwise.
  allocator_->SetAgentActive(agent_id, false);
  std::vector<std::string> offers(it->second.offers.begin(), it->second.offers.end());
  for (const std::string& offer : offers) RescindOffer(offer, /*recover=*/true, now);
}

void MasterCore::AgentPong(const std::string& agent_id, uint64_t sequence, absl::Time) {
  auto it = agents_.find(agent_id);
  if (it == agents_.end()) return;
  if (sequence > it->second.pong_sequence && sequence <= it->second.ping_sequence) {
    it->second.pong_sequence = sequence;
    it->second.missed_pings = 0;
  }
}

void MasterCore::ExecutorExited(const std::string& agent_id, const v1::ExecutorExited& exited,
                                absl::Time) {
  v1::Event e;
  v1::Event::Failure* f = e.mutable_failure();
  f->mutable_agent_id()->set_value(agent_id);
  *f->mutable_executor_id() = exited.executor_id();
  if (exited.has_status()) f->set_status(exited.status());
  SendToFramework(exited.framework_id().value(), std::move(e));
}

void MasterCore::RecoverRegistry(std::vector<common::v1::AgentInfo> admitted,
                                 std::vector<common::v1::AgentInfo> unreachable,
                                 const std::vector<common::v1::AgentInfo>& gone,
                                 const std::map<std::string, v1::AgentRegistryState>& states,
                                 absl::Time now) {
  for (const common::v1::AgentInfo& info : gone) gone_agents_.emplace(info.id().value(), info);
  for (common::v1::AgentInfo& info : admitted) {
    AgentRecord& a = agents_[info.id().value()];
    a.info = std::move(info);
    a.state = v1::Agent::STATE_RECOVERED;
    a.recovered_deadline = now + config_.agent_reregister_timeout;
    ScheduleAgentCheck(a.info.id().value(), a.recovered_deadline);
  }
  for (common::v1::AgentInfo& info : unreachable) {
    AgentRecord& a = agents_[info.id().value()];
    a.info = std::move(info);
    a.state = v1::Agent::STATE_UNREACHABLE;
    a.unreachable_since = now;
  }
  // The drains go on where the old leader left them: the agent is offered to no one when it
  // is admitted again (AdmitAgent), and its tasks are killed when it re-registers
  // (ReregisterAgent -> ResendKills: every task of a draining agent).
  for (const auto& [id, state] : states) {
    auto it = agents_.find(id);
    if (it == agents_.end() || gone_agents_.count(id) > 0) continue;
    AgentRecord& a = it->second;
    a.draining = state.has_drain();
    a.deactivated = state.deactivated();
    a.mark_gone_when_drained = state.drain().mark_gone();
    a.drain_grace.reset();
    if (state.drain().has_max_grace_period()) {
      a.drain_grace = FromProto(state.drain().max_grace_period());
    }
  }
}

bool MasterCore::TakeRemovalToken(absl::Time now) {
  if (now > removal_refill_) {
    removal_tokens_ += absl::FDivDuration(now - removal_refill_, config_.agent_removal_interval);
    if (removal_tokens_ > config_.agent_removal_burst) removal_tokens_ = config_.agent_removal_burst;
    removal_refill_ = now;
  }
  if (removal_tokens_ < 1) return false;
  removal_tokens_ -= 1;
  return true;
}

void MasterCore::ScheduleAgentCheck(const std::string& agent_id, absl::Time at) {
  agent_checks_.emplace(at, agent_id);
}

void MasterCore::CheckAgents(absl::Time now) {
  // Only the agents with a deadline due: a tick must not walk 10,000 agents.
  std::vector<std::string> due;
  while (!agent_checks_.empty() && agent_checks_.top().first <= now) {
    due.push_back(agent_checks_.top().second);
    agent_checks_.pop();
  }
  std::sort(due.begin(), due.end());
  due.erase(std::unique(due.begin(), due.end()), due.end());
  std::vector<std::string> overdue;
  for (const std::string& id : due) {
    auto it = agents_.find(id);
    if (it == agents_.end()) continue;
    AgentRecord& a = it->second;
    // An entry whose deadline has moved on (or no longer applies) is stale: the newer
    // deadline has an entry of its own.
    if (a.state == v1::Agent::STATE_RECOVERED) {
      if (now >= a.recovered_deadline) overdue.push_back(id);
      continue;
    }
    if (a.state != v1::Agent::STATE_ACTIVE || now < a.next_ping) continue;
    if (a.ping_sequence > a.pong_sequence) ++a.missed_pings;
    if (a.missed_pings >= config_.max_agent_ping_timeouts) {
      overdue.push_back(id);
      continue;
    }
    ++a.ping_sequence;
    a.next_ping = now + config_.agent_ping_timeout;
    ScheduleAgentCheck(id, a.next_ping);
    if (a.connected) {
      v1::MasterMessage m;
      m.mutable_ping()->set_sequence(a.ping_sequence);
      outbox_.to_agents.emplace_back(id, std::move(m));
    }
  }
  // Rate-limited: a correlated failure cannot mark the whole cluster unreachable at once. The
  // ones left wait for the next tick.
  for (size_t i = 0; i < overdue.size(); ++i) {
    if (!TakeRemovalToken(now)) {
      for (; i < overdue.size(); ++i) ScheduleAgentCheck(overdue[i], now);
      break;
    }
    MarkUnreachable(overdue[i], now);
  }
}

void MasterCore::MarkUnreachable(const std::string& agent_id, absl::Time now) {
  auto it = agents_.find(agent_id);
  if (it == agents_.end()) return;
  AgentRecord& a = it->second;
  const bool was_offered = a.state == v1::Agent::STATE_ACTIVE;
  WriteRegistry(RegistryOp::Kind::kMarkUnreachable, a);
  std::vector<std::string> offers(a.offers.begin(), a.offers.end());
  for (const std::string& offer : offers) RescindOffer(offer, /*recover=*/false, now);
  if (was_offered) allocator_->RemoveAgent(agent_id);
  if (a.connected) outbox_.close_agents.push_back(agent_id);
  a.state = v1::Agent::STATE_UNREACHABLE;
  a.connected = false;
  a.unreachable_since = now;
  std::set<std::string> told;
  std::vector<TaskKey> keys(a.tasks.begin(), a.tasks.end());
  for (const TaskKey& key : keys) {
    auto task = tasks_.find(key);
    if (task == tasks_.end() || IsTerminal(task->second.task.state())) continue;
    const bool aware = PartitionAware(key.first);
    TaskState state = aware ? common::v1::TASK_UNREACHABLE : common::v1::TASK_LOST;
    TaskStatus status = MasterStatus(task->second.task, state, TaskStatus::REASON_AGENT_REMOVED,
                                     "the agent is unreachable", now);
    if (aware) ToProto(now, status.mutable_unreachable_time());
    // Resources went with the agent (RemoveAgent above): do not recover them.
    RecordStatus(task, status, state);
    SendUpdate(key.first, status);
    if (!aware) CompleteTask(key);
  }
  for (const auto& [fid, f] : frameworks_) {
    if (!f.connected) continue;
    v1::Event e;
    e.mutable_failure()->mutable_agent_id()->set_value(agent_id);
    SendToFramework(fid, std::move(e));
  }
  v1::OperatorEvent e;
  e.mutable_agent_removed()->mutable_agent_id()->set_value(agent_id);
  EmitOperatorEvent(std::move(e));
}

absl::Status MasterCore::MarkAgentGone(const std::string& agent_id, absl::Time now) {
  auto it = agents_.find(agent_id);
  if (it == agents_.end()) {
    if (gone_agents_.count(agent_id) > 0) return absl::OkStatus();
    return absl::NotFoundError(absl::StrCat("agent ", agent_id, " is not known"));
  }
  const bool was_offered = it->second.state == v1::Agent::STATE_ACTIVE;
  AgentRecord a = std::move(it->second);
  WriteRegistry(RegistryOp::Kind::kMarkGone, a);
  std::vector<std::string> offers(a.offers.begin(), a.offers.end());
  for (const std::string& offer : offers) RescindOffer(offer, /*recover=*/false, now);
  if (was_offered) allocator_->RemoveAgent(agent_id);
  if (a.connected) {
    v1::MasterMessage m;
    m.mutable_shutdown()->set_message("marked gone by an operator");
    outbox_.to_agents.emplace_back(agent_id, std::move(m));
    outbox_.close_agents.push_back(agent_id);
  }
  for (const TaskKey& key : a.tasks) {
    auto task = tasks_.find(key);
    if (task == tasks_.end()) continue;
    if (!IsTerminal(task->second.task.state())) {
      TaskState state =
          PartitionAware(key.first) ? common::v1::TASK_GONE_BY_OPERATOR : common::v1::TASK_LOST;
      TaskStatus status = MasterStatus(task->second.task, state,
                                       TaskStatus::REASON_AGENT_REMOVED_BY_OPERATOR,
                                       "the agent was marked gone", now);
      RecordStatus(task, status, state);  // resources went with the agent (RemoveAgent)
      SendUpdate(key.first, status);
    }
    CompleteTask(key);
  }
  for (const auto& [fid, f] : frameworks_) {
    if (!f.connected) continue;
    v1::Event e;
    e.mutable_failure()->mutable_agent_id()->set_value(agent_id);
    SendToFramework(fid, std::move(e));
  }
  gone_agents_.emplace(agent_id, std::move(a.info));
  agents_.erase(agent_id);
  v1::OperatorEvent e;
  e.mutable_agent_removed()->mutable_agent_id()->set_value(agent_id);
  EmitOperatorEvent(std::move(e));
  return absl::OkStatus();
}

absl::StatusOr<MasterCore::AgentRecord*> MasterCore::OperatedAgent(const std::string& agent_id) {
  if (agent_id.empty()) return absl::InvalidArgumentError("agent_id: required");
  auto it = agents_.find(agent_id);
  if (it != agents_.end()) return &it->second;
  if (gone_agents_.count(agent_id) > 0) {
    return absl::FailedPreconditionError(absl::StrCat("agent ", agent_id, " is gone"));
  }
  return absl::NotFoundError(absl::StrCat("agent ", agent_id, " is not known"));
}

absl::Status MasterCore::DrainAgent(const std::string& agent_id,
                                    std::optional<absl::Duration> grace, bool mark_gone,
                                    absl::Time now) {
  absl::StatusOr<AgentRecord*> found = OperatedAgent(agent_id);
  if (!found.ok()) return found.status();
  AgentRecord& a = **found;
  if (a.state == v1::Agent::STATE_UNREACHABLE) {
    return absl::FailedPreconditionError(absl::StrCat("agent ", agent_id, " is unreachable"));
  }
  a.draining = true;
  a.deactivated = true;
  a.mark_gone_when_drained = mark_gone;
  a.drain_grace = grace;
  // Durable before the operator is answered (the driver applies registry ops first): a new
  // leader goes on draining it.
  WriteRegistry(ListOf(a.state), a);
  if (a.state == v1::Agent::STATE_ACTIVE) allocator_->SetAgentActive(agent_id, false);
  std::vector<std::string> offers(a.offers.begin(), a.offers.end());
  for (const std::string& offer : offers) RescindOffer(offer, /*recover=*/true, now);
  // Every task is killed; a disconnected agent's kills wait for it to re-register.
  for (const TaskKey& key : a.tasks) {
    auto task = tasks_.find(key);
    if (task == tasks_.end() || IsTerminal(task->second.task.state())) continue;
    KillOnAgent(a, key, DrainKill(key, grace, &task->second.task));
  }
  MaybeFinishDrain(agent_id, now);
  return absl::OkStatus();
}

absl::Status MasterCore::DeactivateAgent(const std::string& agent_id, absl::Time now) {
  absl::StatusOr<AgentRecord*> found = OperatedAgent(agent_id);
  if (!found.ok()) return found.status();
  AgentRecord& a = **found;
  if (a.state == v1::Agent::STATE_UNREACHABLE) {
    return absl::FailedPreconditionError(absl::StrCat("agent ", agent_id, " is unreachable"));
  }
  if (a.deactivated) return absl::OkStatus();
  a.deactivated = true;
  // Durable before the operator is answered: a new leader keeps offering it to no one.
  WriteRegistry(ListOf(a.state), a);
  if (a.state == v1::Agent::STATE_ACTIVE) allocator_->SetAgentActive(agent_id, false);
  std::vector<std::string> offers(a.offers.begin(), a.offers.end());
  for (const std::string& offer : offers) RescindOffer(offer, /*recover=*/true, now);
  return absl::OkStatus();
}

void MasterCore::KillOnAgent(AgentRecord& agent, const TaskKey& key, v1::KillTask kill) {
  if (agent.connected) {
    v1::MasterMessage m;
    *m.mutable_kill_task() = kill;
    outbox_.to_agents.emplace_back(agent.info.id().value(), std::move(m));
  }
  agent.kills[key] = std::move(kill);
}

void MasterCore::ResendKills(const std::string& agent_id) {
  AgentRecord& a = agents_.at(agent_id);
  if (a.draining) {
    // Tasks it reported that the master had not known are killed too (Mesos sends the agent
    // its drain again).
    for (const TaskKey& key : a.tasks) {
      if (a.kills.count(key) > 0) continue;
      auto task = tasks_.find(key);
      a.kills.emplace(key, DrainKill(key, a.drain_grace,
                                     task == tasks_.end() ? nullptr : &task->second.task));
    }
  }
  for (auto kill = a.kills.begin(); kill != a.kills.end();) {
    auto task = tasks_.find(kill->first);
    if (a.tasks.count(kill->first) == 0 || task == tasks_.end() ||
        IsTerminal(task->second.task.state())) {
      kill = a.kills.erase(kill);  // not here, or already over
      continue;
    }
    v1::MasterMessage m;
    *m.mutable_kill_task() = kill->second;
    outbox_.to_agents.emplace_back(agent_id, std::move(m));
    ++kill;
  }
}

void MasterCore::MaybeFinishDrain(const std::string& agent_id, absl::Time now) {
  auto it = agents_.find(agent_id);
  if (it == agents_.end() || !it->second.draining) return;
  // A recovered or unreachable agent's tasks are not known (yet, or any more): it is judged
  // when it re-registers.
  if (it->second.state != v1::Agent::STATE_ACTIVE || !Drained(it->second)) return;
  if (it->second.mark_gone_when_drained) (void)MarkAgentGone(agent_id, now);
}

absl::Status MasterCore::ReactivateAgent(const std::string& agent_id, absl::Time) {
  absl::StatusOr<AgentRecord*> found = OperatedAgent(agent_id);
  if (!found.ok()) return found.status();
  AgentRecord& a = **found;
  if (a.draining && !Drained(a)) {
    return absl::FailedPreconditionError(
        absl::StrCat("agent ", agent_id, " is still draining: reactivate it once it is DRAINED"));
  }
  const bool was_inactive = a.draining || a.deactivated;
  a.draining = false;
  a.deactivated = false;
  a.mark_gone_when_drained = false;
  a.drain_grace.reset();
  if (was_inactive) WriteRegistry(ListOf(a.state), a);
  if (a.state == v1::Agent::STATE_ACTIVE && a.connected) {
    allocator_->SetAgentActive(agent_id, true);
    allocation_wanted_ = true;
  }
  return absl::OkStatus();
}

}  // namespace dcos::master
