#include "services/master/zk_registry.h"

#include "absl/strings/str_cat.h"
#include "libs/zk/recipes/paths.h"

namespace dcos::master {
namespace {

constexpr const char* kDirs[] = {"admitted", "unreachable", "gone"};
// A Multi holds at most 1000 ops; each registry op takes up to two, plus the fence.
constexpr size_t kOpsPerMulti = 400;

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

absl::StatusOr<RegistryContents> ZkRegistry::Load() {
  RegistryContents contents;
  mirror_.clear();
  for (const char* dir : kDirs) {
    std::string path = absl::StrCat(root_, "/", dir);
    absl::Status made = zk::recipes::EnsurePath(*zk_, path);
    if (!made.ok()) return made;
    absl::StatusOr<std::vector<std::string>> ids = zk_->GetChildren(path, /*linearizable=*/true);
    if (!ids.ok()) return ids.status();
    for (const std::string& id : *ids) {
      absl::StatusOr<std::pair<std::string, zk::v1::Stat>> data =
          zk_->GetData(PathOf(dir, id), /*linearizable=*/true);
      if (!data.ok()) return data.status();
      common::v1::AgentInfo info;
      if (!info.ParseFromString(data->first)) {
        return absl::DataLossError(absl::StrCat("registry entry ", PathOf(dir, id),
                                                " is not an AgentInfo"));
      }
      std::string d = dir;
      if (d == "admitted") contents.admitted.push_back(info);
      if (d == "unreachable") contents.unreachable.push_back(info);
      if (d == "gone") contents.gone.push_back(info);
      mirror_[id] = {d, data->first};
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
