// Randomized test: random operations (create in every mode, delete, set, multi, session
// deletion) against ZnodeTree and a simple reference model (std::map path -> node), compared
// after every step, plus snapshot round trips along the way.
//
// Every run prints its seed; replay one with ZK_TREE_SEED=<seed>, e.g.
//   bazel test //services/zk-ensemble/core:tree_random_test --test_env=ZK_TREE_SEED=42

#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>

#include "absl/strings/str_format.h"
#include "services/zk-ensemble/core/tree.h"
#include "services/zk-ensemble/core/tree_test_util.h"

namespace dcos::zk {
namespace {

using testing::T;

struct ModelNode {
  std::string data;
  int32_t version = 0;
  int32_t cversion = 0;
  int64_t owner = 0;
};

// The reference: a flat map, ZooKeeper's rules written out the slow, obvious way.
struct Model {
  std::map<std::string, ModelNode> nodes = {{"/", {}}, {"/zookeeper", {}}};

  static std::string Parent(const std::string& path) {
    size_t slash = path.rfind('/');
    return slash == 0 ? "/" : path.substr(0, slash);
  }

  std::vector<std::string> Children(const std::string& path) const {
    std::vector<std::string> out;
    std::string prefix = path == "/" ? "/" : path + "/";
    for (auto it = nodes.lower_bound(prefix);
         it != nodes.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
      std::string rest = it->first.substr(prefix.size());
      if (!rest.empty() && rest.find('/') == std::string::npos) out.push_back(rest);
    }
    return out;
  }

  ZkCode Create(const std::string& path, const std::string& data, CreateMode mode,
                int64_t session, std::string* created) {
    std::string parent = Parent(path);
    if (!nodes.count(parent)) return ZkCode::kNoNode;
    std::string final_path = path;
    if (IsSequential(mode)) final_path += absl::StrFormat("%010d", nodes[parent].cversion);
    if (nodes.count(final_path)) return ZkCode::kNodeExists;
    if (nodes[parent].owner != 0) return ZkCode::kNoChildrenForEphemerals;
    nodes[parent].cversion++;
    nodes[final_path] = ModelNode{data, 0, 0, IsEphemeral(mode) ? session : 0};
    *created = final_path;
    return ZkCode::kOk;
  }

  ZkCode Delete(const std::string& path, int32_t version) {
    auto it = nodes.find(path);
    if (it == nodes.end()) return ZkCode::kNoNode;
    if (version != -1 && version != it->second.version) return ZkCode::kBadVersion;
    if (!Children(path).empty()) return ZkCode::kNotEmpty;
    nodes.erase(it);
    nodes[Parent(path)].cversion++;
    return ZkCode::kOk;
  }

  ZkCode Set(const std::string& path, const std::string& data, int32_t version) {
    auto it = nodes.find(path);
    if (it == nodes.end()) return ZkCode::kNoNode;
    if (version != -1 && version != it->second.version) return ZkCode::kBadVersion;
    it->second.data = data;
    it->second.version++;
    return ZkCode::kOk;
  }

  ZkCode Check(const std::string& path, int32_t version) const {
    auto it = nodes.find(path);
    if (it == nodes.end()) return ZkCode::kNoNode;
    if (version != -1 && version != it->second.version) return ZkCode::kBadVersion;
    return ZkCode::kOk;
  }
};

class Runner {
 public:
  explicit Runner(uint64_t seed) : rng_(seed) {}

  void Step(int64_t zxid) {
    zxid_ = zxid;
    switch (Pick(10)) {
      case 0: case 1: case 2: DoCreate(); break;
      case 3: case 4: DoDelete(); break;
      case 5: case 6: DoSet(); break;
      case 7: case 8: DoMulti(); break;
      case 9: DoDeleteSession(); break;
    }
    Compare();
  }

  void CompareSnapshot() {
    auto restored = ZnodeTree::Restore(tree_.Snapshot());
    REQUIRE(restored.ok());
    REQUIRE(restored->Snapshot() == tree_.Snapshot());
    tree_ = *std::move(restored);  // continue on the restored tree
  }

 private:
  size_t Pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }

  // A path likely to matter: an existing node, a child of one, or a made-up path.
  std::string AnyPath() {
    switch (Pick(3)) {
      case 0: {
        auto it = model_.nodes.begin();
        std::advance(it, Pick(model_.nodes.size()));
        return it->first == "/zookeeper" ? "/a" : it->first;
      }
      case 1: {
        auto it = model_.nodes.begin();
        std::advance(it, Pick(model_.nodes.size()));
        if (it->first == "/zookeeper") return "/b";
        return (it->first == "/" ? "" : it->first) + "/" + Name();
      }
      default: {
        std::string p;
        for (size_t depth = 1 + Pick(3); depth > 0; --depth) p += "/" + Name();
        return p;
      }
    }
  }
  std::string Name() { return std::string(1, static_cast<char>('a' + Pick(3))); }
  std::string Data() { return std::string(Pick(4), static_cast<char>('0' + Pick(10))); }
  int32_t Version(const std::string& path) {
    if (Pick(2) == 0) return -1;
    auto it = model_.nodes.find(path);
    int32_t v = it == model_.nodes.end() ? 0 : it->second.version;
    return Pick(4) == 0 ? v + 1 : v;  // mostly right
  }
  CreateMode Mode() { return static_cast<CreateMode>(1 + Pick(5)); }
  int64_t Session() { return static_cast<int64_t>(1 + Pick(3)); }

  void DoCreate() {
    std::string path = AnyPath();
    if (path == "/") path = "/c";
    CreateMode mode = Mode();
    if (IsSequential(mode) && Pick(2) == 0) path += "-";
    std::string data = Data();
    int64_t session = Session();
    INFO("create " << path << " mode " << static_cast<int>(mode) << " session " << session);
    std::string created;
    ZkCode want = model_.Create(path, data, mode, session, &created);
    auto got = tree_.Create(path, data, mode, session, zxid_, T(zxid_));
    REQUIRE(ZkCodeOf(got.status()) == want);
    if (got.ok()) REQUIRE(got->path == created);
  }

  void DoDelete() {
    std::string path = AnyPath();
    if (path == "/") path = "/a";
    int32_t version = Version(path);
    INFO("delete " << path << " version " << version);
    ZkCode want = model_.Delete(path, version);
    REQUIRE(ZkCodeOf(tree_.Delete(path, version, zxid_).status()) == want);
  }

  void DoSet() {
    std::string path = AnyPath();
    int32_t version = Version(path);
    std::string data = Data();
    INFO("set " << path << " version " << version);
    ZkCode want = model_.Set(path, data, version);
    REQUIRE(ZkCodeOf(tree_.SetData(path, data, version, zxid_, T(zxid_)).status()) == want);
  }

  void DoMulti() {
    std::vector<MultiOp> ops;
    for (size_t n = 1 + Pick(4); n > 0; --n) {
      std::string path = AnyPath();
      if (path == "/") path = "/b";
      switch (Pick(4)) {
        case 0: ops.push_back(MultiOp::Check(path, Version(path))); break;
        case 1: ops.push_back(MultiOp::Create(path, Data(), Mode())); break;
        case 2: ops.push_back(MultiOp::Delete(path, Version(path))); break;
        case 3: ops.push_back(MultiOp::SetData(path, Data(), Version(path))); break;
      }
    }
    int64_t session = Session();
    Model scratch = model_;
    int failed = -1;
    ZkCode code = ZkCode::kOk;
    std::vector<std::string> created(ops.size());
    for (size_t i = 0; i < ops.size() && failed < 0; ++i) {
      const MultiOp& op = ops[i];
      switch (op.type) {
        case MultiOp::Type::kCheck: code = scratch.Check(op.path, op.expected_version); break;
        case MultiOp::Type::kCreate:
          code = scratch.Create(op.path, op.data, op.mode, session, &created[i]);
          break;
        case MultiOp::Type::kDelete: code = scratch.Delete(op.path, op.expected_version); break;
        case MultiOp::Type::kSetData:
          code = scratch.Set(op.path, op.data, op.expected_version);
          break;
      }
      if (code != ZkCode::kOk) failed = static_cast<int>(i);
    }
    INFO("multi of " << ops.size() << " ops, model fails at " << failed);
    auto got = tree_.Multi(ops, session, zxid_, T(zxid_));
    REQUIRE(got.ok());
    REQUIRE(got->committed == (failed < 0));
    REQUIRE(got->failed_index == failed);
    for (size_t i = 0; i < ops.size(); ++i) {
      ZkCode want = failed < 0 ? ZkCode::kOk
                               : (static_cast<int>(i) == failed ? code
                                                                : ZkCode::kRuntimeInconsistency);
      REQUIRE(got->results[i].error == want);
      if (failed < 0 && ops[i].type == MultiOp::Type::kCreate) {
        REQUIRE(got->results[i].path == created[i]);
      }
    }
    if (failed < 0) model_ = std::move(scratch);
  }

  void DoDeleteSession() {
    int64_t session = Session();
    std::vector<std::string> want;
    for (const auto& [path, node] : model_.nodes) {
      if (node.owner == session) want.push_back(path);
    }
    for (const std::string& path : want) REQUIRE(model_.Delete(path, -1) == ZkCode::kOk);
    REQUIRE(tree_.DeleteSession(session, zxid_).deleted == want);
  }

  void Compare() {
    absl::Status invariants = tree_.CheckInvariants();
    INFO(invariants.ToString());
    REQUIRE(invariants.ok());
    REQUIRE(tree_.NodeCount() == model_.nodes.size());
    uint64_t bytes = 0;
    size_t ephemerals = 0;
    for (const auto& [path, node] : model_.nodes) {
      INFO("node " << path);
      auto data = tree_.GetData(path);
      REQUIRE(data.ok());
      REQUIRE(data->data == node.data);
      REQUIRE(data->stat.version == node.version);
      REQUIRE(data->stat.cversion == node.cversion);
      REQUIRE(data->stat.ephemeral_owner == node.owner);
      auto children = tree_.GetChildren(path);
      REQUIRE(children.ok());
      REQUIRE(children->children == model_.Children(path));
      REQUIRE(data->stat.num_children == static_cast<int32_t>(children->children.size()));
      bytes += node.data.size();
      ephemerals += node.owner != 0;
    }
    REQUIRE(tree_.DataBytes() == bytes);
    REQUIRE(tree_.EphemeralCount() == ephemerals);
  }

  std::mt19937_64 rng_;
  int64_t zxid_ = 0;
  ZnodeTree tree_;
  Model model_;
};

uint64_t SeedFromEnvOr(uint64_t fallback) {
  const char* env = std::getenv("ZK_TREE_SEED");
  return env != nullptr ? std::strtoull(env, nullptr, 10) : fallback;
}

TEST_CASE("random operations agree with the reference model") {
  const uint64_t base = SeedFromEnvOr(std::random_device()());
  const int runs = std::getenv("ZK_TREE_SEED") != nullptr ? 1 : 8;
  for (int run = 0; run < runs; ++run) {
    const uint64_t seed = base + run;
    std::printf("tree_random_test seed=%llu (replay: --test_env=ZK_TREE_SEED=%llu)\n",
                static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed));
    std::fflush(stdout);
    INFO("seed " << seed);
    Runner runner(seed);
    for (int64_t step = 1; step <= 1500; ++step) {
      INFO("step " << step);
      runner.Step(step);
      if (step % 250 == 0) runner.CompareSnapshot();
    }
  }
}

}  // namespace
}  // namespace dcos::zk
