#include "services/zk-ensemble/zk_server.h"

#include "libs/log/log.h"
#include "services/zk-ensemble/session_keeper.h"
#include "services/zk-ensemble/zk_service.h"
#include "services/zk-ensemble/zk_state_machine.h"

namespace dcos::zk {
namespace {

class ZkComponent final : public runtime::Component {
 public:
  ZkComponent(std::unique_ptr<raft::RaftMember> member, const ZkConfig& config,
              ZkLimits limits)
      : member_(std::move(member)),
        sm_(limits),
        hub_(),
        keeper_(&sm_, member_->peers(), /*forward_interval=*/limits.sessions.min_timeout / 8,
                /*check_interval=*/absl::Milliseconds(100)),
        service_(&sm_, &keeper_, &hub_, member_->peers(), config.request_timeout, limits.tree),
        internal_(&keeper_) {}

  ~ZkComponent() override { Shutdown(); }

  ZkService& service() { return service_; }
  ZkInternalService& internal() { return internal_; }

  absl::Status Start(runtime::ServiceRuntime& runtime) override {
    sm_.SetWatchHub(&hub_);
    absl::Status started = member_->Start(&sm_, runtime);
    if (!started.ok()) return started;
    service_.SetNode(member_->node());
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
  void Shutdown() {
    keeper_.Stop();
    member_->Stop();
  }

  std::unique_ptr<raft::RaftMember> member_;
  ZkStateMachine sm_;
  WatchHub hub_;
  SessionKeeper keeper_;
  ZkService service_;
  ZkInternalService internal_;
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
  return component;
}

}  // namespace dcos::zk
