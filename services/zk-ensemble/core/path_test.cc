#include <catch2/catch.hpp>

#include "services/zk-ensemble/core/errors.h"
#include "services/zk-ensemble/core/path.h"

namespace dcos::zk {
namespace {

bool Valid(absl::string_view path, size_t max = 4096) { return ValidatePath(path, max).ok(); }

TEST_CASE("valid paths") {
  CHECK(Valid("/"));
  CHECK(Valid("/a"));
  CHECK(Valid("/a/b/c"));
  CHECK(Valid("/a.b/..c/.d/e."));  // dots inside names are fine
  CHECK(Valid("/lock-0000000001"));
  CHECK(Valid("/caf\xc3\xa9"));      // é
  CHECK(Valid("/\xf0\x9f\x98\x80"));  // U+1F600
  CHECK(Valid("/with space"));
}

TEST_CASE("invalid paths are BAD_ARGUMENTS with a reason") {
  for (absl::string_view bad :
       {absl::string_view(""), absl::string_view("a"), absl::string_view("a/b"),
        absl::string_view("/a/"), absl::string_view("//"), absl::string_view("/a//b"),
        absl::string_view("/."), absl::string_view("/.."), absl::string_view("/a/./b"),
        absl::string_view("/a/../b"), absl::string_view("/a/.."),
        absl::string_view("/a\0b", 4), absl::string_view("/a\tb"), absl::string_view("/\x7f"),
        absl::string_view("/\xc2\x80"),        // U+0080, a C1 control
        absl::string_view("/\xee\x80\x80"),    // U+E000, private use
        absl::string_view("/\xef\xbf\xbf"),    // U+FFFF
        absl::string_view("/\xff"),            // not UTF-8
        absl::string_view("/\xc3"),            // truncated sequence
        absl::string_view("/\xc0\xaf"),        // overlong "/"
        absl::string_view("/\xed\xa0\x80")}) { // a surrogate
    INFO("path: " << std::string(bad));
    absl::Status s = ValidatePath(bad, 4096);
    CHECK(ZkCodeOf(s) == ZkCode::kBadArguments);
    CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("path length limit") {
  std::string path = "/" + std::string(4095, 'a');
  CHECK(Valid(path));
  CHECK_FALSE(Valid(path + "b"));
  CHECK_FALSE(Valid("/abc", 3));
  CHECK(ValidatePath(path + "b", 4096).message().find("longer than the limit") !=
        absl::string_view::npos);
}

TEST_CASE("splitting paths") {
  CHECK(ParentPath("/a") == "/");
  CHECK(ParentPath("/a/b") == "/a");
  CHECK(ParentPath("/a/lock-") == "/a");
  CHECK(ParentPath("/a/") == "/a");
  CHECK(BaseName("/a/b") == "b");
  CHECK(BaseName("/") == "");
  CHECK(JoinPath("/", "a") == "/a");
  CHECK(JoinPath("/a", "b") == "/a/b");
}

TEST_CASE("reserved paths and ancestry") {
  CHECK(IsReservedPath("/zookeeper"));
  CHECK(IsReservedPath("/zookeeper/quota"));
  CHECK_FALSE(IsReservedPath("/zookeeper2"));
  CHECK_FALSE(IsReservedPath("/zoo"));
  CHECK_FALSE(IsReservedPath("/"));
  CHECK(IsProperAncestor("/", "/a"));
  CHECK(IsProperAncestor("/a", "/a/b/c"));
  CHECK_FALSE(IsProperAncestor("/a", "/ab"));
  CHECK_FALSE(IsProperAncestor("/a", "/a"));
  CHECK_FALSE(IsProperAncestor("/", "/"));
}

}  // namespace
}  // namespace dcos::zk
