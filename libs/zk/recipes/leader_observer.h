#pragma once

// LeaderObserver: follows who leads an election (LeaderElection's directory) -- for the
// processes that must find the leader (Mesos' LeaderDetector): agents and frameworks find the
// master this way.
//
// Watches the election directory's children (and the directory's creation if it does not
// exist yet); when the first node changes, reads its data and calls on_change. Needs a client
// with a session. After the session expires it stops following (on_change is not called
// again); make a new client.
//
// Thread-safety: leader() from any thread; on_change runs on the client's event thread. The
// observer must be destroyed before its client.

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "libs/zk/client.h"
#include "libs/zk/recipes/callback_gate.h"
#include "libs/zk/recipes/leader_election.h"

namespace dcos::zk::recipes {

class LeaderObserver {
 public:
  using OnChange = std::function<void(const std::optional<LeaderInfo>& leader)>;

  // Reads who leads now (on_change is called with it, also when nobody does) and follows.
  // Errors: FAILED_PRECONDITION without a session, the client's read errors.
  static absl::StatusOr<std::unique_ptr<LeaderObserver>> Start(client::ZkClient* zk,
                                                               std::string path,
                                                               OnChange on_change);
  ~LeaderObserver();

  // The leader as last seen; nullopt: nobody leads.
  std::optional<LeaderInfo> leader() const;

 private:
  LeaderObserver(client::ZkClient* zk, std::string path, OnChange on_change)
      : zk_(zk), path_(std::move(path)), on_change_(std::move(on_change)) {}

  // Reads the children (leaving a watch) and, if the first changed, its data. Returns the
  // client's error, if any.
  absl::Status Refresh();
  void Watch();

  client::ZkClient* const zk_;
  const std::string path_;
  const OnChange on_change_;
  CallbackGate gate_;
  // Event thread only: on_change called at least once; a child / exists watch is pending.
  bool reported_ = false;
  bool child_armed_ = false;
  bool exists_armed_ = false;

  mutable absl::Mutex mu_;
  std::optional<LeaderInfo> leader_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dcos::zk::recipes
