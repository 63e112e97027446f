#pragma once

// StreamQueue<T>: what the master driver's loop hands to one gRPC stream — messages pushed
// by the loop, popped by the stream's writer thread, and a close (with the status the stream
// ends with). Bounded: a consumer that stops reading is closed with RESOURCE_EXHAUSTED rather
// than growing the master's memory without end.
//
// Thread-safe.

#include <cstddef>
#include <deque>
#include <optional>
#include <string>

#include <grpcpp/support/status.h>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace dcos::master {

template <typename T>
class StreamQueue {
 public:
  explicit StreamQueue(size_t limit = 100000) : limit_(limit) {}

  void Push(T item) {
    absl::MutexLock lock(&mu_);
    if (closed_) return;
    if (items_.size() >= limit_) {
      closed_ = true;
      status_ = grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                             "the stream fell too far behind; reconnect");
      return;
    }
    items_.push_back(std::move(item));
  }

  // Ends the stream once the items already queued are written.
  void Close(grpc::Status status = grpc::Status::OK) {
    absl::MutexLock lock(&mu_);
    if (closed_) return;
    closed_ = true;
    status_ = std::move(status);
  }

  // The next item; nullopt after `timeout` (check closed()) or when closed and drained.
  std::optional<T> Pop(absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !items_.empty() || closed_;
    };
    mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
    if (items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    return item;
  }

  bool closed_and_drained() const {
    absl::MutexLock lock(&mu_);
    return closed_ && items_.empty();
  }
  grpc::Status status() const {
    absl::MutexLock lock(&mu_);
    return status_;
  }

 private:
  const size_t limit_;
  mutable absl::Mutex mu_;
  std::deque<T> items_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dcos::master
