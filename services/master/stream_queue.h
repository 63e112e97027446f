#pragma once

// StreamQueue<T>: what the master driver's loop hands to one outgoing gRPC stream — messages
// pushed by the loop and a close (with the status the stream ends with) — and the write side
// of that stream, driven by pushes and write completions instead of a thread.
//
// The stream (a gRPC callback reactor) attaches a Sink. From then on the queue keeps exactly
// one write in flight while it has items: Push on an idle stream starts a write at once (on
// the pushing thread), and each completion (Written) starts the next. When the queue is closed
// and drained, the sink is told to End (gRPC Finish) exactly once. A write that fails ends the
// stream too (the peer is gone), dropping what is queued.
//
// Bounded: a consumer that falls `limit` items behind is cut off — what is queued is dropped,
// the stream ends with RESOURCE_EXHAUSTED, and if a write is stuck in flight (a peer that stopped
// reading) the sink is told to Cut (cancel the call, which fails that write) — rather than
// growing the master's memory without end.
//
// Thread-safe: Push/Close from the loop, Written/Close from gRPC threads, concurrently. Sink
// methods are called outside the queue's lock, never two writes in flight and End after the
// last Written; Detach (the sink's OnDone) waits for every call in progress, so after it
// returns the sink may be deleted. Whoever calls into the queue must hold a shared_ptr to it
// for the duration of the call.

#include <cstddef>
#include <deque>
#include <optional>
#include <string>

#include <grpcpp/support/status.h>

#include "absl/synchronization/mutex.h"

namespace dcos::master {

template <typename T>
class StreamQueue {
 public:
  // The stream's write side. Each method must return without blocking.
  class Sink {
   public:
    virtual ~Sink() = default;
    // Start writing `item` (valid until Written is called); Written(ok) must follow.
    virtual void Write(const T& item) = 0;
    // Finish the stream with `status`; called once, with no write in flight.
    virtual void End(const grpc::Status& status) = 0;
    // Cancel the call: the write in flight is stuck behind a peer that fell too far behind.
    virtual void Cut() = 0;
  };

  explicit StreamQueue(size_t limit = 100000) : limit_(limit) {}

  // Starts pumping into `sink` (once). What was pushed before is written first.
  void Attach(Sink* sink) {
    absl::MutexLock lock(&mu_);
    sink_ = sink;
    Pump();
  }

  // The sink is going away: no call reaches it after this returns.
  void Detach() {
    absl::MutexLock lock(&mu_);
    sink_ = nullptr;
    mu_.Await(absl::Condition(
        +[](int* calls) { return *calls == 0; }, &calls_in_progress_));
  }

  void Push(T item) {
    absl::MutexLock lock(&mu_);
    if (closed_) return;
    if (items_.size() >= limit_) {
      items_.clear();
      closed_ = true;
      status_ = grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                             "the stream fell too far behind; reconnect");
      if (writing_ && sink_ != nullptr && !cut_) {
        cut_ = true;
        Call([](Sink* sink, StreamQueue*) { sink->Cut(); });
      }
      Pump();
      return;
    }
    items_.push_back(std::move(item));
    Pump();
  }

  // Ends the stream once the items already queued are written. Later closes change nothing.
  void Close(grpc::Status status = grpc::Status::OK) {
    absl::MutexLock lock(&mu_);
    if (closed_) return;
    closed_ = true;
    status_ = std::move(status);
    Pump();
  }

  // The sink's write completed (`ok`: it was sent). A failed write ends the stream.
  void Written(bool ok) {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    in_flight_.reset();
    if (!ok && !closed_) {
      closed_ = true;
      status_ = grpc::Status(grpc::StatusCode::CANCELLED, "the stream broke");
    }
    if (!ok) items_.clear();
    Pump();
  }

  bool closed() const {
    absl::MutexLock lock(&mu_);
    return closed_;
  }
  // Closed, drained and ended (the sink was told to End).
  bool ended() const {
    absl::MutexLock lock(&mu_);
    return ended_;
  }
  grpc::Status status() const {
    absl::MutexLock lock(&mu_);
    return status_;
  }
  size_t size() const {
    absl::MutexLock lock(&mu_);
    return items_.size();
  }

 private:
  // Starts the next write, or the end, if the sink is idle.
  void Pump() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (sink_ == nullptr || writing_ || ended_) return;
    if (!items_.empty()) {
      writing_ = true;
      in_flight_.emplace(std::move(items_.front()));
      items_.pop_front();
      Call([](Sink* sink, StreamQueue* q) { sink->Write(*q->in_flight_); });
    } else if (closed_) {
      ended_ = true;
      grpc::Status status = status_;
      Call([status](Sink* sink, StreamQueue*) { sink->End(status); });
    }
  }

  // Runs `fn` on the sink outside the lock; Detach waits for it. in_flight_ is not touched
  // while writing_ is set, so Write may read it unlocked.
  template <typename Fn>
  void Call(Fn fn) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Sink* sink = sink_;
    ++calls_in_progress_;
    mu_.Unlock();
    fn(sink, this);
    mu_.Lock();
    --calls_in_progress_;
  }

  const size_t limit_;
  mutable absl::Mutex mu_;
  std::deque<T> items_ ABSL_GUARDED_BY(mu_);
  std::optional<T> in_flight_;  // set with writing_, under mu_
  Sink* sink_ ABSL_GUARDED_BY(mu_) = nullptr;
  int calls_in_progress_ ABSL_GUARDED_BY(mu_) = 0;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  bool cut_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dcos::master
