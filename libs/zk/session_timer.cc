#include "libs/zk/session_timer.h"

#include <algorithm>
#include <cassert>

namespace dcos::zk::client {

SessionTimer::SessionTimer(absl::Duration timeout, absl::Time created)
    : timeout_(timeout), alive_since_(created) {
  assert(timeout > absl::ZeroDuration());
}

void SessionTimer::Attached(absl::Time sent, absl::Time now) {
  attached_ = true;
  alive_since_ = std::max(alive_since_, sent);
  last_ping_ = now;
  last_heard_ = now;
  outstanding_.clear();
}

void SessionTimer::PingSent(absl::Time now) {
  last_ping_ = now;
  outstanding_.push_back(now);
}

void SessionTimer::Pong(absl::Time now) {
  last_heard_ = std::max(last_heard_, now);
  if (outstanding_.empty()) return;  // a pong for a ping of an earlier stream: proves nothing
  alive_since_ = std::max(alive_since_, outstanding_.front());
  outstanding_.pop_front();
}

void SessionTimer::Heard(absl::Time now) { last_heard_ = std::max(last_heard_, now); }

void SessionTimer::Detached() {
  attached_ = false;
  outstanding_.clear();
}

bool SessionTimer::PingDue(absl::Time now) const {
  return attached_ && now >= last_ping_ + ping_interval();
}

bool SessionTimer::MemberSilent(absl::Time now) const {
  return attached_ && now >= last_heard_ + read_timeout();
}

absl::Time SessionTimer::NextDeadline() const {
  absl::Time next = alive_until();
  if (attached_) {
    next = std::min({next, last_ping_ + ping_interval(), last_heard_ + read_timeout()});
  }
  return next;
}

}  // namespace dcos::zk::client
