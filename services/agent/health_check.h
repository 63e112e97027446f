#pragma once

// HealthCheckState: the timing and verdicts of one task's health check (Mesos-native checks,
// HealthCheck in protos/common/v1/health.proto), pure. The probes themselves (a command, an
// HTTP GET, a TCP connect) are run by a HealthProber (health_prober.h); this decides when one
// is due and what its result means:
//   - the first check starts `delay` (15 s) after the task started, then one every `interval`
//     (10 s) after the previous one started, never two at once;
//   - failures within `grace_period` (10 s) of the start count for nothing until the first
//     success;
//   - a change of health is reported (TaskStatus.healthy): the first success, a failure
//     after a success, a success after a failure;
//   - `consecutive_failures` (3; 0 = never) counted failures in a row ask for a kill.

#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "protos/common/v1/health.pb.h"

namespace dcos::agent {

// Checks a HealthCheck as the agent runs it. INVALID_ARGUMENT naming the field under `field`,
// e.g. "task.health_check.http.port: must be 1..65535".
absl::Status ValidateHealthCheck(const common::v1::HealthCheck& check, absl::string_view field);

class HealthCheckState {
 public:
  // Defaults applied (delay 15 s, interval 10 s, timeout 20 s, 3 failures, grace 10 s).
  HealthCheckState(const common::v1::HealthCheck& check, absl::Time task_started);

  // If a check is due at `now` (and none is running): marks one as running and returns its
  // number. A check that never reported is given up after timeout + 5 s.
  std::optional<uint64_t> TakeDue(absl::Time now);

  struct Verdict {
    // A new health to report; unset when nothing changed (or the failure is in the grace).
    std::optional<bool> report;
    // Enough consecutive failures: kill the task.
    bool kill = false;
  };
  // The result of check `sequence` (results of other checks are ignored).
  Verdict Result(uint64_t sequence, bool healthy, absl::Time now);

  // After an agent restart: the health last reported, so it is not reported again.
  void Restore(bool healthy) {
    healthy_ = healthy;
    succeeded_once_ = succeeded_once_ || healthy;
  }

  std::optional<bool> healthy() const { return healthy_; }
  uint32_t consecutive_failures() const { return failures_; }
  absl::Duration timeout() const { return timeout_; }
  // When TakeDue will next return a check (for tests).
  absl::Time next_check() const { return next_; }

 private:
  absl::Duration interval_;
  absl::Duration timeout_;
  uint32_t max_failures_;
  absl::Time grace_end_;
  absl::Time next_;
  std::optional<uint64_t> running_;
  absl::Time running_since_;
  uint64_t sequence_ = 0;
  bool succeeded_once_ = false;
  uint32_t failures_ = 0;
  std::optional<bool> healthy_;
};

}  // namespace dcos::agent
