#include "services/agent/status_update_stream.h"

#include <algorithm>

namespace dcos::agent {

void StatusUpdateStream::Add(common::v1::TaskStatus status, absl::Time now) {
  pending_.push_back(std::move(status));
  if (pending_.size() == 1) Reset(now);
}

const common::v1::TaskStatus* StatusUpdateStream::TakeDue(absl::Time now) {
  if (pending_.empty() || now < next_attempt_) return nullptr;
  next_attempt_ = now + interval_;
  interval_ = std::min(interval_ * 2, options_.retry_max);
  return &pending_.front();
}

std::optional<common::v1::TaskStatus> StatusUpdateStream::Acknowledge(absl::string_view uuid,
                                                                     absl::Time now) {
  if (pending_.empty() || pending_.front().uuid() != uuid) return std::nullopt;
  common::v1::TaskStatus acked = std::move(pending_.front());
  pending_.pop_front();
  Reset(now);
  return acked;
}

void StatusUpdateStream::Reset(absl::Time now) {
  next_attempt_ = now;
  interval_ = options_.retry_min;
}

}  // namespace dcos::agent
