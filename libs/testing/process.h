#pragma once

// TestProcess: a real binary started by a test, with its output captured to a log file, that is
// always stopped (SIGKILL) and reaped when the object is destroyed — and killed by the kernel
// if the test process itself dies (PR_SET_PDEATHSIG), so no test leaves processes behind.
//
// Thread-compatible: use one TestProcess from one thread at a time.

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace dcos::testing {

class TestProcess {
 public:
  struct Options {
    std::string name;                // for messages and the log file name
    std::string binary;              // absolute path (see Runfile)
    std::vector<std::string> args;   // argv[1..]
    std::string log_dir;             // where <name>.log goes (stdout and stderr together)
  };

  // Starts the process. Errors: the binary cannot be executed (exec failure is reported
  // through a pipe, so a missing binary is an error here, not a mysterious exit later).
  static absl::StatusOr<std::unique_ptr<TestProcess>> Start(Options options);

  // Kills (SIGKILL) if still running, reaps, and prints the last of the log to stderr so a
  // failing test shows what the process said.
  ~TestProcess();

  TestProcess(const TestProcess&) = delete;
  TestProcess& operator=(const TestProcess&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }

  // Sends `signal` if the process is still running.
  void Signal(int signal);

  // True until the process has exited (reaps it when it has).
  bool Running();

  // Waits up to `timeout` for the process to exit. Returns the exit code, or 128 + signal
  // number when a signal ended it; DEADLINE_EXCEEDED when it is still running.
  absl::StatusOr<int> WaitExit(absl::Duration timeout);

  // The whole log so far.
  std::string Log() const;

 private:
  TestProcess(Options options, pid_t pid, std::string log_path);

  Options options_;
  pid_t pid_;
  std::string log_path_;
  bool exited_ = false;
  int exit_code_ = 0;
};

}  // namespace dcos::testing
