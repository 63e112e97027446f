#pragma once

// Spawn: starts a program as a child that cannot outlive its parent (PR_SET_PDEATHSIG), in
// its own process group, with a clean signal mask, stdin from /dev/null and stdout+stderr
// appended to a log file. A program that cannot be executed is an error here (the exec
// failure comes back through a pipe), not a mysterious exit later.
//
// Used by the test harness (libs/testing) and the benchmarks (tools/bench). Thread-safe.

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace dcos::subprocess {

// Returns the child's pid. Errors: INTERNAL (the log file, pipe or fork failed),
// FAILED_PRECONDITION (the binary cannot be executed; the message says why).
absl::StatusOr<pid_t> Spawn(const std::string& binary, const std::vector<std::string>& args,
                            const std::string& log_path);

}  // namespace dcos::subprocess
