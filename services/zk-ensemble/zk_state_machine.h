#pragma once

// ZkStateMachine: the znode tree as Raft's replicated state machine. Every member applies the
// same committed Commands (command.proto) in the same order; the zxid of a write is its Raft
// log index, its time the leader's clock at proposal.
//
// Sessions are part of the replicated state: created, closed and expired by committed
// commands; an ephemeral create needs a live session; closing or expiring a session deletes
// its ephemeral nodes.
//
// Threading: Apply / Snapshot / Restore / TakeResult run on the Raft loop thread; the reads
// (Exists, GetData, GetChildren) run on gRPC threads. A reader-writer lock guards the tree.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "libs/raft/raft_node.h"
#include "protos/zk/v1/operations.pb.h"
#include "services/zk-ensemble/command.pb.h"
#include "services/zk-ensemble/core/sessions.h"
#include "services/zk-ensemble/core/tree.h"
#include "services/zk-ensemble/watch_hub.h"

namespace dcos::zk {

// What applying one write produced, in the public response shapes.
struct WriteResult {
  absl::Status status;  // the write's error (ZkError payload attached), or OK
  dcos::zk::v1::CreateResponse create;
  dcos::zk::v1::SetDataResponse set_data;
  dcos::zk::v1::MultiResponse multi;
};

struct ZkLimits {
  TreeConfig tree;
  SessionConfig sessions;
};

// What a read also does, under the same lock as the read itself: report the zxid of the
// state read, register a watch (so no write can slip between the read and the watch), and
// report the session's watch-event sequence (ZooKeeper's event-before-data order).
struct ReadContext {
  int64_t* zxid = nullptr;
  int64_t session_id = 0;
  bool watch = false;
  uint64_t* watch_sequence = nullptr;
};

// The tree as of one zxid without sessions or ephemeral nodes: what a backup holds.
struct BackupImage {
  std::string tree;  // ZnodeTree::Snapshot() bytes
  int64_t zxid = 0;
  size_t znodes = 0;
};

class ZkStateMachine final : public raft::StateMachine {
 public:
  explicit ZkStateMachine(ZkLimits limits = {});

  void Apply(const raft::Entry& entry) override;
  std::string Snapshot() override;
  absl::Status Restore(const std::string& data, uint64_t index) override;

  // The result of the entry at `index` if it is the one applied last (the proposer's callback
  // runs right after that entry is applied, on the same thread).
  std::optional<WriteResult> TakeResult(uint64_t index);

  // Reads of the local state. Errors as ZnodeTree's.
  absl::StatusOr<std::optional<Stat>> Exists(const std::string& path,
                                             const ReadContext& read = {}) const;
  absl::StatusOr<NodeData> GetData(const std::string& path, const ReadContext& read = {}) const;
  absl::StatusOr<ChildrenList> GetChildren(const std::string& path,
                                           const ReadContext& read = {}) const;

  // Runs `read` on the tree under the read lock: several reads from one state (MultiRead).
  // `zxid` gets that state's zxid.
  void ReadTree(absl::FunctionRef<void(const ZnodeTree&)> read, int64_t* zxid) const;

  // A persistent (optionally recursive) watch on `path` (which need not exist), registered
  // under the lock so no write slips between it and the zxid and sequence reported.
  void AddPersistentWatch(const std::string& path, bool recursive, const ReadContext& read) const;
  // Re-registers a session's watches after it moved here (core/rewatch.h): each one-shot watch
  // is registered again, or its missed event is queued at once.
  void SetWatches(int64_t session_id, const v1::SetWatches& watches) const;

  // Where applied writes fire watches; may be null (no watches). Set before the node starts.
  void SetWatchHub(WatchHub* hub) { hub_ = hub; }

  // Sessions.
  bool SessionLive(int64_t session_id) const;
  // OK if the session is live here and `password` is its own (or it has none recorded:
  // SessionTable::CheckPassword); SESSION_EXPIRED otherwise, a wrong password included.
  absl::Status CheckSessionPassword(int64_t session_id, absl::string_view password) const;
  // One session's record; NOT_FOUND / SESSION_EXPIRED when it is not live.
  absl::StatusOr<SessionInfo> GetSession(int64_t session_id) const;
  // A copy of the session table (for the leader's expiry view).
  SessionTable Sessions() const;
  absl::Duration NegotiateTimeout(absl::Duration requested) const;

  // The current tree without its sessions' ephemeral nodes (taken on a copy, so writes wait
  // only for the copy).
  BackupImage Backup() const;

  // Waits up to `timeout` until the write with `zxid` is applied here; false on timeout.
  bool WaitForZxid(int64_t zxid, absl::Duration timeout) const;

  // The zxid of the last applied write (Raft index of the last applied entry).
  int64_t last_zxid() const;
  size_t znode_count() const;
  // Live sessions in the replicated table.
  size_t session_count() const;

 private:
  WriteResult ApplyCommand(const dcos::zk::internal::v1::Command& command, int64_t zxid)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  void Fire(const Changes& changes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FinishRead(const ReadContext& read, const std::string& path, WatchHub::Kind kind,
                  bool exists) const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  const ZkLimits limits_;
  WatchHub* hub_ = nullptr;
  mutable absl::Mutex mu_;
  ZnodeTree tree_ ABSL_GUARDED_BY(mu_);
  SessionTable sessions_ ABSL_GUARDED_BY(mu_);
  int64_t last_zxid_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t result_index_ = 0;  // loop thread only
  WriteResult result_;         // loop thread only
};

// Conversions to the public protos.
void ToProto(const Stat& stat, dcos::zk::v1::Stat* out);
CreateMode FromProto(dcos::zk::v1::CreateMode mode);

}  // namespace dcos::zk
