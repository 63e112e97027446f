#pragma once

// Recorder: collects what a ZkClient reports on its event thread -- session states and watch
// events -- for multi-process tests to wait on. Thread-safe.

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/testing/harness.h"
#include "libs/zk/watch.h"

namespace dcos::testing {

class Recorder {
 public:
  zk::client::SessionListener Listener() {
    return [this](zk::client::SessionState s) {
      absl::MutexLock lock(&mu_);
      states_.push_back(s);
    };
  }
  // A watcher that records "<name> <EventType> <path>".
  zk::client::Watcher Watch(const std::string& name) {
    return [this, name](const zk::client::WatchEvent& e) {
      absl::MutexLock lock(&mu_);
      events_.push_back(absl::StrCat(name, " ", zk::client::WatchEventTypeName(e.type), " ",
                                     e.path));
    };
  }
  std::vector<zk::client::SessionState> states() const {
    absl::MutexLock lock(&mu_);
    return states_;
  }
  std::vector<std::string> events() const {
    absl::MutexLock lock(&mu_);
    return events_;
  }
  size_t Count(zk::client::SessionState s) const {
    absl::MutexLock lock(&mu_);
    size_t n = 0;
    for (auto x : states_) n += x == s;
    return n;
  }
  bool HasEvent(const std::string& e) const {
    absl::MutexLock lock(&mu_);
    for (const std::string& x : events_) {
      if (x == e) return true;
    }
    return false;
  }
  absl::Status WaitEvent(const std::string& e, absl::Duration timeout) const {
    return WaitFor([&] { return HasEvent(e); }, timeout, "watch event \"" + e + "\"");
  }
  absl::Status WaitStateCount(zk::client::SessionState s, size_t n, absl::Duration timeout) const {
    return WaitFor([&] { return Count(s) >= n; }, timeout,
                   absl::StrCat(n, " x session state ", zk::client::SessionStateName(s)));
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<zk::client::SessionState> states_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> events_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dcos::testing
