#pragma once

// KvCluster: a test's handle on N dcos-raft-kv member processes on free loopback ports, each
// with its own data directory, that it can kill -9 and restart with the same flags and data.
// Plus a client for the members' Kv service.
//
// Thread-safety: Start / Kill / KillAll / the waits belong to the test's main thread; the
// client calls (Put, Get, Status, FindLeader) may be used from any thread at the same time
// (a client's stub is replaced under `mu_` on restart). Destruction SIGKILLs every process.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/testing/process.h"
#include "tests/raft/kv.grpc.pb.h"

namespace dcos::testing::raftkv {

class KvCluster {
 public:
  // `dir` holds the members' data directories and logs; `extra_flags` go to every member.
  KvCluster(std::string dir, int size, std::vector<std::string> extra_flags);
  ~KvCluster();

  int size() const { return static_cast<int>(members_.size()); }
  const std::string& address(int id) const { return members_[Index(id)].address; }

  // Starts member `id` (1-based), which must not be running. Errors: it cannot be executed.
  absl::Status Start(int id);
  // SIGKILL, then waits until it has exited.
  absl::Status Kill(int id);
  // SIGKILL to every running member first, then waits for each: as close to "at once" as
  // signals get (a whole-cluster power loss, minus the loss of the page cache).
  absl::Status KillAll();
  bool running(int id) const { return members_[Index(id)].process != nullptr; }

  // Waits until member `id`'s health is SERVING.
  absl::Status WaitServing(int id, absl::Duration timeout);
  // Waits until a running member says it is the leader; returns its id.
  absl::StatusOr<int> WaitLeader(absl::Duration timeout);
  // Waits until every running member has the same commit, last and applied index, applied
  // equals commit and one of them is leader: nothing is left in flight.
  absl::StatusOr<v1::StatusResponse> WaitConverged(absl::Duration timeout);

  // Client calls to member `id`, with a deadline of `timeout`.
  absl::StatusOr<v1::StatusResponse> Status(int id, absl::Duration timeout = absl::Seconds(2));
  absl::StatusOr<uint64_t> Put(int id, const std::string& key, const std::string& value,
                               absl::Duration timeout = absl::Seconds(7));
  absl::StatusOr<v1::GetResponse> Get(int id, const std::string& key, bool linearizable,
                                      absl::Duration timeout = absl::Seconds(7));
  // A running member that says it is the leader (the highest term if several do), or 0.
  int FindLeader();

 private:
  struct Member {
    int id = 0;
    std::string address;
    std::vector<std::string> flags;
    int runs = 0;
    std::unique_ptr<TestProcess> process;
  };

  size_t Index(int id) const { return static_cast<size_t>(id - 1); }
  std::shared_ptr<v1::Kv::Stub> Stub(int id);

  std::string dir_;
  std::vector<Member> members_;

  absl::Mutex mu_;
  // One per member; replaced on each Start so a restarted member is reached at once rather
  // than after the old channel's reconnect backoff.
  std::vector<std::shared_ptr<v1::Kv::Stub>> stubs_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dcos::testing::raftkv
