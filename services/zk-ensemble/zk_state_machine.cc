#include "services/zk-ensemble/zk_state_machine.h"

#include "absl/strings/str_cat.h"
#include "protos/raft/v1/raft.pb.h"
#include "services/zk-ensemble/core/path.h"
#include "services/zk-ensemble/core/rewatch.h"

namespace dcos::zk {

using dcos::zk::internal::v1::Command;

void ToProto(const Stat& s, dcos::zk::v1::Stat* out) {
  out->set_czxid(s.czxid);
  out->set_mzxid(s.mzxid);
  out->set_pzxid(s.pzxid);
  int64_t cms = absl::ToUnixMillis(s.ctime);
  int64_t mms = absl::ToUnixMillis(s.mtime);
  out->mutable_ctime()->set_seconds(cms / 1000);
  out->mutable_ctime()->set_nanos(static_cast<int32_t>((cms % 1000) * 1000000));
  out->mutable_mtime()->set_seconds(mms / 1000);
  out->mutable_mtime()->set_nanos(static_cast<int32_t>((mms % 1000) * 1000000));
  out->set_version(s.version);
  out->set_cversion(s.cversion);
  out->set_aversion(s.aversion);
  out->set_ephemeral_owner(s.ephemeral_owner);
  out->set_data_length(s.data_length);
  out->set_num_children(s.num_children);
}

CreateMode FromProto(dcos::zk::v1::CreateMode mode) {
  switch (mode) {
    case dcos::zk::v1::CREATE_MODE_EPHEMERAL: return CreateMode::kEphemeral;
    case dcos::zk::v1::CREATE_MODE_PERSISTENT_SEQUENTIAL: return CreateMode::kPersistentSequential;
    case dcos::zk::v1::CREATE_MODE_EPHEMERAL_SEQUENTIAL: return CreateMode::kEphemeralSequential;
    case dcos::zk::v1::CREATE_MODE_CONTAINER: return CreateMode::kContainer;
    default: return CreateMode::kPersistent;
  }
}

namespace {

int32_t ExpectedVersion(bool has, int32_t v) { return has ? v : -1; }

std::vector<MultiOp> ToMultiOps(const dcos::zk::v1::MultiRequest& request) {
  std::vector<MultiOp> ops;
  for (const auto& op : request.ops()) {
    switch (op.op_case()) {
      case dcos::zk::v1::Op::kCheck:
        ops.push_back(MultiOp::Check(op.check().path(),
                                     ExpectedVersion(op.check().has_expected_version(),
                                                     op.check().expected_version())));
        break;
      case dcos::zk::v1::Op::kCreate:
        ops.push_back(MultiOp::Create(op.create().path(), op.create().data(),
                                      FromProto(op.create().mode())));
        break;
      case dcos::zk::v1::Op::kDeleteNode:
        ops.push_back(MultiOp::Delete(op.delete_node().path(),
                                      ExpectedVersion(op.delete_node().has_expected_version(),
                                                      op.delete_node().expected_version())));
        break;
      case dcos::zk::v1::Op::kSetData:
        ops.push_back(MultiOp::SetData(op.set_data().path(), op.set_data().data(),
                                       ExpectedVersion(op.set_data().has_expected_version(),
                                                       op.set_data().expected_version())));
        break;
      default:
        ops.push_back(MultiOp::Check(""));  // rejected by the tree as BAD_ARGUMENTS
        break;
    }
  }
  return ops;
}

}  // namespace

ZkStateMachine::ZkStateMachine(ZkLimits limits)
    : limits_(limits), tree_(limits.tree), sessions_(limits.sessions) {}

void ZkStateMachine::Apply(const raft::Entry& entry) {
  absl::MutexLock lock(&mu_);
  last_zxid_ = static_cast<int64_t>(entry.index());
  if (entry.type() != ::dcos::raft::v1::ENTRY_TYPE_NORMAL || entry.data().empty()) return;
  Command command;
  if (!command.ParseFromString(entry.data())) {
    // Written by a leader of this ensemble: cannot happen unless the log is corrupt, which the
    // storage's checksums rule out. Apply nothing, identically on every member.
    result_index_ = entry.index();
    result_ = WriteResult{absl::InternalError("unreadable command in the log"), {}, {}, {}};
    return;
  }
  result_ = ApplyCommand(command, static_cast<int64_t>(entry.index()));
  result_index_ = entry.index();
}

WriteResult ZkStateMachine::ApplyCommand(const Command& command, int64_t zxid) {
  WriteResult r;
  absl::Time time = absl::FromUnixMicros(command.time_micros());
  // A write made in a session is proof of life; an ephemeral needs a live session.
  auto touch = [&](int64_t session_id) {
    if (session_id != 0 && sessions_.Exists(session_id)) (void)sessions_.Touch(session_id, time);
  };
  switch (command.op_case()) {
    case Command::kCreate: {
      const auto& c = command.create();
      touch(c.session_id());
      CreateMode mode = FromProto(c.mode());
      if (mode == CreateMode::kEphemeral || mode == CreateMode::kEphemeralSequential) {
        absl::Status live = sessions_.CheckLive(c.session_id());
        if (!live.ok()) {
          r.status = live;
          break;
        }
      }
      absl::StatusOr<CreateResult> created =
          tree_.Create(c.path(), c.data(), FromProto(c.mode()), c.session_id(), zxid, time);
      if (!created.ok()) {
        r.status = created.status();
        break;
      }
      Fire(created->changes);
      r.create.set_path(created->path);
      ToProto(created->stat, r.create.mutable_stat());
      r.create.mutable_header()->set_zxid(zxid);
      break;
    }
    case Command::kDeleteNode: {
      const auto& d = command.delete_node();
      touch(d.session_id());
      touch(d.session_id());
      absl::StatusOr<Changes> deleted = tree_.Delete(
          d.path(), ExpectedVersion(d.has_expected_version(), d.expected_version()), zxid);
      if (!deleted.ok()) {
        r.status = deleted.status();
      } else {
        Fire(*deleted);
      }
      break;
    }
    case Command::kSetData: {
      const auto& s = command.set_data();
      touch(s.session_id());
      absl::StatusOr<SetDataResult> set = tree_.SetData(
          s.path(), s.data(), ExpectedVersion(s.has_expected_version(), s.expected_version()),
          zxid, time);
      if (!set.ok()) {
        r.status = set.status();
        break;
      }
      Fire(set->changes);
      ToProto(set->stat, r.set_data.mutable_stat());
      r.set_data.mutable_header()->set_zxid(zxid);
      break;
    }
    case Command::kMulti: {
      touch(command.multi().session_id());
      bool needs_session = false;
      for (const auto& op : command.multi().ops()) {
        CreateMode mode = FromProto(op.create().mode());
        needs_session |= op.has_create() && (mode == CreateMode::kEphemeral ||
                                             mode == CreateMode::kEphemeralSequential);
      }
      if (needs_session) {
        absl::Status live = sessions_.CheckLive(command.multi().session_id());
        if (!live.ok()) {
          r.status = live;
          break;
        }
      }
      absl::StatusOr<MultiResult> multi =
          tree_.Multi(ToMultiOps(command.multi()), command.multi().session_id(), zxid, time);
      if (!multi.ok()) {
        r.status = multi.status();
        break;
      }
      if (multi->committed) Fire(multi->changes);
      r.multi.set_committed(multi->committed);
      r.multi.mutable_header()->set_zxid(zxid);
      for (const MultiOpResult& op : multi->results) {
        auto* out = r.multi.add_results();
        if (op.error != ZkCode::kOk) {
          out->mutable_error()->set_code(static_cast<dcos::zk::v1::ErrorCode>(op.error));
          continue;
        }
        switch (op.type) {
          case MultiOp::Type::kCheck: out->mutable_check(); break;
          case MultiOp::Type::kCreate:
            out->mutable_create()->set_path(op.path);
            ToProto(op.stat, out->mutable_create()->mutable_stat());
            break;
          case MultiOp::Type::kDelete: out->mutable_delete_node(); break;
          case MultiOp::Type::kSetData: ToProto(op.stat, out->mutable_set_data()->mutable_stat()); break;
        }
      }
      break;
    }
    case Command::kCreateSession: {
      const auto& c = command.create_session();
      r.status = sessions_.Create(c.session_id(), absl::Milliseconds(c.timeout_ms()), time,
                                  c.password());
      break;
    }
    case Command::kCloseSession:
    case Command::kExpireSession: {
      int64_t id = command.has_close_session() ? command.close_session().session_id()
                                               : command.expire_session().session_id();
      r.status = command.has_close_session() ? sessions_.Close(id) : sessions_.Expire(id);
      if (r.status.ok()) {
        Fire(tree_.DeleteSession(id, zxid).changes);
        if (hub_ != nullptr) hub_->RemoveSession(id);
      }
      break;
    }
    default:
      r.status = absl::InvalidArgumentError("empty command");
  }
  return r;
}

std::optional<WriteResult> ZkStateMachine::TakeResult(uint64_t index) {
  if (index != result_index_) return std::nullopt;
  return std::move(result_);
}

std::string ZkStateMachine::Snapshot() {
  absl::ReaderMutexLock lock(&mu_);
  dcos::zk::internal::v1::ZkSnapshot snapshot;
  snapshot.set_tree(tree_.Snapshot());
  snapshot.set_sessions(sessions_.Snapshot());
  return snapshot.SerializeAsString();
}

absl::Status ZkStateMachine::Restore(const std::string& data, uint64_t index) {
  dcos::zk::internal::v1::ZkSnapshot snapshot;
  if (!snapshot.ParseFromString(data)) {
    return absl::DataLossError("dcos-zk snapshot is not readable");
  }
  absl::StatusOr<ZnodeTree> tree = ZnodeTree::Restore(snapshot.tree(), limits_.tree);
  if (!tree.ok()) return tree.status();
  absl::StatusOr<SessionTable> sessions =
      SessionTable::Restore(snapshot.sessions(), limits_.sessions);
  if (!sessions.ok()) return sessions.status();
  absl::MutexLock lock(&mu_);
  tree_ = *std::move(tree);
  sessions_ = *std::move(sessions);
  last_zxid_ = static_cast<int64_t>(index);
  return absl::OkStatus();
}

BackupImage ZkStateMachine::Backup() const {
  std::optional<ZnodeTree> copy;
  std::vector<int64_t> sessions;
  BackupImage image;
  {
    absl::ReaderMutexLock lock(&mu_);
    copy.emplace(tree_);
    sessions = sessions_.SessionIds();
    image.zxid = last_zxid_;
  }
  for (int64_t id : sessions) copy->DeleteSession(id, image.zxid);
  image.tree = copy->Snapshot();
  image.znodes = copy->NodeCount();
  return image;
}

bool ZkStateMachine::SessionLive(int64_t session_id) const {
  absl::ReaderMutexLock lock(&mu_);
  return sessions_.Exists(session_id);
}

absl::Status ZkStateMachine::CheckSessionPassword(int64_t session_id,
                                                  absl::string_view password) const {
  absl::ReaderMutexLock lock(&mu_);
  return sessions_.CheckPassword(session_id, password);
}

absl::StatusOr<SessionInfo> ZkStateMachine::GetSession(int64_t session_id) const {
  absl::ReaderMutexLock lock(&mu_);
  return sessions_.Get(session_id);
}

SessionTable ZkStateMachine::Sessions() const {
  absl::ReaderMutexLock lock(&mu_);
  return sessions_;
}

absl::Duration ZkStateMachine::NegotiateTimeout(absl::Duration requested) const {
  return ::dcos::zk::NegotiateTimeout(limits_.sessions, requested);
}

void ZkStateMachine::Fire(const Changes& changes) {
  if (hub_ != nullptr) hub_->Fire(changes);
}

void ZkStateMachine::FinishRead(const ReadContext& read, const std::string& path,
                                WatchHub::Kind kind, bool) const {
  if (read.zxid != nullptr) *read.zxid = last_zxid_;
  if (hub_ == nullptr || read.session_id == 0) return;
  if (read.watch) hub_->Register(read.session_id, path, kind);
  if (read.watch_sequence != nullptr) *read.watch_sequence = hub_->Sequence(read.session_id);
}

absl::StatusOr<std::optional<Stat>> ZkStateMachine::Exists(const std::string& path,
                                                           const ReadContext& read) const {
  absl::ReaderMutexLock lock(&mu_);
  absl::StatusOr<std::optional<Stat>> stat = tree_.Exists(path);
  // An exists watch is set whether or not the node exists (it fires on creation).
  if (stat.ok()) FinishRead(read, path, WatchHub::Kind::kData, stat->has_value());
  return stat;
}

absl::StatusOr<NodeData> ZkStateMachine::GetData(const std::string& path,
                                                 const ReadContext& read) const {
  absl::ReaderMutexLock lock(&mu_);
  absl::StatusOr<NodeData> data = tree_.GetData(path);
  if (data.ok()) FinishRead(read, path, WatchHub::Kind::kData, true);
  return data;
}

absl::StatusOr<ChildrenList> ZkStateMachine::GetChildren(const std::string& path,
                                                         const ReadContext& read) const {
  absl::ReaderMutexLock lock(&mu_);
  absl::StatusOr<ChildrenList> children = tree_.GetChildren(path);
  if (children.ok()) FinishRead(read, path, WatchHub::Kind::kChild, true);
  return children;
}

void ZkStateMachine::ReadTree(absl::FunctionRef<void(const ZnodeTree&)> read,
                              int64_t* zxid) const {
  absl::ReaderMutexLock lock(&mu_);
  *zxid = last_zxid_;
  read(tree_);
}

void ZkStateMachine::AddPersistentWatch(const std::string& path, bool recursive,
                                        const ReadContext& read) const {
  absl::ReaderMutexLock lock(&mu_);
  if (read.zxid != nullptr) *read.zxid = last_zxid_;
  if (hub_ == nullptr || read.session_id == 0) return;
  hub_->RegisterPersistent(read.session_id, path, recursive);
  if (read.watch_sequence != nullptr) *read.watch_sequence = hub_->Sequence(read.session_id);
}

void ZkStateMachine::SetWatches(int64_t session_id, const v1::SetWatches& watches) const {
  if (hub_ == nullptr) return;
  absl::ReaderMutexLock lock(&mu_);
  std::vector<WatchEvent> missed;
  auto rewatch = [&](const std::string& path, RewatchKind kind) {
    absl::StatusOr<std::optional<Stat>> stat = tree_.Exists(path);
    if (!stat.ok()) return;  // an invalid path cannot hold a watch
    std::optional<WatchEventType> fire = Rewatch(kind, *stat, watches.relative_zxid());
    if (fire.has_value()) {
      missed.push_back(WatchEvent{*fire, path, last_zxid_});
    } else {
      hub_->Register(session_id, path,
                     kind == RewatchKind::kChild ? WatchHub::Kind::kChild : WatchHub::Kind::kData);
    }
  };
  for (const std::string& p : watches.data_watches()) rewatch(p, RewatchKind::kData);
  for (const std::string& p : watches.exist_watches()) rewatch(p, RewatchKind::kExist);
  for (const std::string& p : watches.child_watches()) rewatch(p, RewatchKind::kChild);
  for (const std::string& p : watches.persistent_watches()) {
    if (ValidatePath(p, limits_.tree.max_path_bytes).ok()) hub_->RegisterPersistent(session_id, p, false);
  }
  for (const std::string& p : watches.persistent_recursive_watches()) {
    if (ValidatePath(p, limits_.tree.max_path_bytes).ok()) hub_->RegisterPersistent(session_id, p, true);
  }
  hub_->Queue(session_id, missed);
}

bool ZkStateMachine::WaitForZxid(int64_t zxid, absl::Duration timeout) const {
  auto applied = [this, zxid]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return last_zxid_ >= zxid; };
  bool reached = mu_.ReaderLockWhenWithTimeout(absl::Condition(&applied), timeout);
  mu_.ReaderUnlock();
  return reached;
}

int64_t ZkStateMachine::last_zxid() const {
  absl::ReaderMutexLock lock(&mu_);
  return last_zxid_;
}

size_t ZkStateMachine::znode_count() const {
  absl::ReaderMutexLock lock(&mu_);
  return tree_.NodeCount();
}

size_t ZkStateMachine::session_count() const {
  absl::ReaderMutexLock lock(&mu_);
  return sessions_.size();
}

}  // namespace dcos::zk
