#pragma once

// StatusUpdateStream: one task's status updates on their way to the master — in order, only
// the oldest unacknowledged one in flight, retried with backoff until the framework's
// acknowledgement comes back (Mesos's status update manager, per task).
//
// Retry: the oldest update is sent when it becomes the oldest (or at once after a
// (re)connection: Reset), then again after retry_min, 2 * retry_min, ... up to retry_max
// (10 s doubling to 10 min by default). An acknowledgement names the update by its uuid; one
// for any other update than the oldest (a duplicate, a stale one) changes nothing.
//
// Pure and single-threaded: time comes in as `now`; the owner (the agent's core) sends what
// TakeDue returns and checkpoints the pending updates.

#include <deque>
#include <optional>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "protos/common/v1/task_status.pb.h"

namespace dcos::agent {

class StatusUpdateStream {
 public:
  struct Options {
    absl::Duration retry_min = absl::Seconds(10);
    absl::Duration retry_max = absl::Minutes(10);
  };

  StatusUpdateStream() : StatusUpdateStream(Options{}) {}
  explicit StatusUpdateStream(Options options)
      : options_(options), interval_(options.retry_min) {}

  // Appends an update; status.uuid must be set. When it is the only one it is due at `now`.
  void Add(common::v1::TaskStatus status, absl::Time now);

  // Updates not acknowledged yet, oldest first.
  const std::deque<common::v1::TaskStatus>& pending() const { return pending_; }
  bool empty() const { return pending_.empty(); }

  // If the oldest update is due at `now`: returns it and schedules its next retry. Else null.
  // The pointer is valid until the stream next changes.
  const common::v1::TaskStatus* TakeDue(absl::Time now);

  // The acknowledgement of `uuid`: when it names the oldest update, removes and returns it (the
  // next one becomes due at once); otherwise returns nullopt and changes nothing.
  std::optional<common::v1::TaskStatus> Acknowledge(absl::string_view uuid, absl::Time now);

  // After a (re)connection to a master: the oldest update is due at `now`, the retry interval
  // starts again at retry_min.
  void Reset(absl::Time now);

  // When TakeDue will next return something (InfiniteFuture when empty).
  absl::Time next_attempt() const {
    return pending_.empty() ? absl::InfiniteFuture() : next_attempt_;
  }

 private:
  Options options_;
  std::deque<common::v1::TaskStatus> pending_;
  absl::Time next_attempt_ = absl::InfinitePast();
  absl::Duration interval_;
};

}  // namespace dcos::agent
