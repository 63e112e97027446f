// CacheTree: what each read does to the mirror, and the events it makes.

#include "libs/zk/recipes/cache_tree.h"

#include <catch2/catch.hpp>

namespace dcos::zk::recipes {
namespace {

v1::Stat StatOf(int64_t czxid, int64_t mzxid) {
  v1::Stat s;
  s.set_czxid(czxid);
  s.set_mzxid(mzxid);
  return s;
}

std::string Describe(const std::optional<CacheEvent>& e) {
  if (!e) return "none";
  return std::string(CacheEventTypeName(e->type)) + " " + e->path + "=" + e->node.data;
}

TEST_CASE("cache tree: added, updated when newer, nothing when as old or older") {
  CacheTree t("/r");
  CHECK(Describe(t.Upsert("/r", "root", StatOf(1, 1))) == "ADDED /r=root");
  CHECK(Describe(t.Upsert("/r", "v2", StatOf(1, 5))) == "UPDATED /r=v2");
  CHECK(Describe(t.Upsert("/r", "stale", StatOf(1, 3))) == "none");
  CHECK(Describe(t.Upsert("/r", "v2", StatOf(1, 5))) == "none");
  CHECK(t.Find("/r")->data == "v2");
  // Re-created (a newer czxid) wins even with a lower mzxid than the old incarnation's.
  CHECK(Describe(t.Upsert("/r", "new", StatOf(9, 9))) == "UPDATED /r=new");
  CHECK(Describe(t.Upsert("/r", "old incarnation", StatOf(1, 20))) == "none");
}

TEST_CASE("cache tree: children, their diff, depth") {
  CacheTree t("/r");
  (void)t.Upsert("/r", "", StatOf(1, 1));
  (void)t.Upsert("/r/a", "", StatOf(2, 2));
  (void)t.Upsert("/r/b", "", StatOf(3, 3));
  (void)t.Upsert("/r/a/x", "", StatOf(4, 4));
  (void)t.Upsert("/rr", "", StatOf(5, 5));  // a sibling of the root with a common prefix
  CHECK(t.ChildNames("/r") == std::vector<std::string>{"a", "b"});
  CHECK(t.ChildNames("/r/a") == std::vector<std::string>{"x"});
  CacheTree::ChildDiff d = t.DiffChildren("/r", {"b", "c"});
  CHECK(d.added == std::vector<std::string>{"c"});
  CHECK(d.removed == std::vector<std::string>{"a"});
  CHECK(t.Depth("/r") == 0);
  CHECK(t.Depth("/r/a") == 1);
  CHECK(t.Depth("/r/a/x") == 2);
  CHECK(t.Depth("/rr") == -1);
  CHECK(t.Depth("/") == -1);
}

TEST_CASE("cache tree: removing a node removes its subtree, deepest first") {
  CacheTree t("/");
  (void)t.Upsert("/", "", StatOf(0, 0));
  (void)t.Upsert("/a", "", StatOf(2, 2));
  (void)t.Upsert("/a/x", "", StatOf(3, 3));
  (void)t.Upsert("/a/x/deep", "", StatOf(4, 4));
  (void)t.Upsert("/a/y", "", StatOf(5, 5));
  (void)t.Upsert("/ab", "", StatOf(6, 6));
  CHECK(t.Depth("/a/x") == 2);
  std::vector<std::string> removed;
  for (const CacheEvent& e : t.Remove("/a")) {
    CHECK(e.type == CacheEvent::Type::kRemoved);
    removed.push_back(e.path);
  }
  CHECK(removed == std::vector<std::string>{"/a/x/deep", "/a/y", "/a/x", "/a"});
  CHECK(t.nodes().size() == 2);  // "/" and "/ab"
  CHECK(t.Remove("/nothing").empty());
}

}  // namespace
}  // namespace dcos::zk::recipes
