#pragma once

// Backoff: jittered exponential delays between reconnection attempts. Pure: no clock, no sleep;
// the caller waits the returned duration. Not thread-safe: one owner (a peer's sender thread).

#include <algorithm>
#include <cstdint>
#include <random>

#include "absl/time/time.h"

namespace dcos::raft {

class Backoff {
 public:
  // Delays start at `initial` and double up to `max`; each is jittered uniformly by +-20% (and
  // still never above `max`). `seed` makes the jitter reproducible.
  Backoff(absl::Duration initial, absl::Duration max, uint64_t seed)
      : initial_(initial), max_(std::max(initial, max)), next_(initial), rng_(seed) {}

  // The delay to wait before the next attempt; advances the sequence.
  absl::Duration Next() {
    std::uniform_real_distribution<double> jitter(0.8, 1.2);
    absl::Duration d = std::min(max_, next_ * jitter(rng_));
    next_ = std::min(max_, next_ * 2);
    return d;
  }

  // After a success: the next failure waits `initial` again.
  void Reset() { next_ = initial_; }

 private:
  absl::Duration initial_;
  absl::Duration max_;
  absl::Duration next_;
  std::mt19937_64 rng_;
};

}  // namespace dcos::raft
