#pragma once

// ZkSession: the session of a ZkClient -- its Session stream, keep-alive, re-attachment,
// expiry, and the watches and event thread that go with it. Owned by ZkClient (which creates
// the session with CreateSession and routes the calls); not used on its own.
//
// Threads (all joined by Close):
// - the keeper: attaches the stream to a member (the client's current one), pings every
//   timeout/3, gives up on a member silent for 2/3 of the timeout and re-attaches on the next
//   one, presenting the session id and last_zxid_seen; re-checks the watches after every
//   attach (WatchRegistry); declares the session expired when the ensemble says so, or when no
//   member answered for the whole timeout (SessionTimer::Lost) -- then every later call of the
//   client answers SESSION_EXPIRED, and no new session is ever made silently.
// - a reader per stream: takes Attached, Pongs and WatchEvents off the stream.
// - the event thread (EventQueue): runs watch callbacks and session listeners, in order.
//
// Locking: mu_ guards the session state, the timer, the watch registry and the stream; it is
// never held across an RPC or a callback. Order: mu_, then EventQueue's lock, then ZkClient's
// routing lock (short, for routing updates only).

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/client_context.h>
#include <grpcpp/support/sync_stream.h>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/zk/event_queue.h"
#include "libs/zk/session_timer.h"
#include "libs/zk/watch.h"
#include "libs/zk/watch_registry.h"
#include "protos/zk/v1/zookeeper.grpc.pb.h"

namespace dcos::zk::client {

class ZkClient;

class ZkSession {
 public:
  // A session just created by `client` (CreateSession sent at `created`).
  ZkSession(ZkClient* client, int64_t id, std::string password, absl::Duration timeout,
            absl::Time created);
  ~ZkSession();

  ZkSession(const ZkSession&) = delete;
  ZkSession& operator=(const ZkSession&) = delete;

  // Starts the threads and waits up to `wait` for the first attach. Errors: UNAVAILABLE (no
  // member attached it in time), FAILED_PRECONDITION / SESSION_EXPIRED.
  absl::Status Start(absl::Duration wait);

  // Ends the session: stops the keeper, closes it on the ensemble (its ephemeral nodes go),
  // stops the event thread. With `notify`, listeners get kClosed after every earlier event;
  // without, queued events are dropped. Idempotent. Not on the event thread.
  absl::Status Close(bool notify);

  int64_t id() const { return id_; }
  const std::string& password() const { return password_; }
  absl::Duration timeout() const { return timeout_; }
  SessionState state() const;
  // Until when the session is surely alive on the ensemble (SessionTimer::alive_until).
  absl::Time alive_until() const;
  // OK while connected or disconnected; SESSION_EXPIRED (FAILED_PRECONDITION) once expired or
  // closed.
  absl::Status Usable() const;
  // A call answered SESSION_EXPIRED by the leader: the session is over.
  void ExpiredByAnswer(const absl::Status& status);

  // Runs `task` on the event thread (in order with the callbacks).
  void Post(std::function<void()> task) { events_.Push(std::move(task)); }
  bool OnEventThread() const { return events_.OnEventThread(); }

  uint64_t AddListener(SessionListener listener);
  void RemoveListener(uint64_t id);

  // What a read notes when it starts: where the session was attached.
  struct ReadStart {
    std::optional<size_t> member;  // nullopt: not attached
    uint64_t generation = 0;
  };
  ReadStart BeginRead() const;
  // The ordering fence: returns once the event thread has run every event of `member`'s
  // stream up to `sequence` (on the event thread: once they were received), or at once when
  // `member` is not the attached member of `start`, or the stream ended since.
  void Fence(size_t member, uint64_t sequence, const ReadStart& start);
  // A read that left a watch was answered by `member` from state `zxid`.
  void AddWatch(WatchKind kind, const std::string& path, size_t member, int64_t zxid,
                uint64_t sequence, const ReadStart& start, Watcher watcher);

  // Tests: stop pinging and re-attaching, as a client that froze would (the keeper still
  // declares the session lost when its timeout has passed).
  void SuspendForTesting(bool suspended);

 private:
  struct Stream;
  enum class AttachResult { kAttached, kFailed, kExpired };

  void Keep();
  AttachResult TryAttach(size_t member, absl::Status* error);
  void ReadStream(Stream* stream);
  void OnMessage(Stream* stream, const v1::SessionResponse& message);
  // Cancels and joins the stream; returns how it ended.
  grpc::Status Teardown(std::unique_ptr<Stream> stream);
  void Disconnected() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SetState(SessionState state) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Expire(const std::string& reason) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Deliver(std::vector<WatchRegistry::Fired> fired, size_t member = 0,
               uint64_t sequence = 0) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Re-checks stale watches on the attached member; false if a read failed.
  bool RecheckWatches();
  // Waits up to `d` (less if stopping); false when stopping.
  bool Pause(absl::Duration d);
  // How long the session is still surely alive (zero once it may have expired). Every wait
  // of the keeper is cut to it, so that it declares the session lost on time (at
  // alive_until) even while an attach to a member that swallows packets hangs.
  absl::Duration LeftToLive() const;
  absl::Duration LeftToLiveLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CloseOnEnsemble();
  absl::Time Now() const;

  ZkClient* const client_;
  const int64_t id_;
  const std::string password_;
  const absl::Duration timeout_;
  EventQueue events_;

  // Read without mu_ by the fence's give-up check (which runs under EventQueue's lock).
  std::atomic<uint64_t> generation_{0};  // +1 on every attach and detach
  std::atomic<bool> over_{false};        // expired or closed

  mutable absl::Mutex mu_;
  SessionState state_ ABSL_GUARDED_BY(mu_) = SessionState::kDisconnected;
  absl::Status over_status_ ABSL_GUARDED_BY(mu_);
  SessionTimer timer_ ABSL_GUARDED_BY(mu_);
  WatchRegistry watches_ ABSL_GUARDED_BY(mu_);
  std::map<uint64_t, SessionListener> listeners_ ABSL_GUARDED_BY(mu_);
  uint64_t next_listener_ ABSL_GUARDED_BY(mu_) = 1;
  std::unique_ptr<Stream> stream_ ABSL_GUARDED_BY(mu_);
  std::optional<size_t> attached_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool suspended_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_on_ensemble_ = false;  // Close's thread only
  std::thread keeper_;
};

}  // namespace dcos::zk::client
