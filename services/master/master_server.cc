#include "services/master/master_server.h"

#include <random>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "libs/clock/clock.h"
#include "libs/log/log.h"
#include "services/master/core/drf_port.h"
#include "services/master/core/proto_time.h"
#include "services/master/leadership.h"
#include "services/master/master_driver.h"
#include "services/master/metrics.h"
#include "services/master/registry.h"
#include "services/master/services.h"

namespace dcos::master {
namespace {

// A fresh id per master run (the prefix of every id it hands out), like Mesos's master UUID.
std::string NewMasterId() {
  std::random_device device;
  uint64_t bits = (static_cast<uint64_t>(device()) << 32) ^ device();
  return absl::StrFormat("%016x", bits);
}

common::v1::MasterInfo SelfInfo(const MasterConfig& config, const std::string& listen) {
  common::v1::MasterInfo info;
  info.set_id(NewMasterId());
  std::pair<std::string, std::string> host_port = absl::StrSplit(listen, absl::MaxSplits(':', 1));
  uint32_t port = 0;
  (void)absl::SimpleAtoi(host_port.second, &port);
  info.mutable_address()->set_hostname(config.hostname.empty() ? host_port.first : config.hostname);
  info.mutable_address()->set_ip(host_port.first);
  info.mutable_address()->set_port(port);
  ToProto(clock::RealClock::Default()->Now(), info.mutable_start_time());
  return info;
}

class MasterComponent final : public runtime::Component {
 public:
  MasterComponent(const MasterConfig& config, common::v1::MasterInfo self,
                  prometheus::Registry& registry)
      : leadership_(self),
        metrics_(registry),
        driver_(DriverOptionsFor(config, self, this), &allocator_, &registry_,
                clock::RealClock::Default()),
        agents_(&slot_, &leadership_),
        scheduler_(&slot_, &leadership_),
        operator_(&slot_, &leadership_, config.framework_heartbeat_interval) {}

  ~MasterComponent() override { driver_.Stop(); }

  AgentChannelService& agents() { return agents_; }
  SchedulerService& scheduler() { return scheduler_; }
  OperatorService& operators() { return operator_; }

  absl::Status Start(runtime::ServiceRuntime& runtime) override {
    absl::Status started = driver_.Start();
    if (!started.ok()) return started;
    slot_.Set(&driver_);
    // Alone with an in-memory registry: this master leads from the start.
    leadership_.SetLeader(leadership_.self(), clock::RealClock::Default()->Now());
    log::Info("dcos-master leading")
        .Field("id", leadership_.self().id())
        .Field("registry", "in_memory");
    runtime.SetReady(true);
    return absl::OkStatus();
  }

  void BeginShutdown() override {
    leadership_.SetLeader(std::nullopt, clock::RealClock::Default()->Now());
    driver_.Stop();
  }

 private:
  // Loop thread: metrics from the core's counts and the allocator adapter's timing.
  void OnStats(const MasterCore::Stats& stats, size_t queued) {
    metrics_.Update(stats, queued, leadership_.elected());
    if (allocator_.allocations() != allocations_seen_) {
      allocations_seen_ = allocator_.allocations();
      metrics_.ObserveAllocation(allocator_.last_allocation_seconds());
    }
  }

  static DriverOptions DriverOptionsFor(const MasterConfig& config,
                                        const common::v1::MasterInfo& self,
                                        MasterComponent* component) {
    DriverOptions o;
    o.on_stats = [component](const MasterCore::Stats& stats, size_t queued) {
      component->OnStats(stats, queued);
    };
    o.core.master_info = self;
    o.core.agent_ping_timeout = config.agent_ping_timeout;
    o.core.max_agent_ping_timeouts = static_cast<int>(config.max_agent_ping_timeouts);
    o.core.agent_removal_interval = config.agent_removal_interval;
    o.core.agent_removal_burst = static_cast<int>(config.agent_removal_burst);
    o.core.agent_reregister_timeout = config.agent_reregister_timeout;
    o.core.framework_heartbeat_interval = config.framework_heartbeat_interval;
    o.core.allocation_interval = config.allocation_interval;
    if (config.offer_timeout > absl::ZeroDuration()) o.core.offer_timeout = config.offer_timeout;
    o.core.seed = std::random_device()();
    o.tick = config.tick;
    o.on_fatal = [](const absl::Status& error) {
      log::Error("dcos-master cannot go on; exiting for the supervisor to restart it")
          .Field("error", error);
      std::_Exit(1);
    };
    return o;
  }

  Leadership leadership_;
  MasterMetrics metrics_;
  uint64_t allocations_seen_ = 0;
  DrfPort allocator_;
  InMemoryRegistry registry_;
  MasterDriver driver_;
  DriverSlot slot_;
  AgentChannelService agents_;
  SchedulerService scheduler_;
  OperatorService operator_;
};

}  // namespace

void RegisterMasterConfig(config::Schema& schema, MasterConfig* c) {
  schema.String("master.hostname", &c->hostname,
                "hostname advertised to agents and frameworks (default: grpc.listen's host)");
  schema.String("master.registry", &c->registry, "where admitted agents are recorded")
      .OneOf({"in_memory"});
  schema.Duration("master.agent_ping_timeout", &c->agent_ping_timeout,
                  "interval of pings to agents, and how long each may go unanswered")
      .DurationRange(absl::Milliseconds(10), absl::Hours(1));
  schema.Int("master.max_agent_ping_timeouts", &c->max_agent_ping_timeouts,
             "missed pings before an agent is marked unreachable")
      .Range(1, 1000);
  schema.Duration("master.agent_removal_interval", &c->agent_removal_interval,
                  "at most one agent marked unreachable per interval (after the burst)")
      .DurationRange(absl::ZeroDuration(), absl::Hours(24));
  schema.Int("master.agent_removal_burst", &c->agent_removal_burst,
             "agents that may be marked unreachable at once")
      .Range(1, 1000000);
  schema.Duration("master.agent_reregister_timeout", &c->agent_reregister_timeout,
                  "how long a new leader waits for known agents to re-register")
      .DurationRange(absl::Milliseconds(10), absl::Hours(24));
  schema.Duration("master.framework_heartbeat_interval", &c->framework_heartbeat_interval,
                  "HEARTBEAT events to idle frameworks (and operator subscribers)")
      .DurationRange(absl::Milliseconds(10), absl::Hours(1));
  schema.Duration("master.allocation_interval", &c->allocation_interval,
                  "batched allocation cycle interval")
      .DurationRange(absl::Milliseconds(1), absl::Minutes(10));
  schema.Duration("master.offer_timeout", &c->offer_timeout,
                  "rescind offers unused for this long (0: never)")
      .DurationRange(absl::ZeroDuration(), absl::Hours(24));
  schema.Duration("master.tick", &c->tick, "driver timer resolution")
      .DurationRange(absl::Milliseconds(1), absl::Seconds(1));
}

absl::StatusOr<std::unique_ptr<runtime::Component>> BuildMaster(const MasterConfig& config,
                                                                runtime::ServiceRuntime& runtime) {
  auto component = std::make_unique<MasterComponent>(
      config, SelfInfo(config, runtime.options().grpc_listen), runtime.metrics());
  runtime.AddService(&component->agents(), "dcos.master.v1.AgentChannel");
  runtime.AddService(&component->scheduler(), "dcos.master.v1.Scheduler");
  runtime.AddService(&component->operators(), "dcos.master.v1.Operator");
  return component;
}

}  // namespace dcos::master
