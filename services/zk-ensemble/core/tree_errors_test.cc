// ZnodeTree: every error of every operation, its gRPC and ZooKeeper codes, the path it names,
// and that it changed nothing (the snapshot is byte-identical before and after).

#include <catch2/catch.hpp>

#include "services/zk-ensemble/core/tree.h"
#include "services/zk-ensemble/core/tree_test_util.h"

namespace dcos::zk {
namespace {

using testing::MustCreate;
using testing::T;

// A tree with a persistent /a (version 1, one child /a/b), an ephemeral /e and a container.
ZnodeTree Fixture() {
  ZnodeTree tree;
  MustCreate(tree, "/a", 1, "x");
  MustCreate(tree, "/a/b", 2);
  MustCreate(tree, "/e", 3, "", CreateMode::kEphemeral, 77);
  MustCreate(tree, "/c", 4, "", CreateMode::kContainer);
  REQUIRE(tree.SetData("/a", "y", -1, 5, T(5)).ok());
  return tree;
}

// Runs `op` on a copy of the fixture; requires the ZooKeeper code, the canonical code and the
// error's path, and that the tree did not change.
template <typename Op>
void RequireError(Op op, ZkCode code, absl::StatusCode canonical, const std::string& path) {
  ZnodeTree tree = Fixture();
  const std::string before = tree.Snapshot();
  absl::Status s = op(tree);
  INFO(s.ToString());
  CHECK(ZkCodeOf(s) == code);
  CHECK(s.code() == canonical);
  CHECK(ZkPathOf(s) == path);
  CHECK(tree.Snapshot() == before);
  CHECK(tree.CheckInvariants().ok());
}

absl::Status Create(ZnodeTree& t, const std::string& path, CreateMode mode = CreateMode::kPersistent,
                    int64_t session = 0, std::string data = "") {
  return t.Create(path, data, mode, session, 100, T(100)).status();
}

TEST_CASE("create errors") {
  using SC = absl::StatusCode;
  SECTION("NODE_EXISTS") {
    RequireError([](ZnodeTree& t) { return Create(t, "/a"); }, ZkCode::kNodeExists,
                 SC::kAlreadyExists, "/a");
    RequireError([](ZnodeTree& t) { return Create(t, "/"); }, ZkCode::kNodeExists,
                 SC::kAlreadyExists, "/");
  }
  SECTION("NO_NODE names the missing parent") {
    RequireError([](ZnodeTree& t) { return Create(t, "/x/y"); }, ZkCode::kNoNode, SC::kNotFound,
                 "/x");
    RequireError(
        [](ZnodeTree& t) { return Create(t, "/x/y-", CreateMode::kPersistentSequential); },
        ZkCode::kNoNode, SC::kNotFound, "/x");
  }
  SECTION("NO_CHILDREN_FOR_EPHEMERALS names the parent") {
    RequireError([](ZnodeTree& t) { return Create(t, "/e/child"); },
                 ZkCode::kNoChildrenForEphemerals, SC::kFailedPrecondition, "/e");
    RequireError(
        [](ZnodeTree& t) { return Create(t, "/e/s-", CreateMode::kEphemeralSequential, 77); },
        ZkCode::kNoChildrenForEphemerals, SC::kFailedPrecondition, "/e");
  }
  SECTION("NODE_EXISTS is checked before NO_CHILDREN_FOR_EPHEMERALS, as in ZooKeeper") {
    // (An ephemeral has no children, so only the order of NO_NODE and the others shows.)
    RequireError([](ZnodeTree& t) { return Create(t, "/e/x/y"); }, ZkCode::kNoNode,
                 SC::kNotFound, "/e/x");
  }
  SECTION("BAD_ARGUMENTS") {
    for (std::string bad : {"", "a", "/a/", "//", "/a/./b", "/a/../b", "/a\x01"}) {
      INFO("path " << bad);
      RequireError([&](ZnodeTree& t) { return Create(t, bad); }, ZkCode::kBadArguments,
                   SC::kInvalidArgument, "");
    }
    RequireError([](ZnodeTree& t) { return Create(t, "/e2", CreateMode::kEphemeral, 0); },
                 ZkCode::kBadArguments, SC::kInvalidArgument, "/e2");
    RequireError(
        [](ZnodeTree& t) { return Create(t, "/e2-", CreateMode::kEphemeralSequential, 0); },
        ZkCode::kBadArguments, SC::kInvalidArgument, "/e2-");
    RequireError([](ZnodeTree& t) { return Create(t, "/m", static_cast<CreateMode>(6)); },
                 ZkCode::kBadArguments, SC::kInvalidArgument, "");
    RequireError([](ZnodeTree& t) { return Create(t, "/m", static_cast<CreateMode>(-1)); },
                 ZkCode::kBadArguments, SC::kInvalidArgument, "");
    RequireError(
        [](ZnodeTree& t) {
          return Create(t, "/big", CreateMode::kPersistent, 0, std::string((1 << 20) + 1, 'x'));
        },
        ZkCode::kBadArguments, SC::kInvalidArgument, "");
    RequireError([](ZnodeTree& t) { return Create(t, "/zookeeper/x"); }, ZkCode::kBadArguments,
                 SC::kInvalidArgument, "/zookeeper/x");
    RequireError([](ZnodeTree& t) { return Create(t, "/zookeeper"); }, ZkCode::kBadArguments,
                 SC::kInvalidArgument, "/zookeeper");
    RequireError(
        [](ZnodeTree& t) { return Create(t, "/zookeeper/", CreateMode::kPersistentSequential); },
        ZkCode::kBadArguments, SC::kInvalidArgument, "/zookeeper/");
    std::string long_path = "/" + std::string(4096, 'l');
    RequireError([&](ZnodeTree& t) { return Create(t, long_path); }, ZkCode::kBadArguments,
                 SC::kInvalidArgument, "");
  }
  SECTION("a sequential suffix that makes the path too long") {
    std::string prefix = "/" + std::string(4090, 's');  // 4091 + 10 > 4096
    RequireError(
        [&](ZnodeTree& t) { return Create(t, prefix, CreateMode::kPersistentSequential); },
        ZkCode::kBadArguments, SC::kInvalidArgument, "");
  }
}

TEST_CASE("a sequential prefix next to /zookeeper is not reserved") {
  ZnodeTree tree;
  CHECK(MustCreate(tree, "/zookeeper", 1, "", CreateMode::kPersistentSequential) ==
        "/zookeeper0000000000");  // the root's cversion starts at 0
}

TEST_CASE("delete errors") {
  using SC = absl::StatusCode;
  RequireError([](ZnodeTree& t) { return t.Delete("/nope", -1, 100).status(); },
               ZkCode::kNoNode, SC::kNotFound, "/nope");
  RequireError([](ZnodeTree& t) { return t.Delete("/a", 0, 100).status(); },
               ZkCode::kBadVersion, SC::kAborted, "/a");
  RequireError([](ZnodeTree& t) { return t.Delete("/a", -2, 100).status(); },
               ZkCode::kBadVersion, SC::kAborted, "/a");
  RequireError([](ZnodeTree& t) { return t.Delete("/a", -1, 100).status(); },
               ZkCode::kNotEmpty, SC::kFailedPrecondition, "/a");
  // BAD_VERSION is checked before NOT_EMPTY, as in ZooKeeper.
  RequireError([](ZnodeTree& t) { return t.Delete("/a", 7, 100).status(); },
               ZkCode::kBadVersion, SC::kAborted, "/a");
  RequireError([](ZnodeTree& t) { return t.Delete("/", -1, 100).status(); },
               ZkCode::kBadArguments, SC::kInvalidArgument, "/");
  RequireError([](ZnodeTree& t) { return t.Delete("/zookeeper", -1, 100).status(); },
               ZkCode::kBadArguments, SC::kInvalidArgument, "/zookeeper");
  RequireError([](ZnodeTree& t) { return t.Delete("/a/", -1, 100).status(); },
               ZkCode::kBadArguments, SC::kInvalidArgument, "");
}

TEST_CASE("set data errors") {
  using SC = absl::StatusCode;
  RequireError([](ZnodeTree& t) { return t.SetData("/nope", "", -1, 100, T(100)).status(); },
               ZkCode::kNoNode, SC::kNotFound, "/nope");
  RequireError([](ZnodeTree& t) { return t.SetData("/a", "", 0, 100, T(100)).status(); },
               ZkCode::kBadVersion, SC::kAborted, "/a");
  RequireError(
      [](ZnodeTree& t) {
        return t.SetData("/a", std::string((1 << 20) + 1, 'x'), -1, 100, T(100)).status();
      },
      ZkCode::kBadArguments, SC::kInvalidArgument, "");
  RequireError([](ZnodeTree& t) { return t.SetData("/zookeeper", "", -1, 100, T(100)).status(); },
               ZkCode::kBadArguments, SC::kInvalidArgument, "/zookeeper");
  RequireError([](ZnodeTree& t) { return t.SetData("a", "", -1, 100, T(100)).status(); },
               ZkCode::kBadArguments, SC::kInvalidArgument, "");
}

TEST_CASE("read errors") {
  ZnodeTree tree = Fixture();
  ZK_REQUIRE_CODE(tree.GetData("/nope").status(), ZkCode::kNoNode);
  CHECK(ZkPathOf(tree.GetData("/nope").status()) == "/nope");
  ZK_REQUIRE_CODE(tree.GetChildren("/nope").status(), ZkCode::kNoNode);
  ZK_REQUIRE_CODE(tree.GetData("nope").status(), ZkCode::kBadArguments);
  ZK_REQUIRE_CODE(tree.GetChildren("/a/").status(), ZkCode::kBadArguments);
  ZK_REQUIRE_CODE(tree.Exists("/a//b").status(), ZkCode::kBadArguments);
}

TEST_CASE("error messages say what is wrong") {
  ZnodeTree tree = Fixture();
  auto m = [](const absl::Status& s) { return std::string(s.message()); };
  CHECK(m(tree.Delete("/a", 3, 100).status()) ==
        "BAD_VERSION /a: expected version 3, node is at version 1");
  CHECK(m(tree.Delete("/a", -1, 100).status()) == "NOT_EMPTY /a: node has 1 children");
  CHECK(m(tree.Create("/x/y", "", CreateMode::kPersistent, 0, 1, T(1)).status()) ==
        "NO_NODE /x: parent node does not exist");
  CHECK(m(tree.SetData("/a", std::string(2000000, 'x'), -1, 1, T(1)).status()) ==
        "BAD_ARGUMENTS: data of 2000000 bytes is larger than the limit of 1048576 bytes");
  CHECK(m(tree.GetData("/a/").status()) ==
        "BAD_ARGUMENTS: invalid path \"/a/\": must not end with /");
}

}  // namespace
}  // namespace dcos::zk
