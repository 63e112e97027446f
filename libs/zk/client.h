#pragma once

// ZkClient: the client of a dcos-zk ensemble (dcos.zk.v1.ZooKeeper over gRPC).
//
//   ZkClient::Options options;
//   options.ensemble = {"127.0.1.1:2181", "127.0.1.2:2181", "127.0.1.3:2181"};
//   DCOS_ASSIGN_OR_RETURN(std::unique_ptr<ZkClient> zk, ZkClient::Connect(options));
//   DCOS_ASSIGN_OR_RETURN(std::string path, zk->Create("/app", "v1"));
//   DCOS_ASSIGN_OR_RETURN(auto data_and_stat, zk->GetData("/app"));
//
// Routing. The client keeps one gRPC channel per member. Reads go to the member it is
// connected to (chosen at random, or by Options::seed, at Connect; the next one when it fails).
// Writes go to the leader: learned from the redirect a follower answers ("not the leader:
// leader is member N at HOST:PORT", or the LeaderInfo detail), and from every write that
// succeeds. A redirect naming an address not in the list adds it.
//
// Retries (see retry.h for the rules and why). UNAVAILABLE from a member that refused (a
// redirect, no leader known) or a member that cannot be reached is retried -- at once on a
// named leader, otherwise on the next member after a short backoff (Options::initial_backoff,
// doubling up to max_backoff) -- as long as the retry budget lasts. Reads are also retried
// after a per-call timeout. A write whose outcome is unknown is never retried: a write that hit
// its deadline is returned as DEADLINE_EXCEEDED, one whose connection broke after it was sent
// as UNAVAILABLE with a message starting "CONNECTION_LOSS" and saying the outcome is unknown.
// Every other failure of a write means it was not applied. (A write may be a create, which is
// not idempotent: repeating one that did commit would create a second sequential node or
// report NODE_EXISTS for our own node. Only the caller knows how to find out what happened.)
//
// Consistency. Writes are linearizable. Reads are served from the answering member's state
// (ZooKeeper's sequential consistency) or, with linearizable=true, after it confirmed with the
// leader. The client remembers the highest zxid it has seen (last_zxid_seen) and never
// returns a local read from a state older than that: if a member answers from an older state
// (a lagging follower after a failover, or before it applied this client's own write), the
// read is repeated as a linearizable one. So one client reads its own writes and never goes
// back in time.
//
// Errors. absl::Status with the canonical codes of protos/zk/v1/errors.proto; ErrorCodeOf()
// (errors.h) gives the ZooKeeper code (NO_NODE, BAD_VERSION, ...).
//
// Sessions (Options::session). Connect then creates a session with the requested timeout
// (session_timeout() is the one the ensemble granted) and keeps it alive on a Session stream
// attached to the member reads go to, pinging every third of the timeout. When that member
// dies or goes silent for 2/3 of the timeout, the session re-attaches on another member,
// presenting its id and last_zxid_seen; listeners hear kDisconnected, then kConnected. If it
// cannot re-attach within the timeout, or the ensemble says the session expired, listeners
// hear kExpired and every later call answers FAILED_PRECONDITION / SESSION_EXPIRED: a client
// never makes a new session silently (make a new ZkClient). Ephemeral nodes need a session.
// Destroying the client closes the session. See session.h.
//
// Watches (GetDataAndWatch / ExistsAndWatch / GetChildrenAndWatch; need a session) are one-shot, as in
// ZooKeeper. Callbacks run on the client's event thread, one at a time, in the order of the
// events. A read reply is returned only after the events the member had sent before it were
// delivered (the reply's watch_sequence), so a watcher sees the event before its caller sees
// the data that changed. After the session re-attaches elsewhere, every watch is re-checked
// there: it fires if its node changed meanwhile, else it is left again on the new member.
// When the session expires, every pending watch fires kSessionExpired.
//
// Thread-safety: every method may be called from any thread, concurrently; calls do not block
// each other (a mutex guards only the routing state, never held across an RPC).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <grpcpp/channel.h>
#include <grpcpp/security/credentials.h>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/clock/clock.h"
#include "libs/zk/member_router.h"
#include "libs/zk/retry.h"
#include "libs/zk/session.h"
#include "libs/zk/watch.h"
#include "protos/zk/v1/zookeeper.grpc.pb.h"

namespace dcos::zk::client {

class ZkClient {
 public:
  struct Options {
    // "host:port" of the members (some or all); at least one. Required.
    std::vector<std::string> ensemble;
    // Channel credentials; nullptr means insecure (plaintext).
    std::shared_ptr<grpc::ChannelCredentials> credentials;
    // Deadline of each attempt of a call. Must be > 0.
    absl::Duration call_timeout = absl::Seconds(5);
    // Retries (of errors that allow one) start only within this time after the call began;
    // an attempt started within it may run call_timeout more. Must be >= 0 (0: no retries).
    absl::Duration retry_budget = absl::Seconds(10);
    // How long an attempt waits for a member's connection to come up before trying the next.
    absl::Duration connect_timeout = absl::Seconds(1);
    // Backoff between retries on another member: starts here, doubles, at most max_backoff.
    absl::Duration initial_backoff = absl::Milliseconds(20);
    absl::Duration max_backoff = absl::Milliseconds(200);
    // Picks the member connected to first (ensemble[seed % size]); unset: random.
    std::optional<uint64_t> seed;
    // Time source for the retry budget; nullptr: the real clock. Not owned; must outlive the
    // client.
    clock::Clock* clock = nullptr;
    // Waits between retries; unset: absl::SleepFor.
    std::function<void(absl::Duration)> sleep;

    struct Session {
      // Requested timeout; the ensemble clamps it to its bounds. Must be > 0.
      absl::Duration timeout = absl::Seconds(10);
      // Hears every state change (first kConnected, from within Connect), on the event
      // thread. May be empty.
      SessionListener listener;
    };
    // Unset: no session (no ephemeral nodes, no watches). The session's timing reads `clock`,
    // which must then move with real time.
    std::optional<Session> session;
  };

  // Validates the options and connects to a member (trying each in turn within the retry
  // budget); with Options::session, creates the session and attaches it. Errors:
  // INVALID_ARGUMENT (no members, an address that is not host:port, bad durations),
  // UNAVAILABLE (no member could be reached, or none attached the session).
  static absl::StatusOr<std::unique_ptr<ZkClient>> Connect(Options options);

  // Closes the session, if any (its ephemeral nodes go), without calling listeners or
  // watchers; joins the client's threads.
  ~ZkClient();

  ZkClient(const ZkClient&) = delete;
  ZkClient& operator=(const ZkClient&) = delete;

  // Creates a node; returns the path created (with the sequence suffix for sequential modes).
  // Errors: NO_NODE (parent missing), NODE_EXISTS, NO_CHILDREN_FOR_EPHEMERALS, BAD_ARGUMENTS
  // (also: an ephemeral mode without a session), SESSION_EXPIRED, and see "Retries" above.
  absl::StatusOr<std::string> Create(const std::string& path, const std::string& data,
                                     v1::CreateMode mode = v1::CREATE_MODE_PERSISTENT);
  // Create, also returning the new node's Stat (its czxid is the zxid of the creation).
  absl::StatusOr<std::pair<std::string, v1::Stat>> CreateWithStat(
      const std::string& path, const std::string& data,
      v1::CreateMode mode = v1::CREATE_MODE_PERSISTENT);

  // Deletes a node without children, if its version is `version` (-1: any).
  // Errors: NO_NODE, BAD_VERSION, NOT_EMPTY, BAD_ARGUMENTS.
  absl::Status Delete(const std::string& path, int32_t version = -1);

  // Replaces a node's data if its version is `version` (-1: any); returns the new Stat.
  // Errors: NO_NODE, BAD_VERSION, BAD_ARGUMENTS.
  absl::StatusOr<v1::Stat> SetData(const std::string& path, const std::string& data,
                                   int32_t version = -1);

  // The node's Stat, or nullopt if it does not exist. Errors: BAD_ARGUMENTS.
  absl::StatusOr<std::optional<v1::Stat>> Exists(const std::string& path,
                                                 bool linearizable = false);

  // The node's data and Stat. Errors: NO_NODE, BAD_ARGUMENTS.
  absl::StatusOr<std::pair<std::string, v1::Stat>> GetData(const std::string& path,
                                                           bool linearizable = false);

  // Names of the node's children, sorted bytewise. Errors: NO_NODE, BAD_ARGUMENTS.
  absl::StatusOr<std::vector<std::string>> GetChildren(const std::string& path,
                                                       bool linearizable = false);

  // The same reads, leaving a one-shot watch (see "Watches" above). Exists watches a node
  // whether or not it exists (created, deleted, data changed); GetData a node that exists
  // (deleted, data changed; nothing is left on NO_NODE); GetChildren a node's children
  // (children changed, deleted; nothing is left on NO_NODE). Errors: as without a watch,
  // FAILED_PRECONDITION without a session, SESSION_EXPIRED.
  absl::StatusOr<std::optional<v1::Stat>> ExistsAndWatch(const std::string& path,
                                                         Watcher watcher,
                                                         bool linearizable = false);
  absl::StatusOr<std::pair<std::string, v1::Stat>> GetDataAndWatch(const std::string& path,
                                                                   Watcher watcher,
                                                                   bool linearizable = false);
  absl::StatusOr<std::vector<std::string>> GetChildrenAndWatch(const std::string& path,
                                                               Watcher watcher,
                                                               bool linearizable = false);

  // Several GetData / GetChildren reads answered from one state of a member's tree (ZooKeeper's
  // multiRead): one result per op, in order; a missing node is a NO_NODE result, not a call
  // failure. No watches. Errors: BAD_ARGUMENTS (no ops, more than 10000, a bad path).
  absl::StatusOr<std::vector<v1::ReadResult>> MultiRead(const std::vector<v1::ReadOp>& ops,
                                                        bool linearizable = false);

  // An atomic transaction. A failed op is not a call failure: see MultiResponse.committed
  // and its results. Errors: BAD_ARGUMENTS (no ops, too many, bad path), UNIMPLEMENTED
  // (ephemeral creates).
  absl::StatusOr<v1::MultiResponse> Multi(const std::vector<v1::Op>& ops);

  // Returns once the connected member has applied every write committed before the call
  // (ZooKeeper's sync), so that its local reads see them.
  absl::Status Sync();

  // --- The session (all but has_session need Options::session). ---
  bool has_session() const { return session_ != nullptr; }
  // 0 without a session.
  int64_t session_id() const { return session_ ? session_->id() : 0; }
  // The session's password (ZooKeeper's getSessionPasswd): with the id, what it takes to
  // attach to the session or close it. Empty without a session. Keep it secret.
  const std::string& session_password() const;
  // The timeout the ensemble granted.
  absl::Duration session_timeout() const { return session_->timeout(); }
  SessionState session_state() const { return session_->state(); }
  // OK without a session or while it lasts; FAILED_PRECONDITION / SESSION_EXPIRED once it
  // expired or was closed (what every call then answers).
  absl::Status Usable() const { return session_ ? session_->Usable() : absl::OkStatus(); }
  // Until when the session is surely alive on the ensemble, by the client's clock: the send
  // time of the last ping a member answered, plus the timeout (InfinitePast once over). A
  // leader that must not overlap its successor stops acting as leader at this time.
  absl::Time session_alive_until() const { return session_->alive_until(); }
  // Adds a listener (as Options::Session::listener); returns its id for Remove. A listener
  // removed while the event thread runs it may be called once more.
  uint64_t AddSessionListener(SessionListener listener) {
    return session_->AddListener(std::move(listener));
  }
  void RemoveSessionListener(uint64_t id) { session_->RemoveListener(id); }
  // Closes the session now: the ensemble deletes its ephemeral nodes; listeners hear kClosed
  // after every earlier event; pending watches are dropped. Later calls answer
  // SESSION_EXPIRED. Idempotent. Must not be called from a callback.
  absl::Status Close();

  // From now on every wait of this client — retries, each call, connecting, the session's
  // close — ends within `within` (of real time) from now. For a process that is stopping:
  // its last calls (resigning a leadership, closing the session) are best effort, and an
  // ensemble that is gone must not hold the exit for the whole retry budget. Thread-safe.
  void LimitWaits(absl::Duration within);
  // Runs `task` on the event thread, after every callback queued before it (recipes do all
  // their work there, so it never races their watch callbacks). Dropped once the session is
  // closed.
  void Post(std::function<void()> task) { session_->Post(std::move(task)); }
  // True inside a callback (on the event thread).
  bool OnEventThread() const { return session_ && session_->OnEventThread(); }
  // Tests: the session stops pinging and re-attaching, like a frozen process.
  void SuspendSessionForTesting(bool suspended) { session_->SuspendForTesting(suspended); }

  // The highest zxid in any reply so far (0 before the first).
  int64_t last_zxid_seen() const { return last_zxid_seen_.load(std::memory_order_acquire); }
  // The member list, including members learned from redirects.
  std::vector<std::string> members() const;
  // The leader's address, if known.
  std::optional<std::string> leader_address() const;
  // The address reads are sent to.
  std::string connected_address() const;
  // The client's clock (Options::clock, or the real one): session_alive_until is on it.
  clock::Clock* clock() const { return clock_; }

 private:
  friend class ZkSession;

  // One member: its channel and stub, created once and never destroyed while the client
  // lives (so a pointer to it stays valid outside mu_).
  struct Member {
    size_t index = 0;  // in members_ and router_
    std::string address;
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<v1::ZooKeeper::Stub> stub;
    // The highest zxid this member has answered with: a lower bound of its applied state.
    std::atomic<int64_t> zxid{0};
  };
  using Rpc = std::function<grpc::Status(v1::ZooKeeper::Stub*, grpc::ClientContext*)>;

  explicit ZkClient(Options options, size_t first);

  // Runs `rpc` under the retry rules (retry.h) and returns its final status. `*answered` is
  // the member whose answer is returned (success or a definite error), else nullptr. `op`
  // names the call in error messages.
  absl::Status Invoke(CallKind kind, const char* op, const Rpc& rpc, Member** answered);
  // Waits up to connect_timeout (and at most `at_most`) for `member`'s channel to be ready;
  // false if it is not.
  bool WaitReady(Member* member, absl::Duration at_most = absl::InfiniteDuration()) const;
  // Records a reply's zxid from `member`.
  void See(Member* member, const v1::ResponseHeader& header);
  // Runs a read under the monotonic-read rule: `rpc` sends the request with the given
  // linearizable flag and fills the response whose header `header_of` returns. A local read
  // answered from a state older than last_zxid_seen at the start (by its header, or for NO_NODE by the
  // member's last known zxid) is repeated once as a linearizable read.
  using ReadRpc = std::function<grpc::Status(v1::ZooKeeper::Stub*, grpc::ClientContext*,
                                             bool linearizable)>;
  // With a session, a successful reply is returned after the ordering fence (ZkSession::Fence).
  struct ReadDone {
    Member* member = nullptr;  // the member whose reply is returned
    ZkSession::ReadStart start;
  };
  // The reply's header, read after the call: a reference taken before would be protobuf's
  // default instance (the call replaces the response's fields).
  using HeaderOf = std::function<const v1::ResponseHeader&()>;
  absl::Status Read(const char* op, bool linearizable, const ReadRpc& rpc,
                    const HeaderOf& header_of, ReadDone* done = nullptr);
  // Leaves the watch of a successful watched read.
  void AddWatch(WatchKind kind, const std::string& path, const ReadDone& done,
                const v1::ResponseHeader& header, Watcher watcher);
  // A write's result: a SESSION_EXPIRED answer ends the session.
  absl::Status Written(absl::Status status);
  // Creates the session and waits for its first attach.
  absl::Status StartSession();
  // Adds Members for addresses the router learned.
  void SyncMembersLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Connected();

  // For ZkSession: routing of the Session stream.
  Member* MemberAt(size_t i) const;
  size_t SessionTarget() const;
  void MemberFailed(size_t i);
  void MoveTo(size_t i);
  // One CloseSession, to the leader if known, else to each member in turn until one answers.
  absl::Status CloseSessionOnce(const v1::CloseSessionRequest& request,
                                v1::CloseSessionResponse* response);

  const Options options_;
  clock::Clock* const clock_;
  std::atomic<int64_t> last_zxid_seen_{0};
  // LimitWaits' end (unix nanoseconds, real time); INT64_MAX when unset.
  std::atomic<int64_t> waits_end_ns_{INT64_MAX};
  // `deadline` (real time) cut to LimitWaits' end.
  std::chrono::system_clock::time_point Bounded(
      std::chrono::system_clock::time_point deadline) const;

  mutable absl::Mutex mu_;
  MemberRouter router_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<Member>> members_ ABSL_GUARDED_BY(mu_);  // same order as router_

  // Set by Connect when Options::session is; destroyed first (its threads use the members).
  std::unique_ptr<ZkSession> session_;
};

}  // namespace dcos::zk::client
