#include "libs/zk/recipes/leader_observer.h"

#include "libs/zk/errors.h"
#include "libs/zk/recipes/event_thread.h"
#include "libs/zk/recipes/paths.h"
#include "libs/zk/recipes/sequential.h"

namespace dcos::zk::recipes {

using client::WatchEvent;

absl::StatusOr<std::unique_ptr<LeaderObserver>> LeaderObserver::Start(client::ZkClient* zk,
                                                                       std::string path,
                                                                       OnChange on_change) {
  if (!zk->has_session()) {
    return absl::FailedPreconditionError("a leader observer needs a client with a session");
  }
  std::unique_ptr<LeaderObserver> observer(
      new LeaderObserver(zk, std::move(path), std::move(on_change)));
  LeaderObserver* o = observer.get();
  absl::Status first = RunOnEventThread(*zk, o->gate_, [o] { return o->Refresh(); });
  if (!first.ok()) return first;
  return observer;
}

LeaderObserver::~LeaderObserver() { gate_.Close(); }

std::optional<LeaderInfo> LeaderObserver::leader() const {
  absl::MutexLock lock(&mu_);
  return leader_;
}

void LeaderObserver::Watch() {
  absl::Status refreshed = Refresh();
  (void)refreshed;  // on a client error the session is over or the next event retries
}

absl::Status LeaderObserver::Refresh() {
  // One pending watch of each kind at most: a fired one is re-armed by the read it causes.
  auto on_children = gate_.Wrap([this](const WatchEvent& e) {
    child_armed_ = false;
    if (e.type != WatchEvent::Type::kSessionExpired) Watch();
  });
  auto on_exists = gate_.Wrap([this](const WatchEvent& e) {
    exists_armed_ = false;
    if (e.type != WatchEvent::Type::kSessionExpired) Watch();
  });
  std::optional<LeaderInfo> now;
  for (int attempt = 0; attempt < 10; ++attempt) {
    auto children = child_armed_ ? zk_->GetChildren(path_)
                                 : zk_->GetChildrenAndWatch(path_, on_children);
    if (client::ErrorCodeOf(children.status()) == v1::ERROR_CODE_NO_NODE) {
      // No election directory yet: watch for it.
      auto exists = exists_armed_ ? zk_->Exists(path_) : zk_->ExistsAndWatch(path_, on_exists);
      if (!exists.ok()) return exists.status();
      exists_armed_ = true;
      if (exists->has_value()) continue;
      break;
    }
    if (children.ok()) child_armed_ = true;
    if (!children.ok()) return children.status();
    std::vector<std::string> ordered = QueueOrder(*children, kElectionNodePrefix);
    if (ordered.empty()) break;
    {
      absl::MutexLock lock(&mu_);
      if (reported_ && leader_ && leader_->node == ordered.front()) return absl::OkStatus();
    }
    auto data = zk_->GetData(JoinPath(path_, ordered.front()));
    // Gone between the reads: its deletion fires the child watch just left; wait for it.
    if (client::ErrorCodeOf(data.status()) == v1::ERROR_CODE_NO_NODE) return absl::OkStatus();
    if (!data.ok()) return data.status();
    now = LeaderInfo{ordered.front(), std::move(data->first), data->second.czxid(),
                     data->second.ephemeral_owner()};
    break;
  }
  {
    absl::MutexLock lock(&mu_);
    if (reported_ && leader_ == now) return absl::OkStatus();
    leader_ = now;
  }
  reported_ = true;
  if (on_change_) gate_.Run([&] { on_change_(now); });
  return absl::OkStatus();
}

}  // namespace dcos::zk::recipes
