#include "services/zk-ensemble/core/tree.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "libs/status/status_macros.h"
#include "services/zk-ensemble/core/path.h"

namespace dcos::zk {
namespace {

// Millisecond precision, as Stat promises (and as the snapshot stores it).
absl::Time ToMillis(absl::Time t) { return absl::FromUnixMillis(absl::ToUnixMillis(t)); }

// Versions wrap like ZooKeeper's Java ints instead of overflowing (undefined in C++).
int32_t Bump(int32_t v) {
  return static_cast<int32_t>(static_cast<uint32_t>(v) + 1u);
}

absl::Status DataTooLarge(size_t size, size_t limit) {
  return ZkStatus(ZkCode::kBadArguments, "",
                  absl::StrFormat("data of %d bytes is larger than the limit of %d bytes", size,
                                  limit));
}

absl::Status Reserved(absl::string_view path) {
  return ZkStatus(ZkCode::kBadArguments, path,
                  absl::StrCat(kReservedRoot, " and everything below it is read-only"));
}

absl::Status CheckVersion(absl::string_view path, const Stat& stat, int32_t expected) {
  if (expected == -1 || expected == stat.version) return absl::OkStatus();
  return ZkStatus(ZkCode::kBadVersion, path,
                  absl::StrFormat("expected version %d, node is at version %d", expected,
                                  stat.version));
}

}  // namespace

MultiOp MultiOp::Check(std::string path, int32_t expected_version) {
  MultiOp op;
  op.type = Type::kCheck;
  op.path = std::move(path);
  op.expected_version = expected_version;
  return op;
}

MultiOp MultiOp::Create(std::string path, std::string data, CreateMode mode) {
  MultiOp op;
  op.type = Type::kCreate;
  op.path = std::move(path);
  op.data = std::move(data);
  op.mode = mode;
  return op;
}

MultiOp MultiOp::Delete(std::string path, int32_t expected_version) {
  MultiOp op;
  op.type = Type::kDelete;
  op.path = std::move(path);
  op.expected_version = expected_version;
  return op;
}

MultiOp MultiOp::SetData(std::string path, std::string data, int32_t expected_version) {
  MultiOp op;
  op.type = Type::kSetData;
  op.path = std::move(path);
  op.data = std::move(data);
  op.expected_version = expected_version;
  return op;
}

ZnodeTree::ZnodeTree(TreeConfig config) : config_(config) {
  nodes_.emplace("/", Node{});
  Node reserved;
  Insert(std::string(kReservedRoot), std::move(reserved));
}

Stat ZnodeTree::StatOf(const Node& node) {
  Stat stat = node.stat;
  stat.data_length = static_cast<int32_t>(node.data.size());
  stat.num_children = static_cast<int32_t>(node.children.size());
  return stat;
}

const ZnodeTree::Node* ZnodeTree::Find(absl::string_view path) const {
  auto it = nodes_.find(path);
  return it == nodes_.end() ? nullptr : &it->second;
}

ZnodeTree::Node* ZnodeTree::Find(absl::string_view path) {
  auto it = nodes_.find(path);
  return it == nodes_.end() ? nullptr : &it->second;
}

// --- Argument checks ---

absl::Status ZnodeTree::ValidateCreateArgs(absl::string_view path, absl::string_view data,
                                           CreateMode mode, int64_t session_id) const {
  if (!IsKnownCreateMode(mode)) {
    return ZkStatus(ZkCode::kBadArguments, "",
                    absl::StrCat("unknown create mode ", static_cast<int>(mode)));
  }
  // A sequential path is a prefix: validate it as ZooKeeper does, with a suffix appended.
  if (IsSequential(mode)) {
    DCOS_RETURN_IF_ERROR(ValidatePath(absl::StrCat(path, "1"), config_.max_path_bytes));
  } else {
    DCOS_RETURN_IF_ERROR(ValidatePath(path, config_.max_path_bytes));
  }
  if (data.size() > config_.max_data_bytes) {
    return DataTooLarge(data.size(), config_.max_data_bytes);
  }
  if (IsEphemeral(mode) && session_id == 0) {
    return ZkStatus(ZkCode::kBadArguments, path, "an ephemeral node needs a session");
  }
  // For a sequential prefix, what matters is where the created node will be:
  // "/zookeeper/" is reserved, "/zookeeper" (giving "/zookeeper0000000000") is not.
  if (IsReservedPath(IsSequential(mode) ? absl::StrCat(path, "1") : std::string(path))) {
    return Reserved(path);
  }
  return absl::OkStatus();
}

absl::Status ZnodeTree::ValidateDeleteArgs(absl::string_view path) const {
  DCOS_RETURN_IF_ERROR(ValidatePath(path, config_.max_path_bytes));
  if (path == "/") return ZkStatus(ZkCode::kBadArguments, path, "the root cannot be deleted");
  if (IsReservedPath(path)) return Reserved(path);
  return absl::OkStatus();
}

absl::Status ZnodeTree::ValidateSetArgs(absl::string_view path, absl::string_view data) const {
  DCOS_RETURN_IF_ERROR(ValidatePath(path, config_.max_path_bytes));
  if (data.size() > config_.max_data_bytes) {
    return DataTooLarge(data.size(), config_.max_data_bytes);
  }
  if (IsReservedPath(path)) return Reserved(path);
  return absl::OkStatus();
}

absl::Status ZnodeTree::ValidateCheckArgs(absl::string_view path) const {
  return ValidatePath(path, config_.max_path_bytes);
}

// --- State checks ---

absl::StatusOr<std::string> ZnodeTree::CheckCreate(absl::string_view path,
                                                   CreateMode mode) const {
  absl::string_view parent_path = ParentPath(path);
  const Node* parent = Find(parent_path);
  if (path == "/" && !IsSequential(mode)) {
    return ZkStatus(ZkCode::kNodeExists, path, "the root always exists");
  }
  if (parent == nullptr) {
    return ZkStatus(ZkCode::kNoNode, parent_path, "parent node does not exist");
  }
  std::string final_path(path);
  if (IsSequential(mode)) {
    absl::StrAppend(&final_path, absl::StrFormat("%010d", parent->stat.cversion));
    DCOS_RETURN_IF_ERROR(ValidatePath(final_path, config_.max_path_bytes));
  }
  if (Find(final_path) != nullptr) {
    return ZkStatus(ZkCode::kNodeExists, final_path, "node already exists");
  }
  if (parent->stat.ephemeral_owner != 0) {
    return ZkStatus(ZkCode::kNoChildrenForEphemerals, parent_path,
                    "parent is ephemeral and cannot have children");
  }
  return final_path;
}

absl::Status ZnodeTree::CheckDelete(absl::string_view path, int32_t expected_version) const {
  const Node* node = Find(path);
  if (node == nullptr) return ZkStatus(ZkCode::kNoNode, path, "node does not exist");
  DCOS_RETURN_IF_ERROR(CheckVersion(path, node->stat, expected_version));
  if (!node->children.empty()) {
    return ZkStatus(ZkCode::kNotEmpty, path,
                    absl::StrFormat("node has %d children", node->children.size()));
  }
  return absl::OkStatus();
}

absl::Status ZnodeTree::CheckSetOrVersion(absl::string_view path,
                                          int32_t expected_version) const {
  const Node* node = Find(path);
  if (node == nullptr) return ZkStatus(ZkCode::kNoNode, path, "node does not exist");
  return CheckVersion(path, node->stat, expected_version);
}

// --- Primitives ---

void ZnodeTree::Insert(const std::string& path, Node node) {
  data_bytes_ += node.data.size();
  if (node.stat.ephemeral_owner != 0) {
    ephemerals_[node.stat.ephemeral_owner].insert(path);
    ++ephemeral_count_;
  }
  if (node.container) containers_.insert(path);
  nodes_.emplace(path, std::move(node));
  if (path != "/") Find(ParentPath(path))->children.emplace(BaseName(path));
}

ZnodeTree::Node ZnodeTree::Remove(const std::string& path) {
  auto it = nodes_.find(path);
  Node node = std::move(it->second);
  nodes_.erase(it);
  data_bytes_ -= node.data.size();
  if (node.stat.ephemeral_owner != 0) {
    auto owned = ephemerals_.find(node.stat.ephemeral_owner);
    owned->second.erase(path);
    if (owned->second.empty()) ephemerals_.erase(owned);
    --ephemeral_count_;
  }
  if (node.container) containers_.erase(path);
  Find(ParentPath(path))->children.erase(std::string(BaseName(path)));
  return node;
}

Stat ZnodeTree::DoCreate(const std::string& path, absl::string_view data, CreateMode mode,
                         int64_t session_id, int64_t zxid, absl::Time time, Changes* changes,
                         std::vector<Undo>* undo) {
  std::string parent_path(ParentPath(path));
  Node* parent = Find(parent_path);
  if (undo != nullptr) {
    undo->push_back(Undo{Undo::Kind::kUncreate, path, parent->stat, Node{}});
  }
  parent->stat.cversion = Bump(parent->stat.cversion);
  parent->stat.pzxid = zxid;

  Node node;
  node.data.assign(data.data(), data.size());
  node.stat.czxid = node.stat.mzxid = node.stat.pzxid = zxid;
  node.stat.ctime = node.stat.mtime = ToMillis(time);
  node.stat.ephemeral_owner = IsEphemeral(mode) ? session_id : 0;
  node.container = mode == CreateMode::kContainer;
  Stat stat = StatOf(node);
  Insert(path, std::move(node));

  changes->list.push_back({Change::Type::kCreated, path});
  changes->list.push_back({Change::Type::kChildrenChanged, parent_path});
  return stat;
}

void ZnodeTree::DoDelete(const std::string& path, int64_t zxid, Changes* changes,
                         std::vector<Undo>* undo) {
  std::string parent_path(ParentPath(path));
  Node* parent = Find(parent_path);
  Stat parent_before = parent->stat;
  parent->stat.cversion = Bump(parent->stat.cversion);
  parent->stat.pzxid = zxid;
  Node removed = Remove(path);
  if (undo != nullptr) {
    undo->push_back(Undo{Undo::Kind::kUndelete, path, parent_before, std::move(removed)});
  }
  changes->list.push_back({Change::Type::kDeleted, path});
  changes->list.push_back({Change::Type::kChildrenChanged, parent_path});
}

Stat ZnodeTree::DoSetData(const std::string& path, absl::string_view data, int64_t zxid,
                          absl::Time time, Changes* changes, std::vector<Undo>* undo) {
  Node* node = Find(path);
  if (undo != nullptr) {
    Node old;
    old.data = node->data;
    old.stat = node->stat;
    undo->push_back(Undo{Undo::Kind::kUnset, path, Stat{}, std::move(old)});
  }
  data_bytes_ -= node->data.size();
  node->data.assign(data.data(), data.size());
  data_bytes_ += node->data.size();
  node->stat.version = Bump(node->stat.version);
  node->stat.mzxid = zxid;
  node->stat.mtime = ToMillis(time);
  changes->list.push_back({Change::Type::kDataChanged, path});
  return StatOf(*node);
}

// --- Writes ---

absl::StatusOr<CreateResult> ZnodeTree::Create(absl::string_view path, absl::string_view data,
                                               CreateMode mode, int64_t session_id,
                                               int64_t zxid, absl::Time time) {
  DCOS_RETURN_IF_ERROR(ValidateCreateArgs(path, data, mode, session_id));
  DCOS_ASSIGN_OR_RETURN(std::string final_path, CheckCreate(path, mode));
  CreateResult result;
  result.changes.zxid = zxid;
  result.stat =
      DoCreate(final_path, data, mode, session_id, zxid, time, &result.changes, nullptr);
  result.path = std::move(final_path);
  return result;
}

absl::StatusOr<Changes> ZnodeTree::Delete(absl::string_view path, int32_t expected_version,
                                          int64_t zxid) {
  DCOS_RETURN_IF_ERROR(ValidateDeleteArgs(path));
  DCOS_RETURN_IF_ERROR(CheckDelete(path, expected_version));
  Changes changes;
  changes.zxid = zxid;
  DoDelete(std::string(path), zxid, &changes, nullptr);
  return changes;
}

absl::StatusOr<SetDataResult> ZnodeTree::SetData(absl::string_view path, absl::string_view data,
                                                 int32_t expected_version, int64_t zxid,
                                                 absl::Time time) {
  DCOS_RETURN_IF_ERROR(ValidateSetArgs(path, data));
  DCOS_RETURN_IF_ERROR(CheckSetOrVersion(path, expected_version));
  SetDataResult result;
  result.changes.zxid = zxid;
  result.stat = DoSetData(std::string(path), data, zxid, time, &result.changes, nullptr);
  return result;
}

SessionCleanup ZnodeTree::DeleteSession(int64_t session_id, int64_t zxid) {
  SessionCleanup cleanup;
  cleanup.changes.zxid = zxid;
  cleanup.deleted = EphemeralsOf(session_id);
  for (const std::string& path : cleanup.deleted) {
    DoDelete(path, zxid, &cleanup.changes, nullptr);
  }
  return cleanup;
}

// --- Reads ---

absl::StatusOr<std::optional<Stat>> ZnodeTree::Exists(absl::string_view path) const {
  DCOS_RETURN_IF_ERROR(ValidatePath(path, config_.max_path_bytes));
  const Node* node = Find(path);
  if (node == nullptr) return std::optional<Stat>();
  return std::optional<Stat>(StatOf(*node));
}

absl::StatusOr<NodeData> ZnodeTree::GetData(absl::string_view path) const {
  DCOS_RETURN_IF_ERROR(ValidatePath(path, config_.max_path_bytes));
  const Node* node = Find(path);
  if (node == nullptr) return ZkStatus(ZkCode::kNoNode, path, "node does not exist");
  return NodeData{node->data, StatOf(*node)};
}

absl::StatusOr<ChildrenList> ZnodeTree::GetChildren(absl::string_view path) const {
  DCOS_RETURN_IF_ERROR(ValidatePath(path, config_.max_path_bytes));
  const Node* node = Find(path);
  if (node == nullptr) return ZkStatus(ZkCode::kNoNode, path, "node does not exist");
  return ChildrenList{std::vector<std::string>(node->children.begin(), node->children.end()),
                      StatOf(*node)};
}

std::vector<std::string> ZnodeTree::EphemeralsOf(int64_t session_id) const {
  auto it = ephemerals_.find(session_id);
  if (it == ephemerals_.end()) return {};
  return std::vector<std::string>(it->second.begin(), it->second.end());
}

std::vector<int64_t> ZnodeTree::SessionsWithEphemerals() const {
  std::vector<int64_t> sessions;
  sessions.reserve(ephemerals_.size());
  for (const auto& [session, paths] : ephemerals_) sessions.push_back(session);
  return sessions;
}

std::vector<std::string> ZnodeTree::ContainersToDelete() const {
  std::vector<std::string> out;
  for (const std::string& path : containers_) {
    const Node* node = Find(path);
    if (node->stat.cversion > 0 && node->children.empty()) out.push_back(path);
  }
  return out;
}

absl::Status ZnodeTree::CheckInvariants() const {
  auto fail = [](absl::string_view what, absl::string_view path) {
    return absl::InternalError(absl::StrCat("tree invariant violated at ", path, ": ", what));
  };
  if (Find("/") == nullptr) return fail("no root", "/");
  uint64_t bytes = 0;
  size_t ephemerals = 0, containers = 0;
  for (const auto& [path, node] : nodes_) {
    bytes += node.data.size();
    if (path != "/") {
      const Node* parent = Find(ParentPath(path));
      if (parent == nullptr) return fail("parent missing", path);
      if (!parent->children.contains(std::string(BaseName(path)))) {
        return fail("parent does not list it", path);
      }
      if (parent->stat.ephemeral_owner != 0) return fail("child of an ephemeral", path);
    }
    for (const std::string& child : node.children) {
      if (Find(JoinPath(path, child)) == nullptr) return fail("listed child missing", path);
    }
    if (node.stat.ephemeral_owner != 0) {
      ++ephemerals;
      auto it = ephemerals_.find(node.stat.ephemeral_owner);
      if (it == ephemerals_.end() || !it->second.contains(path)) {
        return fail("ephemeral not indexed", path);
      }
      if (node.container) return fail("ephemeral container", path);
    }
    if (node.container) {
      ++containers;
      if (!containers_.contains(path)) return fail("container not indexed", path);
    }
  }
  size_t indexed = 0;
  for (const auto& [session, paths] : ephemerals_) {
    if (paths.empty()) return fail("empty ephemeral index entry", "/");
    indexed += paths.size();
  }
  if (bytes != data_bytes_) return fail("data byte count", "/");
  if (ephemerals != ephemeral_count_ || indexed != ephemeral_count_) {
    return fail("ephemeral count", "/");
  }
  if (containers != containers_.size()) return fail("container count", "/");
  return absl::OkStatus();
}

}  // namespace dcos::zk
