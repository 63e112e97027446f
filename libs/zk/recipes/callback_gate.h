#pragma once

// CallbackGate: keeps a recipe's callbacks (watchers and session listeners, which the client
// may call at any time on its event thread) from running after the recipe is gone.
//
//   gate_.Wrap([this](const WatchEvent& e) { OnEvent(e); })   // safe to hand to the client
//   ~Recipe() { gate_.Close(); ... }                           // no OnEvent after this
//
// Close marks the gate closed and waits until no wrapped callback is running, except one on
// the calling thread (a callback may close its own recipe's gate). Wrapped callbacks that
// start after Close do nothing. Thread-safe; copies of the wrapped callbacks share the gate.

#include <map>
#include <memory>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace dcos::zk::recipes {

class CallbackGate {
 public:
  CallbackGate() : state_(std::make_shared<State>()) {}
  CallbackGate(const CallbackGate&) = delete;
  CallbackGate& operator=(const CallbackGate&) = delete;

  // A callable that runs fn(args...) while the gate is open, and nothing after.
  template <typename Fn>
  auto Wrap(Fn fn) const {
    return [state = state_, fn = std::move(fn)](auto&&... args) {
      if (!state->Enter()) return;
      fn(std::forward<decltype(args)>(args)...);
      state->Exit();
    };
  }

  // Runs fn() now if the gate is open (as a wrapped callback would); false if closed.
  template <typename Fn>
  bool Run(Fn&& fn) const {
    if (!state_->Enter()) return false;
    fn();
    state_->Exit();
    return true;
  }

  void Close() { state_->Close(); }
  bool closed() const { return state_->closed(); }

 private:
  class State {
   public:
    bool Enter();
    void Exit();
    void Close();
    bool closed() const;

   private:
    mutable absl::Mutex mu_;
    bool closed_ ABSL_GUARDED_BY(mu_) = false;
    std::map<std::thread::id, int> running_ ABSL_GUARDED_BY(mu_);
  };

  std::shared_ptr<State> state_;
};

}  // namespace dcos::zk::recipes
