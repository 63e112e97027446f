#pragma once

// Leader election over dcos-zk (ZooKeeper's recipe, as Curator's LeaderLatch does it).
//
// Each contender creates an ephemeral sequential node under the election directory with its
// data (an address, an id); the lowest sequence leads. Every other contender watches only the
// node just before its own, so the leader going wakes one contender, not all. Anyone can read
// who leads and the leader's data (Leader), or follow it (LeaderObserver).
//
//   LeaderElection::Options o;
//   o.path = "/mesos/leader";
//   o.data = "127.0.2.1:5050";
//   o.on_leadership = [&](bool leading) { ... };
//   DCOS_ASSIGN_OR_RETURN(auto election, LeaderElection::Join(zk.get(), o));
//
// Losing leadership. The leader hears on_leadership(false) when it resigns, when its session
// expires or is closed, and when the client could not reach the ensemble for a whole session
// timeout (the client then reports the session expired: by then the ensemble may have expired
// it and elected another). leading() is also false from the moment the session is no longer
// surely alive (ZkClient::session_alive_until), which is never later than the ensemble could
// expire it; a leader that checks leading() before acting never overlaps its successor, as
// long as the clocks run at the same rate and a member that answers pings reaches the leader
// (see libs/zk/README.md; where that matters, fence writes with a lock's token). Once its
// session is over an election is done: make a new client and join again.
//
// Thread-safety: all methods may be called from any thread. on_leadership runs on the
// client's event thread (in order), and must not block for long; it may call leading(),
// node() and Resign(). The election must be destroyed before its client.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "libs/zk/client.h"
#include "libs/zk/recipes/callback_gate.h"
#include "libs/zk/recipes/contender.h"

namespace dcos::zk::recipes {

// Who leads an election.
struct LeaderInfo {
  std::string node;      // the leader's node name under the election directory
  std::string data;      // what it joined with
  int64_t czxid = 0;     // when its node was created
  int64_t session_id = 0;  // its session (the node's ephemeral owner)

  bool operator==(const LeaderInfo&) const = default;
};

// The name prefix of election nodes.
inline constexpr char kElectionNodePrefix[] = "n_";

class LeaderElection {
 public:
  struct Options {
    // The election directory; created (with its parents) if missing.
    std::string path;
    // This contender's data, as Leader() reports it.
    std::string data;
    // Called when this contender starts or stops leading. May be empty.
    std::function<void(bool leading)> on_leadership;
    // Seeds the node's random tag; unset: random.
    std::optional<uint64_t> seed;
  };

  // Enters the election and returns; leadership is reported through on_leadership. Needs a
  // client with a session. Errors: FAILED_PRECONDITION without a session, SESSION_EXPIRED,
  // the client's errors creating the node.
  static absl::StatusOr<std::unique_ptr<LeaderElection>> Join(client::ZkClient* zk,
                                                              Options options);

  // Resigns (without calling on_leadership).
  ~LeaderElection();

  // Leading now: first in the queue, and the session surely alive.
  bool leading() const;
  // This contender's node path.
  std::string node() const { return contender_.path(); }

  // Leaves the election: deletes this contender's node, so the next one leads. Calls
  // on_leadership(false) on this thread if it was leading. Idempotent.
  absl::Status Resign();

  // Who leads the election at `path` now; nullopt if nobody (or no such directory).
  static absl::StatusOr<std::optional<LeaderInfo>> Leader(client::ZkClient& zk,
                                                          const std::string& path,
                                                          bool linearizable = false);

 private:
  LeaderElection(client::ZkClient* zk, Options options, Contender contender);

  // On the event thread: where do we stand; lead, or watch the predecessor.
  void Evaluate();
  void OnSession(client::SessionState state);
  void SetLeading(bool leading);
  void Over();

  client::ZkClient* const zk_;
  const Options options_;
  const Contender contender_;
  CallbackGate gate_;
  uint64_t listener_ = 0;

  mutable absl::Mutex mu_;
  bool leading_ ABSL_GUARDED_BY(mu_) = false;
  bool over_ ABSL_GUARDED_BY(mu_) = false;
  // The predecessor a live watch is on (event thread only).
  std::optional<std::string> watching_;
};

}  // namespace dcos::zk::recipes
