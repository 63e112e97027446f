#pragma once

// ZkLeaderSource: who leads the masters, according to dcos-zk (Mesos's ZooKeeperMasterDetector,
// and Mesos-DNS's `zk` detection without its flaw of exiting when dcos-zk is slow or one member
// is down). dcos-agent and dcos-dns both follow the masters with it. A thread of its own
// connects a dcos-zk client with a session, follows the election directory with the
// LeaderObserver recipe (each node's data is the leading master's MasterInfo as JSON), and
// reports every change. If dcos-zk cannot be reached it keeps trying (backoff up to
// `max_retry`); if the session expires it starts over with a new one. While it knows nothing
// (not connected, nobody leads, unreadable data) it reports nullopt: dcos-dns then falls back
// to its static masters, the agent waits.
//
// Lifetime: Start() returns at once; the destructor stops the thread (it may wait for one
// connection attempt, about `connect_timeout`). `on_leader` runs on dcos-zk's event thread or
// the source's own thread, never after the destructor returned; it must not block.

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "protos/common/v1/master_info.pb.h"

namespace dcos::masters {

struct ZkLeaderOptions {
  // dcos-zk members, "host:port". At least one.
  std::vector<std::string> ensemble;
  // The masters' election directory, e.g. "/mesos/leader".
  std::string election_path = "/mesos/leader";
  absl::Duration session_timeout = absl::Seconds(10);
  // Time allowed to one connection attempt (per member, and overall).
  absl::Duration connect_timeout = absl::Seconds(1);
  // Waits between attempts: from 100 ms doubling to this.
  absl::Duration max_retry = absl::Seconds(5);
};

class ZkLeaderSource {
 public:
  using OnLeader = std::function<void(std::optional<common::v1::MasterInfo> leader)>;

  static std::unique_ptr<ZkLeaderSource> Start(ZkLeaderOptions options, OnLeader on_leader);
  ~ZkLeaderSource();

  // True while a session is attached and the leader is being followed.
  bool following() const { return following_.load(); }

 private:
  ZkLeaderSource(ZkLeaderOptions options, OnLeader on_leader)
      : options_(std::move(options)), on_leader_(std::move(on_leader)) {}
  void Run();
  // Reports `leader` unless it equals the last report.
  void Report(std::optional<common::v1::MasterInfo> leader);

  const ZkLeaderOptions options_;
  const OnLeader on_leader_;
  std::thread thread_;
  std::atomic<bool> following_{false};

  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool expired_ ABSL_GUARDED_BY(mu_) = false;
  // The last report ("" before the first; the serialized MasterInfo, or "-" for nullopt).
  std::string reported_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dcos::masters
