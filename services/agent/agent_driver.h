#pragma once

// AgentDriver: owns the AgentCore on one loop thread and carries out its decisions — the
// checkpoint first (nothing is sent or started that a restarted agent would not know about),
// then messages to the master (MasterLink), then launches and signals (Launcher; launches
// complete asynchronously, so many overlap). Events come in as closures posted to the loop:
// from the master link, the launcher (launch outcomes, exits), health probes, gRPC handlers,
// and a tick every `tick` for the core's timers.
//
// Lifetime: construct, SetLauncher, Recover (synchronously, before serving), Start, Stop.
// A checkpoint that cannot be written is fatal (on_fatal): the agent would otherwise promise
// what it cannot keep. Thread-safety: Post/Run from any thread; the rest from the owner.

#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "libs/clock/clock.h"
#include "services/agent/agent_core.h"
#include "services/agent/checkpoint.h"
#include "services/agent/launcher.h"
#include "services/agent/master_link.h"

namespace dcos::agent {

struct DriverOptions {
  CoreOptions core;
  absl::Duration tick = absl::Milliseconds(100);
  // Registration backoff factor (MasterLink).
  absl::Duration backoff_factor = absl::Seconds(1);
  // Sandboxes of containers the agent no longer knows are removed when idle this long, less as
  // the disk fills (sandbox_gc.h); checked every gc_interval.
  absl::Duration gc_delay = absl::Hours(24 * 7);
  double gc_disk_headroom = 0.1;
  absl::Duration gc_interval = absl::Minutes(1);
  // The master said Shutdown (the agent was marked gone).
  std::function<void(const std::string& message)> on_shutdown;
  // The checkpoint could not be written.
  std::function<void(const absl::Status& error)> on_fatal;
};

class AgentDriver {
 public:
  using Work = std::function<void(AgentCore&, absl::Time)>;

  AgentDriver(DriverOptions options, Checkpointer* checkpointer, MasterDetector* detector,
              clock::Clock* clock);
  ~AgentDriver();

  // The callback the launcher reports container exits with (posts them to the loop).
  Launcher::ExitCallback ExitCallback();
  // The callback the launcher reports launch outcomes with (posts them to the loop).
  Launcher::LaunchCallback LaunchCallback();
  // The callback health probes report with (posts them to the loop).
  HealthProber::Done ProbeCallback();
  // Must be called before Recover; both must outlive the driver's Stop.
  void SetLauncher(Launcher* launcher) { launcher_ = launcher; }
  void SetProber(HealthProber* prober) { prober_ = prober; }

  // Reads the checkpoint, asks the launcher about every task's container and recovers the
  // core. A checkpoint of an earlier boot is discarded (no task survives a reboot; the agent
  // registers as a new one). Errors: the core's (an incompatible agent info), the
  // checkpoint's (DATA_LOSS), the launcher's.
  absl::Status Recover();

  // Starts the loop and the master link.
  void Start();
  // Stops the link and the loop; tasks keep running. Idempotent.
  void Stop();

  // Runs `work` on the loop thread (then carries out the outbox).
  void Post(Work work);
  // Runs `fn` on the loop and returns its result; UNAVAILABLE once stopped.
  template <typename T>
  absl::StatusOr<T> Run(std::function<T(AgentCore&, absl::Time)> fn) {
    auto promise = std::make_shared<std::promise<T>>();
    std::future<T> result = promise->get_future();
    if (!PostIfRunning([fn, promise](AgentCore& core, absl::Time now) {
          promise->set_value(fn(core, now));
        })) {
      return absl::UnavailableError("the agent is stopping");
    }
    if (result.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
      return absl::DeadlineExceededError("the agent's loop did not answer within 30 s");
    }
    return result.get();
  }

 private:
  bool PostIfRunning(Work work);
  void Loop();
  // Carries out the core's outbox, and the outboxes that launch results produce.
  void CarryOut();
  // Removes idle sandboxes of containers the core no longer knows.
  void CollectGarbage(absl::Time now);

  DriverOptions options_;
  Checkpointer* checkpointer_;
  clock::Clock* clock_;
  Launcher* launcher_ = nullptr;
  HealthProber* prober_ = nullptr;
  AgentCore core_;  // loop thread only (and Recover before Start)
  std::unique_ptr<MasterLink> link_;
  uint64_t generation_ = 0;  // the current master stream (loop thread)

  absl::Mutex mu_;
  std::deque<Work> queue_ ABSL_GUARDED_BY(mu_);
  bool running_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace dcos::agent
