#include "libs/zk/recipes/callback_gate.h"

namespace dcos::zk::recipes {

bool CallbackGate::State::Enter() {
  absl::MutexLock lock(&mu_);
  if (closed_) return false;
  ++running_[std::this_thread::get_id()];
  return true;
}

void CallbackGate::State::Exit() {
  absl::MutexLock lock(&mu_);
  auto it = running_.find(std::this_thread::get_id());
  if (--it->second == 0) running_.erase(it);
}

void CallbackGate::State::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
  const std::thread::id self = std::this_thread::get_id();
  auto only_self = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return running_.empty() || (running_.size() == 1 && running_.begin()->first == self);
  };
  mu_.Await(absl::Condition(&only_self));
}

bool CallbackGate::State::closed() const {
  absl::MutexLock lock(&mu_);
  return closed_;
}

}  // namespace dcos::zk::recipes
