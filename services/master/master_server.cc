#include "services/master/master_server.h"

#include <google/protobuf/util/json_util.h>

#include <cmath>
#include <cstdlib>
#include <map>
#include <random>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "libs/clock/clock.h"
#include "libs/log/log.h"
#include "libs/masters/master_address.h"
#include "libs/runtime/heap_reserve.h"
#include "libs/zk/client.h"
#include "libs/zk/recipes/leader_election.h"
#include "libs/zk/recipes/leader_observer.h"
#include "libs/zk/recipes/paths.h"
#include "services/master/core/drf_port.h"
#include "services/master/core/proto_time.h"
#include "services/master/core/role_policy.h"
#include "services/master/leadership.h"
#include "services/master/master_driver.h"
#include "services/master/metrics.h"
#include "services/master/registry.h"
#include "services/master/services.h"
#include "services/master/zk_registry.h"

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

// The master cannot go on (lost leadership, registry failure, session expired): it exits for
// its supervisor to restart it, as Mesos's master aborts.
// `session`: the dcos-zk session's state when it is over (its reason says until when it was
// surely alive: this master led no longer; a successor leads only after).
[[noreturn]] void Exit(const std::string& why, const absl::Status& error = absl::OkStatus(),
                       const absl::Status& session = absl::OkStatus()) {
  {
    auto line = log::Error("dcos-master exiting for the supervisor to restart it");
    line.Field("why", why).Field("error", error);
    if (!session.ok()) line.Field("session", session);
  }  // written here, before _Exit
  std::_Exit(1);
}

class MasterComponent final : public runtime::Component {
 public:
  MasterComponent(const MasterConfig& config, common::v1::MasterInfo self,
                  prometheus::Registry& registry)
      : config_(config),
        leadership_(self),
        metrics_(registry, clock::RealClock::Default()->Now()),
        options_(DriverOptionsFor(config, self, this)),
        agents_(&slot_, &leadership_),
        scheduler_(&slot_, &leadership_),
        operator_(&slot_, &leadership_,
                  [this](const std::optional<MasterCore::Stats>& stats) {
                    return metrics_.MesosSnapshot(clock::RealClock::Default()->Now(), stats);
                  }) {}

  ~MasterComponent() override { Shutdown(); }

  AgentChannelService& agents() { return agents_; }
  SchedulerService& scheduler() { return scheduler_; }
  OperatorService& operators() { return operator_; }
  DrfPort& allocator() { return allocator_; }

  absl::Status Start(runtime::ServiceRuntime& runtime) override {
    if (config_.zk.empty()) {
      // Alone, with an in-memory registry: this master leads from the start.
      registry_ = std::make_unique<InMemoryRegistry>();
      absl::Status led = StartLeading();
      if (!led.ok()) return led;
      runtime.SetReady(true);
      return absl::OkStatus();
    }
    zk::client::ZkClient::Options zo;
    zo.ensemble = config_.zk;
    zk::client::ZkClient::Options::Session session;
    session.timeout = config_.zk_session_timeout;
    session.listener = [this](zk::client::SessionState state) {
      if (state == zk::client::SessionState::kExpired && !stopping_.load()) {
        ExitLeader("the dcos-zk session expired");
      }
    };
    zo.session = session;
    absl::StatusOr<std::unique_ptr<zk::client::ZkClient>> zk = zk::client::ZkClient::Connect(zo);
    if (!zk.ok()) return zk.status();
    zk_ = *std::move(zk);
    zk_client_.store(zk_.get());
    const std::string election_path = config_.zk_path + "/leader";
    absl::Status made = zk::recipes::EnsurePath(*zk_, election_path);
    if (!made.ok()) return made;
    absl::StatusOr<std::unique_ptr<zk::recipes::LeaderObserver>> observer =
        zk::recipes::LeaderObserver::Start(
            zk_.get(), election_path,
            [this](const std::optional<zk::recipes::LeaderInfo>& leader) { OnLeader(leader); });
    if (!observer.ok()) return observer.status();
    observer_ = *std::move(observer);
    std::string data;
    google::protobuf::util::JsonPrintOptions json;
    (void)google::protobuf::util::MessageToJsonString(leadership_.self(), &data, json);
    zk::recipes::LeaderElection::Options eo;
    eo.path = election_path;
    eo.data = data;
    eo.on_leadership = [this](bool leading) { OnLeadership(leading); };
    absl::StatusOr<std::unique_ptr<zk::recipes::LeaderElection>> election =
        zk::recipes::LeaderElection::Join(zk_.get(), eo);
    if (!election.ok()) return election.status();
    election_ = *std::move(election);
    auto registry = std::make_unique<ZkRegistry>(zk_.get(), config_.zk_path + "/registry",
                                                 election_->node());
    zk_registry_ = registry.get();
    registry_ = std::move(registry);
    if (config_.registry_prefetch_interval > absl::ZeroDuration()) {
      prefetcher_ = std::thread([this] { Prefetch(); });
    }
    log::Info("dcos-master contending").Field("id", leadership_.self().id())
        .Field("node", election_->node());
    runtime.SetReady(true);  // a standby serves redirects
    return absl::OkStatus();
  }

  void BeginShutdown() override { Shutdown(); }

 private:
  // Client event thread. Leading starts on a thread of its own (the registry load reads
  // dcos-zk through this same client, whose events must keep flowing).
  void OnLeadership(bool leading) {
    if (!leading) {
      if (leading_.load() && !stopping_.load()) ExitLeader("lost leadership");
      return;
    }
    absl::MutexLock lock(&start_mu_);
    if (starter_.joinable() || stopping_.load()) return;
    log::Info("dcos-master elected; recovering the registry").Field("node", election_->node());
    StopPrefetching();  // the load takes what the standby has read
    starter_ = std::thread([this] {
      absl::Status led = StartLeading();
      if (!led.ok()) ExitLeader("could not take over as leader", led);
    });
  }

  // Standby: keeps the registry's warm copy current (ZkRegistry::Prefetch).
  void Prefetch() {
    absl::MutexLock lock(&prefetch_mu_);
    while (!prefetch_stop_) {
      prefetch_mu_.Unlock();
      absl::Status fetched = zk_registry_->Prefetch();
      if (!fetched.ok()) log::Warn("registry prefetch failed").Field("error", fetched);
      prefetch_mu_.Lock();
      prefetch_mu_.AwaitWithTimeout(absl::Condition(&prefetch_stop_),
                                    config_.registry_prefetch_interval);
    }
  }

  // Ends the prefetcher without waiting for it (it may be reading; Load does not need it).
  void StopPrefetching() {
    absl::MutexLock lock(&prefetch_mu_);
    prefetch_stop_ = true;
  }

  // Client event thread. Races with StartLeading: Leadership ignores what is observed once
  // this master leads.
  void OnLeader(const std::optional<zk::recipes::LeaderInfo>& leader) {
    if (!leader.has_value()) {
      leadership_.Observed(std::nullopt);
      return;
    }
    std::optional<common::v1::MasterInfo> parsed = masters::ParseElectionData(leader->data);
    if (!parsed.has_value()) {
      log::Warn("the leading master's election data is not a MasterInfo")
          .Field("node", leader->node);
      return;
    }
    leadership_.Observed(*std::move(parsed));
  }

  absl::Status StartLeading() {
    driver_ = std::make_unique<MasterDriver>(options_, &allocator_, registry_.get(),
                                             clock::RealClock::Default());
    // Agents' streams are taken from here on: their first messages wait in the driver's
    // queue while the registry loads (Start), and are answered once the loop runs.
    slot_.Set(driver_.get());
    leadership_.Recover();
    absl::Status started = driver_->Start();
    if (!started.ok()) return started;
    leading_.store(true);
    leadership_.Lead(clock::RealClock::Default()->Now());
    log::Info("dcos-master leading")
        .Field("id", leadership_.self().id())
        .Field("registry", config_.zk.empty() ? "in_memory" : "dcos-zk");
    return absl::OkStatus();
  }

  void Shutdown() {
    if (stopping_.exchange(true)) return;
    leadership_.Stop();
    {
      absl::MutexLock lock(&start_mu_);
      if (starter_.joinable()) starter_.join();
    }
    StopPrefetching();
    if (prefetcher_.joinable()) prefetcher_.join();
    if (driver_) driver_->Stop();
    // Best effort from here: an ensemble stopped with us must not hold the exit for the zk
    // client's whole retry budget (about 20 s for the resign and the session's close).
    if (zk_) zk_->LimitWaits(absl::Seconds(2));
    // Resigning hands leadership over at once instead of after the session timeout.
    if (election_) (void)election_->Resign();
    election_.reset();
    observer_.reset();
    zk_client_.store(nullptr);
    zk_.reset();
  }

  // Exit, with the dcos-zk session's state when it is over (any thread).
  [[noreturn]] void ExitLeader(const std::string& why,
                               const absl::Status& error = absl::OkStatus()) {
    zk::client::ZkClient* zk = zk_client_.load();
    absl::Status session = zk != nullptr ? zk->Usable() : absl::OkStatus();
    if (session.ok() && zk != nullptr) {
      // Past its bound, though the client's keeper has not run yet to say so (a process that
      // was frozen, woken by a refused write).
      const absl::Time until = zk->session_alive_until();
      if (until < zk->clock()->Now()) {
        session = absl::FailedPreconditionError(absl::StrCat(
            "the dcos-zk session is past its bound; it was alive until ",
            absl::FormatTime(absl::RFC3339_full, until, absl::UTCTimeZone())));
      }
    }
    Exit(why, error, session);
  }

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
    o.operator_heartbeat = config.framework_heartbeat_interval;
    o.core.allocation_interval = config.allocation_interval;
    if (config.offer_timeout > absl::ZeroDuration()) o.core.offer_timeout = config.offer_timeout;
    o.core.seed = std::random_device()();
    // Checked by BuildMaster before it builds the component.
    absl::StatusOr<v1::RolePolicy> policy = PolicyFromFlags(config);
    if (policy.ok()) o.core.policy = *std::move(policy);
    o.tick = config.tick;
    o.on_fatal = [component](const absl::Status& error) {
      component->ExitLeader("a registry write failed", error);
    };
    return o;
  }

  const MasterConfig config_;
  Leadership leadership_;
  MasterMetrics metrics_;
  uint64_t allocations_seen_ = 0;
  DrfPort allocator_;
  const DriverOptions options_;
  std::unique_ptr<zk::client::ZkClient> zk_;
  std::atomic<zk::client::ZkClient*> zk_client_{nullptr};  // zk_, for the session listener
  std::unique_ptr<zk::recipes::LeaderObserver> observer_;
  std::unique_ptr<zk::recipes::LeaderElection> election_;
  std::unique_ptr<Registry> registry_;
  ZkRegistry* zk_registry_ = nullptr;  // registry_, with master.zk
  absl::Mutex prefetch_mu_;
  bool prefetch_stop_ ABSL_GUARDED_BY(prefetch_mu_) = false;
  std::thread prefetcher_;
  std::unique_ptr<MasterDriver> driver_;
  DriverSlot slot_;
  std::atomic<bool> leading_{false};
  std::atomic<bool> stopping_{false};
  absl::Mutex start_mu_;
  std::thread starter_;
  AgentChannelService agents_;
  SchedulerService scheduler_;
  OperatorService operator_;
};

}  // namespace

void RegisterMasterConfig(config::Schema& schema, MasterConfig* c) {
  schema.String("master.hostname", &c->hostname,
                "hostname advertised to agents and frameworks (default: grpc.listen's host)");
  schema.StringList("master.zk", &c->zk,
                    "dcos-zk members (host:port,...); empty: run alone with an in-memory "
                    "registry");
  schema.String("master.zk_path", &c->zk_path,
                "dcos-zk directory of the masters (election under /leader, registry under "
                "/registry)");
  schema.Duration("master.zk_session_timeout", &c->zk_session_timeout,
                  "dcos-zk session timeout: how long a leader cut off from dcos-zk keeps "
                  "leading")
      .DurationRange(absl::Milliseconds(100), absl::Minutes(10));
  schema.Duration("master.registry_prefetch_interval", &c->registry_prefetch_interval,
                  "how often a standby refreshes its copy of the registry, which a new leader "
                  "takes instead of reading what did not change (0: never)")
      .DurationRange(absl::ZeroDuration(), absl::Hours(1));
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
  schema.StringList("master.weights", &c->weights,
                    "DRF role weights as role=weight (a role's share is divided by it)");
  schema.StringList("master.quotas", &c->quotas,
                    "quota guarantees as role=resources, e.g. ads=cpus:4;mem:1024");
  schema.Int("master.heap_reserve_mib", &c->heap_reserve_mib,
             "MiB of heap touched at start and kept, so that taking over a large cluster "
             "does not pay for first touches of fresh memory (0: none; about 45 KiB per "
             "agent with 10 tasks; the master's RSS is at least this)")
      .Range(0, 1 << 20);
}

absl::Status PrepareMaster(const MasterConfig& config) {
  // Debian's Abseil is built with Mutex deadlock detection on: a global graph updated on
  // every lock (about 2% of a new leader's CPU in a takeover). A debugging aid, not for a
  // serving master.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  if (config.heap_reserve_mib == 0) return absl::OkStatus();
  const absl::Time start = clock::RealClock::Default()->Now();
  absl::Status reserved = runtime::ReserveHeap(static_cast<size_t>(config.heap_reserve_mib) << 20);
  if (!reserved.ok()) return reserved;
  log::Info("heap reserved")
      .Field("mib", config.heap_reserve_mib)
      .Field("ms", absl::ToInt64Milliseconds(clock::RealClock::Default()->Now() - start));
  return absl::OkStatus();
}

absl::StatusOr<v1::RolePolicy> PolicyFromFlags(const MasterConfig& config) {
  auto split = [](const std::string& item, const char* field)
      -> absl::StatusOr<std::pair<std::string, std::string>> {
    std::pair<std::string, std::string> kv = absl::StrSplit(item, absl::MaxSplits('=', 1));
    if (kv.first.empty() || kv.second.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": \"", item, "\" is not role=value"));
    }
    return kv;
  };
  RolePolicyMaps maps;  // the last entry of a role wins, as before
  for (const std::string& item : config.weights) {
    absl::StatusOr<std::pair<std::string, std::string>> kv = split(item, "master.weights");
    if (!kv.ok()) return kv.status();
    double weight = 0;
    if (!absl::SimpleAtod(kv->second, &weight) || !std::isfinite(weight) || weight <= 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "master.weights: \"", item, "\": the weight must be a number > 0"));
    }
    maps.weights[kv->first] = weight;
  }
  for (const std::string& item : config.quotas) {
    absl::StatusOr<std::pair<std::string, std::string>> kv = split(item, "master.quotas");
    if (!kv.ok()) return kv.status();
    absl::StatusOr<resources::Resources> guarantee = resources::Resources::Parse(kv->second);
    if (!guarantee.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("master.quotas: \"", item, "\": ", guarantee.status().message()));
    }
    google::protobuf::RepeatedPtrField<common::v1::Resource> listed;
    guarantee->ToProto(&listed);
    maps.quotas[kv->first].assign(listed.begin(), listed.end());
  }
  const v1::RolePolicy policy = maps.ToProto();
  if (absl::Status s = ValidateWeights(policy.weights(), "master.weights"); !s.ok()) return s;
  if (absl::Status s = ValidateQuotas(policy.quotas(), "master.quotas"); !s.ok()) return s;
  return policy;
}

absl::StatusOr<std::unique_ptr<runtime::Component>> BuildMaster(const MasterConfig& config,
                                                                runtime::ServiceRuntime& runtime) {
  if (!config.zk_path.empty() && config.zk_path[0] != '/') {
    return absl::InvalidArgumentError("master.zk_path: must start with /");
  }
  absl::StatusOr<v1::RolePolicy> policy = PolicyFromFlags(config);
  if (!policy.ok()) return policy.status();
  auto component = std::make_unique<MasterComponent>(
      config, SelfInfo(config, runtime.options().grpc_listen), runtime.metrics());
  runtime.AddService(&component->agents(), "dcos.master.v1.AgentChannel");
  runtime.AddService(&component->scheduler(), "dcos.master.v1.Scheduler");
  runtime.AddService(&component->operators(), "dcos.master.v1.Operator");
  return component;
}

}  // namespace dcos::master
