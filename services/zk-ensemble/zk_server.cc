#include "services/zk-ensemble/zk_server.h"

#include <atomic>
#include <fstream>
#include <iterator>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "libs/log/log.h"
#include "services/zk-ensemble/backup_file.h"
#include "services/zk-ensemble/core/tree.h"
#include "services/zk-ensemble/ensemble_service.h"
#include "services/zk-ensemble/ensemble_status.h"
#include "services/zk-ensemble/session_keeper.h"
#include "services/zk-ensemble/zk_metrics.h"
#include "services/zk-ensemble/zk_service.h"
#include "services/zk-ensemble/zk_state_machine.h"

namespace dcos::zk {
namespace {

constexpr char kAwaitingRestore[] =
    "awaiting a restore (started with --zk.restore_mode): `dcos zk restore FILE` "
    "(Ensemble.Restore) gives it its data";
constexpr char kNoZooKeeperYet[] =
    "this member awaits a restore (--zk.restore_mode) and serves no ZooKeeper calls until "
    "`dcos zk restore FILE` (Ensemble.Restore) gives it its data";

// The member: Raft, the state machine and the services on it. A member in restore mode
// (`awaiting_restore`) starts no Raft node until Install (from Ensemble.Restore on a gRPC
// thread) has seeded its storage.
//
// Thread-safety: `mu_` orders Start, Install and Shutdown (whichever comes first of the
// first two starts the node; none starts it after Shutdown); the services run on gRPC threads
// and read the node once it is set.
class ZkComponent final : public runtime::Component, public RestoreTarget {
 public:
  ZkComponent(std::unique_ptr<raft::RaftMember> member, const ZkConfig& config,
              ZkLimits limits, bool awaiting_restore, runtime::ServiceRuntime& runtime)
      : restore_from_(config.restore_from),
        cluster_id_(static_cast<uint64_t>(config.member.cluster_id)),
        request_timeout_(config.request_timeout),
        limits_(limits),
        runtime_(runtime),
        awaiting_restore_(awaiting_restore),
        member_(std::move(member)),
        sm_(limits),
        hub_(),
        keeper_(&sm_, &member_->addresses(), /*forward_interval=*/limits.sessions.min_timeout / 8,
                /*check_interval=*/absl::Milliseconds(100),
                // The longest election timeout: a member between leaders that has heard no
                // quorum for longer than that is cut off, not in an election.
                /*leader_grace=*/config.member.tick * config.member.election_ticks * 2,
                /*raft_tick=*/config.member.tick),
        service_(&sm_, &keeper_, &hub_, &member_->addresses(), config.request_timeout,
                 limits.tree, awaiting_restore ? kNoZooKeeperYet : "starting"),
        internal_(&keeper_, [this] { return SelfMember(); }),
        ensemble_(EnsembleOptionsFor(config, &member_->addresses(),
                                     awaiting_restore ? this : nullptr),
                  &sm_, [this] { return SelfMember(); }) {}

  ~ZkComponent() override { Shutdown(); }

  ZkService& service() { return service_; }
  const ZkStateMachine& state_machine() const { return sm_; }
  const WatchHub& hub() const { return hub_; }
  ZkInternalService& internal() { return internal_; }
  EnsembleService& ensemble() { return ensemble_; }

  absl::Status Start(runtime::ServiceRuntime&) override {
    absl::MutexLock lock(&mu_);
    if (awaiting_restore_.load()) {
      log::Info("dcos-zk member awaiting a restore (zk.restore_mode): not serving until "
                "Ensemble.Restore")
          .Field("member", member_->id());
      return absl::OkStatus();
    }
    if (started_) return absl::OkStatus();  // a Restore came first
    if (!restore_from_.empty()) {
      absl::Status restored = SeedFromBackup();
      if (!restored.ok()) return restored;
    }
    return StartNode();
  }

  void BeginShutdown() override {
    // Clients move to another member now, not when the server's grace runs out.
    service_.EndStreams();
    Shutdown();
  }

  bool AwaitingRestore() const override { return awaiting_restore_.load(); }

  absl::Status Install(const Backup& backup) override {
    absl::MutexLock lock(&mu_);
    if (!awaiting_restore_.load()) {
      return absl::FailedPreconditionError("this member awaits no restore");
    }
    if (stopping_) return absl::UnavailableError("the member is shutting down");
    absl::Status seeded = Seed(backup, raft::RaftMember::SeedVoters::kSelfOnly);
    if (!seeded.ok()) {
      // The snapshot's rename into place is what installs the state: past it (a failure
      // writing the hard state after it), the member starts on it like a restart would.
      absl::StatusOr<bool> installed = member_->HoldsState();
      if (!installed.ok() || !*installed) return seeded;
      log::Warn("restore: the snapshot is in place despite an error; starting on it")
          .Field("error", seeded);
    }
    awaiting_restore_.store(false);
    log::Info("restored from Ensemble.Restore: a one-member ensemble")
        .Field("member", member_->id())
        .Field("zxid", backup.header.zxid())
        .Field("znodes", static_cast<int64_t>(backup.header.znode_count()))
        .Field("from_cluster", static_cast<int64_t>(backup.header.cluster_id()));
    absl::Status started = StartNode();
    if (!started.ok()) {
      log::Error("the restored member did not start; restart it (its data is on disk)")
          .Field("error", started);
    }
    return started;
  }

 private:
  absl::Status StartNode() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    started_ = true;
    sm_.SetWatchHub(&hub_);
    raft::NodeOptions node_options;
    // ZkService answers writes and reads from Raft's callbacks: Raft bounds their wait.
    node_options.request_timeout = request_timeout_;
    absl::Status started = member_->Start(&sm_, runtime_, node_options);
    if (!started.ok()) return started;
    service_.SetNode(member_->node());
    ensemble_.SetNode(member_->node());
    keeper_.Start(member_->node());
    log::Info("dcos-zk member ready")
        .Field("member", member_->id())
        .Field("zxid", sm_.last_zxid())
        .Field("znodes", static_cast<int64_t>(sm_.znode_count()));
    runtime_.SetReady(true);
    return absl::OkStatus();
  }

  // Makes `backup` the member's first state: a snapshot at the backup's zxid, with no
  // sessions. A tree that does not restore is refused (INVALID_ARGUMENT) before anything is
  // written.
  absl::Status Seed(const Backup& backup, raft::RaftMember::SeedVoters voters) {
    absl::StatusOr<ZnodeTree> tree = ZnodeTree::Restore(backup.data, limits_.tree);
    if (!tree.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("backup: the tree does not restore: ", tree.status().message()));
    }
    if (tree->NodeCount() != backup.header.znode_count()) {
      return absl::InvalidArgumentError(absl::StrCat("backup: the tree has ", tree->NodeCount(),
                                                     " znodes, the header says ",
                                                     backup.header.znode_count()));
    }
    internal::v1::ZkSnapshot snapshot;
    snapshot.set_tree(backup.data);
    snapshot.set_sessions(SessionTable(limits_.sessions).Snapshot());
    return member_->SeedSnapshot(static_cast<uint64_t>(backup.header.zxid()),
                                 snapshot.SerializeAsString(), voters);
  }

  // A new ensemble from a backup file: every member starts with the backup as its snapshot.
  // A member whose data directory already holds state (a restart) keeps it and ignores the
  // file. Refused, naming the flag: an unreadable or damaged file, a backup of this very
  // ensemble (CheckRestoreCluster, as Ensemble.Restore refuses it).
  absl::Status SeedFromBackup() {
    absl::StatusOr<bool> holds = member_->HoldsState();
    if (!holds.ok()) return holds.status();
    if (*holds) {
      log::Info("zk.restore_from ignored: the data directory already holds state")
          .Field("file", restore_from_);
      return absl::OkStatus();
    }
    absl::StatusOr<Backup> backup = ReadBackupFile();
    absl::Status seeded = backup.status();
    if (seeded.ok()) seeded = CheckRestoreCluster(backup->header, cluster_id_);
    if (seeded.ok()) seeded = Seed(*backup, raft::RaftMember::SeedVoters::kAllPeers);
    if (!seeded.ok()) {
      return absl::Status(seeded.code(), absl::StrCat("zk.restore_from: ", restore_from_, ": ",
                                                      seeded.message()));
    }
    log::Info("restored from a backup")
        .Field("file", restore_from_)
        .Field("zxid", backup->header.zxid())
        .Field("znodes", static_cast<int64_t>(backup->header.znode_count()));
    return absl::OkStatus();
  }

  // The backup in the file of zk.restore_from, checked (ParseBackup).
  absl::StatusOr<Backup> ReadBackupFile() const {
    std::ifstream in(restore_from_, std::ios::binary);
    if (!in) return absl::InvalidArgumentError("cannot read the file");
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return ParseBackup(bytes);
  }

  static EnsembleOptions EnsembleOptionsFor(const ZkConfig& config,
                                            const raft::AddressBook* addresses,
                                            RestoreTarget* restore) {
    EnsembleOptions o;
    o.cluster_id = static_cast<uint64_t>(config.member.cluster_id);
    o.addresses = addresses;
    o.tick = config.member.tick;
    o.add_member_timeout = config.add_member_timeout;
    o.request_timeout = config.request_timeout;
    o.transfer_timeout = config.member.tick * config.member.election_ticks * 4;
    o.healthy_max_lag = static_cast<uint64_t>(config.healthy_max_lag);
    o.restore = restore;
    return o;
  }

  v1::Member SelfMember() const {
    raft::RaftNode* node = member_->node();
    raft::CoreStatus status;
    status.id = member_->id();
    SelfFacts facts;
    if (node != nullptr) {
      status = node->Status();
      facts.fatal = node->fatal();
    } else {
      facts.waiting = awaiting_restore_.load() ? kAwaitingRestore : "starting";
    }
    facts.address = member_->self_address();
    facts.sessions = service_.attached_sessions();
    facts.znodes = sm_.znode_count();
    facts.watches = hub_.watch_count();
    return SelfReport(status, facts);
  }

  void Shutdown() {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    keeper_.Stop();
    member_->Stop();
  }

  const std::string restore_from_;
  const uint64_t cluster_id_;  // raft.cluster_id
  const absl::Duration request_timeout_;
  const ZkLimits limits_;
  runtime::ServiceRuntime& runtime_;
  absl::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Written under mu_; read anywhere.
  std::atomic<bool> awaiting_restore_;
  std::unique_ptr<raft::RaftMember> member_;
  ZkStateMachine sm_;
  WatchHub hub_;
  SessionKeeper keeper_;
  ZkService service_;
  ZkInternalService internal_;
  EnsembleService ensemble_;
};

}  // namespace

void RegisterZkConfig(config::Schema& schema, ZkConfig* config) {
  raft::RegisterMemberConfig(schema, &config->member);
  schema.Duration("zk.request_timeout", &config->request_timeout,
                  "how long a write or linearizable read waits for Raft")
      .DurationRange(absl::Milliseconds(10), absl::Minutes(10));
  schema.Int("zk.max_data_bytes", &config->max_data_bytes, "largest znode data, bytes")
      .Range(int64_t{1}, int64_t{64} << 20);
  schema.Duration("zk.min_session_timeout", &config->min_session_timeout,
                  "shortest session timeout granted")
      .DurationRange(absl::Milliseconds(100), absl::Hours(1));
  schema.Duration("zk.max_session_timeout", &config->max_session_timeout,
                  "longest session timeout granted")
      .DurationRange(absl::Milliseconds(100), absl::Hours(24));
  schema.String("zk.restore_from", &config->restore_from,
                "start a new ensemble from this backup file (`dcos zk backup`); every member "
                "gets it, each on an empty raft.dir, with a raft.cluster_id other than the "
                "backed-up ensemble's");
  schema.Bool("zk.restore_mode", &config->restore_mode,
              "on an empty raft.dir, wait for a backup (`dcos zk restore FILE`, "
              "Ensemble.Restore) and become a one-member ensemble on it; add the others with "
              "`dcos zk member add`. Give it a raft.cluster_id other than the backed-up "
              "ensemble's. Ignored once raft.dir holds state");
  schema.Duration("zk.add_member_timeout", &config->add_member_timeout,
                  "how long Ensemble.AddMember waits for a new member to catch up before "
                  "removing it again")
      .DurationRange(absl::Seconds(1), absl::Hours(24));
  schema.Int("zk.healthy_max_lag", &config->healthy_max_lag,
             "a member further behind the leader's commit index (entries) is unhealthy")
      .Range(int64_t{0}, int64_t{1} << 40);
}

absl::StatusOr<std::unique_ptr<runtime::Component>> BuildZk(const ZkConfig& config,
                                                            runtime::ServiceRuntime& runtime) {
  absl::StatusOr<std::unique_ptr<raft::RaftMember>> member =
      raft::RaftMember::Create(config.member, runtime);
  if (!member.ok()) return member.status();
  ZkLimits limits;
  limits.tree.max_data_bytes = static_cast<size_t>(config.max_data_bytes);
  limits.sessions.min_timeout = config.min_session_timeout;
  limits.sessions.max_timeout = config.max_session_timeout;
  if (limits.sessions.min_timeout > limits.sessions.max_timeout) {
    return absl::InvalidArgumentError(
        "zk.min_session_timeout: must not be above zk.max_session_timeout");
  }
  bool awaiting_restore = false;
  if (config.restore_mode) {
    if (config.member.join) {
      return absl::InvalidArgumentError(
          "zk.restore_mode: a restored member founds a new ensemble; it cannot raft.join one");
    }
    if (!config.restore_from.empty()) {
      return absl::InvalidArgumentError(
          "zk.restore_mode: give zk.restore_from (a file, at start) or zk.restore_mode "
          "(Ensemble.Restore), not both");
    }
    absl::StatusOr<bool> holds = (*member)->HoldsState();
    if (!holds.ok()) return holds.status();
    awaiting_restore = !*holds;
    if (*holds) {
      log::Info("zk.restore_mode ignored: raft.dir already holds state (restored before?)")
          .Field("dir", config.member.dir);
    }
  }
  auto component = std::make_unique<ZkComponent>(*std::move(member), config, limits,
                                                 awaiting_restore, runtime);
  component->service().SetMetrics(runtime.metrics());
  runtime.AddCollectable(std::make_shared<ZkMetrics>(&component->state_machine(),
                                                     &component->hub(), &component->service()));
  runtime.AddService(&component->service(), "dcos.zk.v1.ZooKeeper");
  runtime.AddService(&component->internal(), "dcos.zk.internal.v1.ZkInternal");
  runtime.AddService(&component->ensemble(), "dcos.zk.v1.Ensemble");
  return component;
}

}  // namespace dcos::zk
