// ZnodeTree::Multi: all-or-nothing, results per op as operations.proto says, whole-request
// errors, later ops seeing earlier ones, and byte-identical trees after a failure.

#include <catch2/catch.hpp>

#include "services/zk-ensemble/core/tree.h"
#include "services/zk-ensemble/core/tree_test_util.h"

namespace dcos::zk {
namespace {

using testing::MustCreate;
using testing::MustStat;
using testing::T;
using C = Change::Type;
using Op = MultiOp;

ZnodeTree Fixture() {
  ZnodeTree tree;
  MustCreate(tree, "/a", 1, "a0");
  MustCreate(tree, "/a/b", 2, "b0");
  MustCreate(tree, "/q", 3);
  MustCreate(tree, "/e", 4, "", CreateMode::kEphemeral, 50);
  return tree;
}

TEST_CASE("a committed multi applies every op with one zxid and reports each result") {
  ZnodeTree tree = Fixture();
  auto r = tree.Multi({Op::Check("/a", 0), Op::Create("/n", "new"),
                       Op::Create("/n/c", "", CreateMode::kEphemeral),
                       Op::Create("/q/s-", "", CreateMode::kPersistentSequential),
                       Op::SetData("/a", "a1", 0), Op::Delete("/a/b", 0)},
                      60, 10, T(10));
  ZK_REQUIRE_OK(r.status());
  REQUIRE(r->committed);
  CHECK(r->failed_index == -1);
  REQUIRE(r->results.size() == 6);
  for (const MultiOpResult& op : r->results) CHECK(op.error == ZkCode::kOk);
  CHECK(r->results[0].type == Op::Type::kCheck);
  CHECK(r->results[1].path == "/n");
  CHECK(r->results[1].stat.czxid == 10);
  CHECK(r->results[2].path == "/n/c");
  CHECK(r->results[2].stat.ephemeral_owner == 60);
  CHECK(r->results[3].path == "/q/s-0000000000");
  CHECK(r->results[4].stat.version == 1);
  CHECK(r->results[4].stat.mzxid == 10);
  CHECK(r->results[5].type == Op::Type::kDelete);

  CHECK(r->changes == Changes{10,
                              {{C::kCreated, "/n"}, {C::kChildrenChanged, "/"},
                               {C::kCreated, "/n/c"}, {C::kChildrenChanged, "/n"},
                               {C::kCreated, "/q/s-0000000000"}, {C::kChildrenChanged, "/q"},
                               {C::kDataChanged, "/a"},
                               {C::kDeleted, "/a/b"}, {C::kChildrenChanged, "/a"}}});
  CHECK(tree.GetData("/a")->data == "a1");
  CHECK_FALSE(tree.Exists("/a/b")->has_value());
  CHECK(tree.EphemeralsOf(60) == std::vector<std::string>{"/n/c"});
  Stat n = MustStat(tree, "/n");
  CHECK(n.pzxid == 10);
  CHECK(n.cversion == 1);
  ZK_REQUIRE_OK(tree.CheckInvariants());
}

TEST_CASE("later ops see earlier ones") {
  ZnodeTree tree = Fixture();
  auto r = tree.Multi({Op::Create("/x", "1"), Op::SetData("/x", "2", 0), Op::Check("/x", 1),
                       Op::Delete("/x", 1), Op::Create("/x", "3")},
                      0, 20, T(20));
  ZK_REQUIRE_OK(r.status());
  REQUIRE(r->committed);
  auto x = tree.GetData("/x");
  CHECK(x->data == "3");
  CHECK(x->stat.version == 0);
  CHECK(MustStat(tree, "/").cversion == 6);  // 3 fixture creates + create, delete, create
}

// Applies a failing multi and requires: not committed, the failing op's code at `index`,
// RUNTIME_INCONSISTENCY everywhere else, no changes, and a byte-identical tree.
void RequireFails(const std::vector<MultiOp>& ops, int index, ZkCode code) {
  ZnodeTree tree = Fixture();
  const std::string before = tree.Snapshot();
  const size_t nodes = tree.NodeCount(), bytes = tree.DataBytes(),
               ephemerals = tree.EphemeralCount();
  auto r = tree.Multi(ops, 60, 30, T(30));
  ZK_REQUIRE_OK(r.status());
  CHECK_FALSE(r->committed);
  CHECK(r->failed_index == index);
  CHECK(ZkCodeOf(r->failure) == code);
  REQUIRE(r->results.size() == ops.size());
  for (size_t i = 0; i < ops.size(); ++i) {
    INFO("op " << i);
    CHECK(r->results[i].type == ops[i].type);
    CHECK(r->results[i].error ==
          (static_cast<int>(i) == index ? code : ZkCode::kRuntimeInconsistency));
    CHECK(r->results[i].path.empty());
  }
  CHECK(r->changes.empty());
  CHECK(tree.Snapshot() == before);
  CHECK(tree.NodeCount() == nodes);
  CHECK(tree.DataBytes() == bytes);
  CHECK(tree.EphemeralCount() == ephemerals);
  CHECK(tree.CheckInvariants().ok());
}

TEST_CASE("a failing op undoes everything before it") {
  SECTION("check: NO_NODE and BAD_VERSION") {
    RequireFails({Op::Create("/n"), Op::Check("/missing")}, 1, ZkCode::kNoNode);
    RequireFails({Op::SetData("/a", "z"), Op::Check("/a", 0)}, 1, ZkCode::kBadVersion);
  }
  SECTION("create: NODE_EXISTS, NO_NODE, NO_CHILDREN_FOR_EPHEMERALS") {
    RequireFails({Op::Create("/n"), Op::Create("/n")}, 1, ZkCode::kNodeExists);
    RequireFails({Op::Create("/n"), Op::Create("/m/x")}, 1, ZkCode::kNoNode);
    RequireFails({Op::Create("/n", "", CreateMode::kEphemeral), Op::Create("/n/x")}, 1,
                 ZkCode::kNoChildrenForEphemerals);
    RequireFails({Op::Create("/a/b")}, 0, ZkCode::kNodeExists);
  }
  SECTION("delete: NO_NODE, BAD_VERSION, NOT_EMPTY") {
    RequireFails({Op::Delete("/a/b"), Op::Delete("/a/b")}, 1, ZkCode::kNoNode);
    RequireFails({Op::Delete("/a/b", 5)}, 0, ZkCode::kBadVersion);
    RequireFails({Op::Create("/a/c"), Op::Delete("/a/b"), Op::Delete("/a")}, 2,
                 ZkCode::kNotEmpty);
  }
  SECTION("set: NO_NODE, BAD_VERSION") {
    RequireFails({Op::Delete("/a/b"), Op::SetData("/a/b", "x")}, 1, ZkCode::kNoNode);
    RequireFails({Op::SetData("/a", "1", 0), Op::SetData("/a", "2", 0)}, 1,
                 ZkCode::kBadVersion);
  }
  SECTION("every kind of op undone, in reverse order") {
    RequireFails({Op::Create("/q/s-", "", CreateMode::kPersistentSequential),
                  Op::Create("/n", "data", CreateMode::kContainer), Op::Create("/n/c", "x"),
                  Op::SetData("/n/c", "yy"), Op::SetData("/a", "zzz"), Op::Delete("/a/b"),
                  Op::Delete("/e"), Op::Create("/n/e", "", CreateMode::kEphemeral),
                  Op::Delete("/n/c"), Op::Check("/n/c")},
                 9, ZkCode::kNoNode);
  }
  SECTION("the first op failing") {
    RequireFails({Op::Delete("/missing"), Op::Create("/n")}, 0, ZkCode::kNoNode);
  }
}

TEST_CASE("a sequential create undone leaves the counter where it was") {
  ZnodeTree tree = Fixture();
  auto failed = tree.Multi({Op::Create("/q/s-", "", CreateMode::kPersistentSequential),
                            Op::Check("/missing")},
                           0, 40, T(40));
  ZK_REQUIRE_OK(failed.status());
  CHECK_FALSE(failed->committed);
  CHECK(MustCreate(tree, "/q/s-", 41, "", CreateMode::kPersistentSequential) ==
        "/q/s-0000000000");
}

TEST_CASE("malformed multis are call errors and change nothing") {
  ZnodeTree tree = Fixture();
  const std::string before = tree.Snapshot();
  auto code = [&](const std::vector<MultiOp>& ops, int64_t session = 60) {
    auto r = tree.Multi(ops, session, 50, T(50));
    CHECK(r.status().code() == absl::StatusCode::kInvalidArgument);
    return ZkCodeOf(r.status());
  };
  CHECK(code({}) == ZkCode::kBadArguments);
  CHECK(code(std::vector<MultiOp>(1001, Op::Check("/a"))) == ZkCode::kBadArguments);
  CHECK(code({Op::Create("/n"), Op::Create("bad")}) == ZkCode::kBadArguments);
  CHECK(code({Op::Check("/a/")}) == ZkCode::kBadArguments);
  CHECK(code({Op::Delete("/")}) == ZkCode::kBadArguments);
  CHECK(code({Op::SetData("/zookeeper", "")}) == ZkCode::kBadArguments);
  CHECK(code({Op::Create("/n", "", CreateMode::kEphemeral)}, 0) == ZkCode::kBadArguments);
  CHECK(code({Op::Create("/n", "", static_cast<CreateMode>(9))}) == ZkCode::kBadArguments);
  // Each op within the limit, the sum above it.
  CHECK(code({Op::Create("/n", std::string(600000, 'x')),
              Op::SetData("/a", std::string(600000, 'y'))}) == ZkCode::kBadArguments);
  MultiOp unknown = Op::Check("/a");
  unknown.type = static_cast<Op::Type>(17);
  CHECK(code({unknown}) == ZkCode::kBadArguments);
  CHECK(tree.Snapshot() == before);

  // The message names the op.
  auto r = tree.Multi({Op::Check("/a"), Op::Create("x")}, 0, 50, T(50));
  CHECK(r.status().message() ==
        "op 1: BAD_ARGUMENTS: invalid path \"x\": must start with /");
  ZK_REQUIRE_OK(tree.Multi(std::vector<MultiOp>(1000, Op::Check("/a")), 0, 51, T(51)).status());
}

TEST_CASE("checks of the reserved subtree are allowed") {
  ZnodeTree tree;
  auto r = tree.Multi({Op::Check("/zookeeper"), Op::Check("/", 0)}, 0, 1, T(1));
  ZK_REQUIRE_OK(r.status());
  CHECK(r->committed);
  CHECK(r->changes.empty());
}

}  // namespace
}  // namespace dcos::zk
