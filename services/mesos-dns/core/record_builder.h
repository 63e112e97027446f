#pragma once

// RecordBuilder: the mutable side of the record set. It follows the cluster through the
// master's operator events (or whole ClusterState snapshots), keeps what each task, agent,
// framework and the leader contributes, and publishes immutable RecordSet snapshots.
//
// Incremental: an event recomputes only the records of what it touched (a task; the tasks of
// an agent whose address changed; the tasks of a renamed framework), records are reference
// counted per (name, type, data) so that two tasks of one app on one agent share a record, and
// only the names whose records changed are re-materialised at Publish(), in copies of the
// shards holding them (see record_set.h). Empty non-terminals (e.g. "_tcp.marathon.mesos" and
// "marathon.mesos" when only tasks live below) exist in the snapshot as entries with no
// records, so that they answer NOERROR rather than NXDOMAIN.
//
// Reset() with a whole ClusterState is a resynchronisation, not a rebuild: records that are
// the same before and after do not change, so a reconnect to the master that finds nothing
// new publishes nothing new.
//
// Thread-compatible: owned by one thread (the driver's); the snapshots it returns may be read
// from any thread.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "protos/master/v1/operator_events.pb.h"
#include "services/mesos-dns/core/config.h"
#include "services/mesos-dns/core/record_set.h"
#include "services/mesos-dns/core/records.h"

namespace dcos::dns::core {

class RecordBuilder {
 public:
  // InvalidArgument for a bad config (see CompileConfig).
  static absl::StatusOr<std::unique_ptr<RecordBuilder>> Create(const RecordConfig& config);
  explicit RecordBuilder(Zone zone);

  RecordBuilder(const RecordBuilder&) = delete;
  RecordBuilder& operator=(const RecordBuilder&) = delete;

  // Makes the state equal to `state`: agents, frameworks, non-terminal tasks, leader.
  void Reset(const master::v1::ClusterState& state);
  // One event of the operator Subscribe stream, in order. SUBSCRIBED is Reset(); HEARTBEAT
  // changes nothing.
  void Apply(const master::v1::OperatorEvent& event);

  void UpsertAgent(const master::v1::Agent& agent);
  void RemoveAgent(const std::string& agent_id);
  void UpsertFramework(const common::v1::FrameworkInfo& info);
  // The framework's tasks stay (the master ends them with their own updates) but lose their
  // records, which need the framework's name.
  void RemoveFramework(const std::string& framework_id);
  // A task as a whole (TASK_ADDED, or from a snapshot). Tasks in terminal states are removed.
  void UpsertTask(const common::v1::Task& task);
  // TASK_UPDATED: the task's new status and latest state. A status without container status
  // or health keeps the previous ones. Unknown tasks are ignored (returns false): a task is
  // known from TASK_ADDED or a snapshot first.
  bool UpdateTask(const std::string& framework_id, const common::v1::TaskStatus& status,
                  common::v1::TaskState state);
  // The leading master, or null when none is known.
  void SetLeader(const common::v1::MasterInfo* leader);

  // True if records changed since the last Publish().
  bool dirty() const { return !dirty_.empty(); }

  // The current records. Without changes since the last call, that same snapshot; otherwise a
  // new one, whose SOA serial is one more than the previous snapshot's (the first has
  // RecordConfig::initial_serial).
  std::shared_ptr<const RecordSet> Publish();

  // Every known task with the records it contributes now (none when it is not published) and
  // its framework's name ("" when the framework is unknown). For enumeration.
  void ForEachTask(const std::function<void(const common::v1::Task& task,
                                            const std::string& framework_name,
                                            const std::vector<Record>& records)>& fn) const;
  // The records not owned by a task: agents, frameworks, masters and the zone's own (NS, this
  // server's address).
  std::vector<Record> ClusterRecords() const;

  const Zone& zone() const { return zone_; }
  size_t task_count() const { return tasks_.size(); }
  size_t agent_count() const { return agents_.size(); }
  size_t framework_count() const { return frameworks_.size(); }

 private:
  struct Held {
    RData data;
    int refs = 0;
  };
  struct Node {
    // type -> canonical data bytes -> the data and how many owners hold it. Ordered maps keep
    // answers in a stable order.
    std::map<RRType, std::map<std::string, Held>> types;
    int children = 0;  // nodes directly below
  };
  struct TaskEntry {
    common::v1::Task task;  // statuses trimmed to the latest
    std::vector<Record> records;
  };
  struct AgentEntry {
    std::optional<RData> address;
    std::vector<Record> records;
  };
  struct FrameworkEntry {
    std::string name;
    std::vector<Record> records;
  };

  static std::string TaskKey(const std::string& framework_id, const std::string& task_id) {
    return framework_id + '\n' + task_id;
  }

  // Registers (delta +1) or drops (-1) `owner` as a referrer of `data`'s SRV/NS target.
  void Refer(const Name& owner, const RData& data, int delta);
  // Replaces what an owner holds with `fresh`, adding before removing so that records held
  // before and after never drop to zero references.
  void Replace(std::vector<Record>& held, std::vector<Record> fresh);
  void AddRecord(const Record& record);
  void RemoveRecord(const Record& record);
  // Creates the chain of nodes from `name` up to the apex as needed.
  Node& Link(const Name& name);
  // Removes `name`'s node, and emptied ancestors, if it has no records and no children.
  void MaybeUnlink(const Name& name);

  // Owner id (agent or framework) -> keys of its tasks.
  using TaskIndex = absl::flat_hash_map<std::string, absl::flat_hash_set<std::string>>;

  void RecomputeTask(TaskEntry& entry);
  void RecomputeTasksOf(const TaskIndex& index, const std::string& id);
  // Drops an agent or framework and its records; its tasks are recomputed without it.
  template <typename Entries>
  void RemoveOwner(Entries& entries, const std::string& id, const TaskIndex& index);
  void RemoveTask(const std::string& key);
  std::shared_ptr<const NameEntry> MakeEntry(const Name& name, const Node& node,
                                             const RRset* soa) const;

  Zone zone_;
  absl::flat_hash_map<Name, Node> nodes_;
  absl::flat_hash_set<Name> dirty_;
  // SRV/NS target -> owner names whose records point at it (with counts): when a target's
  // addresses change, its referrers' additional-section RRsets are rebuilt too.
  absl::flat_hash_map<Name, absl::flat_hash_map<Name, int>> referrers_;
  size_t record_count_ = 0;  // distinct (name, type, data), without the SOA

  absl::flat_hash_map<std::string, TaskEntry> tasks_;
  absl::flat_hash_map<std::string, AgentEntry> agents_;
  absl::flat_hash_map<std::string, FrameworkEntry> frameworks_;
  TaskIndex tasks_by_agent_;
  TaskIndex tasks_by_framework_;
  std::optional<common::v1::MasterInfo> leader_;
  std::vector<Record> master_records_;
  std::vector<Record> zone_records_;

  std::shared_ptr<const RecordSet> published_;
  uint32_t serial_ = 0;
};

}  // namespace dcos::dns::core
