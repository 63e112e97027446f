#pragma once

// MasterDriver: owns the MasterCore on one thread (the loop) and carries out its decisions.
// gRPC handlers never touch the core: they run closures on the loop (Run, blocking for the
// result; the stream calls, not blocking) and get StreamQueues for their streams. After every closure and every tick the loop
// takes the core's Outbox and carries it out in order: registry writes (durable before anyone
// is told), then messages into the agents', frameworks' and operators' queues, then closes.
// The loop takes the closures waiting for it as one batch (up to max_batch) and carries out
// their outboxes together (a group commit: a storm of 10,000 registrations is a few registry
// Multis, not 10,000 of them), then answers the batch's callers. The bound lets the first
// answers of a storm go out (on gRPC's threads) while the loop works on the rest, as when a
// new leader takes the re-registrations queued while it loaded its registry.
//
// A registry write that fails leaves the master unable to keep its promises: the driver stops
// and calls on_fatal (the binary exits for its supervisor to restart it; another master takes
// over), as Mesos's master aborts when its registrar fails.
//
// Thread-safe: every public method may be called from any thread.

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "libs/clock/clock.h"
#include "services/master/core/master_core.h"
#include "services/master/registry.h"
#include "services/master/stream_queue.h"

namespace dcos::master {

using AgentQueue = StreamQueue<v1::MasterMessage>;
using EventQueue = StreamQueue<v1::Event>;
using OperatorQueue = StreamQueue<v1::OperatorEvent>;

struct DriverOptions {
  MasterCoreConfig core;
  absl::Duration tick = absl::Milliseconds(50);
  // Closures taken as one batch at most (see the class comment).
  size_t max_batch = 500;
  // Called once, from the loop, when the master cannot go on (registry failure).
  std::function<void(const absl::Status&)> on_fatal;
  // Called from the loop every `stats_interval` with the core's counts and the number of
  // closures that were waiting for the loop (the event queue depth); up to one interval later
  // while the loop works through a backlog (full batches).
  std::function<void(const MasterCore::Stats&, size_t queued)> on_stats;
  absl::Duration stats_interval = absl::Seconds(1);
  // HEARTBEAT events to operator subscribers.
  absl::Duration operator_heartbeat = absl::Seconds(15);
};

class MasterDriver {
 public:
  // `allocator`, `registry` and `clock` must outlive the driver.
  MasterDriver(DriverOptions options, AllocatorPort* allocator, Registry* registry,
               clock::Clock* clock);
  ~MasterDriver();

  // Loads the registry into the core (agents must re-register) and starts the loop. Calls may
  // be queued before (and while) it runs: the loop takes them once the registry is loaded.
  absl::Status Start();
  // Stops the loop and closes every stream UNAVAILABLE. Idempotent. A driver that never
  // started answers what was queued UNAVAILABLE.
  void Stop();

  // Runs `fn` on the loop with the core and the current time, carries out the outbox, and
  // returns fn's result. UNAVAILABLE once stopped.
  template <typename R>
  absl::StatusOr<R> Run(std::function<R(MasterCore&, absl::Time)> fn);
  absl::Status RunStatus(std::function<absl::Status(MasterCore&, absl::Time)> fn);

  // The stream calls below never block: they queue work for the loop and report through the
  // queue or `done`. `done` runs on the loop, after the step's outbox was carried out (so what
  // the core queued for the stream is in its queue first); when the driver is stopping it
  // runs at once on the calling thread with UNAVAILABLE.

  // An agent's first message: Register or Reregister, with the queue of its stream attached
  // in the same loop step (so Registered goes into it). `done` gets the agent id.
  void ConnectAgent(v1::AgentMessage first, std::shared_ptr<AgentQueue> queue,
                    std::function<void(absl::StatusOr<std::string>)> done);
  // The agent's stream ended; if it is still the agent's current stream, the agent is
  // disconnected.
  void AgentStreamEnded(const std::string& agent_id, const std::shared_ptr<AgentQueue>& queue);

  void SubscribeFramework(common::v1::FrameworkInfo info, std::shared_ptr<EventQueue> queue,
                          std::function<void(absl::StatusOr<MasterCore::Subscription>)> done);
  void FrameworkStreamEnded(const MasterCore::Subscription& subscription);

  // Pushes SUBSCRIBED (the state now and the heartbeat interval) into `queue` and attaches it
  // for every later change (atomically) and a HEARTBEAT every operator_heartbeat; closes it
  // UNAVAILABLE instead when the driver is stopping. A closed queue is forgotten.
  void SubscribeOperator(std::shared_ptr<OperatorQueue> queue);

  // Posts without waiting (agent messages after the first).
  void Post(std::function<void(MasterCore&, absl::Time)> fn);

 private:
  void Loop();
  // Carries out the outbox: registry writes (one Apply for everything the batch decided),
  // then the streams' messages, then closes.
  void Dispatch();
  // Loop thread: runs `fn` after the current batch was dispatched (its registry writes
  // durable), so answers never overtake the writes they depend on.
  void AfterDispatch(std::function<void()> fn) { after_dispatch_.push_back(std::move(fn)); }
  void RunAfterDispatch();
  // Queues `work` for the loop, or runs `refused` here when the driver is stopping.
  void Enqueue(std::function<void()> work, const std::function<void()>& refused);
  void Heartbeat();
  // Register or Reregister on the core with `queue` as the agent's stream; the agent id.
  // A Reregister's tasks are moved out of `first`.
  absl::StatusOr<std::string> AttachAgent(v1::AgentMessage& first,
                                          const std::shared_ptr<AgentQueue>& queue,
                                          absl::Time now);
  void Fail(const absl::Status& status);

  DriverOptions options_;
  Registry* const registry_;
  clock::Clock* const clock_;
  MasterCore core_;  // loop thread only (and Start, before the loop runs)

  // Loop thread only.
  std::map<std::string, std::shared_ptr<AgentQueue>> agents_;
  std::map<std::string, std::shared_ptr<EventQueue>> frameworks_;  // "fid/stream"
  std::vector<std::shared_ptr<OperatorQueue>> operators_;
  absl::Time next_tick_;
  absl::Time next_stats_;
  absl::Time next_heartbeat_;
  std::vector<std::function<void()>> after_dispatch_;

  absl::Mutex mu_;
  std::vector<std::function<void()>> inbox_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<bool> failed_{false};
  bool started_ = false;  // set by Start, read by Stop (the owner calls both, never at once)
  std::thread loop_;
};

template <typename R>
absl::StatusOr<R> MasterDriver::Run(std::function<R(MasterCore&, absl::Time)> fn) {
  auto result = std::make_shared<std::optional<absl::StatusOr<R>>>();
  auto done = std::make_shared<absl::Notification>();
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ || failed_) return absl::UnavailableError("the master is stopping");
    inbox_.push_back([this, fn = std::move(fn), result, done] {
      if (failed_) {
        result->emplace(absl::UnavailableError("the master stopped after a registry failure"));
        done->Notify();
        return;
      }
      result->emplace(fn(core_, clock_->Now()));
      // Answered once the batch's registry writes are durable.
      AfterDispatch([this, result, done] {
        if (failed_) {
          result->emplace(absl::UnavailableError("the master stopped after a registry failure"));
        }
        done->Notify();
      });
    });
  }
  // The loop runs everything queued before it exits, so this always returns.
  done->WaitForNotification();
  return std::move(**result);
}

}  // namespace dcos::master
