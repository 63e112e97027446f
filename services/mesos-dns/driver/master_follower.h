#pragma once

// MasterFollower: the decisions of dcos-dns's driver about which master to follow and when —
// pure: no sockets, threads or clock reads. The driver reports what happened (who leads
// according to dcos-zk, a Subscribe stream that delivered SUBSCRIBED or another event, a
// stream that ended and why) with the current time, and asks Poll(now) what to do: open a
// Subscribe stream to a master, drop the current one, or nothing; NextWake() says when Poll
// must run again at the latest.
//
// The rules:
//   - Where to connect, in order: the master a refusing standby named (its LeaderInfo redirect,
//     followed at once, at most `max_redirects` times in a row); the leader dcos-zk names; the
//     static masters in turn (Mesos-DNS's `masters`, the fallback when dcos-zk is not used, not
//     reachable, or knows no leader). With none of these it waits.
//   - A stream that ends or fails, an attempt that does not deliver SUBSCRIBED within
//     `subscribe_timeout`, and a stream silent for `missed_heartbeats` heartbeat intervals are
//     failures: the next attempt waits a backoff (initial_backoff doubling to max_backoff, with
//     jitter from the seeded PRNG). The first failure after a stream that had subscribed
//     retries at once: a master that went away is most often replaced by another already.
//   - A new leader named by dcos-zk is followed at once: the current stream (to another
//     master) is dropped, the backoff is forgotten.
//   - `refresh` > 0: a healthy stream is re-opened after that long (a periodic full
//     resynchronisation, a safety net like Mesos-DNS's refreshSeconds).
//   - Every attempt has a number; events of any attempt but the current one are ignored (a
//     dropped stream may still deliver a last event).
//
// Thread-compatible: owned by the driver's thread.

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace dcos::dns::driver {

struct FollowerOptions {
  // Static masters, "host:port" (`masters`).
  std::vector<std::string> static_masters;
  // Backoff between failed attempts: starts here, doubles, at most max_backoff; each wait is
  // drawn uniformly from [d/2, d] (jitter), d the current step.
  absl::Duration initial_backoff = absl::Milliseconds(50);
  absl::Duration max_backoff = absl::Seconds(5);
  // An attempt that has not delivered SUBSCRIBED within this is a failure.
  absl::Duration subscribe_timeout = absl::Seconds(10);
  // A subscribed stream silent for this many heartbeat intervals is a failure. The interval is
  // SUBSCRIBED's heartbeat_interval (default_heartbeat when it has none).
  int missed_heartbeats = 5;
  absl::Duration default_heartbeat = absl::Seconds(15);
  // Redirects followed in a row without a backoff.
  int max_redirects = 3;
  // Re-subscribe a healthy stream after this long; 0: never.
  absl::Duration refresh = absl::ZeroDuration();
  // Seed of the jitter.
  uint64_t seed = 1;
};

class MasterFollower {
 public:
  enum class Phase {
    kIdle,        // no stream; waiting for the backoff, or for a master to try
    kConnecting,  // Subscribe sent, SUBSCRIBED not yet received
    kStreaming,   // subscribed
  };

  struct Action {
    enum Kind {
      kNone,
      // Drop the current stream, if any, and open a Subscribe stream to `target`, tagging its
      // events with `attempt`.
      kConnect,
      // Drop the current stream, if any.
      kDisconnect,
    };
    Kind kind = kNone;
    std::string target;
    uint64_t attempt = 0;
  };

  // Why a stream ended, as the driver read it from the final status.
  struct End {
    // The leader a refusing master named ("host:port"); empty if none.
    std::string redirect;
    // A human-readable reason for logs.
    std::string reason;
  };

  explicit MasterFollower(FollowerOptions options);

  // dcos-zk's view: the leading master's "host:port", or nullopt when dcos-zk is not used, not
  // reachable, or knows of no leader.
  void SetZkLeader(std::optional<std::string> leader, absl::Time now);

  // The current attempt delivered SUBSCRIBED. `heartbeat`: its interval (0: not given).
  void OnSubscribed(uint64_t attempt, absl::Duration heartbeat, absl::Time now);
  // The current attempt delivered another event (a sign of life).
  void OnEvent(uint64_t attempt, absl::Time now);
  // The stream of `attempt` ended.
  void OnEnded(uint64_t attempt, const End& end, absl::Time now);

  // What to do now. kConnect and kDisconnect are already accounted for: the follower counts
  // the new attempt as connecting (or the old one as dropped) as soon as it returns them.
  Action Poll(absl::Time now);
  // When Poll must run again at the latest (InfiniteFuture when only an input can change
  // anything).
  absl::Time NextWake() const;

  Phase phase() const { return phase_; }
  // The master of the current attempt ("" when idle).
  const std::string& target() const { return target_; }
  uint64_t attempt() const { return attempt_; }
  // Consecutive failed attempts (0 after SUBSCRIBED).
  int failures() const { return failures_; }
  // Why the last attempt failed ("" if it did not).
  const std::string& last_error() const { return last_error_; }

 private:
  // The master to try next, or "" if there is none.
  std::string NextTarget();
  // The current attempt failed: back off (or not, see the class comment).
  void Fail(const std::string& why, absl::Time now, bool was_streaming);
  Action Connect(std::string target, absl::Time now);

  const FollowerOptions options_;
  std::mt19937_64 rng_;

  Phase phase_ = Phase::kIdle;
  std::string target_;
  uint64_t attempt_ = 0;
  absl::Time phase_since_ = absl::InfinitePast();
  absl::Time last_event_ = absl::InfinitePast();
  absl::Duration heartbeat_;

  std::optional<std::string> zk_leader_;
  // dcos-zk named a new leader: the next Poll goes to it (once; a redirect it answers with is
  // followed afterwards).
  bool follow_zk_ = false;
  std::string redirect_;
  int redirects_in_a_row_ = 0;
  size_t next_static_ = 0;
  int failures_ = 0;
  absl::Duration backoff_step_ = absl::ZeroDuration();
  absl::Time retry_at_ = absl::InfinitePast();
  std::string last_error_;
};

}  // namespace dcos::dns::driver
