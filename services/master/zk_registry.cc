#include "services/master/zk_registry.h"

#include <algorithm>
#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "libs/log/log.h"
#include "libs/zk/recipes/paths.h"

namespace dcos::master {
namespace {

constexpr const char* kDirs[] = {"admitted", "unreachable", "gone"};
// A Multi holds at most 1000 ops; each registry op takes up to two, plus the fence.
constexpr size_t kOpsPerMulti = 400;
// Registry reads in flight at once while loading (one znode per agent: 10,000 agents are
// 10,000 reads, pipelined on the client's channel instead of one round trip after another).
constexpr size_t kParallelReads = 32;

const char* DirOf(RegistryOp::Kind kind) {
  switch (kind) {
    case RegistryOp::Kind::kAdmit:
    case RegistryOp::Kind::kMarkReachable:
      return "admitted";
    case RegistryOp::Kind::kMarkUnreachable:
      return "unreachable";
    case RegistryOp::Kind::kMarkGone:
      return "gone";
  }
  return "admitted";
}

}  // namespace

ZkRegistry::ZkRegistry(zk::client::ZkClient* zk, std::string root, std::string fence)
    : zk_(zk), root_(std::move(root)), fence_(std::move(fence)) {}

std::string ZkRegistry::PathOf(const std::string& dir, const std::string& id) const {
  return absl::StrCat(root_, "/", dir, "/", id);
}

absl::StatusOr<std::vector<std::string>> ZkRegistry::ReadAll(
    const std::vector<std::string>& paths) const {
  std::vector<std::string> data(paths.size());
  std::vector<absl::Status> errors(paths.size());
  std::atomic<size_t> next{0};
  auto reader = [&] {
    for (size_t i = next++; i < paths.size(); i = next++) {
      absl::StatusOr<std::pair<std::string, zk::v1::Stat>> read = zk_->GetData(paths[i]);
      if (read.ok()) {
        data[i] = std::move(read->first);
      } else {
        errors[i] = read.status();
      }
    }
  };
  std::vector<std::thread> readers;
  const size_t n = std::min(paths.size(), kParallelReads);
  for (size_t i = 1; i < n; ++i) readers.emplace_back(reader);
  reader();
  for (std::thread& t : readers) t.join();
  for (size_t i = 0; i < paths.size(); ++i) {
    if (!errors[i].ok()) {
      return absl::Status(errors[i].code(),
                          absl::StrCat("registry read ", paths[i], ": ", errors[i].message()));
    }
  }
  return data;
}

absl::StatusOr<RegistryContents> ZkRegistry::Load() {
  RegistryContents contents;
  mirror_.clear();
  for (const char* dir : kDirs) {
    std::string path = absl::StrCat(root_, "/", dir);
    absl::Status made = zk::recipes::EnsurePath(*zk_, path);
    if (!made.ok()) return made;
    // Linearizable: everything written before this master was elected (the old leader's last
    // fenced writes included) is in the answer. The entries' reads below are local reads of a
    // member at least that recent (the client never reads back in time), and nobody else
    // writes the registry: the old leader's election node is gone, so its Multis fail.
    absl::StatusOr<std::vector<std::string>> ids = zk_->GetChildren(path, /*linearizable=*/true);
    if (!ids.ok()) return ids.status();
    std::vector<std::string> paths;
    paths.reserve(ids->size());
    for (const std::string& id : *ids) paths.push_back(PathOf(dir, id));
    const absl::Time started = absl::Now();
    absl::StatusOr<std::vector<std::string>> data = ReadAll(paths);
    if (!data.ok()) return data.status();
    log::Info("registry directory read")
        .Field("dir", dir)
        .Field("entries", static_cast<int64_t>(paths.size()))
        .Field("read_ms", absl::ToInt64Milliseconds(absl::Now() - started));
    std::vector<common::v1::AgentInfo>& list = std::string(dir) == "admitted" ? contents.admitted
                                               : std::string(dir) == "unreachable"
                                                   ? contents.unreachable
                                                   : contents.gone;
    list.reserve(ids->size());
    for (size_t i = 0; i < ids->size(); ++i) {
      common::v1::AgentInfo info;
      if (!info.ParseFromString((*data)[i])) {
        return absl::DataLossError(absl::StrCat("registry entry ", paths[i],
                                                " is not an AgentInfo"));
      }
      list.push_back(std::move(info));
      mirror_[(*ids)[i]] = {dir, std::move((*data)[i])};
    }
  }
  return contents;
}

absl::Status ZkRegistry::Apply(const std::vector<RegistryOp>& ops) {
  std::map<std::string, std::pair<std::string, std::string>> next = mirror_;
  std::vector<zk::v1::Op> multi;
  for (const RegistryOp& op : ops) {
    const std::string& id = op.agent.id().value();
    std::string dir = DirOf(op.kind);
    std::string data = op.agent.SerializeAsString();
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
    begin = end;
  }
  mirror_ = std::move(next);
  return absl::OkStatus();
}

}  // namespace dcos::master
