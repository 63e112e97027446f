#pragma once

// Time as an injected dependency. Domain code never reads the time itself: it is handed a
// Clock (or the current time) by its driver, so tests can run on a SimClock with no sleeps.

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace dcos::clock {

// A source of the current time. Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;

  // The current time. Never goes backwards for the same Clock object.
  virtual absl::Time Now() const = 0;
};

// The machine's clock. Now() is the wall-clock time at construction advanced by the
// monotonic clock since, so it never jumps when the wall clock is stepped (NTP, an operator):
// durations measured with it are true durations.
class RealClock final : public Clock {
 public:
  RealClock();
  absl::Time Now() const override;

  // A process-wide instance, never destroyed.
  static RealClock* Default();

 private:
  absl::Time wall_start_;
  absl::Duration mono_start_;
};

// A clock that moves only when told to. Thread-safe.
class SimClock final : public Clock {
 public:
  // Starts at `start` (by default 2026-01-01T00:00:00Z, an arbitrary fixed instant).
  explicit SimClock(absl::Time start = absl::FromUnixSeconds(1767225600));

  absl::Time Now() const override;

  // Moves the clock forward by `d`. Requires d >= 0.
  void Advance(absl::Duration d);

  // Sets the clock to `t`. Requires t >= Now().
  void SetTime(absl::Time t);

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dcos::clock
