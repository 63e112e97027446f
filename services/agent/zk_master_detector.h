#pragma once

// ZkMasterDetector: the leading master as dcos-zk's election names it (--agent.zk, Mesos's
// ZooKeeperMasterDetector). The following itself (session, LeaderObserver, reconnects with
// backoff, a new session after expiry) is libs/masters' ZkLeaderSource, shared with dcos-dns;
// this class turns its reports into addresses for the MasterLink and tells the link when the
// leader changes, so the agent moves to a new leader at once after a failover instead of
// waiting out its backoff on the dead one.
//
// While no leader is known (nobody elected, dcos-zk unreachable) Leader() answers "" and the
// link keeps waiting and retrying with its backoff.
//
// Thread-safety: every method from any thread. The change callback runs on the source's
// threads, under the detector's lock (see MasterDetector::SetOnChange).

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "libs/masters/zk_leader_source.h"
#include "services/agent/master_link.h"

namespace dcos::agent {

class ZkMasterDetector final : public MasterDetector {
 public:
  // Starts following at once; `options.ensemble` must not be empty.
  explicit ZkMasterDetector(masters::ZkLeaderOptions options);
  // Follows nothing: reports come only through OnReport (tests of the pure part).
  ZkMasterDetector() = default;
  // Stops following (may wait for one dcos-zk connection attempt).
  ~ZkMasterDetector() override;

  std::string Leader() override;
  void Redirect(const std::string& address) override;
  void SetOnChange(std::function<void(const std::string& leader)> on_change) override;

  // Feeds a report as the source would (the pure part, for tests).
  void OnReport(const std::optional<common::v1::MasterInfo>& leader);

 private:
  absl::Mutex mu_;
  std::string leader_ ABSL_GUARDED_BY(mu_);    // "" while unknown
  std::string redirect_ ABSL_GUARDED_BY(mu_);  // a standby's answer, tried once
  std::function<void(const std::string&)> on_change_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<masters::ZkLeaderSource> source_;  // last: stopped first
};

}  // namespace dcos::agent
