// ZnodeTree: every operation's effect, Stat fields exactly as ZooKeeper sets them, sequential
// numbering, ephemerals, containers and counts. Errors are in tree_errors_test.cc.

#include <catch2/catch.hpp>

#include "absl/strings/str_format.h"
#include "services/zk-ensemble/core/tree.h"
#include "services/zk-ensemble/core/tree_test_util.h"

namespace dcos::zk {
namespace {

using testing::MustCreate;
using testing::MustStat;
using testing::T;
using C = Change::Type;

TEST_CASE("a new tree has the root and the reserved /zookeeper") {
  ZnodeTree tree;
  CHECK(tree.NodeCount() == 2);
  Stat root = MustStat(tree, "/");
  CHECK(root == Stat{.num_children = 1});
  auto children = tree.GetChildren("/");
  REQUIRE(children.ok());
  CHECK(children->children == std::vector<std::string>{"zookeeper"});
  CHECK(MustStat(tree, "/zookeeper") == Stat{});
  CHECK(tree.DataBytes() == 0);
  CHECK(tree.EphemeralCount() == 0);
  ZK_REQUIRE_OK(tree.CheckInvariants());
}

TEST_CASE("create sets the node's stat and bumps the parent's cversion and pzxid") {
  ZnodeTree tree;
  auto r = tree.Create("/a", "hello", CreateMode::kPersistent, 0, 5, T(1234));
  ZK_REQUIRE_OK(r.status());
  CHECK(r->path == "/a");
  Stat expected{.czxid = 5, .mzxid = 5, .pzxid = 5, .ctime = T(1234), .mtime = T(1234),
                .version = 0, .cversion = 0, .aversion = 0, .ephemeral_owner = 0,
                .data_length = 5, .num_children = 0};
  CHECK(r->stat == expected);
  CHECK(MustStat(tree, "/a") == expected);
  CHECK(r->changes == Changes{5, {{C::kCreated, "/a"}, {C::kChildrenChanged, "/"}}});

  Stat root = MustStat(tree, "/");
  CHECK(root.cversion == 1);
  CHECK(root.pzxid == 5);
  CHECK(root.num_children == 2);
  CHECK(root.mzxid == 0);  // a child does not touch the parent's data fields
  CHECK(root.version == 0);
  CHECK(root.mtime == absl::UnixEpoch());

  auto data = tree.GetData("/a");
  ZK_REQUIRE_OK(data.status());
  CHECK(data->data == "hello");
  CHECK(data->stat == expected);
  CHECK(tree.NodeCount() == 3);
  CHECK(tree.DataBytes() == 5);
}

TEST_CASE("times are kept with millisecond precision") {
  ZnodeTree tree;
  absl::Time t = T(10) + absl::Microseconds(999);
  auto r = tree.Create("/a", "", CreateMode::kPersistent, 0, 1, t);
  ZK_REQUIRE_OK(r.status());
  CHECK(r->stat.ctime == T(10));
  CHECK(r->stat.mtime == T(10));
}

TEST_CASE("set data bumps version, mzxid and mtime only") {
  ZnodeTree tree;
  MustCreate(tree, "/a", 5, "v0");
  MustCreate(tree, "/a/child", 6);
  auto r = tree.SetData("/a", "v1-longer", -1, 9, T(9000));
  ZK_REQUIRE_OK(r.status());
  Stat s = r->stat;
  CHECK(s.version == 1);
  CHECK(s.mzxid == 9);
  CHECK(s.mtime == T(9000));
  CHECK(s.czxid == 5);
  CHECK(s.ctime == T(5));
  CHECK(s.pzxid == 6);
  CHECK(s.cversion == 1);
  CHECK(s.data_length == 9);
  CHECK(s.num_children == 1);
  CHECK(r->changes == Changes{9, {{C::kDataChanged, "/a"}}});
  CHECK(MustStat(tree, "/a") == s);
  CHECK(tree.GetData("/a")->data == "v1-longer");
  CHECK(tree.DataBytes() == 9);

  auto again = tree.SetData("/a", "", 1, 10, T(10000));  // matching expected version
  ZK_REQUIRE_OK(again.status());
  CHECK(again->stat.version == 2);
  CHECK(again->stat.data_length == 0);
  CHECK(tree.DataBytes() == 0);
  // The parent of /a is untouched by a set.
  CHECK(MustStat(tree, "/").pzxid == 5);
}

TEST_CASE("delete removes the node and bumps the parent's cversion and pzxid") {
  ZnodeTree tree;
  MustCreate(tree, "/a", 5);
  MustCreate(tree, "/a/b", 6, "xyz");
  auto r = tree.Delete("/a/b", -1, 7);
  ZK_REQUIRE_OK(r.status());
  CHECK(*r == Changes{7, {{C::kDeleted, "/a/b"}, {C::kChildrenChanged, "/a"}}});
  auto gone = tree.Exists("/a/b");
  ZK_REQUIRE_OK(gone.status());
  CHECK_FALSE(gone->has_value());
  Stat a = MustStat(tree, "/a");
  CHECK(a.cversion == 2);  // one create, one delete
  CHECK(a.pzxid == 7);
  CHECK(a.num_children == 0);
  CHECK(a.mzxid == 5);
  CHECK(a.version == 0);
  CHECK(tree.DataBytes() == 0);
  CHECK(tree.NodeCount() == 3);

  // With a matching expected version.
  tree.SetData("/a", "x", -1, 8, T(8)).IgnoreError();
  ZK_REQUIRE_OK(tree.Delete("/a", 1, 9).status());
  CHECK(MustStat(tree, "/").cversion == 2);
  CHECK(MustStat(tree, "/").pzxid == 9);
  ZK_REQUIRE_OK(tree.CheckInvariants());
}

TEST_CASE("get children: sorted bytewise names and the parent's stat") {
  ZnodeTree tree;
  MustCreate(tree, "/p", 1);
  for (const char* name : {"b", "a", "B", "a-b", "ab", "\xc3\xa9"}) {
    MustCreate(tree, std::string("/p/") + name, 2);
  }
  auto r = tree.GetChildren("/p");
  ZK_REQUIRE_OK(r.status());
  CHECK(r->children == std::vector<std::string>{"B", "a", "a-b", "ab", "b", "\xc3\xa9"});
  CHECK(r->stat.num_children == 6);
  CHECK(r->stat.cversion == 6);
  CHECK(r->stat.pzxid == 2);
  auto leaf = tree.GetChildren("/p/a");
  ZK_REQUIRE_OK(leaf.status());
  CHECK(leaf->children.empty());
}

TEST_CASE("exists: stat for present nodes, nothing (not an error) for absent ones") {
  ZnodeTree tree;
  MustCreate(tree, "/a", 3, "d");
  auto present = tree.Exists("/a");
  ZK_REQUIRE_OK(present.status());
  REQUIRE(present->has_value());
  CHECK((*present)->czxid == 3);
  auto absent = tree.Exists("/nope/deeper");
  ZK_REQUIRE_OK(absent.status());
  CHECK_FALSE(absent->has_value());
}

TEST_CASE("sequential names come from the parent's cversion, 10 digits, shared by prefixes") {
  ZnodeTree tree;
  MustCreate(tree, "/q", 1);
  CHECK(MustCreate(tree, "/q/job-", 2, "", CreateMode::kPersistentSequential) ==
        "/q/job-0000000000");
  CHECK(MustCreate(tree, "/q/job-", 3, "", CreateMode::kPersistentSequential) ==
        "/q/job-0000000001");
  MustCreate(tree, "/q/plain", 4);  // cversion 3 now
  CHECK(MustCreate(tree, "/q/other-", 5, "", CreateMode::kPersistentSequential) ==
        "/q/other-0000000003");
  ZK_REQUIRE_OK(tree.Delete("/q/plain", -1, 6).status());  // deletes count too
  CHECK(MustCreate(tree, "/q/job-", 7, "", CreateMode::kEphemeralSequential, 42) ==
        "/q/job-0000000005");
  // A prefix ending in "/" gives a purely numeric name; "/" itself works too.
  CHECK(MustCreate(tree, "/q/", 8, "", CreateMode::kPersistentSequential) == "/q/0000000006");
  CHECK(MustCreate(tree, "/", 9, "", CreateMode::kPersistentSequential) == "/0000000001");
  // The stat of a sequential node is that of any new node.
  Stat s = MustStat(tree, "/q/job-0000000005");
  CHECK(s.czxid == 7);
  CHECK(s.ephemeral_owner == 42);
  CHECK(MustStat(tree, "/q").cversion == 7);
}

TEST_CASE("sequential numbers keep rising across deletes of the children") {
  ZnodeTree tree;
  MustCreate(tree, "/q", 1);
  for (int i = 0; i < 5; ++i) {
    std::string p = MustCreate(tree, "/q/n-", 2 + 2 * i, "", CreateMode::kPersistentSequential);
    CHECK(p == "/q/n-" + absl::StrFormat("%010d", 2 * i));
    ZK_REQUIRE_OK(tree.Delete(p, -1, 3 + 2 * i).status());
  }
}

TEST_CASE("unspecified mode is persistent") {
  ZnodeTree tree;
  MustCreate(tree, "/a", 1, "", CreateMode::kUnspecified, 7);
  CHECK(MustStat(tree, "/a").ephemeral_owner == 0);
  CHECK(tree.EphemeralCount() == 0);
}

TEST_CASE("ephemerals belong to their session; DeleteSession removes them all") {
  ZnodeTree tree;
  MustCreate(tree, "/app", 1);
  MustCreate(tree, "/app/e1", 2, "", CreateMode::kEphemeral, 100);
  MustCreate(tree, "/app/e2", 3, "x", CreateMode::kEphemeral, 100);
  MustCreate(tree, "/app/lock-", 4, "", CreateMode::kEphemeralSequential, 100);
  MustCreate(tree, "/app/other", 5, "", CreateMode::kEphemeral, 200);
  CHECK(MustStat(tree, "/app/e1").ephemeral_owner == 100);
  CHECK(tree.EphemeralCount() == 4);
  CHECK(tree.EphemeralsOf(100) ==
        std::vector<std::string>{"/app/e1", "/app/e2", "/app/lock-0000000002"});
  CHECK(tree.EphemeralsOf(200) == std::vector<std::string>{"/app/other"});
  CHECK(tree.EphemeralsOf(300).empty());
  CHECK(tree.SessionsWithEphemerals() == std::vector<int64_t>{100, 200});

  SessionCleanup cleanup = tree.DeleteSession(100, 10);
  CHECK(cleanup.deleted ==
        std::vector<std::string>{"/app/e1", "/app/e2", "/app/lock-0000000002"});
  CHECK(cleanup.changes ==
        Changes{10,
                {{C::kDeleted, "/app/e1"}, {C::kChildrenChanged, "/app"},
                 {C::kDeleted, "/app/e2"}, {C::kChildrenChanged, "/app"},
                 {C::kDeleted, "/app/lock-0000000002"}, {C::kChildrenChanged, "/app"}}});
  CHECK(tree.EphemeralsOf(100).empty());
  CHECK(tree.EphemeralCount() == 1);
  CHECK(tree.SessionsWithEphemerals() == std::vector<int64_t>{200});
  Stat app = MustStat(tree, "/app");
  CHECK(app.cversion == 7);
  CHECK(app.pzxid == 10);
  CHECK(app.num_children == 1);
  CHECK(tree.DataBytes() == 0);

  // Nothing left for the session: a second call deletes nothing.
  SessionCleanup again = tree.DeleteSession(100, 11);
  CHECK(again.deleted.empty());
  CHECK(again.changes.empty());
  ZK_REQUIRE_OK(tree.CheckInvariants());
}

TEST_CASE("an ephemeral deleted explicitly leaves the session's index") {
  ZnodeTree tree;
  MustCreate(tree, "/e", 1, "", CreateMode::kEphemeral, 5);
  ZK_REQUIRE_OK(tree.Delete("/e", -1, 2).status());
  CHECK(tree.EphemeralsOf(5).empty());
  CHECK(tree.EphemeralCount() == 0);
  CHECK(tree.SessionsWithEphemerals().empty());
}

TEST_CASE("containers become deletable once they had children and have none") {
  ZnodeTree tree;
  MustCreate(tree, "/c", 1, "", CreateMode::kContainer);
  MustCreate(tree, "/empty", 2, "", CreateMode::kContainer);
  MustCreate(tree, "/p", 3);  // persistent: never listed
  CHECK(tree.ContainersToDelete().empty());  // never had a child

  MustCreate(tree, "/c/lock-", 4, "", CreateMode::kEphemeralSequential, 9);
  MustCreate(tree, "/p/x", 5);
  CHECK(tree.ContainersToDelete().empty());  // has a child
  CHECK(MustStat(tree, "/c").ephemeral_owner == 0);

  tree.DeleteSession(9, 6);
  ZK_REQUIRE_OK(tree.Delete("/p/x", -1, 7).status());
  CHECK(tree.ContainersToDelete() == std::vector<std::string>{"/c"});

  // A child arriving before the leader's delete: the delete fails harmlessly.
  MustCreate(tree, "/c/again", 8);
  CHECK(tree.ContainersToDelete().empty());
  ZK_REQUIRE_CODE(tree.Delete("/c", -1, 9).status(), ZkCode::kNotEmpty);
  ZK_REQUIRE_OK(tree.Delete("/c/again", -1, 10).status());
  ZK_REQUIRE_OK(tree.Delete("/c", -1, 11).status());
  CHECK(tree.ContainersToDelete().empty());
  ZK_REQUIRE_OK(tree.CheckInvariants());
}

TEST_CASE("counts follow creates, sets and deletes") {
  ZnodeTree tree;
  MustCreate(tree, "/a", 1, std::string(100, 'x'));
  MustCreate(tree, "/a/b", 2, std::string(50, 'y'), CreateMode::kEphemeral, 3);
  CHECK(tree.NodeCount() == 4);
  CHECK(tree.DataBytes() == 150);
  CHECK(tree.EphemeralCount() == 1);
  ZK_REQUIRE_OK(tree.SetData("/a", "z", -1, 3, T(3)).status());
  CHECK(tree.DataBytes() == 51);
  ZK_REQUIRE_OK(tree.Delete("/a/b", -1, 4).status());
  CHECK(tree.NodeCount() == 3);
  CHECK(tree.DataBytes() == 1);
  CHECK(tree.EphemeralCount() == 0);
}

TEST_CASE("the root and /zookeeper can be read") {
  ZnodeTree tree;
  ZK_REQUIRE_OK(tree.GetData("/").status());
  ZK_REQUIRE_OK(tree.GetData("/zookeeper").status());
  ZK_REQUIRE_OK(tree.GetChildren("/zookeeper").status());
}

TEST_CASE("data of exactly the limit is accepted; the limit is configurable") {
  ZnodeTree tree;
  MustCreate(tree, "/big", 1, std::string(1 << 20, 'b'));
  CHECK(tree.DataBytes() == (1u << 20));
  ZnodeTree small(TreeConfig{.max_data_bytes = 10});
  MustCreate(small, "/ten", 1, std::string(10, 'x'));
  ZK_REQUIRE_CODE(small.Create("/eleven", std::string(11, 'x'), CreateMode::kPersistent, 0, 2,
                               T(2)).status(),
                  ZkCode::kBadArguments);
}

}  // namespace
}  // namespace dcos::zk
