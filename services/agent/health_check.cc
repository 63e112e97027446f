#include "services/agent/health_check.h"

#include "absl/strings/str_cat.h"

namespace dcos::agent {
namespace {

using common::v1::HealthCheck;

absl::Duration Or(const google::protobuf::Duration& d, bool has, absl::Duration fallback) {
  return has ? absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos()) : fallback;
}

absl::Status Invalid(absl::string_view field, absl::string_view sub, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(field, ".", sub, ": ", what));
}

}  // namespace

absl::Status ValidateHealthCheck(const HealthCheck& check, absl::string_view field) {
  switch (check.type()) {
    case HealthCheck::TYPE_COMMAND:
      if (check.command().value().empty()) return Invalid(field, "command.value", "required");
      break;
    case HealthCheck::TYPE_HTTP:
      if (check.http().port() == 0 || check.http().port() > 65535) {
        return Invalid(field, "http.port", "must be 1..65535");
      }
      if (!check.http().scheme().empty() && check.http().scheme() != "http") {
        return Invalid(field, "http.scheme", "only \"http\" is supported");
      }
      break;
    case HealthCheck::TYPE_TCP:
      if (check.tcp().port() == 0 || check.tcp().port() > 65535) {
        return Invalid(field, "tcp.port", "must be 1..65535");
      }
      break;
    default:
      return Invalid(field, "type", "must be TYPE_COMMAND, TYPE_HTTP or TYPE_TCP");
  }
  if (check.has_interval() && Or(check.interval(), true, {}) < absl::Seconds(1)) {
    return Invalid(field, "interval", "must be at least 1s");
  }
  if (check.has_timeout() && Or(check.timeout(), true, {}) < absl::Milliseconds(100)) {
    return Invalid(field, "timeout", "must be at least 100ms");
  }
  for (auto [name, d] : {std::pair<const char*, const google::protobuf::Duration*>{
                             "delay", &check.delay()},
                         {"grace_period", &check.grace_period()}}) {
    if (d->seconds() < 0 || d->nanos() < 0) return Invalid(field, name, "must be >= 0");
  }
  return absl::OkStatus();
}

HealthCheckState::HealthCheckState(const HealthCheck& check, absl::Time task_started)
    : interval_(Or(check.interval(), check.has_interval(), absl::Seconds(10))),
      timeout_(Or(check.timeout(), check.has_timeout(), absl::Seconds(20))),
      max_failures_(check.has_consecutive_failures() ? check.consecutive_failures() : 3),
      grace_end_(task_started +
                 Or(check.grace_period(), check.has_grace_period(), absl::Seconds(10))),
      next_(task_started + Or(check.delay(), check.has_delay(), absl::Seconds(15))) {}

std::optional<uint64_t> HealthCheckState::TakeDue(absl::Time now) {
  if (running_.has_value()) {
    if (now < running_since_ + timeout_ + absl::Seconds(5)) return std::nullopt;
    running_.reset();  // lost: the next one goes ahead
  }
  if (now < next_) return std::nullopt;
  running_ = ++sequence_;
  running_since_ = now;
  next_ = now + interval_;
  return running_;
}

HealthCheckState::Verdict HealthCheckState::Result(uint64_t sequence, bool healthy,
                                                   absl::Time now) {
  Verdict v;
  if (!running_.has_value() || *running_ != sequence) return v;
  running_.reset();
  if (healthy) {
    succeeded_once_ = true;
    failures_ = 0;
    if (healthy_ != true) v.report = true;
    healthy_ = true;
    return v;
  }
  if (!succeeded_once_ && now < grace_end_) return v;  // starting up: not counted
  ++failures_;
  if (healthy_ != false) v.report = false;
  healthy_ = false;
  v.kill = max_failures_ > 0 && failures_ >= max_failures_;
  return v;
}

}  // namespace dcos::agent
