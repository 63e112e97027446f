// ZnodeTree::Snapshot / Restore: round trip, determinism, and rejection of corrupt input.

#include <catch2/catch.hpp>

#include <random>

#include "services/zk-ensemble/core/tree.h"
#include "services/zk-ensemble/core/tree_test_util.h"

namespace dcos::zk {
namespace {

using testing::MustCreate;
using testing::MustStat;
using testing::T;

ZnodeTree Sample() {
  ZnodeTree tree;
  MustCreate(tree, "/a", 1, "alpha");
  MustCreate(tree, "/a/b", 2, std::string("bin\0ary", 7));
  MustCreate(tree, "/a-b", 3, "dash");  // sorts between "/a" and "/a/b" bytewise
  MustCreate(tree, "/c", 4, "", CreateMode::kContainer);
  MustCreate(tree, "/c/lock-", 5, "", CreateMode::kEphemeralSequential, 7);
  MustCreate(tree, "/e", 6, "eph", CreateMode::kEphemeral, 8);
  MustCreate(tree, "/c/tmp", 7);
  REQUIRE(tree.Delete("/c/tmp", -1, 8).ok());
  REQUIRE(tree.SetData("/a", "alpha2", 0, 9, T(9999)).ok());
  return tree;
}

void RequireSameTree(const ZnodeTree& a, const ZnodeTree& b) {
  CHECK(a.Snapshot() == b.Snapshot());
  CHECK(a.NodeCount() == b.NodeCount());
  CHECK(a.DataBytes() == b.DataBytes());
  CHECK(a.EphemeralCount() == b.EphemeralCount());
  CHECK(a.SessionsWithEphemerals() == b.SessionsWithEphemerals());
  CHECK(a.ContainersToDelete() == b.ContainersToDelete());
}

TEST_CASE("snapshot round trip keeps data, stats, kinds and indexes") {
  ZnodeTree tree = Sample();
  std::string snap = tree.Snapshot();
  auto restored = ZnodeTree::Restore(snap);
  ZK_REQUIRE_OK(restored.status());
  ZK_REQUIRE_OK(restored->CheckInvariants());
  RequireSameTree(tree, *restored);
  for (const char* path : {"/", "/zookeeper", "/a", "/a/b", "/a-b", "/c", "/c/lock-0000000000",
                           "/e"}) {
    INFO(path);
    CHECK(MustStat(*restored, path) == MustStat(tree, path));
    CHECK(restored->GetData(path)->data == tree.GetData(path)->data);
    CHECK(restored->GetChildren(path)->children == tree.GetChildren(path)->children);
  }
  CHECK(restored->EphemeralsOf(7) == std::vector<std::string>{"/c/lock-0000000000"});
  CHECK(restored->GetData("/a/b")->data == std::string("bin\0ary", 7));

  // The restored tree keeps working like the original.
  ZnodeTree original = tree;
  for (ZnodeTree* t : {&original, &*restored}) {
    REQUIRE(t->DeleteSession(7, 20).deleted.size() == 1);
    REQUIRE(t->Create("/c/", "", CreateMode::kPersistentSequential, 0, 21, T(21)).ok());
  }
  RequireSameTree(original, *restored);
  CHECK(restored->GetChildren("/c")->children == std::vector<std::string>{"0000000004"});  // 2 creates, 2 deletes before
}

TEST_CASE("the root's own data survives a round trip and is counted") {
  // Found by tree_random_test: Restore did not count the root's data in DataBytes().
  ZnodeTree tree;
  REQUIRE(tree.SetData("/", "root data", -1, 1, T(1)).ok());
  auto restored = ZnodeTree::Restore(tree.Snapshot());
  ZK_REQUIRE_OK(restored.status());
  ZK_REQUIRE_OK(restored->CheckInvariants());
  CHECK(restored->DataBytes() == 9);
  CHECK(restored->GetData("/")->data == "root data");
  CHECK(MustStat(*restored, "/").version == 1);
}

TEST_CASE("the restored tree takes the given config") {
  auto restored = ZnodeTree::Restore(Sample().Snapshot(), TreeConfig{.max_data_bytes = 3});
  ZK_REQUIRE_OK(restored.status());
  CHECK(restored->config().max_data_bytes == 3);
  // Data already above the new limit is kept; new writes obey it.
  CHECK(restored->GetData("/a")->data == "alpha2");
  ZK_REQUIRE_CODE(restored->SetData("/a", "toolong", -1, 30, T(30)).status(),
                  ZkCode::kBadArguments);
}

TEST_CASE("equal trees give equal bytes, whatever order built them") {
  ZnodeTree x, y;
  for (const char* p : {"/m", "/b", "/z", "/b/1", "/b/0"}) MustCreate(x, p, 1, p);
  for (const char* p : {"/z", "/b", "/b/0", "/m", "/b/1"}) MustCreate(y, p, 1, p);
  CHECK(x.Snapshot() == y.Snapshot());
  CHECK(x.Snapshot() == x.Snapshot());
  ZnodeTree z = x;
  REQUIRE(z.SetData("/m", "other", -1, 2, T(2)).ok());
  CHECK(z.Snapshot() != x.Snapshot());
}

TEST_CASE("snapshot of restore is the same bytes") {
  std::string snap = Sample().Snapshot();
  CHECK(ZnodeTree::Restore(snap)->Snapshot() == snap);
  std::string fresh = ZnodeTree().Snapshot();
  CHECK(ZnodeTree::Restore(fresh)->Snapshot() == fresh);
}

void RequireRejected(const std::string& bytes) {
  auto r = ZnodeTree::Restore(bytes);
  INFO(r.status().ToString());
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == absl::StatusCode::kDataLoss);
}

// Recomputes the trailing CRC, so the test reaches the structural checks behind it.
std::string Reseal(std::string bytes) {
  bytes.resize(bytes.size() - 4);
  // CRC-32 (IEEE, reflected), as zlib computes it.
  uint32_t crc = 0xffffffffu;
  for (unsigned char c : bytes) {
    crc ^= c;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  crc ^= 0xffffffffu;
  for (int i = 0; i < 4; ++i) bytes.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  return bytes;
}

TEST_CASE("reseal reproduces the real checksum") {
  std::string snap = Sample().Snapshot();
  CHECK(Reseal(snap) == snap);
}

TEST_CASE("corrupt snapshots are rejected with DATA_LOSS") {
  std::string snap = Sample().Snapshot();
  RequireRejected("");
  RequireRejected("DCZKTREE");
  RequireRejected(snap.substr(0, snap.size() - 1));
  RequireRejected(snap + "x");
  std::string bad_magic = snap;
  bad_magic[0] = 'X';
  RequireRejected(Reseal(bad_magic));
  std::string bad_version = snap;
  bad_version[8] = 2;
  RequireRejected(Reseal(bad_version));
  CHECK(ZnodeTree::Restore(Reseal(bad_version)).status().message().find("format version") !=
        std::string::npos);
  std::string huge_count = snap;
  huge_count[19] = '\x7f';
  RequireRejected(Reseal(huge_count));
  // Truncated records, with a valid checksum.
  RequireRejected(Reseal(snap.substr(0, snap.size() / 2) + "1234"));
  // Count one node fewer: trailing bytes.
  std::string fewer = snap;
  fewer[12] = static_cast<char>(fewer[12] - 1);
  RequireRejected(Reseal(fewer));
}

TEST_CASE("every single flipped bit is caught") {
  std::string snap = Sample().Snapshot();
  for (size_t i = 0; i < snap.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = snap;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      auto r = ZnodeTree::Restore(bad);
      if (r.ok()) FAIL("flip of bit " << bit << " of byte " << i << " accepted");
    }
  }
}

TEST_CASE("random garbage never crashes Restore, resealed or not") {
  std::mt19937_64 rng(12345);
  std::string snap = Sample().Snapshot();
  for (int i = 0; i < 2000; ++i) {
    std::string bad = snap;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) bad[rng() % bad.size()] = static_cast<char>(rng());
    if (rng() % 2) bad.resize(rng() % bad.size() + 4);
    auto r = ZnodeTree::Restore(Reseal(bad));
    if (r.ok()) {
      REQUIRE(r->CheckInvariants().ok());  // accepted only if it is a consistent tree
    }
  }
}

// Structural checks behind the checksum, on hand-built snapshots.
std::string Record(const std::string& path, uint8_t kind, int64_t owner,
                   const std::string& data = "") {
  std::string out;
  auto put = [&](uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  put(path.size(), 4);
  out += path;
  out.push_back(static_cast<char>(kind));
  for (int i = 0; i < 5; ++i) put(0, 8);
  for (int i = 0; i < 3; ++i) put(0, 4);
  put(static_cast<uint64_t>(owner), 8);
  put(data.size(), 4);
  out += data;
  return out;
}

std::string Build(const std::vector<std::string>& records) {
  std::string out = "DCZKTREE";
  auto put = [&](uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  put(1, 4);
  put(records.size(), 8);
  for (const std::string& r : records) out += r;
  return Reseal(out + "CRC!");
}

TEST_CASE("impossible trees are rejected") {
  const std::string root = Record("/", 0, 0), zk = Record("/zookeeper", 0, 0);
  ZK_REQUIRE_OK(ZnodeTree::Restore(Build({root, zk})).status());
  ZK_REQUIRE_OK(ZnodeTree::Restore(Build({root, zk, Record("/a", 0, 5)})).status());
  RequireRejected(Build({zk, root}));                                   // root not first
  RequireRejected(Build({root}));                                       // no /zookeeper
  RequireRejected(Build({root, zk, zk}));                               // duplicate
  RequireRejected(Build({root, zk, Record("/a/b", 0, 0)}));             // parent missing
  RequireRejected(Build({root, zk, Record("/a/b", 0, 0), Record("/a", 0, 0)}));  // order
  RequireRejected(Build({root, zk, Record("/e", 0, 5), Record("/e/x", 0, 0)}));  // eph child
  RequireRejected(Build({root, zk, Record("/c", 1, 5)}));               // ephemeral container
  RequireRejected(Build({root, zk, Record("/k", 2, 0)}));               // unknown kind
  RequireRejected(Build({root, zk, Record("/a/", 0, 0)}));              // invalid path
  RequireRejected(Build({root, zk, Record("", 0, 0)}));
  RequireRejected(Build({Record("/", 0, 3), zk}));                      // ephemeral root
  RequireRejected(Build({Record("/", 1, 0), zk}));                      // container root
}

}  // namespace
}  // namespace dcos::zk
