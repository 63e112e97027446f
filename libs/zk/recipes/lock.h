#pragma once

// DistributedLock: a mutual-exclusion lock over dcos-zk (ZooKeeper's lock recipe) that hands
// out a fencing token.
//
// Acquire creates an ephemeral sequential node under the lock directory; the lowest node holds
// the lock, every other waits on the node just before its own. The fencing token is the zxid
// of the holder's node creation: it grows with every new holder (nodes are numbered in commit
// order), so a resource that remembers the highest token it has seen can refuse a late write
// from a former holder whose session expired while it was paused (Kleppmann's fencing).
//
//   DistributedLock lock(zk.get(), "/marathon/locks/app-x");
//   DCOS_ASSIGN_OR_RETURN(int64_t token, lock.Acquire(absl::Seconds(10)));
//   ... write with `token` ...
//   lock.Release();
//
// Thread-safety: Acquire/Release from one thread at a time, never from a client callback
// (Acquire waits for one). held() from any thread. Destroy before the client.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/zk/client.h"
#include "libs/zk/recipes/contender.h"

namespace dcos::zk::recipes {

// The name prefix of lock nodes.
inline constexpr char kLockNodePrefix[] = "lock_";

class DistributedLock {
 public:
  // `seed` seeds the node's random tag (unset: random).
  DistributedLock(client::ZkClient* zk, std::string path, std::optional<uint64_t> seed = {});
  // Releases the lock if held.
  ~DistributedLock();

  DistributedLock(const DistributedLock&) = delete;
  DistributedLock& operator=(const DistributedLock&) = delete;

  // Waits up to `timeout` for the lock; returns the fencing token. Errors: DEADLINE_EXCEEDED
  // (not acquired; the waiting node is removed), FAILED_PRECONDITION (already held, no
  // session, or called from a client callback), SESSION_EXPIRED, the client's errors.
  absl::StatusOr<int64_t> Acquire(absl::Duration timeout);

  // Releases the lock (deletes the node). OK if not held.
  absl::Status Release();

  // Held now: acquired, not released, and the session surely alive.
  bool held() const;
  // The token of the current hold.
  std::optional<int64_t> fencing_token() const;

 private:
  client::ZkClient* const zk_;
  const std::string path_;
  const std::optional<uint64_t> seed_;

  mutable absl::Mutex mu_;
  std::optional<Contender> holder_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dcos::zk::recipes
