#include "tools/dcos/zk_watch.h"

#include <deque>
#include <memory>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "libs/zk/errors.h"

namespace dcos::cli {
namespace {

using zk::client::SessionState;
using zk::client::WatchEvent;
using zk::client::ZkClient;

// What the client's event thread hands to the command's thread.
class Inbox {
 public:
  void Put(WatchEvent e) {
    absl::MutexLock lock(&mu_);
    events_.push_back(std::move(e));
  }
  void Put(SessionState s) {
    absl::MutexLock lock(&mu_);
    states_.push_back(s);
  }
  // Waits up to `d` for something; returns what arrived (either may be empty).
  void Take(absl::Duration d, std::deque<WatchEvent>* events, std::deque<SessionState>* states) {
    absl::MutexLock lock(&mu_);
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !events_.empty() || !states_.empty();
    };
    mu_.AwaitWithTimeout(absl::Condition(&ready), d);
    events->swap(events_);
    states->swap(states_);
    events_.clear();
    states_.clear();
  }

 private:
  absl::Mutex mu_;
  std::deque<WatchEvent> events_ ABSL_GUARDED_BY(mu_);
  std::deque<SessionState> states_ ABSL_GUARDED_BY(mu_);
};

class Watch {
 public:
  Watch(const Context& ctx, ZkClient& zk, std::string path, bool children)
      : ctx_(ctx), zk_(zk), path_(std::move(path)), children_(children) {}

  int Run() {
    // The client's callbacks hold the inbox, not this object: one may still run after Run.
    std::shared_ptr<Inbox> inbox = inbox_;
    uint64_t listener = zk_.AddSessionListener([inbox](SessionState s) { inbox->Put(s); });
    int code = Loop();
    zk_.RemoveSessionListener(listener);
    return code;
  }

 private:
  int Loop() {
    if (!Arm()) return kExitError;
    while (ctx_.interrupt == nullptr || !ctx_.interrupt->requested.load()) {
      std::deque<WatchEvent> events;
      std::deque<SessionState> states;
      inbox_->Take(absl::Milliseconds(100), &events, &states);
      for (SessionState s : states) {
        *ctx_.err << "dcos zk watch: session " << zk::client::SessionStateName(s) << std::endl;
      }
      for (const WatchEvent& e : events) {
        if (e.type == WatchEvent::Type::kSessionExpired) {
          return Fail(zk_.Usable());
        }
        *ctx_.out << zk::client::WatchEventTypeName(e.type) << " " << e.path << std::endl;
        if (!Arm()) return kExitError;
      }
    }
    return kExitOk;
  }

  // Reads the node with a watch and prints its state; false (after printing the error) if
  // the read failed.
  bool Arm() {
    std::shared_ptr<Inbox> inbox = inbox_;
    auto watcher = [inbox](const WatchEvent& e) { inbox->Put(e); };
    if (children_) {
      auto names = zk_.GetChildrenAndWatch(path_, watcher);
      if (names.ok()) {
        *ctx_.out << "children: [" << absl::StrJoin(*names, ", ") << "]" << std::endl;
        return true;
      }
      if (zk::client::ErrorCodeOf(names.status()) != zk::v1::ERROR_CODE_NO_NODE) {
        return Failed(names.status());
      }
    }
    // Data, or a missing node: an exists watch fires on creation, change and deletion.
    auto stat = zk_.ExistsAndWatch(path_, watcher);
    if (!stat.ok()) return Failed(stat.status());
    if (!stat->has_value()) {
      *ctx_.out << "no node" << std::endl;
      return true;
    }
    if (children_) return Arm();  // created between the two reads
    auto data = zk_.GetData(path_);
    if (zk::client::ErrorCodeOf(data.status()) == zk::v1::ERROR_CODE_NO_NODE) {
      *ctx_.out << "no node" << std::endl;  // deleted just now: the watch reports it
      return true;
    }
    if (!data.ok()) return Failed(data.status());
    *ctx_.out << "data: " << data->first << std::endl;
    return true;
  }

  bool Failed(const absl::Status& status) {
    Fail(status);
    return false;
  }

  int Fail(const absl::Status& status) {
    std::string code = zk::client::ErrorCodeName(zk::client::ErrorCodeOf(status));
    *ctx_.err << "dcos zk watch: " << (absl::StartsWith(status.message(), code) ? "" : code + ": ")
              << status.message() << std::endl;
    return kExitError;
  }

  const Context& ctx_;
  ZkClient& zk_;
  const std::string path_;
  const bool children_;
  std::shared_ptr<Inbox> inbox_ = std::make_shared<Inbox>();
};

}  // namespace

int WatchZk(const Context& ctx, ZkClient& zk, const std::string& path, bool children) {
  if (ctx.interrupt != nullptr) ctx.interrupt->enabled.store(true);
  int code = Watch(ctx, zk, path, children).Run();
  if (ctx.interrupt != nullptr) ctx.interrupt->enabled.store(false);
  return code;
}

}  // namespace dcos::cli
