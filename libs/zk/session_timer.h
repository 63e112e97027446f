#pragma once

// SessionTimer: the timing rules of a client's session, as a pure class (no clock reads, no
// threads): when to ping, when a member has gone silent, and until when the session is surely
// alive on the ensemble.
//
// The rules (ZooKeeper's client, ClientCnxn):
// - While attached, ping every timeout / 3 (ping_interval).
// - A member from which nothing has been heard for 2/3 of the timeout (read_timeout) is given
//   up: the client re-attaches elsewhere.
// - The ensemble's leader expires a session when no message of it reached a member for the
//   timeout, counted from when the leader recorded the last one, which is no earlier than the
//   client sent it. So the session is surely alive until (send time of the last message the
//   ensemble answered) + timeout: alive_until(). Past it the client must assume the session
//   expired (Lost): it reports EXPIRED rather than hope, and never creates a new session.
//   (A ping answered by a follower that cannot reach the leader proves less; see README.)
//
// Thread-compatible: ZkSession guards it with its mutex.

#include <deque>

#include "absl/time/time.h"

namespace dcos::zk::client {

class SessionTimer {
 public:
  // `created` is when CreateSession was sent. Requires timeout > 0.
  SessionTimer(absl::Duration timeout, absl::Time created);

  absl::Duration timeout() const { return timeout_; }
  absl::Duration ping_interval() const { return timeout_ / 3; }
  absl::Duration read_timeout() const { return timeout_ * 2 / 3; }

  // The member answered the Attach sent at `sent`: attached from `now`.
  void Attached(absl::Time sent, absl::Time now);
  // A ping went out at `now`.
  void PingSent(absl::Time now);
  // The answer to the oldest outstanding ping arrived at `now`.
  void Pong(absl::Time now);
  // Any other message (a watch event) arrived at `now`.
  void Heard(absl::Time now);
  // The stream to the member is gone (pings in flight are forgotten).
  void Detached();

  bool attached() const { return attached_; }
  // Attached, and a ping is due.
  bool PingDue(absl::Time now) const;
  // Attached, and the member has been silent for read_timeout.
  bool MemberSilent(absl::Time now) const;
  // The session may have expired on the ensemble.
  bool Lost(absl::Time now) const { return now >= alive_until(); }
  absl::Time alive_until() const { return alive_since_ + timeout_; }
  // The earliest time one of PingDue, MemberSilent or Lost may become true.
  absl::Time NextDeadline() const;

 private:
  const absl::Duration timeout_;
  absl::Time alive_since_;  // send time of the last message the ensemble answered
  bool attached_ = false;
  absl::Time last_ping_;    // while attached: the last ping sent (or the attach)
  absl::Time last_heard_;   // while attached: the last message received
  std::deque<absl::Time> outstanding_;  // send times of unanswered pings, oldest first
};

}  // namespace dcos::zk::client
