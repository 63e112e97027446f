// Sandbox paths and files: virtual paths, staying inside the sandbox (.., symlinks), listing,
// reading with offset and length.

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "libs/testing/harness.h"
#include "services/agent/sandbox_files.h"

namespace dcos::agent {
namespace {

TEST_CASE("virtual sandbox paths", "[files]") {
  auto v = ParseVirtualPath("/frameworks/F/executors/web.1/runs/latest/logs/a.txt", "location.path");
  REQUIRE(v.ok());
  CHECK(v->framework_id == "F");
  CHECK(v->executor_id == "web.1");
  CHECK(v->container_id == "latest");
  CHECK(v->rest == "logs/a.txt");
  CHECK(ParseVirtualPath("/frameworks/F/executors/E/runs/C", "p")->rest.empty());
  auto bad = ParseVirtualPath("/etc/passwd", "location.path");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(bad.status().message().find("location.path: '/etc/passwd' is not a sandbox path") == 0);
  CHECK_FALSE(ParseVirtualPath("frameworks/F/executors/E/runs/C", "p").ok());
}

TEST_CASE("paths may not leave the sandbox", "[files]") {
  std::string dir = testing::MakeTempDir("files");
  std::string sandbox = dir + "/sandbox";
  std::filesystem::create_directories(sandbox + "/sub");
  std::ofstream(sandbox + "/sub/a") << "a";
  std::ofstream(dir + "/secret") << "s";
  std::filesystem::create_symlink(dir + "/secret", sandbox + "/escape");
  std::filesystem::create_symlink(sandbox + "/sub/a", sandbox + "/inside");

  CHECK(*ResolveInSandbox(sandbox, "sub/./a", "f") == sandbox + "/sub/a");
  CHECK(*ResolveInSandbox(sandbox, "sub/../sub/a", "f") == sandbox + "/sub/a");
  CHECK(*ResolveInSandbox(sandbox, "", "f") == sandbox);
  CHECK(ResolveInSandbox(sandbox, "inside", "f").ok());
  auto up = ResolveInSandbox(sandbox, "../secret", "location.path");
  CHECK(up.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(up.status().message() == "location.path: '../secret' leaves the sandbox");
  auto link = ResolveInSandbox(sandbox, "escape", "location.path");
  CHECK(link.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(ResolveInSandbox(sandbox, "missing", "f").status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE("listing and reading with offset and length", "[files]") {
  std::string dir = testing::MakeTempDir("files");
  std::filesystem::create_directories(dir + "/b-dir");
  std::ofstream(dir + "/stdout") << "0123456789";
  std::ofstream(dir + "/a");
  auto list = ListPath(dir, "/v");
  REQUIRE(list.ok());
  REQUIRE(list->size() == 3);
  CHECK((*list)[0].path() == "/v/a");
  CHECK((*list)[1].path() == "/v/b-dir");
  CHECK(S_ISDIR((*list)[1].mode()));
  CHECK((*list)[2].path() == "/v/stdout");
  CHECK((*list)[2].size() == 10);
  CHECK((*list)[2].nlink() == 1);
  CHECK_FALSE((*list)[2].uid().empty());
  auto one = ListPath(dir + "/stdout", "/v/stdout");
  REQUIRE(one.ok());
  CHECK(one->size() == 1);

  auto all = ReadChunk(dir + "/stdout", 0, std::nullopt);
  REQUIRE(all.ok());
  CHECK(all->data == "0123456789");
  CHECK(all->size == 10);
  CHECK(ReadChunk(dir + "/stdout", 3, 4)->data == "3456");
  CHECK(ReadChunk(dir + "/stdout", 8, 100)->data == "89");
  auto past = ReadChunk(dir + "/stdout", 10, std::nullopt);
  CHECK(past->data.empty());
  CHECK(past->size == 10);
  auto size_only = ReadChunk(dir + "/stdout", 0, 0);
  CHECK(size_only->data.empty());
  CHECK(size_only->size == 10);
  CHECK(ReadChunk(dir + "/b-dir", 0, std::nullopt).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(ReadChunk(dir + "/none", 0, std::nullopt).status().code() == absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace dcos::agent
