// The fetcher against real files, a real local HTTP server and Debian's tar: copies, downloads
// (Content-Length, chunked, redirects), archives extracted, modes set, and clean failures
// (404, a refused connection, a stalled server, the size limit, escaping archives).

#include "services/agent/fetcher/fetcher.h"

#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "libs/testing/harness.h"
#include "services/agent/fetcher/test_http_server.h"

extern char** environ;

namespace dcos::agent::fetcher {
namespace {

using testing::MakeTempDir;
using testing::ReadFile;

common::v1::CommandURI Uri(const std::string& value) {
  common::v1::CommandURI uri;
  uri.set_value(value);
  return uri;
}

void Write(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << text;
}

// Runs argv[0] (absolute) with argv in `cwd`; its exit code.
int Run(std::vector<std::string> args, const std::string& cwd) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  REQUIRE(posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ) == 0);
  posix_spawn_file_actions_destroy(&actions);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string Contents(const std::string& path) {
  auto text = ReadFile(path);
  return text.ok() ? *text : "<missing>";
}

FetchOptions Fast() {
  FetchOptions o;
  o.http.stall_timeout = absl::Milliseconds(500);
  return o;
}

TEST_CASE("file:// and local paths are copied; executable sets the mode") {
  std::string dir = MakeTempDir("fetch-file");
  Write(dir + "/src/run.sh", "#!/bin/sh\necho hi\n");
  std::string sandbox = dir + "/sandbox";
  std::filesystem::create_directories(sandbox);
  auto uri = Uri("file://" + dir + "/src/run.sh");
  uri.set_executable(true);
  REQUIRE(FetchUri(uri, sandbox, Fast(), stderr).ok());
  CHECK(Contents(sandbox + "/run.sh") == "#!/bin/sh\necho hi\n");
  struct stat st {};
  REQUIRE(stat((sandbox + "/run.sh").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0755);

  auto plain = Uri(dir + "/src/run.sh");
  plain.set_output_file("sub/copy.txt");
  REQUIRE(FetchUri(plain, sandbox, Fast(), stderr).ok());
  CHECK(Contents(sandbox + "/sub/copy.txt") == "#!/bin/sh\necho hi\n");
  REQUIRE(stat((sandbox + "/sub/copy.txt").c_str(), &st) == 0);
  CHECK((st.st_mode & 0111) == 0);

  absl::Status missing = FetchUri(Uri(dir + "/src/nope"), sandbox, Fast(), stderr);
  CHECK_FALSE(missing.ok());
  CHECK_THAT(std::string(missing.message()), Catch::StartsWith("fetching '" + dir + "/src/nope'"));
  CHECK_FALSE(std::filesystem::exists(sandbox + "/nope"));
  CHECK_FALSE(std::filesystem::exists(sandbox + "/nope.fetching"));
}

TEST_CASE("http:// downloads: Content-Length, chunked, redirects; 404 and limits fail cleanly") {
  std::string sandbox = MakeTempDir("fetch-http");
  TestHttpServer server;
  server.Set("/a.txt", {200, "hello over http\n", false, ""});
  server.Set("/c.txt", {200, std::string(1000, 'c'), true, ""});
  server.Set("/moved", {302, "", false, "/a.txt"});
  server.Set("/loop", {302, "", false, "/loop"});

  REQUIRE(FetchUri(Uri(server.Url("/a.txt")), sandbox, Fast(), stderr).ok());
  CHECK(Contents(sandbox + "/a.txt") == "hello over http\n");
  REQUIRE(FetchUri(Uri(server.Url("/c.txt")), sandbox, Fast(), stderr).ok());
  CHECK(Contents(sandbox + "/c.txt") == std::string(1000, 'c'));
  auto moved = Uri(server.Url("/moved"));
  moved.set_output_file("m.txt");
  REQUIRE(FetchUri(moved, sandbox, Fast(), stderr).ok());
  CHECK(Contents(sandbox + "/m.txt") == "hello over http\n");

  absl::Status missing = FetchUri(Uri(server.Url("/missing.txt")), sandbox, Fast(), stderr);
  CHECK(missing.code() == absl::StatusCode::kNotFound);
  CHECK(std::string(missing.message()) ==
        "fetching '" + server.Url("/missing.txt") + "': HTTP 404 Not Found");
  CHECK_FALSE(std::filesystem::exists(sandbox + "/missing.txt"));

  CHECK_THAT(std::string(FetchUri(Uri(server.Url("/loop")), sandbox, Fast(), stderr).message()),
             Catch::Contains("redirects"));

  FetchOptions small = Fast();
  small.http.max_bytes = 100;
  absl::Status big = FetchUri(Uri(server.Url("/c.txt")), sandbox + "/big", small, stderr);
  CHECK(big.code() == absl::StatusCode::kResourceExhausted);
  absl::Status big2 = FetchUri(Uri(server.Url("/a.txt")), sandbox + "/big", [] {
    FetchOptions o = Fast();
    o.http.max_bytes = 4;
    return o;
  }(), stderr);
  CHECK(big2.code() == absl::StatusCode::kResourceExhausted);

  absl::Status https = FetchUri(Uri("https://127.0.0.1/x"), sandbox, Fast(), stderr);
  CHECK(https.code() == absl::StatusCode::kUnimplemented);
  CHECK_THAT(std::string(https.message()), Catch::Contains("unsupported scheme 'https'"));
}

TEST_CASE("an unreachable or silent server fails within the stall timeout") {
  std::string sandbox = MakeTempDir("fetch-down");
  // A listening socket that never answers (the backlog accepts the connection).
  int silent_port = 0;
  int silent = LoopbackSocket(/*listening=*/true, &silent_port);
  absl::Status stalled = FetchUri(
      Uri("http://127.0.0.1:" + std::to_string(silent_port) + "/x"), sandbox, Fast(), stderr);
  CHECK(stalled.code() == absl::StatusCode::kDeadlineExceeded);
  CHECK_THAT(std::string(stalled.message()), Catch::Contains("no data for 500ms"));
  close(silent);

  // Closed now: nothing listens on that port.
  absl::Status refused = FetchUri(
      Uri("http://127.0.0.1:" + std::to_string(silent_port) + "/x"), sandbox, Fast(), stderr);
  CHECK(refused.code() == absl::StatusCode::kUnavailable);
  CHECK_THAT(std::string(refused.message()), Catch::Contains("cannot connect to 127.0.0.1:"));
}

TEST_CASE("archives are extracted into the sandbox; escaping ones are refused") {
  std::string dir = MakeTempDir("fetch-tar");
  Write(dir + "/tree/app/bin/run.sh", "#!/bin/sh\necho app\n");
  Write(dir + "/tree/app/README", "readme\n");
  REQUIRE(Run({"/bin/tar", "-czf", dir + "/app.tgz", "app"}, dir + "/tree") == 0);
  REQUIRE(Run({"/bin/tar", "-cJf", dir + "/app.tar.xz", "app"}, dir + "/tree") == 0);
  REQUIRE(Run({"/bin/tar", "-cjf", dir + "/app.tar.bz2", "app"}, dir + "/tree") == 0);
  REQUIRE(Run({"/bin/tar", "-cf", dir + "/app.tar", "app"}, dir + "/tree") == 0);
  for (const char* name : {"app.tgz", "app.tar.xz", "app.tar.bz2", "app.tar"}) {
    INFO(name);
    std::string sandbox = MakeTempDir("fetch-sandbox");
    REQUIRE(FetchUri(Uri(dir + "/" + name), sandbox, Fast(), stderr).ok());
    CHECK(Contents(sandbox + "/app/README") == "readme\n");
    CHECK(Contents(sandbox + "/app/bin/run.sh") == "#!/bin/sh\necho app\n");
    CHECK(std::filesystem::exists(sandbox + "/" + name));
  }
  // extract=false keeps the archive as it is.
  std::string kept = MakeTempDir("fetch-kept");
  auto no_extract = Uri(dir + "/app.tgz");
  no_extract.set_extract(false);
  REQUIRE(FetchUri(no_extract, kept, Fast(), stderr).ok());
  CHECK_FALSE(std::filesystem::exists(kept + "/app"));

  // Members with "..": GNU tar writes them with -P; the fetcher refuses before extracting.
  Write(dir + "/deep/x", "x\n");
  std::ofstream(dir + "/outside.txt") << "outside\n";
  REQUIRE(Run({"/bin/tar", "-P", "-cf", dir + "/evil.tar", "../outside.txt"}, dir + "/deep") ==
          0);
  std::string sandbox = MakeTempDir("fetch-evil");
  absl::Status evil = FetchUri(Uri(dir + "/evil.tar"), sandbox, Fast(), stderr);
  CHECK(evil.code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(evil.message()), Catch::Contains("'../outside.txt' would land outside"));

  // A symlink pointing out of the sandbox.
  std::filesystem::create_directories(dir + "/links");
  std::filesystem::create_symlink("/etc", dir + "/links/etc");
  REQUIRE(Run({"/bin/tar", "-cf", dir + "/link.tar", "etc"}, dir + "/links") == 0);
  absl::Status link = FetchUri(Uri(dir + "/link.tar"), sandbox, Fast(), stderr);
  CHECK(link.code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(link.message()), Catch::Contains("links to '/etc'"));
  CHECK_FALSE(std::filesystem::exists(sandbox + "/etc"));

  // A corrupt archive: tar's failure, named.
  Write(dir + "/bad.tgz", "not gzip at all");
  absl::Status bad = FetchUri(Uri(dir + "/bad.tgz"), sandbox, Fast(), stderr);
  CHECK_FALSE(bad.ok());
  CHECK_THAT(std::string(bad.message()), Catch::Contains("extracting bad.tgz: tar -t exited"));
}

TEST_CASE("zip archives are extracted with unzip where it is installed") {
  if (access("/usr/bin/unzip", X_OK) != 0 || access("/usr/bin/zip", X_OK) != 0) {
    WARN("SKIPPED: zip/unzip not installed");
    return;
  }
  std::string dir = MakeTempDir("fetch-zip");
  Write(dir + "/tree/z/file.txt", "zipped\n");
  REQUIRE(Run({"/usr/bin/zip", "-q", "-r", dir + "/z.zip", "z"}, dir + "/tree") == 0);
  std::string sandbox = MakeTempDir("fetch-zip-sandbox");
  REQUIRE(FetchUri(Uri(dir + "/z.zip"), sandbox, Fast(), stderr).ok());
  CHECK(Contents(sandbox + "/z/file.txt") == "zipped\n");
}

}  // namespace
}  // namespace dcos::agent::fetcher
