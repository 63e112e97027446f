#include "services/zk-ensemble/zk_server.h"

#include "libs/log/log.h"
#include "services/zk-ensemble/zk_service.h"
#include "services/zk-ensemble/zk_state_machine.h"

namespace dcos::zk {
namespace {

class ZkComponent final : public runtime::Component {
 public:
  ZkComponent(std::unique_ptr<raft::RaftMember> member, const ZkConfig& config,
              TreeConfig limits)
      : member_(std::move(member)),
        sm_(limits),
        service_(&sm_, member_->peers(), config.request_timeout, limits) {}

  ~ZkComponent() override { member_->Stop(); }

  ZkService& service() { return service_; }

  absl::Status Start(runtime::ServiceRuntime& runtime) override {
    absl::Status started = member_->Start(&sm_, runtime);
    if (!started.ok()) return started;
    service_.SetNode(member_->node());
    log::Info("dcos-zk member ready")
        .Field("member", member_->id())
        .Field("zxid", sm_.last_zxid())
        .Field("znodes", static_cast<int64_t>(sm_.znode_count()));
    runtime.SetReady(true);
    return absl::OkStatus();
  }

  void BeginShutdown() override { member_->Stop(); }

 private:
  std::unique_ptr<raft::RaftMember> member_;
  ZkStateMachine sm_;
  ZkService service_;
};

}  // namespace

void RegisterZkConfig(config::Schema& schema, ZkConfig* config) {
  raft::RegisterMemberConfig(schema, &config->member);
  schema.Duration("zk.request_timeout", &config->request_timeout,
                  "how long a write or linearizable read waits for Raft")
      .DurationRange(absl::Milliseconds(10), absl::Minutes(10));
  schema.Int("zk.max_data_bytes", &config->max_data_bytes, "largest znode data, bytes")
      .Range(int64_t{1}, int64_t{64} << 20);
}

absl::StatusOr<std::unique_ptr<runtime::Component>> BuildZk(const ZkConfig& config,
                                                            runtime::ServiceRuntime& runtime) {
  absl::StatusOr<std::unique_ptr<raft::RaftMember>> member =
      raft::RaftMember::Create(config.member, runtime);
  if (!member.ok()) return member.status();
  TreeConfig limits;
  limits.max_data_bytes = static_cast<size_t>(config.max_data_bytes);
  auto component = std::make_unique<ZkComponent>(*std::move(member), config, limits);
  runtime.AddService(&component->service(), "dcos.zk.v1.ZooKeeper");
  return component;
}

}  // namespace dcos::zk
