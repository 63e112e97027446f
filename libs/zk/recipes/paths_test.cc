// Path helpers of the recipes (EnsurePath itself runs in //tests/zk:zk_recipes_process_test).

#include "libs/zk/recipes/paths.h"

#include <catch2/catch.hpp>

namespace dcos::zk::recipes {
namespace {

TEST_CASE("paths: join, name, ancestors") {
  CHECK(JoinPath("/", "a") == "/a");
  CHECK(JoinPath("/a", "b") == "/a/b");
  CHECK(NameOf("/a/b") == "b");
  CHECK(NameOf("/") == "");
  CHECK(PathAndAncestors("/a/b/c") == std::vector<std::string>{"/a", "/a/b", "/a/b/c"});
  CHECK(PathAndAncestors("/a") == std::vector<std::string>{"/a"});
  CHECK(PathAndAncestors("/").empty());
}

}  // namespace
}  // namespace dcos::zk::recipes
