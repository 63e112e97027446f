#pragma once

// Helpers for benchmarks that run real server processes on loopback: a child process that is
// always stopped (and is killed by the kernel if the benchmark dies), a temp directory that is
// removed on destruction, resident memory, free ports, and a stop flag set by SIGINT/SIGTERM.
//
// Not a test library (libs/testing is testonly and prints child logs on destruction); these
// are quiet, for tools that print figures.

#include <sys/types.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace dcos::bench {

// A child process with stdout and stderr in `<log_dir>/<name>.log`.
//
// Must be started from the thread that lives as long as the process is wanted (the main
// thread): the child gets PR_SET_PDEATHSIG(SIGKILL), which fires when that thread exits.
// Destruction: SIGTERM, a short grace, then SIGKILL, and the child is always reaped.
// Thread-compatible.
class ChildProcess {
 public:
  struct Options {
    std::string name;               // for messages and the log file name
    std::string binary;             // path to execute
    std::vector<std::string> args;  // argv[1..]
    std::string log_dir;
  };

  // FAILED_PRECONDITION if the binary cannot be executed.
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Start(Options options);
  ~ChildProcess();

  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& name() const { return options_.name; }
  const std::string& log_path() const { return log_path_; }

  // kill -9 and reap; returns when the process is gone.
  void Kill();
  // SIGTERM, up to `grace` to exit, then SIGKILL; always reaps.
  void Stop(absl::Duration grace);
  // True until the process has exited (reaps it when it has).
  bool Running();
  // The last `bytes` of the log.
  std::string LogTail(size_t bytes) const;

 private:
  ChildProcess(Options options, pid_t pid, std::string log_path);

  Options options_;
  pid_t pid_;
  std::string log_path_;
  bool exited_ = false;
};

// A fresh directory `<base>/<prefix>.XXXXXX`, removed with everything in it on destruction.
class TempDir {
 public:
  static absl::StatusOr<std::unique_ptr<TempDir>> Create(const std::string& base,
                                                         const std::string& prefix);
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// VmRSS of `pid` in bytes, from /proc/<pid>/status. NOT_FOUND if the process is gone.
absl::StatusOr<int64_t> ResidentBytes(pid_t pid);

// CPU time (user + system) used so far by `pid`, from /proc. NOT_FOUND if it is gone.
absl::StatusOr<absl::Duration> CpuTime(pid_t pid);

// Every thread of `pid` with its name and CPU time so far (empty if the process is gone).
struct ThreadCpu {
  pid_t tid = 0;
  std::string name;
  absl::Duration cpu;
};
std::vector<ThreadCpu> ThreadsCpu(pid_t pid);

// The machine's CPU time so far, busy (neither idle nor waiting for I/O) and in all, summed
// over its cores (/proc/stat).
struct MachineCpu {
  absl::Duration busy;
  absl::Duration total;
};
MachineCpu MachineCpuNow();

// A TCP port on 127.0.0.1 that was free a moment ago; never the same twice in one process.
int FreePort();

// Writes `contents` to `path` (replacing it).
absl::Status WriteFile(const std::string& path, const std::string& contents);

// Sends `request` over a new TCP connection to 127.0.0.1:`port` and reads until the peer
// closes or `timeout` passes (ZooKeeper's four-letter words).
absl::StatusOr<std::string> TcpAsk(int port, const std::string& request, absl::Duration timeout);

// Set by SIGINT or SIGTERM once InstallStopHandler ran; long loops check it and give up.
extern std::atomic<bool> g_stop_requested;
void InstallStopHandler();

// Write + fdatasync of `bytes` on a file in `dir`, `iterations` times: the latencies in
// microseconds (the floor under any replicated write on this disk). Appends to a growing file,
// or with `preallocated` overwrites space allocated (and synced) beforehand, as a log with
// preallocated segments does (no file-size update to sync).
absl::StatusOr<std::vector<double>> FdatasyncLatencies(const std::string& dir, size_t bytes,
                                                       int iterations, bool preallocated);

}  // namespace dcos::bench
