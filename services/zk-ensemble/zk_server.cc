#include "services/zk-ensemble/zk_server.h"

#include <fstream>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "libs/log/log.h"
#include "services/zk-ensemble/backup_file.h"
#include "services/zk-ensemble/ensemble_service.h"
#include "services/zk-ensemble/ensemble_status.h"
#include "services/zk-ensemble/session_keeper.h"
#include "services/zk-ensemble/zk_service.h"
#include "services/zk-ensemble/zk_state_machine.h"

namespace dcos::zk {
namespace {

class ZkComponent final : public runtime::Component {
 public:
  ZkComponent(std::unique_ptr<raft::RaftMember> member, const ZkConfig& config,
              ZkLimits limits)
      : restore_from_(config.restore_from),
        request_timeout_(config.request_timeout),
        limits_(limits),
        member_(std::move(member)),
        sm_(limits),
        hub_(),
        keeper_(&sm_, &member_->addresses(), /*forward_interval=*/limits.sessions.min_timeout / 8,
                /*check_interval=*/absl::Milliseconds(100),
                // The longest election timeout: a leaderless spell longer than that is no
                // ordinary election.
                /*leader_grace=*/config.member.tick * config.member.election_ticks * 2),
        service_(&sm_, &keeper_, &hub_, &member_->addresses(), config.request_timeout,
                 limits.tree),
        internal_(&keeper_, [this] { return SelfMember(); }),
        ensemble_(EnsembleOptionsFor(config, &member_->addresses()), &sm_,
                  [this] { return SelfMember(); }) {}

  ~ZkComponent() override { Shutdown(); }

  ZkService& service() { return service_; }
  ZkInternalService& internal() { return internal_; }
  EnsembleService& ensemble() { return ensemble_; }

  absl::Status Start(runtime::ServiceRuntime& runtime) override {
    if (!restore_from_.empty()) {
      absl::Status restored = SeedFromBackup();
      if (!restored.ok()) return restored;
    }
    sm_.SetWatchHub(&hub_);
    raft::NodeOptions node_options;
    // ZkService answers writes and reads from Raft's callbacks: Raft bounds their wait.
    node_options.request_timeout = request_timeout_;
    absl::Status started = member_->Start(&sm_, runtime, node_options);
    if (!started.ok()) return started;
    service_.SetNode(member_->node());
    ensemble_.SetNode(member_->node());
    keeper_.Start(member_->node());
    log::Info("dcos-zk member ready")
        .Field("member", member_->id())
        .Field("zxid", sm_.last_zxid())
        .Field("znodes", static_cast<int64_t>(sm_.znode_count()));
    runtime.SetReady(true);
    return absl::OkStatus();
  }

  void BeginShutdown() override { Shutdown(); }

 private:
  // A new ensemble from a backup: every member starts with the backup as its snapshot. A
  // member whose data directory already holds state (a restart) keeps it.
  absl::Status SeedFromBackup() {
    std::ifstream in(restore_from_, std::ios::binary);
    if (!in) {
      return absl::InvalidArgumentError(
          absl::StrCat("zk.restore_from: cannot read ", restore_from_));
    }
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    absl::StatusOr<Backup> backup = ParseBackup(bytes);
    if (!backup.ok()) {
      return absl::Status(backup.status().code(),
                          absl::StrCat("zk.restore_from: ", restore_from_, ": ",
                                       backup.status().message()));
    }
    internal::v1::ZkSnapshot snapshot;
    snapshot.set_tree(backup->data);
    snapshot.set_sessions(SessionTable(limits_.sessions).Snapshot());
    absl::Status seeded = member_->SeedSnapshot(static_cast<uint64_t>(backup->header.zxid()),
                                                snapshot.SerializeAsString());
    if (seeded.code() == absl::StatusCode::kFailedPrecondition) {
      log::Info("zk.restore_from ignored: the data directory already holds state")
          .Field("file", restore_from_);
      return absl::OkStatus();
    }
    if (!seeded.ok()) return seeded;
    log::Info("restored from a backup")
        .Field("file", restore_from_)
        .Field("zxid", backup->header.zxid())
        .Field("znodes", static_cast<int64_t>(backup->header.znode_count()));
    return absl::OkStatus();
  }

  static EnsembleOptions EnsembleOptionsFor(const ZkConfig& config,
                                            const raft::AddressBook* addresses) {
    EnsembleOptions o;
    o.cluster_id = static_cast<uint64_t>(config.member.cluster_id);
    o.addresses = addresses;
    o.tick = config.member.tick;
    o.add_member_timeout = config.add_member_timeout;
    o.request_timeout = config.request_timeout;
    o.transfer_timeout = config.member.tick * config.member.election_ticks * 4;
    o.healthy_max_lag = static_cast<uint64_t>(config.healthy_max_lag);
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
      facts.fatal = absl::UnavailableError("starting");
    }
    facts.address = member_->self_address();
    facts.sessions = service_.attached_sessions();
    facts.znodes = sm_.znode_count();
    facts.watches = hub_.watch_count();
    return SelfReport(status, facts);
  }

  void Shutdown() {
    keeper_.Stop();
    member_->Stop();
  }

  const std::string restore_from_;
  const absl::Duration request_timeout_;
  const ZkLimits limits_;
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
                "gets it, each on an empty raft.dir");
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
  auto component = std::make_unique<ZkComponent>(*std::move(member), config, limits);
  runtime.AddService(&component->service(), "dcos.zk.v1.ZooKeeper");
  runtime.AddService(&component->internal(), "dcos.zk.internal.v1.ZkInternal");
  runtime.AddService(&component->ensemble(), "dcos.zk.v1.Ensemble");
  return component;
}

}  // namespace dcos::zk
