#pragma once

// MasterCore: the Mesos master's bookkeeping as a pure state machine — agents, frameworks,
// offers and tasks, and every rule that connects them. No threads, no I/O, no clock reads:
// each input carries `now`; decisions accumulate in an Outbox the driver takes and carries
// out (registry writes, then messages). Ids come from a seeded generator, so a run is
// reproducible from its inputs.
//
// Inputs:
//  - agents (the AgentChannel stream): Register, Reregister, StatusUpdate, Pong,
//    ExecutorExited, disconnect;
//  - frameworks (the Scheduler API): Subscribe, Accept, Decline, Revive, Suppress, Kill,
//    Acknowledge, Reconcile, Teardown, disconnect;
//  - operators: MarkAgentGone, DrainAgent, DeactivateAgent, ReactivateAgent, State;
//  - Tick: pings and agent health (unreachable after missed pings, rate-limited), framework
//    failover timeouts, offer timeouts, batched allocation.
//
// Scheduler calls return an error only for what Mesos answers synchronously
// (FRAMEWORK_NOT_SUBSCRIBED, STREAM_ID_MISMATCH, malformed calls); everything else is an
// event, as in Mesos's HTTP 202.

#include <cstdint>
#include <map>
#include <functional>
#include <optional>
#include <queue>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/tasks/task_states.h"
#include "protos/master/v1/cluster_state.pb.h"
#include "protos/master/v1/operator.pb.h"
#include "protos/master/v1/scheduler.pb.h"
#include "services/master/core/allocator_port.h"
#include "services/master/core/outbox.h"

namespace dcos::master {

struct MasterCoreConfig {
  common::v1::MasterInfo master_info;  // id is this master's unique id (prefix of new ids)
  absl::Duration agent_ping_timeout = absl::Seconds(15);
  int max_agent_ping_timeouts = 5;
  // Token bucket for marking agents unreachable: at most `agent_removal_burst` at once, then
  // one per `agent_removal_interval`.
  absl::Duration agent_removal_interval = absl::Seconds(6);
  int agent_removal_burst = 5;
  // How long a new leader waits for agents of the registry to re-register before it marks
  // them unreachable.
  absl::Duration agent_reregister_timeout = absl::Minutes(2);
  absl::Duration framework_heartbeat_interval = absl::Seconds(15);
  absl::Duration allocation_interval = absl::Seconds(1);
  // Unset: offers never time out.
  std::optional<absl::Duration> offer_timeout;
  absl::Duration default_refuse = absl::Seconds(5);
  // Terminal tasks kept for the state API.
  size_t max_completed_tasks = 1000;
  size_t max_completed_frameworks = 50;
  uint64_t seed = 1;
  // The weights and quotas of the master.weights / master.quotas flags (valid: see
  // ValidateRolePolicy), applied to the allocator at construction. A policy recovered from
  // the registry replaces them (RecoverPolicy).
  v1::RolePolicy policy;
};

// Checks weights (role valid, weight finite and > 0, each role once) and quotas (role valid
// and not "*", each role once, guarantees unreserved scalars with valid names, finite and
// >= 0, each name once). INVALID_ARGUMENT naming the field: `<weights_field>[i].weight: ...`,
// `<quotas_field>[i].guarantees[j]: ...`.
absl::Status ValidateWeights(const google::protobuf::RepeatedPtrField<v1::WeightInfo>& weights,
                             const std::string& field);
absl::Status ValidateQuotas(const google::protobuf::RepeatedPtrField<v1::QuotaConfig>& quotas,
                            const std::string& field);

class MasterCore {
 public:
  MasterCore(MasterCoreConfig config, AllocatorPort* allocator, absl::Time now);

  // Everything decided since the last call.
  Outbox TakeOutbox();

  // --- Agents ---
  // A new agent: assigns its id, admits it (registry), answers Registered.
  absl::StatusOr<std::string> RegisterAgent(const v1::Register& request, absl::Time now);
  // A known agent (after its restart or a master failover) with what it runs. Gone agents
  // are told to shut down (FAILED_PRECONDITION). Taken by value: the reported tasks are moved
  // into the master's records (move the request in; a failover re-registers 100,000 tasks).
  absl::Status ReregisterAgent(v1::Reregister request, absl::Time now);
  void AgentDisconnected(const std::string& agent_id, absl::Time now);
  void AgentPong(const std::string& agent_id, uint64_t sequence, absl::Time now);
  void StatusUpdate(const std::string& agent_id, const v1::StatusUpdate& update, absl::Time now);
  void ExecutorExited(const std::string& agent_id, const v1::ExecutorExited& exited,
                      absl::Time now);
  // A new leader: the agents of the registry, which must re-register within
  // agent_reregister_timeout. `states`: by agent id, the drains and deactivations of admitted
  // and unreachable agents (only those that have one): a draining agent gets no offers, its
  // tasks are killed when it re-registers and, if the drain says so, it is marked gone once
  // none runs.
  // Taken by value: the entries are moved into the master's records.
  void RecoverRegistry(std::vector<common::v1::AgentInfo> admitted,
                       std::vector<common::v1::AgentInfo> unreachable,
                       const std::vector<common::v1::AgentInfo>& gone,
                       const std::map<std::string, v1::AgentRegistryState>& states,
                       absl::Time now);

  // --- Frameworks ---
  struct Subscription {
    std::string framework_id;
    std::string stream_id;
  };
  // Registers or re-subscribes; SUBSCRIBED goes out in the outbox. INVALID_ARGUMENT for a bad
  // FrameworkInfo; FAILED_PRECONDITION for a removed framework id.
  absl::StatusOr<Subscription> Subscribe(const common::v1::FrameworkInfo& info, absl::Time now);
  void FrameworkDisconnected(const std::string& framework_id, const std::string& stream_id,
                             absl::Time now);
  absl::Status Accept(const v1::AcceptRequest& request, absl::Time now);
  absl::Status Decline(const v1::DeclineRequest& request, absl::Time now);
  absl::Status Revive(const v1::ReviveRequest& request, absl::Time now);
  absl::Status Suppress(const v1::SuppressRequest& request, absl::Time now);
  // A known task's kill is sent to its agent now if connected, and kept and sent again when
  // the agent re-registers still running the task (see README: Kill).
  absl::Status Kill(const v1::KillRequest& request, absl::Time now);
  absl::Status Acknowledge(const v1::AcknowledgeRequest& request, absl::Time now);
  absl::Status Reconcile(const v1::ReconcileRequest& request, absl::Time now);
  absl::Status Teardown(const v1::TeardownRequest& request, absl::Time now);

  // --- Operators ---
  // Each writes the agent's registry entry (in the outbox, durable before the driver answers):
  // gone; draining (grace, mark_gone) and deactivated; neither again.
  absl::Status MarkAgentGone(const std::string& agent_id, absl::Time now);
  absl::Status DrainAgent(const std::string& agent_id, std::optional<absl::Duration> grace,
                          bool mark_gone, absl::Time now);
  // No more offers of the agent (outstanding ones rescinded); its tasks run on. Recorded in
  // the registry. Idempotent. Errors: as DrainAgent.
  absl::Status DeactivateAgent(const std::string& agent_id, absl::Time now);
  absl::Status ReactivateAgent(const std::string& agent_id, absl::Time now);
  v1::ClusterState State() const;
  // Role weights and quotas (master_core_roles.cc). An update is validated whole (errors as
  // ValidateWeights / ValidateQuotas; nothing changes on one), applied to the allocator, and
  // the whole policy is written to the registry (a kSetPolicy op in the outbox, durable before
  // the driver answers). Roles not named keep their values; a quota with no guarantees is
  // removed.
  absl::Status UpdateWeights(const v1::UpdateWeightsRequest& request, absl::Time now);
  absl::Status UpdateQuota(const v1::UpdateQuotaRequest& request, absl::Time now);
  // Every weight and quota in force, sorted by role.
  const v1::RolePolicy& policy() const { return policy_; }
  // A new leader: the policy of the registry replaces the one of the flags (roles it does
  // not name go back to weight 1 and no quota). Call before RecoverRegistry; not written
  // back.
  void RecoverPolicy(const v1::RolePolicy& policy);

  // Whether operator events are wanted (the driver turns them on while an operator subscriber
  // is attached; the subscriber starts from State()).
  void SetOperatorEvents(bool enabled) { operator_events_ = enabled; }

  // --- Time ---
  void Tick(absl::Time now);

  // What operators alert on (Mesos's master/* metrics), counted now.
  struct Stats {
    size_t agents_active = 0;        // admitted and connected
    size_t agents_disconnected = 0;  // admitted, stream down (not yet unreachable)
    size_t agents_unreachable = 0;
    size_t agents_recovered = 0;     // from the registry, not re-registered yet
    size_t agents_draining = 0;
    size_t agents_deactivated = 0;   // connected, but offered to no one (drain, or deactivated)
    size_t frameworks_connected = 0;
    size_t frameworks_disconnected = 0;
    size_t frameworks_completed = 0;
    std::map<common::v1::TaskState, size_t> tasks;  // active tasks by state
    size_t tasks_completed = 0;
    // Tasks that reached each terminal state since this core began (Mesos's counters).
    std::map<common::v1::TaskState, uint64_t> tasks_ended;
    double cpus_total = 0, cpus_used = 0, cpus_offered = 0;
    double mem_total = 0, mem_used = 0, mem_offered = 0;
    double disk_total = 0, disk_used = 0, disk_offered = 0;
    size_t outstanding_offers = 0;
  };
  // Cheap: the task figures are kept as tasks change (a walk of 100,000 tasks took the loop
  // ~50 ms); agents, frameworks and offers are counted now.
  Stats GetStats() const;
  // The same figures from a walk of every task: what GetStats must equal (tests).
  Stats CountStats() const;

  // For tests and metrics.
  size_t outstanding_offers() const { return offers_.size(); }

 private:
  struct AgentRecord {
    common::v1::AgentInfo info;
    common::v1::BuildInfo build;
    v1::Agent::State state = v1::Agent::STATE_ACTIVE;
    bool connected = false;
    bool draining = false;
    bool deactivated = false;
    bool mark_gone_when_drained = false;
    std::optional<absl::Duration> drain_grace;
    absl::Time registered;
    absl::Time reregistered;
    absl::Time unreachable_since;
    absl::Time recovered_deadline;  // STATE_RECOVERED only
    uint64_t ping_sequence = 0;
    uint64_t pong_sequence = 0;
    int missed_pings = 0;
    absl::Time next_ping;
    std::set<std::pair<std::string, std::string>> tasks;  // (framework, task): keys of tasks_
    std::set<std::string> offers;
    // Kills of tasks here (framework, task) that the agent may not have received: sent again
    // when it re-registers, for the tasks it still runs (Mesos's killedTasks). Dropped when
    // the agent reports the task terminal or re-registers without it. Usually empty.
    std::map<std::pair<std::string, std::string>, v1::KillTask> kills;
  };
  struct FrameworkRecord {
    common::v1::FrameworkInfo info;
    bool connected = false;
    bool active = false;
    bool recovered = false;  // known from an agent, not subscribed to this master yet
    std::string stream_id;
    absl::Time registered;
    absl::Time reregistered;
    absl::Time disconnected;
    absl::Time next_heartbeat;
    std::set<std::string> suppressed_roles;
    std::set<std::string> offers;
    // Its tasks are the range of tasks_ whose key starts with its id (FrameworkTasks).
  };
  using TaskKey = std::pair<std::string, std::string>;  // (framework, task)
  // The one record of a task: what the state API reports, and the role its resources were
  // allocated to.
  struct TaskRecord {
    common::v1::Task task;
    std::string role;
  };
  using TaskMap = std::map<TaskKey, TaskRecord>;
  struct OfferRecord {
    common::v1::Offer offer;
    absl::Time created;
  };

  // master_core_agents.cc
  // The agent's whole registry entry, into the list `kind` names (its drain and deactivation
  // with it: they survive a failover).
  void WriteRegistry(RegistryOp::Kind kind, const AgentRecord& agent);
  // Admits an agent; the tasks in record.tasks count as in use. `write_registry`: false only
  // when the registry already holds exactly this AgentInfo.
  void AdmitAgent(AgentRecord record, absl::Time now, bool write_registry = true);
  // Operator events are built only while someone subscribes (they copy tasks and agents).
  void EmitOperatorEvent(v1::OperatorEvent event);
  void MarkUnreachable(const std::string& agent_id, absl::Time now);
  void RemoveAgentCompletely(const std::string& agent_id, v1::Agent::State state,
                             common::v1::TaskState task_state, common::v1::TaskStatus::Reason,
                             absl::Time now);
  void CheckAgents(absl::Time now);
  void ScheduleAgentCheck(const std::string& agent_id, absl::Time at);
  bool TakeRemovalToken(absl::Time now);
  // A draining agent with mark_gone is marked gone once none of its tasks runs. Only an
  // agent that has reported its tasks to this master (STATE_ACTIVE) is judged: a recovered
  // or unreachable one may still run tasks the master does not know of.
  void MaybeFinishDrain(const std::string& agent_id, absl::Time now);
  // The agent an operator call names: NOT_FOUND if unknown, FAILED_PRECONDITION if gone.
  absl::StatusOr<AgentRecord*> OperatedAgent(const std::string& agent_id);
  // A draining agent is drained once it has reported its tasks to this master (not
  // STATE_RECOVERED) and none of them runs any more.
  bool Drained(const AgentRecord& a) const;
  // Records a kill in the agent's `kills` and sends it now if the agent is connected.
  void KillOnAgent(AgentRecord& agent, const TaskKey& key, v1::KillTask kill);
  // After a re-registration: the recorded kills again, for the tasks the agent still runs (and
  // every task of a draining agent).
  void ResendKills(const std::string& agent_id);

  // master_core_frameworks.cc
  absl::Status CheckSubscribed(const common::v1::FrameworkID& id, const std::string& stream_id)
      const;
  void RemoveFramework(const std::string& framework_id, const std::string& why, absl::Time now);
  void CheckFrameworks(absl::Time now);
  void SendToFramework(const std::string& framework_id, v1::Event event);
  v1::Framework FrameworkState(const std::string& id, const FrameworkRecord& f) const;

  // master_core_tasks.cc
  // Records a new task (`key` not in tasks_; `hint` where it goes, as for map::emplace_hint).
  // The caller adds the key to its agent's record.
  void AddTask(TaskMap::const_iterator hint, TaskKey key, common::v1::Task task,
               std::string role);
  // The framework's tasks: a range of tasks_ (ordered by framework id first).
  std::pair<TaskMap::const_iterator, TaskMap::const_iterator> FrameworkTasks(
      const std::string& framework_id) const;
  // The role a framework's resources are accounted to when nothing says otherwise.
  std::string DefaultRole(const std::string& framework_id) const;
  // A status the master decides itself (no uuid: nothing to acknowledge).
  common::v1::TaskStatus MasterStatus(const common::v1::Task& task, common::v1::TaskState state,
                                      common::v1::TaskStatus::Reason reason,
                                      const std::string& message, absl::Time now) const;
  void SendUpdate(const std::string& framework_id, const common::v1::TaskStatus& status);
  // Records a status of a task in tasks_: its state becomes `latest` (the tally follows), the
  // status is kept with it, and operators get TASK_UPDATED (when they are listening). Every
  // state change of a known task goes through here; resources are the caller's business.
  void RecordStatus(TaskMap::iterator task, const common::v1::TaskStatus& status,
                    common::v1::TaskState latest);
  // RecordStatus, and the resources go back to the allocator when the task becomes terminal
  // on an agent the allocator holds. `latest` unset: the status's state.
  void TransitionTask(const TaskKey& key, const common::v1::TaskStatus& status,
                      common::v1::TaskState latest, absl::Time now);
  void CompleteTask(const TaskKey& key);
  // Sets a task's state and keeps the tally (RecordStatus's part; nothing else calls it).
  void SetTaskState(common::v1::Task& task, common::v1::TaskState state);
  bool PartitionAware(const std::string& framework_id) const;
  // Whether an agent of the registry has yet to re-register since this master took over
  // (a walk of the agents: only for unknown tasks named without their agent).
  bool AnyAgentRecovering() const;

  // master_core_roles.cc
  // Makes `next` the policy: the allocator gets every change (roles that left go back to
  // weight 1 and no quota).
  void ApplyPolicy(v1::RolePolicy next);
  // ApplyPolicy, and the whole policy written to the registry (an operator's update).
  absl::Status ChangePolicy(v1::RolePolicy next);

  // master_core_offers.cc
  void Allocate(absl::Time now);
  void RescindOffer(const std::string& offer_id, bool recover, absl::Time now);
  void RemoveOffer(const std::string& offer_id);
  void CheckOffers(absl::Time now);

  std::string NextId(const char* kind);
  std::string RandomHex(size_t bytes);

  const MasterCoreConfig config_;
  AllocatorPort* const allocator_;
  std::mt19937_64 rng_;
  uint64_t next_id_ = 1;
  Outbox outbox_;

  std::map<std::string, AgentRecord> agents_;
  // (deadline, agent): when an agent's next_ping or recovered_deadline comes due; an entry
  // is pushed whenever one is set (ScheduleAgentCheck), and stale ones are skipped.
  std::priority_queue<std::pair<absl::Time, std::string>,
                      std::vector<std::pair<absl::Time, std::string>>, std::greater<>>
      agent_checks_;
  // Agents marked gone (by an operator, or found gone in the registry), with their last
  // AgentInfo: refused forever, and listed in the state as STATE_GONE.
  std::map<std::string, common::v1::AgentInfo> gone_agents_;
  std::map<std::string, FrameworkRecord> frameworks_;
  std::map<std::string, common::v1::FrameworkInfo> removed_frameworks_;
  std::vector<std::string> removed_order_;
  TaskMap tasks_;
  // Tasks of tasks_ by state, and the scalars of those that hold resources (not terminal, not
  // unreachable), in milli units; kept by AddTask, SetTaskState and CompleteTask.
  struct TaskTally {
    std::map<common::v1::TaskState, size_t> by_state;
    int64_t cpus_milli = 0, mem_milli = 0, disk_milli = 0;
    void Count(const common::v1::Task& task, int sign);
    void Fill(Stats& s) const;
  };
  TaskTally task_tally_;
  std::map<common::v1::TaskState, uint64_t> tasks_ended_;  // Stats::tasks_ended
  std::vector<common::v1::Task> completed_tasks_;
  std::map<std::string, OfferRecord> offers_;

  v1::RolePolicy policy_;  // in force; weights and quotas each sorted by role

  absl::Time last_allocation_;
  bool allocation_wanted_ = true;
  bool operator_events_ = true;
  double removal_tokens_;
  absl::Time removal_refill_;
};

using ::dcos::tasks::IsTerminal;

}  // namespace dcos::master
