#include "services/agent/agent_server.h"

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/clock/clock.h"
#include "libs/config/host_port.h"
#include "libs/log/log.h"
#include "libs/raft/env.h"
#include "services/agent/agent_driver.h"
#include "services/agent/agent_service.h"
#include "services/agent/host_resources.h"
#include "services/agent/isolator.h"
#include "services/agent/posix_launcher.h"

namespace dcos::agent {
namespace {

std::string BootId() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  std::getline(in, id);
  return std::string(absl::StripAsciiWhitespace(id));
}

bool IsWildcard(const std::string& host) {
  return host.empty() || host == "0.0.0.0" || host == "::" || host == "[::]";
}

std::string MachineHostname() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return "localhost";
  return name;
}

// What the agent advertises, worked out before it serves.
struct Advertised {
  resources::Resources resources;
  std::vector<common::v1::Attribute> attributes;
};

absl::StatusOr<Advertised> WorkOutAdvertised(const AgentConfig& config) {
  std::error_code error;
  std::filesystem::create_directories(config.work_dir, error);
  if (error) {
    return absl::InvalidArgumentError(
        absl::StrCat("agent.work_dir: cannot create ", config.work_dir, ": ", error.message()));
  }
  absl::StatusOr<HostProbe> probe = ProbeHost(config.work_dir);
  if (!probe.ok()) return probe.status();
  absl::StatusOr<resources::Resources> r = AgentResources(config.resources, *probe);
  if (!r.ok()) return r.status();
  absl::StatusOr<std::vector<common::v1::Attribute>> a = ParseAttributes(config.attributes);
  if (!a.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("agent.attributes: ", a.status().message()));
  }
  return Advertised{*r, *a};
}

class AgentComponent final : public runtime::Component {
 public:
  AgentComponent(const AgentConfig& config, Advertised advertised,
                 std::unique_ptr<Isolator> isolator, std::map<std::string, std::string> flags)
      : config_(config),
        advertised_(std::move(advertised)),
        isolator_(std::move(isolator)),
        detector_(config.master),
        checkpointer_(raft::Env::Default(), Layout(config.work_dir)),
        flags_(std::move(flags)) {}

  ~AgentComponent() override {
    if (driver_ != nullptr) driver_->Stop();
  }

  AgentService* service() {
    if (service_ == nullptr) service_ = std::make_unique<AgentService>(flags_);
    return service_.get();
  }

  absl::Status Start(runtime::ServiceRuntime& runtime) override {
    DriverOptions o;
    o.core.info = AgentInfoFor(runtime.grpc_address());
    o.core.build.set_version("0.1.0-dev");
    o.core.build.set_git_sha("unknown");
    o.core.boot_id = BootId();
    o.core.work_dir = config_.work_dir;
    o.core.updates.retry_min = config_.status_update_retry_interval;
    o.core.updates.retry_max = config_.status_update_retry_max;
    o.core.seed = (static_cast<uint64_t>(std::random_device()()) << 32) ^ std::random_device()();
    o.core.start_time = clock::RealClock::Default()->Now();
    o.tick = config_.tick;
    o.backoff_factor = config_.registration_backoff_factor;
    o.gc_delay = config_.gc_delay;
    o.gc_disk_headroom = config_.gc_disk_headroom;
    o.gc_interval = config_.gc_interval;
    o.on_shutdown = [](const std::string& message) {
      log::Warn("the master shut this agent down; stopping (its tasks were killed)")
          .Field("message", message);
      kill(getpid(), SIGTERM);
    };
    o.on_fatal = [](const absl::Status& error) {
      log::Error("cannot write the checkpoint; exiting (tasks keep running and are recovered "
                 "by the next start)")
          .Field("error", error);
      std::_Exit(1);
    };
    driver_ = std::make_unique<AgentDriver>(std::move(o), &checkpointer_, &detector_,
                                            clock::RealClock::Default());
    PosixLauncher::Options lo;
    lo.supervisor_path = config_.supervisor.empty() ? PosixLauncher::DefaultSupervisorPath()
                                                    : config_.supervisor;
    lo.switch_user = config_.switch_user;
    lo.isolator = isolator_.get();
    absl::StatusOr<bool> namespaces = UsePidNamespaces(lo.supervisor_path);
    if (!namespaces.ok()) return namespaces.status();
    lo.pid_namespace = *namespaces;
    launcher_ = std::make_unique<PosixLauncher>(lo, driver_->ExitCallback(),
                                                driver_->LaunchCallback());
    driver_->SetLauncher(launcher_.get());
    prober_ = std::make_unique<PosixHealthProber>(4, driver_->ProbeCallback());
    driver_->SetProber(prober_.get());
    absl::Status recovered = driver_->Recover();
    if (!recovered.ok()) return recovered;
    driver_->Start();
    service()->Attach(driver_.get(), launcher_.get());
    log::Info("dcos-agent serving")
        .Field("master", config_.master)
        .Field("resources", advertised_.resources.ToString())
        .Field("attributes", AttributesToString(advertised_.attributes))
        .Field("isolation", agent::v1::Container::Isolation_Name(isolator_->kind()))
        .Field("pid_namespaces", lo.pid_namespace ? "on" : "off")
        .Field("work_dir", config_.work_dir);
    runtime.SetReady(true);
    return absl::OkStatus();
  }

  void BeginShutdown() override {
    if (driver_ != nullptr) driver_->Stop();
  }

 private:
  // agent.pid_namespaces: "auto" probes the host (and says so when it falls back), "on"
  // requires them (FAILED_PRECONDITION naming the field), "off" never.
  absl::StatusOr<bool> UsePidNamespaces(const std::string& supervisor) const {
    if (config_.pid_namespaces == "off") return false;
    absl::Status probe = PosixLauncher::ProbePidNamespaces(supervisor);
    if (probe.ok()) return true;
    if (config_.pid_namespaces == "on") {
      return absl::FailedPreconditionError(
          absl::StrCat("agent.pid_namespaces=on: ", probe.message()));
    }
    log::Warn("tasks run without PID namespaces: a kill reaches only their process group")
        .Field("reason", probe.message());
    return false;
  }

  common::v1::AgentInfo AgentInfoFor(const std::string& bound) const {
    common::v1::AgentInfo info;
    std::pair<std::string, std::string> host_port =
        absl::StrSplit(bound, absl::MaxSplits(':', 1));
    std::string host = host_port.first;
    uint32_t port = 0;
    (void)absl::SimpleAtoi(host_port.second, &port);
    info.mutable_address()->set_hostname(
        !config_.hostname.empty() ? config_.hostname
        : IsWildcard(host)        ? MachineHostname()
                                  : host);
    if (!IsWildcard(host)) info.mutable_address()->set_ip(host);
    info.mutable_address()->set_port(port);
    advertised_.resources.ToProto(info.mutable_resources());
    for (const auto& a : advertised_.attributes) *info.add_attributes() = a;
    return info;
  }

  AgentConfig config_;
  Advertised advertised_;
  std::unique_ptr<Isolator> isolator_;  // outlives the launcher (declared before it)
  StaticMasterDetector detector_;
  Checkpointer checkpointer_;
  std::map<std::string, std::string> flags_;
  std::unique_ptr<AgentDriver> driver_;
  std::unique_ptr<PosixLauncher> launcher_;
  std::unique_ptr<PosixHealthProber> prober_;
  std::unique_ptr<AgentService> service_;
};

}  // namespace

void RegisterAgentConfig(config::Schema& schema, AgentConfig* c) {
  schema.String("agent.master", &c->master,
                "host:port of the master, or of every master (comma-separated): tried in turn, "
                "redirects to the leader followed")
      .Check([](absl::string_view value) -> absl::Status {
        for (absl::string_view a : absl::StrSplit(value, ',')) {
          absl::Status ok = config::ValidateHostPort(absl::StripAsciiWhitespace(a));
          if (!ok.ok()) return ok;
        }
        return absl::OkStatus();
      });
  schema.String("agent.work_dir", &c->work_dir,
                "where sandboxes and the checkpoint (meta/) live")
      .Required();
  schema.String("agent.resources", &c->resources,
                "resources to advertise, e.g. cpus:4;mem:2048;ports:[31000-32000]; names not "
                "given are detected (ports: [31000-32000])");
  schema.String("agent.attributes", &c->attributes, "attributes, e.g. rack:r1;zone:a");
  schema.String("agent.hostname", &c->hostname,
                "hostname advertised (default: grpc.listen's host, or the machine's name)");
  schema.String("agent.supervisor", &c->supervisor,
                "path of dcos-task-supervisor (default: next to this binary)");
  schema.String("agent.isolation", &c->isolation,
                "cpu and memory limits: auto (cgroups v2, else v1, else none), cgroups (required), "
                "posix (none; usage measured from /proc)")
      .OneOf({"auto", "cgroups", "posix"});
  schema.String("agent.pid_namespaces", &c->pid_namespaces,
                "each task in its own PID namespace (a kill ends all it started): auto (where "
                "the host allows), on (required), off")
      .OneOf({"auto", "on", "off"});
  schema.Bool("agent.switch_user", &c->switch_user,
              "run tasks as their user (needs root); false: as the agent's user");
  schema.Duration("agent.registration_backoff_factor", &c->registration_backoff_factor,
                  "first reconnection backoff bound; doubles up to 1 min")
      .DurationRange(absl::Milliseconds(1), absl::Minutes(1));
  schema.Duration("agent.status_update_retry_interval", &c->status_update_retry_interval,
                  "first retry of an unacknowledged status update; doubles")
      .DurationRange(absl::Milliseconds(10), absl::Hours(1));
  schema.Duration("agent.status_update_retry_max", &c->status_update_retry_max,
                  "longest interval between retries of a status update")
      .DurationRange(absl::Milliseconds(10), absl::Hours(24));
  schema.Duration("agent.tick", &c->tick, "timer resolution (kills, retries)")
      .DurationRange(absl::Milliseconds(1), absl::Seconds(1));
  schema.Duration("agent.gc_delay", &c->gc_delay,
                  "sandboxes of ended tasks are removed when idle this long (less as the disk "
                  "fills)")
      .DurationRange(absl::ZeroDuration(), absl::Hours(24 * 365));
  schema.Double("agent.gc_disk_headroom", &c->gc_disk_headroom,
                "disk fraction kept free: delay = gc_delay * max(0, 1 - headroom - usage)")
      .Range(0.0, 1.0);
  schema.Duration("agent.gc_interval", &c->gc_interval, "how often sandboxes are checked")
      .DurationRange(absl::Milliseconds(10), absl::Hours(24));
}

absl::StatusOr<std::unique_ptr<runtime::Component>> BuildAgent(const AgentConfig& config,
                                                               runtime::ServiceRuntime& runtime) {
  absl::StatusOr<Advertised> advertised = WorkOutAdvertised(config);
  if (!advertised.ok()) return advertised.status();
  absl::StatusOr<std::unique_ptr<Isolator>> isolator = MakeIsolator(config.isolation);
  if (!isolator.ok()) return isolator.status();
  std::map<std::string, std::string> flags = {
      {"agent.master", config.master},
      {"agent.work_dir", config.work_dir},
      {"agent.resources", config.resources},
      {"agent.attributes", config.attributes},
      {"agent.hostname", config.hostname},
      {"agent.supervisor", config.supervisor},
      {"agent.switch_user", config.switch_user ? "true" : "false"},
      {"agent.isolation", config.isolation},
      {"agent.pid_namespaces", config.pid_namespaces},
      {"agent.registration_backoff_factor",
       absl::FormatDuration(config.registration_backoff_factor)},
      {"agent.status_update_retry_interval",
       absl::FormatDuration(config.status_update_retry_interval)},
      {"agent.status_update_retry_max", absl::FormatDuration(config.status_update_retry_max)},
      {"agent.tick", absl::FormatDuration(config.tick)},
      {"agent.gc_delay", absl::FormatDuration(config.gc_delay)},
      {"agent.gc_disk_headroom", absl::StrCat(config.gc_disk_headroom)},
      {"agent.gc_interval", absl::FormatDuration(config.gc_interval)},
      {"grpc.listen", runtime.options().grpc_listen},
  };
  auto component = std::make_unique<AgentComponent>(config, *std::move(advertised),
                                                    *std::move(isolator), flags);
  runtime.AddService(component->service(), "dcos.agent.v1.Agent");
  return component;
}

}  // namespace dcos::agent
