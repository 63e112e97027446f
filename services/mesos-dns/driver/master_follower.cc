#include "services/mesos-dns/driver/master_follower.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace dcos::dns::driver {

MasterFollower::MasterFollower(FollowerOptions options)
    : options_(std::move(options)), rng_(options_.seed), heartbeat_(options_.default_heartbeat) {}

void MasterFollower::SetZkLeader(std::optional<std::string> leader, absl::Time now) {
  if (leader == zk_leader_) return;
  zk_leader_ = std::move(leader);
  if (!zk_leader_.has_value()) return;  // keep whatever stream there is
  // A new leader: follow it at once, forgetting the backoff and any older redirect.
  follow_zk_ = true;
  redirect_.clear();
  redirects_in_a_row_ = 0;
  failures_ = 0;
  backoff_step_ = absl::ZeroDuration();
  retry_at_ = now;
}

void MasterFollower::OnSubscribed(uint64_t attempt, absl::Duration heartbeat, absl::Time now) {
  if (attempt != attempt_ || phase_ != Phase::kConnecting) return;
  phase_ = Phase::kStreaming;
  phase_since_ = now;
  last_event_ = now;
  heartbeat_ = heartbeat > absl::ZeroDuration() ? heartbeat : options_.default_heartbeat;
  failures_ = 0;
  backoff_step_ = absl::ZeroDuration();
  redirects_in_a_row_ = 0;
  last_error_.clear();
}

void MasterFollower::OnEvent(uint64_t attempt, absl::Time now) {
  if (attempt == attempt_ && phase_ == Phase::kStreaming) last_event_ = now;
}

void MasterFollower::OnEnded(uint64_t attempt, const End& end, absl::Time now) {
  if (attempt != attempt_ || phase_ == Phase::kIdle) return;
  const bool was_streaming = phase_ == Phase::kStreaming;
  if (!end.redirect.empty() && end.redirect != target_ &&
      redirects_in_a_row_ < options_.max_redirects) {
    ++redirects_in_a_row_;
    phase_ = Phase::kIdle;
    target_.clear();
    redirect_ = end.redirect;
    retry_at_ = now;
    last_error_ = end.reason;
    return;
  }
  Fail(end.reason, now, was_streaming);
}

void MasterFollower::Fail(const std::string& why, absl::Time now, bool was_streaming) {
  phase_ = Phase::kIdle;
  target_.clear();
  last_error_ = why;
  redirects_in_a_row_ = 0;
  if (was_streaming) {
    failures_ = 1;
    backoff_step_ = absl::ZeroDuration();
    retry_at_ = now;
    return;
  }
  ++failures_;
  backoff_step_ = backoff_step_ == absl::ZeroDuration()
                      ? options_.initial_backoff
                      : std::min(backoff_step_ * 2, options_.max_backoff);
  const int64_t step = absl::ToInt64Nanoseconds(backoff_step_);
  const int64_t half = step / 2;
  std::uniform_int_distribution<int64_t> jitter(0, step - half);
  retry_at_ = now + absl::Nanoseconds(half + jitter(rng_));
}

std::string MasterFollower::NextTarget() {
  if (!redirect_.empty()) return std::exchange(redirect_, std::string());
  if (zk_leader_.has_value()) return *zk_leader_;
  if (options_.static_masters.empty()) return "";
  const std::string& target =
      options_.static_masters[next_static_ % options_.static_masters.size()];
  ++next_static_;
  return target;
}

MasterFollower::Action MasterFollower::Connect(std::string target, absl::Time now) {
  ++attempt_;
  phase_ = Phase::kConnecting;
  target_ = std::move(target);
  phase_since_ = now;
  return Action{Action::kConnect, target_, attempt_};
}

MasterFollower::Action MasterFollower::Poll(absl::Time now) {
  if (follow_zk_) {
    follow_zk_ = false;
    if (zk_leader_.has_value() && !(phase_ != Phase::kIdle && target_ == *zk_leader_)) {
      return Connect(*zk_leader_, now);
    }
  }
  bool dropped = false;
  if (phase_ == Phase::kConnecting && now >= phase_since_ + options_.subscribe_timeout) {
    Fail(absl::StrCat("no SUBSCRIBED from ", target_, " within ",
                      absl::FormatDuration(options_.subscribe_timeout)),
         now, /*was_streaming=*/false);
    dropped = true;
  } else if (phase_ == Phase::kStreaming) {
    if (options_.refresh > absl::ZeroDuration() && now >= phase_since_ + options_.refresh) {
      std::string again = target_;
      return Connect(std::move(again), now);
    }
    if (now >= last_event_ + heartbeat_ * options_.missed_heartbeats) {
      Fail(absl::StrCat(target_, " silent for ", absl::FormatDuration(now - last_event_)), now,
           /*was_streaming=*/true);
      dropped = true;
    }
  }
  if (phase_ == Phase::kIdle && now >= retry_at_) {
    std::string target = NextTarget();
    if (!target.empty()) return Connect(std::move(target), now);
  }
  return dropped ? Action{Action::kDisconnect, "", 0} : Action{};
}

absl::Time MasterFollower::NextWake() const {
  if (follow_zk_) return absl::InfinitePast();
  switch (phase_) {
    case Phase::kIdle:
      if (redirect_.empty() && !zk_leader_.has_value() && options_.static_masters.empty()) {
        return absl::InfiniteFuture();
      }
      return retry_at_;
    case Phase::kConnecting:
      return phase_since_ + options_.subscribe_timeout;
    case Phase::kStreaming: {
      absl::Time wake = last_event_ + heartbeat_ * options_.missed_heartbeats;
      if (options_.refresh > absl::ZeroDuration()) {
        wake = std::min(wake, phase_since_ + options_.refresh);
      }
      return wake;
    }
  }
  return absl::InfiniteFuture();
}

}  // namespace dcos::dns::driver
