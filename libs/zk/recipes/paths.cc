#include "libs/zk/recipes/paths.h"

#include "absl/strings/str_cat.h"
#include "libs/zk/errors.h"

namespace dcos::zk::recipes {

std::string JoinPath(absl::string_view parent, absl::string_view name) {
  if (parent == "/") return absl::StrCat("/", name);
  return absl::StrCat(parent, "/", name);
}

std::string NameOf(absl::string_view path) {
  size_t slash = path.rfind('/');
  return std::string(slash == absl::string_view::npos ? path : path.substr(slash + 1));
}

std::vector<std::string> PathAndAncestors(absl::string_view path) {
  std::vector<std::string> out;
  for (size_t i = 1; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/') out.emplace_back(path.substr(0, i));
  }
  if (!out.empty() && out.back() == "/") out.pop_back();
  return out;
}

absl::Status EnsurePath(client::ZkClient& zk, const std::string& path) {
  for (const std::string& p : PathAndAncestors(path)) {
    absl::Status created = zk.Create(p, "").status();
    v1::ErrorCode code = client::ErrorCodeOf(created);
    if (created.ok() || code == v1::ERROR_CODE_NODE_EXISTS) continue;
    if (code != v1::ERROR_CODE_CONNECTION_LOSS && code != v1::ERROR_CODE_OPERATION_TIMEOUT) {
      return created;
    }
    // Unknown outcome: the node may exist now. A linearizable read says.
    absl::StatusOr<std::optional<v1::Stat>> exists = zk.Exists(p, /*linearizable=*/true);
    if (!exists.ok()) return exists.status();
    if (exists->has_value()) continue;
    created = zk.Create(p, "").status();
    if (!created.ok() && client::ErrorCodeOf(created) != v1::ERROR_CODE_NODE_EXISTS) {
      return created;
    }
  }
  return absl::OkStatus();
}

}  // namespace dcos::zk::recipes
