// WatchManager: ZooKeeper's watch semantics, driven by the Changes the real tree reports.

#include <catch2/catch.hpp>

#include "services/zk-ensemble/core/tree.h"
#include "services/zk-ensemble/core/tree_test_util.h"
#include "services/zk-ensemble/core/watches.h"

namespace Catch {
template <>
struct StringMaker<dcos::zk::WatchEvent> {
  static std::string convert(const dcos::zk::WatchEvent& e) {
    return "{type " + std::to_string(static_cast<int>(e.type)) + " " + e.path + " zxid " +
           std::to_string(e.zxid) + "}";
  }
};
}  // namespace Catch

namespace dcos::zk {
namespace {

using testing::T;
using E = WatchEventType;
using Events = std::map<int64_t, std::vector<WatchEvent>>;

// A tree and a watch manager, as the service holds them.
struct Fixture {
  ZnodeTree tree;
  WatchManager watches;
  int64_t zxid = 0;

  Events Create(const std::string& path, CreateMode mode = CreateMode::kPersistent,
                int64_t session = 0) {
    ++zxid;
    auto r = tree.Create(path, "", mode, session, zxid, T(zxid));
    REQUIRE(r.ok());
    return watches.Fire(r->changes);
  }
  Events Set(const std::string& path) {
    ++zxid;
    auto r = tree.SetData(path, "x", -1, zxid, T(zxid));
    REQUIRE(r.ok());
    return watches.Fire(r->changes);
  }
  Events Delete(const std::string& path) {
    auto r = tree.Delete(path, -1, ++zxid);
    REQUIRE(r.ok());
    return watches.Fire(*r);
  }
};

TEST_CASE("a data watch fires once on a data change") {
  Fixture f;
  f.Create("/a");
  f.watches.AddDataWatch(1, "/a");
  CHECK(f.watches.WatchCount() == 1);
  CHECK(f.Set("/a") == Events{{1, {{E::kNodeDataChanged, "/a", 2}}}});
  CHECK(f.watches.WatchCount() == 0);
  CHECK(f.Set("/a").empty());  // one-shot: gone
}

TEST_CASE("an exists watch on a missing node fires on its creation") {
  Fixture f;
  f.watches.AddDataWatch(1, "/later");
  CHECK(f.Create("/later") == Events{{1, {{E::kNodeCreated, "/later", 1}}}});
  CHECK(f.watches.WatchCount() == 0);
}

TEST_CASE("a data watch fires NodeDeleted on deletion") {
  Fixture f;
  f.Create("/a");
  f.watches.AddDataWatch(1, "/a");
  CHECK(f.Delete("/a") == Events{{1, {{E::kNodeDeleted, "/a", 2}}}});
}

TEST_CASE("a child watch fires on a child's create and delete, not on data changes") {
  Fixture f;
  f.Create("/p");
  f.watches.AddChildWatch(1, "/p");
  CHECK(f.Set("/p").empty());
  CHECK(f.Create("/p/c") == Events{{1, {{E::kNodeChildrenChanged, "/p", 3}}}});
  CHECK(f.Delete("/p/c").empty());  // consumed by the create
  f.watches.AddChildWatch(1, "/p");
  CHECK(f.Create("/p/grand").size() == 1);
  f.watches.AddChildWatch(1, "/p");
  CHECK(f.Set("/p/grand").empty());  // a child's data is not the child list
  CHECK(f.Delete("/p/grand") == Events{{1, {{E::kNodeChildrenChanged, "/p", 7}}}});
}

TEST_CASE("a child watch fires NodeDeleted when the watched node goes") {
  Fixture f;
  f.Create("/p");
  f.watches.AddChildWatch(1, "/p");
  CHECK(f.Delete("/p") == Events{{1, {{E::kNodeDeleted, "/p", 2}}}});
  CHECK(f.watches.WatchCount() == 0);
}

TEST_CASE("data and child watches of one session on a deleted node: one event, both consumed") {
  Fixture f;
  f.Create("/p");
  f.watches.AddDataWatch(1, "/p");
  f.watches.AddChildWatch(1, "/p");
  CHECK(f.watches.WatchCount() == 2);
  CHECK(f.Delete("/p") == Events{{1, {{E::kNodeDeleted, "/p", 2}}}});
  CHECK(f.watches.WatchCount() == 0);
  CHECK(f.watches.SessionCount() == 0);
}

TEST_CASE("every watching session gets the event, in ascending session order") {
  Fixture f;
  f.Create("/a");
  for (int64_t s : {30, 10, 20}) f.watches.AddDataWatch(s, "/a");
  f.watches.AddDataWatch(10, "/a");  // twice: still one watch
  CHECK(f.watches.WatchCount() == 3);
  Events events = f.Set("/a");
  REQUIRE(events.size() == 3);
  std::vector<int64_t> order;
  for (const auto& [session, list] : events) {
    order.push_back(session);
    CHECK(list == std::vector<WatchEvent>{{E::kNodeDataChanged, "/a", 2}});
  }
  CHECK(order == std::vector<int64_t>{10, 20, 30});
}

TEST_CASE("a create fires the node's watches, then its parent's, in change order") {
  Fixture f;
  f.Create("/p");
  f.watches.AddDataWatch(1, "/p/c");
  f.watches.AddChildWatch(1, "/p");
  f.watches.AddChildWatch(2, "/p");
  CHECK(f.Create("/p/c") == Events{{1,
                                    {{E::kNodeCreated, "/p/c", 2},
                                     {E::kNodeChildrenChanged, "/p", 2}}},
                                   {2, {{E::kNodeChildrenChanged, "/p", 2}}}});
}

TEST_CASE("a persistent watch fires for every event of its path and stays") {
  Fixture f;
  f.watches.AddPersistentWatch(1, "/a", false);
  CHECK(f.Create("/a") == Events{{1, {{E::kNodeCreated, "/a", 1}}}});
  CHECK(f.Set("/a") == Events{{1, {{E::kNodeDataChanged, "/a", 2}}}});
  CHECK(f.Create("/a/c") == Events{{1, {{E::kNodeChildrenChanged, "/a", 3}}}});
  CHECK(f.Set("/a/c").empty());  // not recursive
  CHECK(f.Delete("/a/c") == Events{{1, {{E::kNodeChildrenChanged, "/a", 5}}}});
  CHECK(f.Delete("/a") == Events{{1, {{E::kNodeDeleted, "/a", 6}}}});
  CHECK(f.Create("/a") == Events{{1, {{E::kNodeCreated, "/a", 7}}}});
  CHECK(f.watches.WatchCount() == 1);
  CHECK(f.watches.PersistentWatchCount() == 1);
}

TEST_CASE("a recursive persistent watch fires for the whole subtree, never NodeChildrenChanged") {
  Fixture f;
  f.Create("/r");
  f.Create("/other");
  f.watches.AddPersistentWatch(1, "/r", true);
  CHECK(f.Create("/r/a") == Events{{1, {{E::kNodeCreated, "/r/a", 3}}}});
  CHECK(f.Create("/r/a/b") == Events{{1, {{E::kNodeCreated, "/r/a/b", 4}}}});
  CHECK(f.Set("/r/a/b") == Events{{1, {{E::kNodeDataChanged, "/r/a/b", 5}}}});
  CHECK(f.Set("/r") == Events{{1, {{E::kNodeDataChanged, "/r", 6}}}});
  CHECK(f.Delete("/r/a/b") == Events{{1, {{E::kNodeDeleted, "/r/a/b", 7}}}});
  CHECK(f.Create("/other/x").empty());
  CHECK(f.Create("/rr").empty());  // a sibling sharing the prefix is not below "/r"
  CHECK(f.watches.WatchCount() == 1);
}

TEST_CASE("a recursive watch on / sees everything") {
  Fixture f;
  f.watches.AddPersistentWatch(1, "/", true);
  CHECK(f.Create("/a") == Events{{1, {{E::kNodeCreated, "/a", 1}}}});
  CHECK(f.Create("/a/b") == Events{{1, {{E::kNodeCreated, "/a/b", 2}}}});
}

TEST_CASE("a session with a one-shot and a recursive watch gets one event per change") {
  Fixture f;
  f.Create("/r");
  f.Create("/r/a");
  f.watches.AddPersistentWatch(1, "/r", true);
  f.watches.AddDataWatch(1, "/r/a");
  CHECK(f.Set("/r/a") == Events{{1, {{E::kNodeDataChanged, "/r/a", 3}}}});
  CHECK(f.watches.DataWatchCount() == 0);  // the one-shot was consumed
  CHECK(f.Set("/r/a") == Events{{1, {{E::kNodeDataChanged, "/r/a", 4}}}});
}

TEST_CASE("watches fire on session cleanup and in a Multi") {
  Fixture f;
  f.Create("/app");
  f.Create("/app/e", CreateMode::kEphemeral, 9);
  f.watches.AddDataWatch(1, "/app/e");
  f.watches.AddChildWatch(2, "/app");
  SessionCleanup cleanup = f.tree.DeleteSession(9, 10);
  CHECK(f.watches.Fire(cleanup.changes) ==
        Events{{1, {{E::kNodeDeleted, "/app/e", 10}}},
               {2, {{E::kNodeChildrenChanged, "/app", 10}}}});

  f.watches.AddPersistentWatch(3, "/app", true);
  auto multi = f.tree.Multi({MultiOp::Create("/app/x"), MultiOp::SetData("/app/x", "1")}, 0,
                            11, T(11));
  REQUIRE(multi.ok());
  CHECK(f.watches.Fire(multi->changes) ==
        Events{{3, {{E::kNodeCreated, "/app/x", 11}, {E::kNodeDataChanged, "/app/x", 11}}}});
  // A failed Multi changes nothing and fires nothing.
  auto failed = f.tree.Multi({MultiOp::Create("/app/y"), MultiOp::Check("/nope")}, 0, 12,
                             T(12));
  REQUIRE(failed.ok());
  CHECK(f.watches.Fire(failed->changes).empty());
}

TEST_CASE("RemoveSession clears every watch of the session only") {
  Fixture f;
  f.Create("/a");
  f.watches.AddDataWatch(1, "/a");
  f.watches.AddChildWatch(1, "/a");
  f.watches.AddPersistentWatch(1, "/b", true);
  f.watches.AddDataWatch(2, "/a");
  CHECK(f.watches.WatchCount() == 4);
  CHECK(f.watches.SessionCount() == 2);
  f.watches.RemoveSession(1);
  f.watches.RemoveSession(99);  // unknown: nothing
  CHECK(f.watches.WatchCount() == 1);
  CHECK(f.watches.SessionCount() == 1);
  CHECK(f.watches.WatchesOf(1) == SessionWatches{});
  CHECK(f.Set("/a") == Events{{2, {{E::kNodeDataChanged, "/a", 2}}}});
  CHECK(f.Create("/b").empty());
}

TEST_CASE("RemoveWatches by type, with one event per removed watch") {
  Fixture f;
  f.watches.AddDataWatch(1, "/a");
  f.watches.AddChildWatch(1, "/a");
  f.watches.AddPersistentWatch(1, "/a", false);
  f.watches.AddPersistentWatch(1, "/a", true);
  CHECK(f.watches.WatchesOf(1) == SessionWatches{{"/a"}, {"/a"}, {"/a"}, {"/a"}});

  auto data = f.watches.RemoveWatches(1, "/a", WatcherType::kData);
  REQUIRE(data.ok());
  CHECK(*data == std::vector<WatchEvent>{{E::kDataWatchRemoved, "/a", 0}});
  ZK_REQUIRE_CODE(f.watches.RemoveWatches(1, "/a", WatcherType::kData).status(),
                  ZkCode::kNoWatcher);
  CHECK(f.watches.RemoveWatches(1, "/a", WatcherType::kData).status().code() ==
        absl::StatusCode::kNotFound);

  auto persistent = f.watches.RemoveWatches(1, "/a", WatcherType::kPersistent);
  REQUIRE(persistent.ok());
  CHECK(persistent->size() == 2);
  auto any = f.watches.RemoveWatches(1, "/a", WatcherType::kAny);
  REQUIRE(any.ok());
  CHECK(*any == std::vector<WatchEvent>{{E::kChildWatchRemoved, "/a", 0}});
  ZK_REQUIRE_CODE(f.watches.RemoveWatches(1, "/a", WatcherType::kAny).status(),
                  ZkCode::kNoWatcher);
  ZK_REQUIRE_CODE(f.watches.RemoveWatches(2, "/a", WatcherType::kAny).status(),
                  ZkCode::kNoWatcher);
  ZK_REQUIRE_CODE(
      f.watches.RemoveWatches(1, "/a", static_cast<WatcherType>(0)).status(),
      ZkCode::kBadArguments);
  CHECK(f.watches.WatchCount() == 0);
  CHECK(f.watches.SessionCount() == 0);
}

TEST_CASE("WatchesOf lists a session's watches sorted, by kind") {
  WatchManager w;
  w.AddDataWatch(1, "/z");
  w.AddDataWatch(1, "/b");
  w.AddChildWatch(1, "/b");
  w.AddPersistentWatch(1, "/", true);
  w.AddDataWatch(2, "/other");
  CHECK(w.WatchesOf(1) == SessionWatches{{"/b", "/z"}, {"/b"}, {}, {"/"}});
  CHECK(w.DataWatchCount() == 3);
  CHECK(w.ChildWatchCount() == 1);
  CHECK(w.PersistentWatchCount() == 1);
}

TEST_CASE("Fire is deterministic: equal state and changes give equal events") {
  auto build = [] {
    WatchManager w;
    for (int64_t s = 5; s >= 1; --s) {
      w.AddDataWatch(s, "/a");
      w.AddPersistentWatch(s, "/", s % 2 == 0);
      w.AddChildWatch(s, "/");
    }
    return w;
  };
  Changes changes{7,
                  {{Change::Type::kCreated, "/a"}, {Change::Type::kChildrenChanged, "/"},
                   {Change::Type::kDataChanged, "/a"}, {Change::Type::kDeleted, "/a"},
                   {Change::Type::kChildrenChanged, "/"}}};
  WatchManager x = build(), y = build();
  Events ex = x.Fire(changes);
  CHECK(ex == y.Fire(changes));
  // Session 1 (persistent on "/", child watch on "/", data watch on "/a"):
  CHECK(ex[1] == std::vector<WatchEvent>{{E::kNodeCreated, "/a", 7},
                                         {E::kNodeChildrenChanged, "/", 7},
                                         {E::kNodeChildrenChanged, "/", 7}});
  // Session 2 (recursive on "/"): every data-type event of /a, no NodeChildrenChanged after
  // its one-shot child watch fired once.
  CHECK(ex[2] == std::vector<WatchEvent>{{E::kNodeCreated, "/a", 7},
                                         {E::kNodeChildrenChanged, "/", 7},
                                         {E::kNodeDataChanged, "/a", 7},
                                         {E::kNodeDeleted, "/a", 7}});
}

}  // namespace
}  // namespace dcos::zk
