#include "libs/masters/zk_leader_source.h"

#include <algorithm>

#include "libs/log/log.h"
#include "libs/masters/master_address.h"
#include "libs/zk/client.h"
#include "libs/zk/recipes/leader_observer.h"

namespace dcos::masters {

std::unique_ptr<ZkLeaderSource> ZkLeaderSource::Start(ZkLeaderOptions options,
                                                      OnLeader on_leader) {
  std::unique_ptr<ZkLeaderSource> source(
      new ZkLeaderSource(std::move(options), std::move(on_leader)));
  source->thread_ = std::thread([s = source.get()] { s->Run(); });
  return source;
}

ZkLeaderSource::~ZkLeaderSource() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void ZkLeaderSource::Report(std::optional<common::v1::MasterInfo> leader) {
  std::string key = leader ? leader->SerializeAsString() : "-";
  {
    absl::MutexLock lock(&mu_);
    if (stop_ || key == reported_) return;
    reported_ = std::move(key);
  }
  on_leader_(std::move(leader));
}

void ZkLeaderSource::Run() {
  absl::Duration retry = absl::Milliseconds(100);
  bool warned = false;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stop_) return;
      expired_ = false;
    }
    zk::client::ZkClient::Options zo;
    zo.ensemble = options_.ensemble;
    zo.connect_timeout = options_.connect_timeout;
    zo.call_timeout = std::max(options_.connect_timeout, absl::Seconds(2));
    zo.retry_budget = options_.connect_timeout;
    zk::client::ZkClient::Options::Session session;
    session.timeout = options_.session_timeout;
    session.listener = [this](zk::client::SessionState state) {
      if (state != zk::client::SessionState::kExpired) return;
      absl::MutexLock lock(&mu_);
      expired_ = true;
    };
    zo.session = session;
    absl::StatusOr<std::unique_ptr<zk::client::ZkClient>> zk = zk::client::ZkClient::Connect(zo);
    std::unique_ptr<zk::recipes::LeaderObserver> observer;
    absl::Status error = zk.status();
    if (zk.ok()) {
      auto started = zk::recipes::LeaderObserver::Start(
          zk->get(), options_.election_path,
          [this](const std::optional<zk::recipes::LeaderInfo>& leader) {
            if (!leader.has_value()) return Report(std::nullopt);
            std::optional<common::v1::MasterInfo> info = ParseElectionData(leader->data);
            if (!info.has_value()) {
              log::Warn("the leading master's election data is not a MasterInfo")
                  .Field("node", leader->node);
            }
            Report(std::move(info));
          });
      error = started.status();
      if (started.ok()) observer = *std::move(started);
    }
    if (observer != nullptr) {
      following_.store(true);
      warned = false;
      retry = absl::Milliseconds(100);
      log::Info("following the masters' election in dcos-zk")
          .Field("path", options_.election_path);
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](ZkLeaderSource* s) { return s->stop_ || s->expired_; }, this));
    } else if (!warned) {
      // Once per outage; the static masters (if any) are used meanwhile.
      log::Warn("dcos-zk not reachable; retrying").Field("error", error);
      warned = true;
    }
    following_.store(false);
    observer.reset();
    if (zk.ok()) zk->reset();
    Report(std::nullopt);
    absl::MutexLock lock(&mu_);
    if (stop_) return;
    mu_.AwaitWithTimeout(absl::Condition(&stop_), retry);
    retry = std::min(retry * 2, options_.max_retry);
  }
}

}  // namespace dcos::masters
