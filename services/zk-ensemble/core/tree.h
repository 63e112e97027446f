#pragma once

// ZnodeTree: ZooKeeper's data model as a pure, deterministic class — the state machine each
// dcos-zk member applies committed writes to. No Raft, no I/O, no threads, no clock reads:
// every write is handed the zxid (the Raft index of its log entry) and the time (the leader's
// clock when it proposed the entry), so every member that applies the same entries in the same
// order ends with byte-identical trees (Snapshot()), errors included.
//
// Model: ZooKeeper's DataTree (semantics) and LogCabin's Tree (a tree as a plain class).
//
// - Nodes: persistent, ephemeral (owned by a session, no children), sequential (a 10-digit
//   zero-padded suffix taken from the parent's cversion before the create, as ZooKeeper does:
//   "lock-0000000007"), container (the leader deletes it once its last child is gone; see
//   ContainersToDelete). The tree starts with "/" and the reserved, read-only "/zookeeper".
// - Stat as in ZooKeeper: a create sets czxid = mzxid = pzxid = zxid, ctime = mtime = time,
//   and bumps the parent's cversion and pzxid; a delete bumps the parent's cversion and pzxid;
//   a set bumps version, mzxid, mtime. Parents' mzxid/mtime/version never change for a child.
// - Errors: absl::Status with the canonical code of protos/zk/v1/errors.proto plus the
//   ZooKeeper code as payload (errors.h: ZkCodeOf / ZkPathOf). A failed call changes nothing.
//   Argument errors (bad path, data too large, unknown mode, ephemeral without session,
//   writing the reserved subtree) are BAD_ARGUMENTS and are checked before the tree is looked
//   at. Expected versions: -1 = any; any other value must equal Stat.version.
// - Every write reports what it changed (Changes) for the WatchManager.
//
// Thread-compatible: a plain value (copyable, movable), owned by the driver's apply thread.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/container/node_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/zk-ensemble/core/errors.h"
#include "services/zk-ensemble/core/types.h"

namespace dcos::zk {

struct TreeConfig {
  size_t max_data_bytes = 1 << 20;  // per node, and per Multi (sum of its ops' data)
  size_t max_path_bytes = 4096;     // including a sequential suffix
  size_t max_multi_ops = 1000;
};

struct CreateResult {
  std::string path;  // as created (with the sequential suffix)
  Stat stat;
  Changes changes;
};

struct SetDataResult {
  Stat stat;  // after the change
  Changes changes;
};

struct NodeData {
  std::string data;
  Stat stat;
};

struct ChildrenList {
  std::vector<std::string> children;  // names, sorted bytewise
  Stat stat;                          // of the parent
};

struct SessionCleanup {
  std::vector<std::string> deleted;  // the session's ephemeral nodes, sorted
  Changes changes;
};

// One op of a Multi (dcos.zk.v1.Op).
struct MultiOp {
  enum class Type { kCheck, kCreate, kDelete, kSetData };
  Type type = Type::kCheck;
  std::string path;
  std::string data;                      // kCreate, kSetData
  CreateMode mode = CreateMode::kPersistent;  // kCreate
  int32_t expected_version = -1;         // kCheck, kDelete, kSetData; -1 = any

  static MultiOp Check(std::string path, int32_t expected_version = -1);
  static MultiOp Create(std::string path, std::string data = "",
                        CreateMode mode = CreateMode::kPersistent);
  static MultiOp Delete(std::string path, int32_t expected_version = -1);
  static MultiOp SetData(std::string path, std::string data, int32_t expected_version = -1);
};

// Result of one op (dcos.zk.v1.OpResult).
struct MultiOpResult {
  MultiOp::Type type = MultiOp::Type::kCheck;
  ZkCode error = ZkCode::kOk;  // kOk if applied
  std::string path;            // kCreate: the path created
  Stat stat;                   // kCreate, kSetData: the node's stat after the op
};

// Result of a Multi that was well formed (dcos.zk.v1.MultiResponse).
struct MultiResult {
  bool committed = false;
  // One per op, in order. If !committed: the failing op carries its code, every other op
  // kRuntimeInconsistency, and the tree is unchanged.
  std::vector<MultiOpResult> results;
  int failed_index = -1;       // the failing op, if !committed
  absl::Status failure;        // its full error (message and path), if !committed
  Changes changes;             // empty if !committed
};

class ZnodeTree {
 public:
  explicit ZnodeTree(TreeConfig config = {});

  ZnodeTree(const ZnodeTree&) = default;
  ZnodeTree& operator=(const ZnodeTree&) = default;
  ZnodeTree(ZnodeTree&&) = default;
  ZnodeTree& operator=(ZnodeTree&&) = default;

  // --- Writes. `zxid` and `time` are those of the transaction applying the write. ---

  // Creates `path` (for sequential modes: the prefix of the name) with `data`.
  // Errors: BAD_ARGUMENTS (bad path, data too large, unknown mode, ephemeral with
  // session_id == 0, reserved path, "/" itself is NODE_EXISTS), NO_NODE (parent missing; the
  // error's path is the parent), NODE_EXISTS, NO_CHILDREN_FOR_EPHEMERALS (parent ephemeral).
  absl::StatusOr<CreateResult> Create(absl::string_view path, absl::string_view data,
                                      CreateMode mode, int64_t session_id, int64_t zxid,
                                      absl::Time time);

  // Deletes a node without children. Errors: BAD_ARGUMENTS (bad path, "/", reserved),
  // NO_NODE, BAD_VERSION, NOT_EMPTY (checked in that order, as ZooKeeper does).
  absl::StatusOr<Changes> Delete(absl::string_view path, int32_t expected_version,
                                 int64_t zxid);

  // Replaces a node's data. Errors: BAD_ARGUMENTS (bad path, too large, reserved), NO_NODE,
  // BAD_VERSION.
  absl::StatusOr<SetDataResult> SetData(absl::string_view path, absl::string_view data,
                                        int32_t expected_version, int64_t zxid,
                                        absl::Time time);

  // Applies `ops` all or nothing; later ops see the effects of earlier ones; all share zxid.
  // `session_id` owns ephemeral creates. A request that is malformed as a whole is an error
  // and changes nothing: BAD_ARGUMENTS for no ops, more than max_multi_ops, data summing to
  // more than max_data_bytes, or any op with bad arguments (as for the single calls). An op
  // that fails against the tree is not an error: see MultiResult.
  absl::StatusOr<MultiResult> Multi(const std::vector<MultiOp>& ops, int64_t session_id,
                                    int64_t zxid, absl::Time time);

  // Deletes every ephemeral node of the session (its close or expiry). Never fails; a session
  // without ephemerals deletes nothing.
  SessionCleanup DeleteSession(int64_t session_id, int64_t zxid);

  // --- Reads. ---

  // The node's Stat, or nullopt if it does not exist. Errors: BAD_ARGUMENTS.
  absl::StatusOr<std::optional<Stat>> Exists(absl::string_view path) const;
  // Errors: BAD_ARGUMENTS, NO_NODE.
  absl::StatusOr<NodeData> GetData(absl::string_view path) const;
  // Errors: BAD_ARGUMENTS, NO_NODE.
  absl::StatusOr<ChildrenList> GetChildren(absl::string_view path) const;

  // Ephemeral nodes owned by the session, sorted.
  std::vector<std::string> EphemeralsOf(int64_t session_id) const;
  // Sessions that own at least one ephemeral node, ascending.
  std::vector<int64_t> SessionsWithEphemerals() const;
  // Container nodes that have had a child (cversion > 0) and have none now, sorted: the
  // leader proposes their deletion (a Delete with expected_version -1, which fails harmlessly
  // with NOT_EMPTY if a child appeared meanwhile).
  std::vector<std::string> ContainersToDelete() const;

  // --- Serialization. ---

  // The whole tree as bytes: equal trees give equal bytes (nodes in pre-order with sorted
  // children; only Stat fields that are not derived, data, and kind are stored). Versioned
  // and with a CRC-32 trailer. The config is not stored.
  std::string Snapshot() const;

  // The tree of a Snapshot(). Errors: DATA_LOSS (no ZkError payload: ZkCodeOf gives
  // kSystemError) for bytes that are truncated, corrupt, of an unknown format version, or
  // describe an impossible tree (no root or /zookeeper, a node before its parent, duplicates,
  // children of an ephemeral). Never crashes on any input. Data above config.max_data_bytes
  // is kept (the limit applies to new writes).
  static absl::StatusOr<ZnodeTree> Restore(absl::string_view bytes, TreeConfig config = {});

  // --- Metrics and checks. ---

  size_t NodeCount() const { return nodes_.size(); }  // includes "/" and "/zookeeper"
  uint64_t DataBytes() const { return data_bytes_; }  // sum of all nodes' data sizes
  size_t EphemeralCount() const { return ephemeral_count_; }
  const TreeConfig& config() const { return config_; }

  // OK if every internal invariant holds (parents list exactly their children, indexes of
  // ephemerals and containers, counters). For tests; O(n).
  absl::Status CheckInvariants() const;

 private:
  struct Node {
    std::string data;
    Stat stat;  // data_length and num_children are filled in by StatOf, not kept here
    bool container = false;
    absl::btree_set<std::string> children;  // names
  };

  // What to do to undo one applied primitive (Multi's rollback).
  struct Undo {
    enum class Kind { kUncreate, kUndelete, kUnset };
    Kind kind;
    std::string path;
    Stat parent_stat;  // kUncreate, kUndelete: the parent's stat before
    Node node;         // kUndelete: the node removed; kUnset: old data and stat
  };

  static Stat StatOf(const Node& node);
  const Node* Find(absl::string_view path) const;
  Node* Find(absl::string_view path);

  // Argument checks (no tree access); BAD_ARGUMENTS.
  absl::Status ValidateCreateArgs(absl::string_view path, absl::string_view data,
                                  CreateMode mode, int64_t session_id) const;
  absl::Status ValidateDeleteArgs(absl::string_view path) const;
  absl::Status ValidateSetArgs(absl::string_view path, absl::string_view data) const;
  absl::Status ValidateCheckArgs(absl::string_view path) const;

  // State checks against the current tree. CheckCreate returns the final path.
  absl::StatusOr<std::string> CheckCreate(absl::string_view path, CreateMode mode) const;
  absl::Status CheckDelete(absl::string_view path, int32_t expected_version) const;
  absl::Status CheckSetOrVersion(absl::string_view path, int32_t expected_version) const;

  // Primitives: assume the checks passed; append to `changes` and (if non-null) `undo`.
  Stat DoCreate(const std::string& path, absl::string_view data, CreateMode mode,
                int64_t session_id, int64_t zxid, absl::Time time, Changes* changes,
                std::vector<Undo>* undo);
  void DoDelete(const std::string& path, int64_t zxid, Changes* changes,
                std::vector<Undo>* undo);
  Stat DoSetData(const std::string& path, absl::string_view data, int64_t zxid,
                 absl::Time time, Changes* changes, std::vector<Undo>* undo);
  void Rollback(std::vector<Undo>* undo);

  // Inserts a fully built node and indexes it (used by DoCreate, Rollback and Restore).
  void Insert(const std::string& path, Node node);
  // Removes a node (no children) and un-indexes it; returns it.
  Node Remove(const std::string& path);

  TreeConfig config_;
  absl::node_hash_map<std::string, Node> nodes_;
  std::map<int64_t, absl::btree_set<std::string>> ephemerals_;  // session -> paths
  absl::btree_set<std::string> containers_;
  uint64_t data_bytes_ = 0;
  size_t ephemeral_count_ = 0;
};

}  // namespace dcos::zk
