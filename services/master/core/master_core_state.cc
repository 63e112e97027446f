// MasterCore: the cluster state as the operator API reports it.

#include "services/master/core/master_core.h"
#include "libs/resources/values.h"
#include "services/master/core/proto_time.h"

namespace dcos::master {

bool MasterCore::Drained(const AgentRecord& a) const {
  // A recovered agent has not reported its tasks yet: it drains until it has.
  if (a.state == v1::Agent::STATE_RECOVERED) return false;
  // Every task over and its terminal update acknowledged (CompleteTask takes it off the
  // agent): until then the agent holds an update the framework may still need.
  return a.tasks.empty();
}

v1::ClusterState MasterCore::State() const {
  v1::ClusterState out;
  *out.mutable_leader() = config_.master_info;
  for (const auto& [id, a] : agents_) {
    v1::Agent* agent = out.add_agents();
    *agent->mutable_agent_info() = a.info;
    agent->set_state(a.state == v1::Agent::STATE_ACTIVE && !a.connected
                         ? v1::Agent::STATE_DISCONNECTED
                         : a.state);
    if (a.draining) {
      agent->set_drain_state(Drained(a) ? v1::Agent::DRAIN_STATE_DRAINED
                                        : v1::Agent::DRAIN_STATE_DRAINING);
    }
    agent->set_deactivated(a.deactivated);
    if (a.drain_grace.has_value()) ToProto(*a.drain_grace, agent->mutable_drain_max_grace_period());
    *agent->mutable_build() = a.build;
    ToProto(a.registered, agent->mutable_registered_time());
    if (a.reregistered != absl::Time()) ToProto(a.reregistered, agent->mutable_reregistered_time());
    if (a.state == v1::Agent::STATE_UNREACHABLE) {
      ToProto(a.unreachable_since, agent->mutable_unreachable_time());
    }
    *agent->mutable_total_resources() = a.info.resources();
    for (const TaskKey& key : a.tasks) {
      auto t = tasks_.find(key);
      if (t == tasks_.end() || IsTerminal(t->second.task.state())) continue;
      for (const common::v1::Resource& r : t->second.task.resources()) {
        *agent->add_allocated_resources() = r;
      }
    }
    for (const std::string& offer : a.offers) {
      auto o = offers_.find(offer);
      if (o == offers_.end()) continue;
      for (const common::v1::Resource& r : o->second.offer.resources()) {
        *agent->add_offered_resources() = r;
      }
    }
  }
  for (const auto& [id, info] : gone_agents_) {
    v1::Agent* agent = out.add_agents();
    *agent->mutable_agent_info() = info;
    agent->set_state(v1::Agent::STATE_GONE);
  }
  for (const auto& [id, f] : frameworks_) *out.add_frameworks() = FrameworkState(id, f);
  for (const std::string& id : removed_order_) {
    auto it = removed_frameworks_.find(id);
    if (it == removed_frameworks_.end()) continue;
    *out.add_completed_frameworks()->mutable_framework_info() = it->second;
  }
  for (const auto& [key, t] : tasks_) *out.add_tasks() = t.task;
  for (const common::v1::Task& task : completed_tasks_) *out.add_completed_tasks() = task;
  for (v1::Role& role : allocator_->Roles()) *out.add_roles() = std::move(role);
  return out;
}

namespace {

void AddScalars(const google::protobuf::RepeatedPtrField<common::v1::Resource>& resources,
                double* cpus, double* mem, double* disk) {
  for (const common::v1::Resource& r : resources) {
    if (r.type() != common::v1::Value::TYPE_SCALAR) continue;
    if (r.name() == "cpus") *cpus += r.scalar().value();
    if (r.name() == "mem") *mem += r.scalar().value();
    if (r.name() == "disk") *disk += r.scalar().value();
  }
}

// Whether a task's resources count as used.
bool HoldsResources(const common::v1::Task& t) {
  return !IsTerminal(t.state()) && t.state() != common::v1::TASK_UNREACHABLE;
}

}  // namespace

void MasterCore::TaskTally::Count(const common::v1::Task& task, int sign) {
  size_t& n = by_state[task.state()];
  if (sign > 0) {
    ++n;
  } else {
    --n;
  }
  if (n == 0) by_state.erase(task.state());
  if (!HoldsResources(task)) return;
  for (const common::v1::Resource& r : task.resources()) {
    if (r.type() != common::v1::Value::TYPE_SCALAR) continue;
    const int64_t milli = sign * resources::ScalarToMilli(r.scalar().value());
    if (r.name() == "cpus") cpus_milli += milli;
    if (r.name() == "mem") mem_milli += milli;
    if (r.name() == "disk") disk_milli += milli;
  }
}

void MasterCore::TaskTally::Fill(Stats& s) const {
  s.tasks = by_state;
  s.cpus_used = resources::MilliToScalar(cpus_milli);
  s.mem_used = resources::MilliToScalar(mem_milli);
  s.disk_used = resources::MilliToScalar(disk_milli);
}

MasterCore::Stats MasterCore::GetStats() const {
  Stats s;
  for (const auto& [id, a] : agents_) {
    switch (a.state) {
      case v1::Agent::STATE_ACTIVE:
        (a.connected ? s.agents_active : s.agents_disconnected)++;
        if (a.connected && a.deactivated) ++s.agents_deactivated;
        AddScalars(a.info.resources(), &s.cpus_total, &s.mem_total, &s.disk_total);
        break;
      case v1::Agent::STATE_UNREACHABLE:
        ++s.agents_unreachable;
        break;
      case v1::Agent::STATE_RECOVERED:
        ++s.agents_recovered;
        break;
      default:
        break;
    }
    if (a.draining) ++s.agents_draining;
  }
  for (const auto& [id, f] : frameworks_) (f.connected ? s.frameworks_connected : s.frameworks_disconnected)++;
  s.frameworks_completed = removed_frameworks_.size();
  task_tally_.Fill(s);
  s.tasks_completed = completed_tasks_.size();
  s.tasks_ended = tasks_ended_;
  for (const auto& [id, o] : offers_) {
    AddScalars(o.offer.resources(), &s.cpus_offered, &s.mem_offered, &s.disk_offered);
  }
  s.outstanding_offers = offers_.size();
  return s;
}

MasterCore::Stats MasterCore::CountStats() const {
  Stats s = GetStats();
  TaskTally walk;
  for (const auto& [key, record] : tasks_) walk.Count(record.task, +1);
  walk.Fill(s);
  return s;
}

}  // namespace dcos::master
