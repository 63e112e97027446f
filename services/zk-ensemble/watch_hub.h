#pragma once

// WatchHub: this member's watches and the events waiting for each session's stream.
//
// Watches are registered by reads served here (GetData/Exists: data watch; GetChildren: child
// watch) and fired by every applied write, on the Raft loop, inside the state machine's
// critical section (ZkStateMachine calls Fire while it holds its write lock). Each session's
// events are numbered 1, 2, ...; a read answered here carries the session's current number
// (ResponseHeader.watch_sequence), taken under the state machine's read lock, so a client that
// holds a reply until it has seen every event up to that number sees ZooKeeper's order: the
// event before the data that changed.
//
// Thread-safe (one mutex). A stream learns of new events through its listener (Listen), which
// the hub calls after releasing its mutex (so a listener may call back into the hub), or
// polls with Wait.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "protos/zk/v1/session.pb.h"
#include "services/zk-ensemble/core/watches.h"

namespace dcos::zk {

class WatchHub {
 public:
  enum class Kind { kData, kChild };

  void Register(int64_t session_id, const std::string& path, Kind kind);
  // A persistent watch (AddWatch): fires on every change of the path (and, if `recursive`,
  // of every descendant) until removed.
  void RegisterPersistent(int64_t session_id, const std::string& path, bool recursive);
  // Removes the session's watches of `type` on `path`, queueing one *_WATCH_REMOVED event per
  // watch removed. NO_WATCHER when it had none.
  absl::Status Remove(int64_t session_id, const std::string& path, WatcherType type);
  // Queues events decided outside Fire (SetWatches' missed changes).
  void Queue(int64_t session_id, const std::vector<WatchEvent>& events);

  // A Session stream attached here; returns its generation. Detach with that generation
  // when the stream ends: unless a newer stream attached since, the session's watches and
  // undelivered events are dropped here (the client re-registers its watches wherever it
  // attaches next). The numbering continues (per session and member).
  uint64_t Attach(int64_t session_id);
  void Detach(int64_t session_id, uint64_t generation);

  // Fires the watches `changes` triggers and queues the events. Called with the state
  // machine's write lock held.
  void Fire(const Changes& changes);

  // Forgets a session (closed or expired): its watches and undelivered events.
  void RemoveSession(int64_t session_id);

  // The number of the last event queued for the session (0: none yet).
  uint64_t Sequence(int64_t session_id) const;

  // `wake` is called (from the thread that queued them, without the hub's mutex held, possibly
  // while the state machine's write lock is held: it must not block) whenever events are
  // queued for the session, until the stream of `generation` detaches. Replaces an earlier
  // listener of the session.
  void Listen(int64_t session_id, uint64_t generation, std::function<void()> wake);

  // Waits up to `timeout` (zero: does not wait) for events of the session after `delivered`
  // and returns them (numbered). Empty on timeout.
  std::vector<v1::WatchEvent> Wait(int64_t session_id, uint64_t delivered, absl::Duration timeout);

  size_t watch_count() const;

 private:
  void QueueLocked(int64_t session_id, const std::vector<WatchEvent>& events)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The listeners of the sessions given, to call once mu_ is released.
  std::vector<std::function<void()>> ListenersLocked(const std::vector<int64_t>& sessions) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static void Wake(const std::vector<std::function<void()>>& listeners);

  mutable absl::Mutex mu_;
  uint64_t next_generation_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<int64_t, uint64_t> generation_ ABSL_GUARDED_BY(mu_);
  WatchManager watches_ ABSL_GUARDED_BY(mu_);
  std::map<int64_t, uint64_t> sequence_ ABSL_GUARDED_BY(mu_);
  std::map<int64_t, std::deque<v1::WatchEvent>> queued_ ABSL_GUARDED_BY(mu_);
  struct Listener {
    uint64_t generation = 0;
    std::function<void()> wake;
  };
  std::map<int64_t, Listener> listeners_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dcos::zk
