// ZnodeTree::Multi: all-or-nothing transactions, with an undo log for rollback.

#include <utility>

#include "absl/strings/str_format.h"
#include "libs/status/status_macros.h"
#include "services/zk-ensemble/core/path.h"
#include "services/zk-ensemble/core/tree.h"

namespace dcos::zk {

absl::StatusOr<MultiResult> ZnodeTree::Multi(const std::vector<MultiOp>& ops,
                                             int64_t session_id, int64_t zxid,
                                             absl::Time time) {
  // The request as a whole: checked before anything is applied.
  if (ops.empty()) return ZkStatus(ZkCode::kBadArguments, "", "a multi needs at least one op");
  if (ops.size() > config_.max_multi_ops) {
    return ZkStatus(ZkCode::kBadArguments, "",
                    absl::StrFormat("a multi of %d ops is more than the limit of %d",
                                    ops.size(), config_.max_multi_ops));
  }
  size_t total_data = 0;
  for (size_t i = 0; i < ops.size(); ++i) {
    const MultiOp& op = ops[i];
    absl::Status valid;
    switch (op.type) {
      case MultiOp::Type::kCheck:
        valid = ValidateCheckArgs(op.path);
        break;
      case MultiOp::Type::kCreate:
        valid = ValidateCreateArgs(op.path, op.data, op.mode, session_id);
        break;
      case MultiOp::Type::kDelete:
        valid = ValidateDeleteArgs(op.path);
        break;
      case MultiOp::Type::kSetData:
        valid = ValidateSetArgs(op.path, op.data);
        break;
      default:
        valid = ZkStatus(ZkCode::kBadArguments, "",
                         absl::StrFormat("unknown op type %d", static_cast<int>(op.type)));
    }
    if (!valid.ok()) {
      absl::Status with_index(valid.code(), absl::StrFormat("op %d: %s", i, valid.message()));
      if (auto payload = valid.GetPayload(kZkErrorPayloadUrl)) {
        with_index.SetPayload(kZkErrorPayloadUrl, *payload);
      }
      return with_index;
    }
    total_data += op.data.size();
  }
  if (total_data > config_.max_data_bytes) {
    return ZkStatus(ZkCode::kBadArguments, "",
                    absl::StrFormat("the ops' data add up to %d bytes, more than the limit "
                                    "of %d bytes",
                                    total_data, config_.max_data_bytes));
  }

  MultiResult result;
  result.changes.zxid = zxid;
  result.results.resize(ops.size());
  std::vector<Undo> undo;
  for (size_t i = 0; i < ops.size(); ++i) {
    const MultiOp& op = ops[i];
    MultiOpResult& r = result.results[i];
    r.type = op.type;
    absl::Status failed;
    switch (op.type) {
      case MultiOp::Type::kCheck:
        failed = CheckSetOrVersion(op.path, op.expected_version);
        break;
      case MultiOp::Type::kCreate: {
        absl::StatusOr<std::string> final_path = CheckCreate(op.path, op.mode);
        if (!final_path.ok()) {
          failed = final_path.status();
          break;
        }
        r.stat = DoCreate(*final_path, op.data, op.mode, session_id, zxid, time,
                          &result.changes, &undo);
        r.path = *std::move(final_path);
        break;
      }
      case MultiOp::Type::kDelete:
        failed = CheckDelete(op.path, op.expected_version);
        if (failed.ok()) DoDelete(op.path, zxid, &result.changes, &undo);
        break;
      case MultiOp::Type::kSetData:
        failed = CheckSetOrVersion(op.path, op.expected_version);
        if (failed.ok()) {
          r.stat = DoSetData(op.path, op.data, zxid, time, &result.changes, &undo);
        }
        break;
    }
    if (!failed.ok()) {
      Rollback(&undo);
      for (size_t j = 0; j < ops.size(); ++j) {
        result.results[j] = MultiOpResult{ops[j].type, ZkCode::kRuntimeInconsistency, "", {}};
      }
      result.results[i].error = ZkCodeOf(failed);
      result.failed_index = static_cast<int>(i);
      result.failure = std::move(failed);
      result.changes.list.clear();
      return result;
    }
  }
  result.committed = true;
  return result;
}

void ZnodeTree::Rollback(std::vector<Undo>* undo) {
  for (auto it = undo->rbegin(); it != undo->rend(); ++it) {
    switch (it->kind) {
      case Undo::Kind::kUncreate:
        Remove(it->path);
        Find(ParentPath(it->path))->stat = it->parent_stat;
        break;
      case Undo::Kind::kUndelete:
        Insert(it->path, std::move(it->node));
        Find(ParentPath(it->path))->stat = it->parent_stat;
        break;
      case Undo::Kind::kUnset: {
        Node* node = Find(it->path);
        data_bytes_ -= node->data.size();
        node->data = std::move(it->node.data);
        data_bytes_ += node->data.size();
        node->stat = it->node.stat;
        break;
      }
    }
  }
  undo->clear();
}

}  // namespace dcos::zk
