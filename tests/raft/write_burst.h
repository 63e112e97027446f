#pragma once

// WriteBurst: `writers` client threads putting keys k<i> (value v<i>) to whichever member is
// the leader, for as long as it runs; writer w of n takes i = first + w, first + w + n, ... A Put that fails with UNAVAILABLE,
// DEADLINE_EXCEEDED or ABORTED is retried with the same key and value (idempotent) on the
// leader named in the error or found by asking every member; the burst moves to the next key
// only once the Put returned OK (acknowledged). Any other error ends the burst (error()).
//
// Thread-safety: Start / Stop from the test's thread; the accessors from any thread.

#include <atomic>
#include <cstdint>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "tests/raft/kv_cluster.h"

namespace dcos::testing::raftkv {

std::string KeyOf(uint64_t i);
std::string ValueOf(uint64_t i);

// What a burst did: the keys it tried and which of them were acknowledged.
struct Ledger {
  uint64_t end = 0;            // one past the highest key number tried
  std::set<uint64_t> tried;    // key numbers of every Put sent (acknowledged or not)
  std::set<uint64_t> acked;    // key numbers whose Put returned OK
  uint64_t retries = 0;        // Put attempts that failed and were retried
};

class WriteBurst {
 public:
  WriteBurst(KvCluster* cluster, uint64_t first_key, int writers);
  ~WriteBurst();  // Stop()

  void Start();
  // Ends the threads after the Puts in progress (bounded by their deadline) and joins them.
  void Stop();

  uint64_t acked_count() const { return acked_count_.load(); }
  Ledger ledger() const;
  // Empty unless an unexpected error ended a writer.
  std::string error() const;

 private:
  void Run(uint64_t first, uint64_t step);
  // Finds a member that says it is the leader; false if stopped first (or none for 20 s).
  bool FindLeader(int* target);

  KvCluster* const cluster_;
  const uint64_t first_key_;
  const int writers_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> acked_count_{0};
  std::vector<std::thread> threads_;

  mutable absl::Mutex mu_;
  Ledger ledger_ ABSL_GUARDED_BY(mu_);
  std::string error_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dcos::testing::raftkv
