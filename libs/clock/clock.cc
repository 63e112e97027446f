#include "libs/clock/clock.h"

#include <time.h>

#include <cstdio>
#include <cstdlib>

namespace dcos::clock {
namespace {

absl::Duration MonotonicNow() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return absl::DurationFromTimespec(ts);
}

}  // namespace

RealClock::RealClock() : wall_start_(absl::Now()), mono_start_(MonotonicNow()) {}

absl::Time RealClock::Now() const { return wall_start_ + (MonotonicNow() - mono_start_); }

RealClock* RealClock::Default() {
  static RealClock* clock = new RealClock();
  return clock;
}

SimClock::SimClock(absl::Time start) : now_(start) {}

absl::Time SimClock::Now() const {
  absl::MutexLock lock(&mu_);
  return now_;
}

void SimClock::Advance(absl::Duration d) {
  if (d < absl::ZeroDuration()) {
    std::fprintf(stderr, "SimClock::Advance: negative duration %s\n",
                 absl::FormatDuration(d).c_str());
    std::abort();
  }
  absl::MutexLock lock(&mu_);
  now_ += d;
}

void SimClock::SetTime(absl::Time t) {
  absl::MutexLock lock(&mu_);
  if (t < now_) {
    std::fprintf(stderr, "SimClock::SetTime: %s is before now %s\n",
                 absl::FormatTime(t).c_str(), absl::FormatTime(now_).c_str());
    std::abort();
  }
  now_ = t;
}

}  // namespace dcos::clock
