#pragma once

// Helpers for tests that run real binaries on loopback: free ports, runfiles, waiting on a
// condition (never a fixed sleep), health checks and plain HTTP GETs.
//
// All functions are thread-safe. Waits use the real clock: they are for multi-process tests,
// where the other side is a real process; in-process logic tests use libs/clock's SimClock.

#include <functional>
#include <memory>
#include <string>

#include <grpcpp/security/credentials.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace dcos::testing {

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0 and released). Ports
// handed out by one process are never repeated, so parallel servers of one test cannot collide.
int FreePort();

// The absolute path of a file in the test's runfiles, `workspace_path` relative to the
// workspace root (e.g. "tests/runtime/echo_server"). Falls back to the path itself.
std::string Runfile(const std::string& workspace_path);

// A fresh directory for this test's files, under $TEST_TMPDIR when Bazel sets it.
std::string MakeTempDir(const std::string& prefix);

// Polls `condition` every 10 ms until it returns true or `timeout` passes. On timeout returns
// DEADLINE_EXCEEDED naming `what`.
absl::Status WaitFor(const std::function<bool()>& condition, absl::Duration timeout,
                     const std::string& what);

// Asks grpc.health.v1.Health/Check on `target` for `service` ("" = the whole server).
// Returns "SERVING", "NOT_SERVING", ... or the call's error.
absl::StatusOr<std::string> HealthStatus(
    const std::string& target, const std::shared_ptr<grpc::ChannelCredentials>& credentials,
    const std::string& service = "");

// Waits until `target` reports SERVING.
absl::Status WaitServing(const std::string& target,
                         const std::shared_ptr<grpc::ChannelCredentials>& credentials,
                         absl::Duration timeout);

// HTTP/1.1 GET http://host:port/path; returns the body of a 200 answer, an error otherwise.
absl::StatusOr<std::string> HttpGet(const std::string& host_port, const std::string& path);

// Reads a whole file (for logs and generated certificates).
absl::StatusOr<std::string> ReadFile(const std::string& path);

}  // namespace dcos::testing
