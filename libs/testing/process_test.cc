#include "libs/testing/process.h"

#include <signal.h>

#include <catch2/catch.hpp>

#include "libs/testing/harness.h"

namespace dcos::testing {
namespace {

TEST_CASE("a process's exit code and output are captured") {
  std::string dir = MakeTempDir("process_test");
  auto p = TestProcess::Start({"echo", "/bin/sh", {"-c", "echo hello; exit 3"}, dir});
  REQUIRE(p.ok());
  auto code = (*p)->WaitExit(absl::Seconds(10));
  REQUIRE(code.ok());
  REQUIRE(*code == 3);
  REQUIRE((*p)->Log() == "hello\n");
}

TEST_CASE("a signal ends a process and is reported as 128 + signal") {
  std::string dir = MakeTempDir("process_test");
  auto p = TestProcess::Start({"sleeper", "/bin/sleep", {"1000"}, dir});
  REQUIRE(p.ok());
  REQUIRE((*p)->Running());
  REQUIRE((*p)->WaitExit(absl::Milliseconds(50)).status().code() ==
          absl::StatusCode::kDeadlineExceeded);
  (*p)->Signal(SIGTERM);
  auto code = (*p)->WaitExit(absl::Seconds(10));
  REQUIRE(code.ok());
  REQUIRE(*code == 128 + SIGTERM);
}

TEST_CASE("a missing binary is an error at start") {
  std::string dir = MakeTempDir("process_test");
  auto p = TestProcess::Start({"missing", "/nonexistent/binary", {}, dir});
  REQUIRE(p.status().code() == absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("destroying a TestProcess kills and reaps it") {
  std::string dir = MakeTempDir("process_test");
  pid_t pid;
  {
    auto p = TestProcess::Start({"sleeper", "/bin/sleep", {"1000"}, dir});
    REQUIRE(p.ok());
    pid = (*p)->pid();
  }
  REQUIRE(kill(pid, 0) != 0);  // gone, and reaped (no zombie to signal)
}

TEST_CASE("free ports are distinct and WaitFor times out with a message") {
  int a = FreePort();
  int b = FreePort();
  REQUIRE(a != b);
  REQUIRE(a > 0);
  absl::Status s = WaitFor([] { return false; }, absl::Milliseconds(30), "never");
  REQUIRE(s.code() == absl::StatusCode::kDeadlineExceeded);
  REQUIRE(s.message().find("never") != std::string::npos);
}

}  // namespace
}  // namespace dcos::testing
