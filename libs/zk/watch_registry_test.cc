// WatchRegistry and RecheckOutcome: which events fire which watches, watches added after their
// event arrived, stale watches re-checked on a new member, the end of the session.

#include "libs/zk/watch_registry.h"

#include <catch2/catch.hpp>

namespace dcos::zk::client {
namespace {

using Type = WatchEvent::Type;

v1::WatchEvent Event(v1::WatchEvent::Type type, const std::string& path, uint64_t sequence,
                     int64_t zxid = 0) {
  v1::WatchEvent e;
  e.set_type(type);
  e.set_path(path);
  e.set_sequence(sequence);
  e.set_zxid(zxid);
  return e;
}

v1::Stat StatOf(int64_t czxid, int64_t mzxid, int64_t pzxid) {
  v1::Stat s;
  s.set_czxid(czxid);
  s.set_mzxid(mzxid);
  s.set_pzxid(pzxid);
  return s;
}

// Records what the watches it makes see.
struct Log {
  std::vector<std::string> seen;
  Watcher Make(const std::string& name) {
    return [this, name](const WatchEvent& e) {
      seen.push_back(name + ":" + WatchEventTypeName(e.type) + ":" + e.path);
    };
  }
  void Run(std::vector<WatchRegistry::Fired> fired) {
    for (auto& f : fired) f.watcher(f.event);
  }
};

constexpr size_t kA = 0, kB = 1;

TEST_CASE("watch registry: an event fires the live watches of its kind on its member, once") {
  WatchRegistry r;
  Log log;
  WatchRegistry::Read at_a{kA, 10, 0, true};
  CHECK(r.Add(WatchKind::kData, "/a", at_a, log.Make("data")).empty());
  CHECK(r.Add(WatchKind::kChild, "/a", at_a, log.Make("child")).empty());
  CHECK(r.Add(WatchKind::kExists, "/b", at_a, log.Make("exists")).empty());
  CHECK(r.size() == 3);
  // Another member's stream says nothing about watches held by A.
  log.Run(r.OnEvent(kB, Event(v1::WatchEvent::TYPE_NODE_DATA_CHANGED, "/a", 1)));
  CHECK(log.seen.empty());
  log.Run(r.OnEvent(kA, Event(v1::WatchEvent::TYPE_NODE_DATA_CHANGED, "/a", 1)));
  CHECK(log.seen == std::vector<std::string>{"data:NodeDataChanged:/a"});
  log.Run(r.OnEvent(kA, Event(v1::WatchEvent::TYPE_NODE_DATA_CHANGED, "/a", 2)));
  CHECK(log.seen.size() == 1);  // one-shot
  log.Run(r.OnEvent(kA, Event(v1::WatchEvent::TYPE_NODE_CREATED, "/b", 3)));
  log.Run(r.OnEvent(kA, Event(v1::WatchEvent::TYPE_NODE_DELETED, "/a", 4)));
  CHECK(log.seen == std::vector<std::string>{"data:NodeDataChanged:/a", "exists:NodeCreated:/b",
                                             "child:NodeDeleted:/a"});
  CHECK(r.size() == 0);
  CHECK(r.max_seen(kA) == 4);
  CHECK(r.max_seen(kB) == 1);
}

TEST_CASE("watch registry: events numbered at or below the read's sequence predate the watch") {
  WatchRegistry r;
  Log log;
  CHECK(r.Add(WatchKind::kChild, "/p", {kA, 10, 5, true}, log.Make("w")).empty());
  log.Run(r.OnEvent(kA, Event(v1::WatchEvent::TYPE_NODE_CHILDREN_CHANGED, "/p", 5)));
  CHECK(log.seen.empty());
  log.Run(r.OnEvent(kA, Event(v1::WatchEvent::TYPE_NODE_CHILDREN_CHANGED, "/p", 6)));
  CHECK(log.seen == std::vector<std::string>{"w:NodeChildrenChanged:/p"});
}

TEST_CASE("watch registry: a watch whose event arrived before its reply fires at once") {
  WatchRegistry r;
  Log log;
  (void)r.OnEvent(kA, Event(v1::WatchEvent::TYPE_NODE_DATA_CHANGED, "/x", 7));
  (void)r.OnEvent(kA, Event(v1::WatchEvent::TYPE_NODE_DATA_CHANGED, "/a", 8));
  // Read with sequence 7: event 8 came after the read, so it is this watch's.
  log.Run(r.Add(WatchKind::kData, "/a", {kA, 10, 7, true}, log.Make("late")));
  CHECK(log.seen == std::vector<std::string>{"late:NodeDataChanged:/a"});
  CHECK(r.size() == 0);
  // Read with sequence 8: nothing after it yet.
  CHECK(r.Add(WatchKind::kData, "/a", {kA, 11, 8, true}, log.Make("next")).empty());
  CHECK(r.size() == 1);
}

TEST_CASE("watch registry: after a gap in the kept events a new watch fires conservatively") {
  WatchRegistry r;
  Log log;
  for (uint64_t s = 1; s <= WatchRegistry::kRecentEvents + 10; ++s) {
    (void)r.OnEvent(kA, Event(v1::WatchEvent::TYPE_NODE_DATA_CHANGED, "/other", s));
  }
  log.Run(r.Add(WatchKind::kChild, "/a", {kA, 10, 3, true}, log.Make("w")));
  CHECK(log.seen == std::vector<std::string>{"w:NodeChildrenChanged:/a"});
}

TEST_CASE("watch registry: after re-attaching, watches are stale until re-checked") {
  WatchRegistry r;
  Log log;
  (void)r.Add(WatchKind::kData, "/same", {kA, 10, 0, true}, log.Make("same"));
  (void)r.Add(WatchKind::kData, "/changed", {kA, 10, 0, true}, log.Make("changed"));
  (void)r.Add(WatchKind::kData, "/gone", {kA, 10, 0, true}, log.Make("gone"));
  (void)r.Add(WatchKind::kExists, "/born", {kA, 10, 0, true}, log.Make("born"));
  (void)r.Add(WatchKind::kChild, "/kids", {kA, 10, 0, true}, log.Make("kids"));
  (void)r.Add(WatchKind::kChild, "/kids2", {kA, 12, 0, true}, log.Make("kids2"));
  CHECK_FALSE(r.HasStale());
  r.Reattached(kB);
  CHECK(r.HasStale());
  CHECK(r.StaleWatches().size() == 6);
  // Stale watches are not fired by the new stream's events (they are not left there yet).
  log.Run(r.OnEvent(kB, Event(v1::WatchEvent::TYPE_NODE_DATA_CHANGED, "/same", 1)));
  CHECK(log.seen.empty());

  WatchRegistry::Read at_b{kB, 20, 1, true};
  CHECK(r.Rechecked(WatchKind::kData, "/same", at_b, StatOf(5, 9, 5)).empty());
  log.Run(r.Rechecked(WatchKind::kData, "/changed", at_b, StatOf(5, 15, 5)));
  log.Run(r.Rechecked(WatchKind::kData, "/gone", at_b, std::nullopt));
  log.Run(r.Rechecked(WatchKind::kExists, "/born", at_b, StatOf(18, 18, 18)));
  log.Run(r.Rechecked(WatchKind::kChild, "/kids", at_b, StatOf(2, 2, 11)));
  CHECK(r.Rechecked(WatchKind::kChild, "/kids2", at_b, StatOf(2, 2, 11)).empty());
  CHECK(log.seen == std::vector<std::string>{"changed:NodeDataChanged:/changed",
                                             "gone:NodeDeleted:/gone", "born:NodeCreated:/born",
                                             "kids:NodeChildrenChanged:/kids"});
  CHECK_FALSE(r.HasStale());
  CHECK(r.size() == 2);
  // Now live on B, after the re-check's sequence.
  log.Run(r.OnEvent(kB, Event(v1::WatchEvent::TYPE_NODE_DATA_CHANGED, "/same", 2)));
  CHECK(log.seen.back() == "same:NodeDataChanged:/same");
}

TEST_CASE("watch registry: a read answered away from the attached member is stale at once") {
  WatchRegistry r;
  Log log;
  (void)r.Add(WatchKind::kData, "/a", {kB, 10, 0, /*current=*/false}, log.Make("w"));
  CHECK(r.HasStale());
  log.Run(r.OnEvent(kB, Event(v1::WatchEvent::TYPE_NODE_DATA_CHANGED, "/a", 1)));
  CHECK(log.seen.empty());
  // A re-check that is itself not current leaves it stale.
  CHECK(r.Rechecked(WatchKind::kData, "/a", {kA, 11, 0, false}, StatOf(1, 1, 1)).empty());
  CHECK(r.HasStale());
  CHECK(r.Rechecked(WatchKind::kData, "/a", {kA, 11, 0, true}, StatOf(1, 1, 1)).empty());
  CHECK_FALSE(r.HasStale());
}

TEST_CASE("watch registry: the end of the session fires every watch once") {
  WatchRegistry r;
  Log log;
  (void)r.Add(WatchKind::kData, "/a", {kA, 1, 0, true}, log.Make("a"));
  (void)r.Add(WatchKind::kChild, "/b", {kA, 1, 0, false}, log.Make("b"));
  log.Run(r.TakeAll(Type::kSessionExpired));
  CHECK(log.seen == std::vector<std::string>{"a:SessionExpired:/a", "b:SessionExpired:/b"});
  CHECK(r.size() == 0);
  CHECK_FALSE(r.HasStale());
}

TEST_CASE("recheck outcome: what changed since the watch's zxid") {
  auto outcome = [](WatchKind kind, std::optional<v1::Stat> now) {
    std::optional<WatchEvent> e = RecheckOutcome(kind, "/n", 10, now, 30);
    return e ? std::string(WatchEventTypeName(e->type)) : std::string("none");
  };
  CHECK(outcome(WatchKind::kData, StatOf(5, 10, 20)) == "none");  // children do not matter
  CHECK(outcome(WatchKind::kData, StatOf(5, 11, 5)) == "NodeDataChanged");
  CHECK(outcome(WatchKind::kData, StatOf(12, 12, 12)) == "NodeDeleted");  // re-created
  CHECK(outcome(WatchKind::kData, std::nullopt) == "NodeDeleted");
  CHECK(outcome(WatchKind::kExists, std::nullopt) == "none");
  CHECK(outcome(WatchKind::kExists, StatOf(12, 12, 12)) == "NodeCreated");
  CHECK(outcome(WatchKind::kChild, StatOf(5, 20, 10)) == "none");  // data does not matter
  CHECK(outcome(WatchKind::kChild, StatOf(5, 5, 11)) == "NodeChildrenChanged");
  CHECK(outcome(WatchKind::kChild, std::nullopt) == "NodeDeleted");
  CHECK(RecheckOutcome(WatchKind::kData, "/n", 10, std::nullopt, 30)->zxid == 30);
}

}  // namespace
}  // namespace dcos::zk::client
