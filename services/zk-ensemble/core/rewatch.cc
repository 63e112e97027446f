#include "services/zk-ensemble/core/rewatch.h"

namespace dcos::zk {

std::optional<WatchEventType> Rewatch(RewatchKind kind, const std::optional<Stat>& stat,
                                      int64_t seen) {
  switch (kind) {
    case RewatchKind::kData:
      if (!stat.has_value()) return WatchEventType::kNodeDeleted;
      if (stat->mzxid > seen) return WatchEventType::kNodeDataChanged;
      return std::nullopt;
    case RewatchKind::kExist:
      if (stat.has_value()) return WatchEventType::kNodeCreated;
      return std::nullopt;
    case RewatchKind::kChild:
      if (!stat.has_value()) return WatchEventType::kNodeDeleted;
      if (stat->pzxid > seen) return WatchEventType::kNodeChildrenChanged;
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace dcos::zk
