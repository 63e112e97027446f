#include "services/mesos-dns/dns_component.h"

#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "libs/clock/clock.h"
#include "libs/log/log.h"
#include "services/mesos-dns/dns_metrics.h"
#include "services/mesos-dns/lookup_api.h"
#include "services/mesos-dns/server/ares_forwarder.h"
#include "services/mesos-dns/server/dns_server.h"

namespace dcos::dns {
namespace {

// How often the query counters reach the Prometheus metrics.
constexpr absl::Duration kMetricsPeriod = absl::Milliseconds(250);

class DnsComponent final : public runtime::Component {
 public:
  DnsComponent(CompiledConfig config, prometheus::Registry& registry)
      : config_(std::move(config)), metrics_(registry) {}
  ~DnsComponent() override { Shutdown(); }

  absl::Status Build(const std::string& version) {
    absl::StatusOr<std::unique_ptr<driver::DnsDriver>> d = driver::DnsDriver::Start(
        config_.driver, clock::RealClock::Default(),
        [this](const driver::PublishInfo& info) {
          metrics_.OnPublish(info);
          absl::MutexLock lock(&mu_);
          updated_at_ = info.published_at;
        });
    if (!d.ok()) return d.status();
    driver_ = *std::move(d);
    api_ = std::make_unique<LookupApi>(driver_.get(), config_.proto, config_.enumeration_enabled,
                                       version, [this] {
                                         absl::MutexLock lock(&mu_);
                                         return updated_at_;
                                       });
    return absl::OkStatus();
  }

  LookupApi* api() { return api_.get(); }

  absl::Status Start(runtime::ServiceRuntime& runtime) override {
    if (config_.forwarder.has_value()) {
      absl::StatusOr<std::unique_ptr<server::AresForwarder>> f =
          server::AresForwarder::Create(*config_.forwarder);
      if (!f.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("dns.resolvers: ", f.status().message()));
      }
      forwarder_ = *std::move(f);
    }
    absl::StatusOr<std::unique_ptr<server::DnsServer>> s = server::DnsServer::Start(
        config_.server, &driver_->holder(), forwarder_.get(), clock::RealClock::Default());
    if (!s.ok()) {
      return absl::UnavailableError(absl::StrCat("dns.listener, dns.port: cannot serve DNS on ",
                                                 config_.server.ip, ":", config_.server.port,
                                                 ": ", s.status().message()));
    }
    server_ = *std::move(s);
    log::Info("serving DNS")
        .Field("listen", absl::StrCat(config_.server.ip, ":", server_->port()))
        .Field("domain", config_.proto.domain())
        .Field("forwarding", forwarder_ != nullptr);
    pump_ = std::thread([this, &runtime] { Pump(runtime); });
    return absl::OkStatus();
  }

  void BeginShutdown() override { Shutdown(); }

 private:
  // Copies the counters to the metrics, and turns ready once a master's state is served.
  void Pump(runtime::ServiceRuntime& runtime) {
    bool ready = false;
    absl::MutexLock lock(&mu_);
    while (!stopping_) {
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), kMetricsPeriod);
      const driver::DriverStatus status = driver_->status();
      metrics_.Sync(server_->stats(), status);
      if (!ready && status.resyncs > 0) {
        ready = true;
        runtime.SetReady(true);
      }
    }
  }

  void Shutdown() {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      stopping_ = true;
    }
    if (pump_.joinable()) pump_.join();
    if (server_) server_->Stop();
    if (driver_) driver_->Stop();
    forwarder_.reset();
  }

  const CompiledConfig config_;
  DnsMetrics metrics_;
  std::unique_ptr<driver::DnsDriver> driver_;
  std::unique_ptr<LookupApi> api_;
  std::unique_ptr<server::AresForwarder> forwarder_;
  std::unique_ptr<server::DnsServer> server_;
  std::thread pump_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time updated_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace

absl::StatusOr<std::unique_ptr<runtime::Component>> BuildDns(const DnsFlags& flags,
                                                             const std::string& version,
                                                             runtime::ServiceRuntime& runtime) {
  std::ostringstream resolv_conf;  // empty if unreadable: then dns.resolvers must be set
  resolv_conf << std::ifstream("/etc/resolv.conf").rdbuf();
  absl::StatusOr<CompiledConfig> config =
      CompileDnsConfig(flags, resolv_conf.str(), clock::RealClock::Default()->Now());
  if (!config.ok()) return config.status();
  auto component = std::make_unique<DnsComponent>(*std::move(config), runtime.metrics());
  absl::Status built = component->Build(version);
  if (!built.ok()) return built;
  runtime.AddService(component->api(), "dcos.dns.v1.Dns");
  return component;
}

}  // namespace dcos::dns
