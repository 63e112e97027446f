#pragma once

// EventQueue: a client's event thread. Runs tasks (watch callbacks, session state callbacks)
// one at a time, in the order they were pushed, and records for each member the number of the
// last stream event whose task has run -- what a read reply waits for (ZooKeeper's guarantee
// that a client sees a watch event before the data that changed).
//
// Lifetime: the thread starts in the constructor; Stop (or the destructor) joins it.
// Thread-safe; tasks run without the queue's lock held, so they may push more tasks.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace dcos::zk::client {

class EventQueue {
 public:
  EventQueue();
  ~EventQueue();

  EventQueue(const EventQueue&) = delete;
  EventQueue& operator=(const EventQueue&) = delete;

  // Queues `task`. A task for event `sequence` of member `member`'s stream marks that event as
  // delivered once it has run; sequence 0 is a task that is no stream event. After Stop,
  // tasks are dropped.
  void Push(std::function<void()> task, size_t member = 0, uint64_t sequence = 0);

  // Waits until the task of event `sequence` of `member` has run (the numbers are increasing
  // per member), or `give_up()` turns true (checked whenever the queue changes or Wake is
  // called), or `deadline` passes. Returns true if the event was delivered. Must not be called
  // on the event thread (the task it waits for could only run after the caller returns).
  bool AwaitDelivered(size_t member, uint64_t sequence, absl::Time deadline,
                      const std::function<bool()>& give_up);

  // Re-evaluates the give_up conditions of waiting AwaitDelivered calls.
  void Wake();

  // True on the event thread (inside a task).
  bool OnEventThread() const;
  // True once Stop has begun.
  bool stopping() const;

  // Runs the tasks already queued (drain = true) or drops them, then joins the thread.
  // Idempotent. Must not be called on the event thread.
  void Stop(bool drain);

 private:
  struct Task {
    std::function<void()> run;
    size_t member;
    uint64_t sequence;
  };

  void Run();

  mutable absl::Mutex mu_;
  std::deque<Task> tasks_ ABSL_GUARDED_BY(mu_);
  std::map<size_t, uint64_t> delivered_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool drain_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t wakes_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
  std::thread::id thread_id_;
};

}  // namespace dcos::zk::client
