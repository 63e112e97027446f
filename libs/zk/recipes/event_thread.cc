#include "libs/zk/recipes/event_thread.h"

#include <memory>

#include "absl/synchronization/mutex.h"

namespace dcos::zk::recipes {
namespace {

// Shared with the posted step, which may finish after the caller gave up.
struct Outcome {
  absl::Mutex mu;
  bool done ABSL_GUARDED_BY(mu) = false;
  absl::Status status ABSL_GUARDED_BY(mu);
};

}  // namespace

absl::Status RunOnEventThread(client::ZkClient& zk, const CallbackGate& gate,
                              std::function<absl::Status()> step) {
  if (!zk.has_session()) return absl::FailedPreconditionError("needs a client with a session");
  if (zk.OnEventThread()) {
    return absl::FailedPreconditionError("cannot start inside a client callback");
  }
  auto outcome = std::make_shared<Outcome>();
  zk.Post(gate.Wrap([outcome, step = std::move(step)] {
    absl::Status status = step();
    absl::MutexLock lock(&outcome->mu);
    outcome->status = status;
    outcome->done = true;
  }));
  absl::MutexLock lock(&outcome->mu);
  auto done = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(outcome->mu) { return outcome->done; };
  // Posted work is dropped when the session closes: look at the session now and then.
  while (!outcome->mu.AwaitWithTimeout(absl::Condition(&done), absl::Milliseconds(100))) {
    absl::Status usable = zk.Usable();
    if (!usable.ok()) return usable;
  }
  return outcome->status;
}

}  // namespace dcos::zk::recipes
