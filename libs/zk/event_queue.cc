#include "libs/zk/event_queue.h"

#include <cassert>
#include <utility>

namespace dcos::zk::client {

EventQueue::EventQueue() {
  absl::MutexLock lock(&mu_);
  thread_ = std::thread([this] { Run(); });
  thread_id_ = thread_.get_id();
}

EventQueue::~EventQueue() { Stop(/*drain=*/false); }

void EventQueue::Push(std::function<void()> task, size_t member, uint64_t sequence) {
  absl::MutexLock lock(&mu_);
  if (stopping_) return;
  tasks_.push_back(Task{std::move(task), member, sequence});
}

bool EventQueue::AwaitDelivered(size_t member, uint64_t sequence, absl::Time deadline,
                                const std::function<bool()>& give_up) {
  assert(!OnEventThread());
  absl::MutexLock lock(&mu_);
  auto delivered = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = delivered_.find(member);
    return it != delivered_.end() && it->second >= sequence;
  };
  while (!delivered() && !stopping_ && !give_up()) {
    uint64_t wakes = wakes_;
    auto changed = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return delivered() || stopping_ || wakes_ != wakes;
    };
    if (!mu_.AwaitWithDeadline(absl::Condition(&changed), deadline)) break;
  }
  return delivered();
}

void EventQueue::Wake() {
  absl::MutexLock lock(&mu_);
  ++wakes_;
}

bool EventQueue::OnEventThread() const { return std::this_thread::get_id() == thread_id_; }

bool EventQueue::stopping() const {
  absl::MutexLock lock(&mu_);
  return stopping_;
}

void EventQueue::Stop(bool drain) {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
    drain_ = drain;
    if (!drain) tasks_.clear();
  }
  if (thread_.joinable()) thread_.join();
}

void EventQueue::Run() {
  while (true) {
    Task task;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return !tasks_.empty() || stopping_;
      };
      mu_.Await(absl::Condition(&ready));
      if (tasks_.empty() || (stopping_ && !drain_)) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    if (task.run) task.run();
    if (task.sequence != 0) {
      absl::MutexLock lock(&mu_);
      uint64_t& delivered = delivered_[task.member];
      if (task.sequence > delivered) delivered = task.sequence;
    }
  }
}

}  // namespace dcos::zk::client
