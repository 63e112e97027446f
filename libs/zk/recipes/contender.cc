#include "libs/zk/recipes/contender.h"

#include "libs/zk/errors.h"
#include "libs/zk/recipes/paths.h"

namespace dcos::zk::recipes {
namespace {

bool Unknown(const absl::Status& s) {
  v1::ErrorCode code = client::ErrorCodeOf(s);
  return code == v1::ERROR_CODE_CONNECTION_LOSS || code == v1::ERROR_CODE_OPERATION_TIMEOUT;
}

}  // namespace

absl::StatusOr<Contender> Contender::Enter(client::ZkClient& zk, const std::string& dir,
                                           const std::string& kind, const std::string& data,
                                           uint64_t tag) {
  absl::Status ensured = EnsurePath(zk, dir);
  if (!ensured.ok()) return ensured;
  const std::string prefix = ContenderPrefix(kind, tag);
  absl::Status last;
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto created = zk.CreateWithStat(JoinPath(dir, prefix), data,
                                     v1::CREATE_MODE_EPHEMERAL_SEQUENTIAL);
    if (created.ok()) {
      return Contender(dir, kind, NameOf(created->first), created->second.czxid());
    }
    last = created.status();
    if (!Unknown(last)) return last;
    // The create may have been applied: look for our tag.
    auto children = zk.GetChildren(dir, /*linearizable=*/true);
    if (!children.ok()) return children.status();
    if (std::optional<std::string> own = FindOwn(*children, prefix)) {
      auto stat = zk.Exists(JoinPath(dir, *own), /*linearizable=*/true);
      if (!stat.ok()) return stat.status();
      if (stat->has_value()) return Contender(dir, kind, *own, (*stat)->czxid());
    }
  }
  return last;
}

std::string Contender::path() const { return JoinPath(dir_, name_); }

absl::StatusOr<Place> Contender::Check(client::ZkClient& zk, bool linearizable) const {
  auto children = zk.GetChildren(dir_, linearizable);
  if (!children.ok()) {
    if (client::ErrorCodeOf(children.status()) == v1::ERROR_CODE_NO_NODE) return Place{};
    return children.status();
  }
  return PlaceOf(QueueOrder(*children, kind_), name_);
}

absl::Status Contender::Leave(client::ZkClient& zk) const {
  absl::Status deleted = zk.Delete(path());
  if (client::ErrorCodeOf(deleted) == v1::ERROR_CODE_NO_NODE) return absl::OkStatus();
  if (Unknown(deleted)) {
    // Delete is safe to repeat: NO_NODE then means the first one applied.
    deleted = zk.Delete(path());
    if (client::ErrorCodeOf(deleted) == v1::ERROR_CODE_NO_NODE) return absl::OkStatus();
  }
  return deleted;
}

}  // namespace dcos::zk::recipes
