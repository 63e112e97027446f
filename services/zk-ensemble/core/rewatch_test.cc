#include "services/zk-ensemble/core/rewatch.h"

#include <catch2/catch.hpp>

namespace dcos::zk {
namespace {

Stat At(int64_t czxid, int64_t mzxid, int64_t pzxid) {
  Stat s;
  s.czxid = czxid;
  s.mzxid = mzxid;
  s.pzxid = pzxid;
  return s;
}

TEST_CASE("rewatch: a data watch fires for what the client missed, else is kept") {
  CHECK(Rewatch(RewatchKind::kData, std::nullopt, 10) == WatchEventType::kNodeDeleted);
  CHECK(Rewatch(RewatchKind::kData, At(5, 11, 5), 10) == WatchEventType::kNodeDataChanged);
  CHECK(Rewatch(RewatchKind::kData, At(5, 10, 12), 10) == std::nullopt);  // only children moved
  CHECK(Rewatch(RewatchKind::kData, At(5, 7, 5), 10) == std::nullopt);
}

TEST_CASE("rewatch: an exist watch fires once the node is there") {
  CHECK(Rewatch(RewatchKind::kExist, At(11, 11, 11), 10) == WatchEventType::kNodeCreated);
  CHECK(Rewatch(RewatchKind::kExist, std::nullopt, 10) == std::nullopt);
}

TEST_CASE("rewatch: a child watch fires on deletion or a child change after the zxid seen") {
  CHECK(Rewatch(RewatchKind::kChild, std::nullopt, 10) == WatchEventType::kNodeDeleted);
  CHECK(Rewatch(RewatchKind::kChild, At(5, 5, 11), 10) == WatchEventType::kNodeChildrenChanged);
  CHECK(Rewatch(RewatchKind::kChild, At(5, 12, 9), 10) == std::nullopt);  // only data moved
}

}  // namespace
}  // namespace dcos::zk
