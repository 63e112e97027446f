#include "services/master/zk_registry.h"

#include <algorithm>
#include <atomic>
#include <iterator>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "libs/log/log.h"
#include "libs/zk/errors.h"
#include "libs/zk/recipes/paths.h"
#include "services/master/registry_entry.h"

namespace dcos::master {
namespace {

constexpr const char* kDirs[] = {"admitted", "unreachable", "gone"};
// A Multi holds at most 1000 ops; each registry op takes up to two, plus the fence.
constexpr size_t kOpsPerMulti = 400;
// Registry entries read per MultiRead while loading (one znode per agent, a few hundred bytes
// each: a reply of well under the 4 MiB message limit; 10,000 agents are 10 calls).
constexpr size_t kReadsPerCall = 1000;
// MultiReads in flight at once while loading: the member serves each on its own, and the
// takeover waits for the last.
constexpr size_t kCallsInFlight = 4;

const char* DirOf(RegistryOp::Kind kind) {
  switch (kind) {
    case RegistryOp::Kind::kAdmit:
    case RegistryOp::Kind::kMarkReachable:
      return "admitted";
    case RegistryOp::Kind::kMarkUnreachable:
      return "unreachable";
    case RegistryOp::Kind::kMarkGone:
      return "gone";
    case RegistryOp::Kind::kSetPolicy:
      break;  // not a directory (Apply writes <root>/policy)
  }
  return "admitted";
}

// Why a Multi did not apply: its failing op (the others answer RUNTIME_INCONSISTENCY).
absl::Status NotApplied(const std::vector<zk::v1::Op>& batch, const zk::v1::MultiResponse& r) {
  for (int i = 0; i < r.results_size() && i < static_cast<int>(batch.size()); ++i) {
    if (!r.results(i).has_error()) continue;
    const zk::v1::ErrorCode code = r.results(i).error().code();
    if (code == zk::v1::ERROR_CODE_RUNTIME_INCONSISTENCY) continue;
    const zk::v1::Op& op = batch[static_cast<size_t>(i)];
    if (i == 0) {  // the fence
      return absl::FailedPreconditionError(
          absl::StrCat("registry write refused: the fence ", op.check().path(), ": ",
                       zk::client::ErrorCodeName(code), " (this master no longer leads)"));
    }
    const std::string& path = op.has_create()     ? op.create().path()
                              : op.has_set_data() ? op.set_data().path()
                                                  : op.delete_node().path();
    return absl::AbortedError(absl::StrCat("registry write not applied: ",
                                           op.has_create()     ? "create "
                                           : op.has_set_data() ? "set "
                                                               : "delete ",
                                           path, ": ", zk::client::ErrorCodeName(code)));
  }
  return absl::AbortedError("registry write not applied (no op named why)");
}

}  // namespace

ZkRegistry::ZkRegistry(zk::client::ZkClient* zk, std::string root, std::string fence)
    : zk_(zk), root_(std::move(root)), fence_(std::move(fence)) {}

std::string ZkRegistry::PathOf(const std::string& dir, const std::string& id) const {
  return absl::StrCat(root_, "/", dir, "/", id);
}

absl::StatusOr<std::vector<ZkRegistry::Entry>> ZkRegistry::ReadAll(
    const std::string& dir, const std::vector<std::string>& ids) const {
  std::vector<std::string> paths;
  paths.reserve(ids.size());
  for (const std::string& id : ids) paths.push_back(PathOf(dir, id));
  const size_t calls = (paths.size() + kReadsPerCall - 1) / kReadsPerCall;
  std::vector<Entry> entries(paths.size());
  std::vector<absl::Status> errors(calls);
  // Each call reads and parses its own slice of `entries`.
  auto read = [&](size_t call) -> absl::Status {
    const size_t first = call * kReadsPerCall;
    const size_t last = std::min(paths.size(), first + kReadsPerCall);
    std::vector<zk::v1::ReadOp> ops(last - first);
    for (size_t i = first; i < last; ++i) ops[i - first].mutable_get_data()->set_path(paths[i]);
    absl::StatusOr<std::vector<zk::v1::ReadResult>> results = zk_->MultiRead(ops);
    if (!results.ok()) {
      return absl::Status(results.status().code(),
                          absl::StrCat("registry read of ", paths[first], " and the ",
                                       last - first - 1, " after it: ",
                                       results.status().message()));
    }
    for (size_t i = first; i < last; ++i) {
      zk::v1::ReadResult& r = (*results)[i - first];
      if (!r.has_data()) {
        // The directory was listed a moment ago and only this (fenced) leader writes it.
        return absl::DataLossError(absl::StrCat("registry read ", paths[i], ": error code ",
                                                r.error().code(), " for a listed entry"));
      }
      Entry& entry = entries[i];
      entry.data = std::move(*r.mutable_data()->mutable_data());
      absl::Status decoded = DecodeRegistryEntry(entry.data, &entry.info, &entry.state);
      if (!decoded.ok()) {
        return absl::DataLossError(
            absl::StrCat("registry entry ", paths[i], ": ", decoded.message()));
      }
      // The node is named after the agent it holds.
      const absl::string_view name = absl::string_view(paths[i]).substr(paths[i].rfind('/') + 1);
      if (entry.info.id().value() != name) {
        return absl::DataLossError(absl::StrCat("registry entry ", paths[i], " holds agent \"",
                                                entry.info.id().value(), "\""));
      }
    }
    return absl::OkStatus();
  };
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t call = next++; call < calls; call = next++) errors[call] = read(call);
  };
  std::vector<std::thread> helpers;
  for (size_t t = 1; t < std::min(calls, kCallsInFlight); ++t) helpers.emplace_back(work);
  work();
  for (std::thread& t : helpers) t.join();
  for (const absl::Status& error : errors) {
    if (!error.ok()) return error;
  }
  return entries;
}

absl::StatusOr<ZkRegistry::Entries> ZkRegistry::ListDir(const std::string& dir,
                                                        bool linearizable, bool create) const {
  const std::string path = absl::StrCat(root_, "/", dir);
  std::vector<zk::v1::ReadOp> ops(1);
  ops[0].mutable_get_children()->set_path(path);
  absl::StatusOr<std::vector<zk::v1::ReadResult>> r = zk_->MultiRead(ops, linearizable);
  auto missing = [&r] {
    return r.ok() && r->size() == 1 && (*r)[0].has_error() &&
           (*r)[0].error().code() == zk::v1::ERROR_CODE_NO_NODE;
  };
  if (create && missing()) {
    absl::Status made = zk::recipes::EnsurePath(*zk_, path);
    if (!made.ok()) return made;
    r = zk_->MultiRead(ops, linearizable);
  }
  if (!r.ok()) return r.status();
  if (r->size() != 1 || !(*r)[0].has_children()) {
    return missing() ? absl::NotFoundError(absl::StrCat("registry directory ", path, " is missing"))
                     : absl::InternalError(absl::StrCat("registry listing of ", path,
                                                        ": no children in the answer"));
  }
  zk::v1::ReadResult::ChildrenResult& children = *(*r)[0].mutable_children();
  Entries out;
  out.ids.assign(std::make_move_iterator(children.mutable_children()->begin()),
                 std::make_move_iterator(children.mutable_children()->end()));
  out.pzxid = children.stat().pzxid();
  return out;
}

absl::StatusOr<std::optional<std::string>> ZkRegistry::ReadPolicy() const {
  const std::string path = absl::StrCat(root_, "/policy");
  std::vector<zk::v1::ReadOp> ops(1);
  ops[0].mutable_get_data()->set_path(path);
  absl::StatusOr<std::vector<zk::v1::ReadResult>> r = zk_->MultiRead(ops, /*linearizable=*/true);
  if (!r.ok()) {
    return absl::Status(r.status().code(),
                        absl::StrCat("registry read ", path, ": ", r.status().message()));
  }
  if (r->size() != 1) return absl::InternalError(absl::StrCat("registry read ", path, ": no answer"));
  zk::v1::ReadResult& result = (*r)[0];
  if (result.has_data()) return std::optional<std::string>(std::move(*result.mutable_data()->mutable_data()));
  if (result.has_error() && result.error().code() == zk::v1::ERROR_CODE_NO_NODE) {
    return std::optional<std::string>();
  }
  return absl::InternalError(absl::StrCat("registry read ", path, ": error code ",
                                          result.error().code()));
}

absl::StatusOr<ZkRegistry::Entries> ZkRegistry::ReadDir(const std::string& dir) const {
  // Linearizable: everything written before this master was elected (the old leader's last
  // fenced writes included) is in the answer. The entries' reads below are local reads of a
  // member at least that recent (the client never reads back in time), and nobody else
  // writes the registry: the old leader's election node is gone, so its Multis fail. The
  // directory is created only when missing (a first leader): creating each level through
  // the log cost every takeover several round trips.
  absl::StatusOr<Entries> listed = ListDir(dir, /*linearizable=*/true, /*create=*/true);
  if (!listed.ok()) return listed.status();
  std::unique_ptr<Entries> warm;  // taken: a leader loads once
  {
    absl::MutexLock lock(&warm_mu_);
    auto it = warm_.find(dir);
    if (it != warm_.end()) {
      warm = std::move(it->second);
      warm_.erase(it);
    }
  }
  if (warm != nullptr && warm->pzxid == listed->pzxid && warm->ids == listed->ids) {
    log::Info("registry directory read")
        .Field("dir", dir)
        .Field("entries", static_cast<int64_t>(warm->ids.size()))
        .Field("warm", true);
    warm_dirs_used_.fetch_add(1);
    return std::move(*warm);
  }
  const absl::Time started = absl::Now();
  absl::StatusOr<std::vector<Entry>> entries = ReadAll(dir, listed->ids);
  if (!entries.ok()) return entries.status();
  log::Info("registry directory read")
      .Field("dir", dir)
      .Field("entries", static_cast<int64_t>(listed->ids.size()))
      .Field("read_ms", absl::ToInt64Milliseconds(absl::Now() - started));
  listed->entries = *std::move(entries);
  return *std::move(listed);
}

absl::Status ZkRegistry::Prefetch() {
  // One look at the three directories' stats (local reads: whatever they see is checked
  // against a linearizable listing at takeover); a listing only for one that changed.
  std::vector<zk::v1::ReadOp> ops(std::size(kDirs));
  for (size_t d = 0; d < std::size(kDirs); ++d) {
    ops[d].mutable_get_data()->set_path(absl::StrCat(root_, "/", kDirs[d]));
  }
  absl::StatusOr<std::vector<zk::v1::ReadResult>> stats = zk_->MultiRead(ops);
  if (!stats.ok()) return stats.status();
  if (stats->size() != ops.size()) return absl::InternalError("registry prefetch: short answer");
  for (size_t d = 0; d < std::size(kDirs); ++d) {
    const std::string dir = kDirs[d];
    if (!(*stats)[d].has_data()) continue;  // no leader has made it yet
    const int64_t pzxid = (*stats)[d].data().stat().pzxid();
    {
      absl::MutexLock lock(&warm_mu_);
      auto warm = warm_.find(dir);
      if (warm != warm_.end() && warm->second->pzxid == pzxid) continue;
      // Read once the leader has stopped writing it for a while: not on every write of a burst.
      const bool settled = seen_pzxid_[dir] == pzxid;
      seen_pzxid_[dir] = pzxid;
      if (!settled) continue;
    }
    absl::StatusOr<Entries> listed = ListDir(dir, /*linearizable=*/false, /*create=*/false);
    if (absl::IsNotFound(listed.status())) continue;
    if (!listed.ok()) return listed.status();
    if (listed->pzxid != pzxid) continue;  // written again meanwhile: next time
    // Entries read after the listing are at least as recent (the client never reads back in
    // time); if one changed meanwhile, so did the pzxid, and Load will not take this copy.
    absl::StatusOr<std::vector<Entry>> entries = ReadAll(dir, listed->ids);
    if (!entries.ok()) return entries.status();
    listed->entries = *std::move(entries);
    log::Info("registry prefetched")
        .Field("dir", dir)
        .Field("entries", static_cast<int64_t>(listed->ids.size()))
        .Field("pzxid", listed->pzxid);
    auto copy = std::make_unique<Entries>(*std::move(listed));
    absl::MutexLock lock(&warm_mu_);
    warm_[dir] = std::move(copy);
  }
  return absl::OkStatus();
}

absl::StatusOr<RegistryContents> ZkRegistry::Load() {
  std::vector<absl::StatusOr<Entries>> read(std::size(kDirs), absl::UnknownError("not read"));
  absl::StatusOr<std::optional<std::string>> policy = absl::UnknownError("not read");
  {
    std::vector<std::thread> readers;
    for (size_t d = 0; d < std::size(kDirs); ++d) {
      readers.emplace_back([this, d, &read] { read[d] = ReadDir(kDirs[d]); });
    }
    policy = ReadPolicy();
    for (std::thread& t : readers) t.join();
  }
  RegistryContents contents;
  mirror_.clear();
  if (!policy.ok()) return policy.status();
  if (policy->has_value()) {
    v1::RolePolicy parsed;
    if (!parsed.ParseFromString(**policy)) {
      return absl::DataLossError(
          absl::StrCat("registry entry ", root_, "/policy: not a RolePolicy"));
    }
    contents.policy = std::move(parsed);
  }
  policy_data_ = *std::move(policy);
  for (size_t d = 0; d < std::size(kDirs); ++d) {
    if (!read[d].ok()) return read[d].status();
    const std::string dir = kDirs[d];
    Entries& entries = *read[d];
    std::vector<common::v1::AgentInfo>& list = dir == "admitted"      ? contents.admitted
                                               : dir == "unreachable" ? contents.unreachable
                                                                      : contents.gone;
    list.reserve(entries.ids.size());
    for (size_t i = 0; i < entries.ids.size(); ++i) {
      if (dir != "gone" && HasRegistryState(entries.entries[i].state)) {
        contents.states[entries.ids[i]] = std::move(entries.entries[i].state);
      }
      list.push_back(std::move(entries.entries[i].info));
      mirror_[std::move(entries.ids[i])] = {dir, std::move(entries.entries[i].data)};
    }
  }
  return contents;
}

absl::Status ZkRegistry::Apply(const std::vector<RegistryOp>& ops) {
  std::map<std::string, std::pair<std::string, std::string>> next = mirror_;
  std::vector<zk::v1::Op> multi;
  const RegistryOp* policy = nullptr;  // the last policy of the ops: the one that stays
  for (const RegistryOp& op : ops) {
    if (op.kind == RegistryOp::Kind::kSetPolicy) {
      policy = &op;
      continue;
    }
    const std::string& id = op.agent.id().value();
    std::string dir = DirOf(op.kind);
    std::string data = EncodeRegistryEntry(op.agent, op.state);
    auto it = next.find(id);
    if (it != next.end() && it->second.first == dir && it->second.second == data) continue;
    if (it != next.end()) {
      zk::v1::Op del;
      del.mutable_delete_node()->set_path(PathOf(it->second.first, id));
      multi.push_back(std::move(del));
    }
    zk::v1::Op create;
    create.mutable_create()->set_path(PathOf(dir, id));
    create.mutable_create()->set_data(data);
    multi.push_back(std::move(create));
    next[id] = {dir, std::move(data)};
  }
  std::optional<std::string> next_policy = policy_data_;
  if (policy != nullptr) {
    std::string data = policy->policy.SerializeAsString();
    if (data != next_policy) {
      zk::v1::Op write;
      const std::string path = absl::StrCat(root_, "/policy");
      if (next_policy.has_value()) {
        write.mutable_set_data()->set_path(path);
        write.mutable_set_data()->set_data(data);
      } else {
        write.mutable_create()->set_path(path);
        write.mutable_create()->set_data(data);
      }
      multi.push_back(std::move(write));
      next_policy = std::move(data);
    }
  }
  // A failure part-way leaves earlier batches applied; the driver stops the master then, and
  // the next leader reads the registry as it is.
  size_t begin = 0;
  while (begin < multi.size()) {
    size_t end = std::min(multi.size(), begin + kOpsPerMulti);
    // Never split a delete from the create that follows it.
    if (end < multi.size() && multi[end].has_create() && multi[end - 1].has_delete_node()) --end;
    std::vector<zk::v1::Op> batch;
    zk::v1::Op fence;
    fence.mutable_check()->set_path(fence_);
    batch.push_back(std::move(fence));
    batch.insert(batch.end(), multi.begin() + begin, multi.begin() + end);
    absl::StatusOr<zk::v1::MultiResponse> r = zk_->Multi(batch);
    if (!r.ok()) {
      return absl::Status(r.status().code(),
                          absl::StrCat("registry write (fenced by ", fence_, "): ",
                                       r.status().message()));
    }
    // A Multi that could not apply is an OK call with committed=false: nothing was written.
    if (!r->committed()) return NotApplied(batch, *r);
    begin = end;
  }
  mirror_ = std::move(next);
  policy_data_ = std::move(next_policy);
  return absl::OkStatus();
}

}  // namespace dcos::master
