#include "services/mesos-dns/core/record_builder.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/status/status_macros.h"
#include "libs/tasks/task_states.h"

namespace dcos::dns::core {
namespace {

using common::v1::Task;
using common::v1::TaskState;
using common::v1::TaskStatus;

// Canonical bytes of record data: equal data (names compared without case) gives equal keys.
std::string DataKey(const RData& data) {
  std::string key;
  auto name = [&key](const Name& n) { absl::StrAppend(&key, n.Lowercased().wire()); };
  if (const auto* a = std::get_if<AData>(&data)) {
    key.assign(a->address.begin(), a->address.end());
  } else if (const auto* aaaa = std::get_if<AaaaData>(&data)) {
    key.assign(aaaa->address.begin(), aaaa->address.end());
  } else if (const auto* n = std::get_if<NameData>(&data)) {
    name(n->name);
  } else if (const auto* srv = std::get_if<SrvData>(&data)) {
    for (uint16_t v : {srv->priority, srv->weight, srv->port}) {
      key.push_back(static_cast<char>(v >> 8));
      key.push_back(static_cast<char>(v));
    }
    name(srv->target);
  } else if (const auto* soa = std::get_if<SoaData>(&data)) {
    name(soa->mname);
    name(soa->rname);
  } else if (const auto* opaque = std::get_if<OpaqueData>(&data)) {
    key = opaque->bytes;
  }
  return key;
}

// States after which a task never runs again. LOST, UNREACHABLE and UNKNOWN tasks may come
// back; they stay known (without records) until a snapshot no longer lists them.
bool IsTerminal(TaskState state) {
  return tasks::IsTerminal(state) && state != common::v1::TASK_LOST;
}

// `next` as the task's one kept status, carrying forward what it does not say itself.
void MergeStatus(Task& task, TaskStatus next) {
  if (!task.statuses().empty()) {
    const TaskStatus& previous = *task.statuses().rbegin();
    if (!next.has_container_status() && previous.has_container_status()) {
      *next.mutable_container_status() = previous.container_status();
    }
    if (!next.has_healthy() && previous.has_healthy()) next.set_healthy(previous.healthy());
  }
  task.clear_statuses();
  *task.add_statuses() = std::move(next);
}

}  // namespace

absl::StatusOr<std::unique_ptr<RecordBuilder>> RecordBuilder::Create(const RecordConfig& config) {
  DCOS_ASSIGN_OR_RETURN(Zone zone, CompileConfig(config));
  return std::make_unique<RecordBuilder>(std::move(zone));
}

RecordBuilder::RecordBuilder(Zone zone) : zone_(std::move(zone)) {
  nodes_.try_emplace(zone_.domain);
  dirty_.insert(zone_.domain);
  Replace(zone_records_, ZoneRecords(zone_));
  Replace(master_records_, MasterRecords(zone_, nullptr));
}

// ---- the record index ----------------------------------------------------------------------

RecordBuilder::Node& RecordBuilder::Link(const Name& name) {
  auto [it, inserted] = nodes_.try_emplace(name);
  if (inserted) {
    dirty_.insert(name);
    // The apex is created first and never removed, so this stops there.
    ++Link(name.Parent()).children;
    // `it` may have been invalidated by the recursive insertions.
    return nodes_.find(name)->second;
  }
  return it->second;
}

void RecordBuilder::MaybeUnlink(const Name& name) {
  Name current = name;
  while (!(current == zone_.domain)) {
    auto it = nodes_.find(current);
    if (it == nodes_.end() || !it->second.types.empty() || it->second.children > 0) return;
    nodes_.erase(it);
    dirty_.insert(current);
    current = current.Parent();
    --nodes_.find(current)->second.children;
  }
}

void RecordBuilder::AddRecord(const Record& record) {
  if (!record.name.IsSubdomainOf(zone_.domain)) return;
  Node& node = Link(record.name);
  Held& held = node.types[record.type][DataKey(record.data)];
  if (held.refs++ == 0) {
    held.data = record.data;
    dirty_.insert(record.name);
    ++record_count_;
    Refer(record.name, record.data, +1);
  }
}

void RecordBuilder::Refer(const Name& owner, const RData& data, int delta) {
  const Name* target = nullptr;
  if (const auto* srv = std::get_if<SrvData>(&data)) target = &srv->target;
  if (const auto* ns = std::get_if<NameData>(&data)) target = &ns->name;
  if (target == nullptr || !target->IsSubdomainOf(zone_.domain)) return;
  if (delta > 0) {
    ++referrers_[*target][owner];
    return;
  }
  auto owners = referrers_.find(*target);
  if (owners == referrers_.end()) return;
  auto it = owners->second.find(owner);
  if (it != owners->second.end() && --it->second == 0) owners->second.erase(it);
  if (owners->second.empty()) referrers_.erase(owners);
}

void RecordBuilder::RemoveRecord(const Record& record) {
  auto node = nodes_.find(record.name);
  if (node == nodes_.end()) return;
  auto type = node->second.types.find(record.type);
  if (type == node->second.types.end()) return;
  auto held = type->second.find(DataKey(record.data));
  if (held == type->second.end() || --held->second.refs > 0) return;
  Refer(record.name, held->second.data, -1);
  type->second.erase(held);
  if (type->second.empty()) node->second.types.erase(type);
  dirty_.insert(record.name);
  --record_count_;
  MaybeUnlink(record.name);
}

void RecordBuilder::Replace(std::vector<Record>& held, std::vector<Record> fresh) {
  for (const Record& r : fresh) AddRecord(r);
  for (const Record& r : held) RemoveRecord(r);
  held = std::move(fresh);
}

// ---- owners --------------------------------------------------------------------------------

void RecordBuilder::RecomputeTask(TaskEntry& entry) {
  const Task& task = entry.task;
  auto framework = frameworks_.find(task.framework_id().value());
  auto agent = agents_.find(task.agent_id().value());
  const RData* address =
      agent != agents_.end() && agent->second.address ? &*agent->second.address : nullptr;
  std::vector<Record> fresh;
  if (framework != frameworks_.end()) {
    fresh = TaskRecords(zone_, task, framework->second.name, address);
  }
  Replace(entry.records, std::move(fresh));
}

void RecordBuilder::RecomputeTasksOf(const TaskIndex& index, const std::string& id) {
  auto keys = index.find(id);
  if (keys == index.end()) return;
  for (const std::string& key : keys->second) {
    auto it = tasks_.find(key);
    if (it != tasks_.end()) RecomputeTask(it->second);
  }
}

template <typename Entries>
void RecordBuilder::RemoveOwner(Entries& entries, const std::string& id, const TaskIndex& index) {
  auto it = entries.find(id);
  if (it == entries.end()) return;
  Replace(it->second.records, {});
  entries.erase(it);
  RecomputeTasksOf(index, id);
}

void RecordBuilder::RemoveTask(const std::string& key) {
  auto it = tasks_.find(key);
  if (it == tasks_.end()) return;
  Replace(it->second.records, {});
  const Task& task = it->second.task;
  auto drop = [&key](auto& index, const std::string& id) {
    auto set = index.find(id);
    if (set == index.end()) return;
    set->second.erase(key);
    if (set->second.empty()) index.erase(set);
  };
  drop(tasks_by_agent_, task.agent_id().value());
  drop(tasks_by_framework_, task.framework_id().value());
  tasks_.erase(it);
}

void RecordBuilder::UpsertTask(const Task& task) {
  const std::string& framework_id = task.framework_id().value();
  const std::string& task_id = task.task_id().value();
  if (framework_id.empty() || task_id.empty()) return;
  const std::string key = TaskKey(framework_id, task_id);
  if (IsTerminal(task.state())) {
    RemoveTask(key);
    return;
  }
  auto [it, inserted] = tasks_.try_emplace(key);
  if (!inserted && it->second.task.agent_id().value() != task.agent_id().value()) {
    // Cannot happen in Mesos (a task never moves), but keep the index right if it does.
    auto old = tasks_by_agent_.find(it->second.task.agent_id().value());
    if (old != tasks_by_agent_.end()) old->second.erase(key);
  }
  Task& kept = it->second.task;
  kept = task;
  kept.clear_statuses();
  if (!task.statuses().empty()) *kept.add_statuses() = *task.statuses().rbegin();
  tasks_by_agent_[task.agent_id().value()].insert(key);
  tasks_by_framework_[framework_id].insert(key);
  RecomputeTask(it->second);
}

bool RecordBuilder::UpdateTask(const std::string& framework_id, const TaskStatus& status,
                               TaskState state) {
  const std::string key = TaskKey(framework_id, status.task_id().value());
  auto it = tasks_.find(key);
  if (it == tasks_.end()) return false;
  if (IsTerminal(state)) {
    RemoveTask(key);
    return true;
  }
  Task& task = it->second.task;
  task.set_state(state);
  MergeStatus(task, status);
  RecomputeTask(it->second);
  return true;
}

void RecordBuilder::UpsertAgent(const master::v1::Agent& agent) {
  const std::string& id = agent.agent_info().id().value();
  if (id.empty()) return;
  AgentEntry& entry = agents_[id];
  std::optional<RData> address = AgentAddress(agent);
  const bool moved = !(entry.address == address);
  entry.address = std::move(address);
  Replace(entry.records, AgentRecords(zone_, agent));
  if (moved) RecomputeTasksOf(tasks_by_agent_, id);
}

void RecordBuilder::RemoveAgent(const std::string& agent_id) {
  RemoveOwner(agents_, agent_id, tasks_by_agent_);
}

void RecordBuilder::UpsertFramework(const common::v1::FrameworkInfo& info) {
  const std::string& id = info.id().value();
  if (id.empty()) return;
  auto [it, inserted] = frameworks_.try_emplace(id);
  const bool renamed = inserted || it->second.name != info.name();
  it->second.name = info.name();
  Replace(it->second.records, FrameworkRecords(zone_, info));
  if (renamed) RecomputeTasksOf(tasks_by_framework_, id);
}

void RecordBuilder::RemoveFramework(const std::string& framework_id) {
  RemoveOwner(frameworks_, framework_id, tasks_by_framework_);
}

void RecordBuilder::SetLeader(const common::v1::MasterInfo* leader) {
  if (leader == nullptr) {
    leader_.reset();
  } else {
    leader_ = *leader;
  }
  Replace(master_records_, MasterRecords(zone_, leader_ ? &*leader_ : nullptr));
}

void RecordBuilder::Reset(const master::v1::ClusterState& state) {
  SetLeader(state.has_leader() ? &state.leader() : nullptr);

  absl::flat_hash_set<std::string> agents;
  for (const auto& agent : state.agents()) {
    agents.insert(agent.agent_info().id().value());
    UpsertAgent(agent);
  }
  std::vector<std::string> gone;
  for (const auto& [id, entry] : agents_) {
    if (!agents.contains(id)) gone.push_back(id);
  }
  for (const std::string& id : gone) RemoveAgent(id);

  absl::flat_hash_set<std::string> frameworks;
  for (const auto& framework : state.frameworks()) {
    frameworks.insert(framework.framework_info().id().value());
    UpsertFramework(framework.framework_info());
  }
  gone.clear();
  for (const auto& [id, entry] : frameworks_) {
    if (!frameworks.contains(id)) gone.push_back(id);
  }
  for (const std::string& id : gone) RemoveFramework(id);

  absl::flat_hash_set<std::string> tasks;
  for (const Task& task : state.tasks()) {
    tasks.insert(TaskKey(task.framework_id().value(), task.task_id().value()));
    UpsertTask(task);
  }
  gone.clear();
  for (const auto& [key, entry] : tasks_) {
    if (!tasks.contains(key)) gone.push_back(key);
  }
  for (const std::string& key : gone) RemoveTask(key);
}

void RecordBuilder::Apply(const master::v1::OperatorEvent& event) {
  using E = master::v1::OperatorEvent;
  switch (event.event_case()) {
    case E::kSubscribed:
      Reset(event.subscribed().state());
      break;
    case E::kTaskAdded:
      UpsertTask(event.task_added().task());
      break;
    case E::kTaskUpdated:
      UpdateTask(event.task_updated().framework_id().value(), event.task_updated().status(),
                 event.task_updated().state());
      break;
    case E::kAgentAdded:
      UpsertAgent(event.agent_added().agent());
      break;
    case E::kAgentRemoved:
      RemoveAgent(event.agent_removed().agent_id().value());
      break;
    case E::kFrameworkAdded:
      UpsertFramework(event.framework_added().framework().framework_info());
      break;
    case E::kFrameworkUpdated:
      UpsertFramework(event.framework_updated().framework().framework_info());
      break;
    case E::kFrameworkRemoved:
      RemoveFramework(event.framework_removed().framework_info().id().value());
      break;
    case E::kHeartbeat:
    case E::EVENT_NOT_SET:
      break;
  }
}

void RecordBuilder::ForEachTask(
    const std::function<void(const Task&, const std::string&, const std::vector<Record>&)>& fn)
    const {
  static const std::string kUnknown;
  for (const auto& [key, entry] : tasks_) {
    auto framework = frameworks_.find(entry.task.framework_id().value());
    fn(entry.task, framework == frameworks_.end() ? kUnknown : framework->second.name,
       entry.records);
  }
}

std::vector<Record> RecordBuilder::ClusterRecords() const {
  std::vector<Record> out = master_records_;
  out.insert(out.end(), zone_records_.begin(), zone_records_.end());
  for (const auto& [id, agent] : agents_) {
    out.insert(out.end(), agent.records.begin(), agent.records.end());
  }
  for (const auto& [id, framework] : frameworks_) {
    out.insert(out.end(), framework.records.begin(), framework.records.end());
  }
  return out;
}

// ---- snapshots -----------------------------------------------------------------------------

std::shared_ptr<const NameEntry> RecordBuilder::MakeEntry(const Name& name, const Node& node,
                                                          const RRset* soa) const {
  auto entry = std::make_shared<NameEntry>();
  entry->name = name;
  entry->hash = absl::Hash<Name>{}(name);
  entry->rrsets.reserve(node.types.size() + 1);
  for (const auto& [type, held] : node.types) {
    RRset set{name, type, RRClass::kIN, zone_.ttl, {}};
    set.data.reserve(held.size());
    for (const auto& [key, h] : held) set.data.push_back(h.data);
    entry->rrsets.push_back(std::move(set));
  }
  if (soa != nullptr) {
    auto at = std::find_if(entry->rrsets.begin(), entry->rrsets.end(),
                           [soa](const RRset& set) { return set.type > soa->type; });
    entry->rrsets.insert(at, *soa);
  }
  // Additional-section RRsets of SRV and NS targets, each target once, in record order.
  std::vector<const Name*> targets;
  for (RRType type : {RRType::kNS, RRType::kSRV}) {
    auto held = node.types.find(type);
    if (held == node.types.end()) continue;
    for (const auto& [key, h] : held->second) {
      const Name* target = nullptr;
      if (const auto* srv = std::get_if<SrvData>(&h.data)) target = &srv->target;
      if (const auto* ns = std::get_if<NameData>(&h.data)) target = &ns->name;
      if (target == nullptr ||
          std::any_of(targets.begin(), targets.end(),
                      [target](const Name* seen) { return *seen == *target; })) {
        continue;
      }
      targets.push_back(target);
      auto target_node = nodes_.find(*target);
      if (target_node == nodes_.end()) continue;
      for (RRType address : {RRType::kA, RRType::kAAAA}) {
        auto addresses = target_node->second.types.find(address);
        if (addresses == target_node->second.types.end()) continue;
        RRset set{target_node->first, address, RRClass::kIN, zone_.ttl, {}};
        for (const auto& [k, a] : addresses->second) set.data.push_back(a.data);
        entry->additional.push_back(std::move(set));
      }
    }
  }
  return entry;
}

std::shared_ptr<const RecordSet> RecordBuilder::Publish() {
  if (published_ != nullptr && dirty_.empty()) return published_;
  serial_ = published_ == nullptr ? zone_.soa.serial : serial_ + 1;
  SoaData soa_data = zone_.soa;
  soa_data.serial = serial_;
  RRset soa{zone_.domain, RRType::kSOA, RRClass::kIN, zone_.ttl, {std::move(soa_data)}};
  dirty_.insert(zone_.domain);  // the SOA serial changed
  // Names whose SRV/NS targets changed carry those targets' addresses: rebuild them too.
  std::vector<Name> referrers;
  for (const Name& name : dirty_) {
    auto owners = referrers_.find(name);
    if (owners == referrers_.end()) continue;
    for (const auto& [owner, count] : owners->second) referrers.push_back(owner);
  }
  dirty_.insert(referrers.begin(), referrers.end());

  RecordSet::Shards shards;
  if (published_ != nullptr) {
    shards = published_->shards();
  } else {
    shards.fill(std::make_shared<const RecordSet::Shard>());
  }
  std::vector<std::shared_ptr<RecordSet::Shard>> copies(RecordSet::kShards);
  for (const Name& name : dirty_) {
    const size_t s = RecordSet::ShardOf(name);
    if (copies[s] == nullptr) copies[s] = std::make_shared<RecordSet::Shard>(*shards[s]);
    RecordSet::Shard& shard = *copies[s];
    shard.erase(name);
    auto node = nodes_.find(name);
    if (node != nodes_.end()) {
      shard.insert(MakeEntry(node->first, node->second, name == zone_.domain ? &soa : nullptr));
    }
  }
  for (size_t s = 0; s < RecordSet::kShards; ++s) {
    if (copies[s] != nullptr) shards[s] = std::move(copies[s]);
  }
  dirty_.clear();
  published_ = std::make_shared<const RecordSet>(zone_.domain, std::move(shards), std::move(soa),
                                                 nodes_.size(), record_count_ + 1);
  return published_;
}

}  // namespace dcos::dns::core
