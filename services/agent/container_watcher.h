#pragma once

// ContainerWatcher: reads the launch reports of starting supervisors (so launches overlap and
// never block the agent's loop), and tells when task supervisors end, whether they are children
// of this process (launched here) or inherited from an earlier agent process (recovered). One
// thread waits in epoll(7) on a pidfd per supervisor (pidfd_open(2)) and on the report pipes,
// so thousands of running tasks cost nothing while idle and each event costs O(1); where the
// kernel has no pidfds it checks /proc every 100 ms, comparing start times so a reused pid is
// not mistaken for the supervisor.
// When one ends: it is reaped if it is our child, its exit_status file is read, leftovers of
// the task's process group are killed, and the callback gets the ExitInfo.
//
// Thread-safety: all methods from any thread; the callback runs on the watcher's thread.

#include <sys/types.h>

#include <functional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "services/agent/launcher.h"

namespace dcos::agent {

// Reads a run dir's exit_status file. Unset when there is none (or it is unreadable).
std::optional<ExitInfo> ReadExitStatus(const std::string& run_dir);

// Parses a run dir's pids file text. DATA_LOSS naming `path` when malformed.
absl::StatusOr<ContainerPids> ParsePidsFile(const std::string& text, const std::string& path);

// Whether `pid` is alive with this start time (not a reused pid).
bool SameProcess(pid_t pid, uint64_t start_time);

class ContainerWatcher {
 public:
  explicit ContainerWatcher(Launcher::ExitCallback on_exit);
  // Stops the thread; ends no process.
  ~ContainerWatcher();

  // Watches a container's supervisor. `child`: it is this process's child (reap it).
  // When the supervisor has already ended, the exit is reported at once (on the thread).
  void Watch(const std::string& container_id, const ContainerPids& pids,
             const std::string& run_dir, bool child);

  // The pids of a watched container; unset once it ended.
  std::optional<ContainerPids> Find(const std::string& container_id);

  // Reads a starting supervisor's report line from `report_fd` (owned from now on, closed
  // when done) and hands it to `on_report` on the watcher's thread: the line with its '\n',
  // or "" when the supervisor closed the pipe without one or `deadline` passed.
  void WatchLaunch(const std::string& container_id, int report_fd, absl::Time deadline,
                   std::function<void(const std::string& line)> on_report);

 private:
  struct Launch {
    uint64_t token = 0;  // its epoll registration
    int fd = -1;
    std::string line;
    absl::Time deadline;
    std::function<void(const std::string&)> on_report;
  };

  struct Entry {
    uint64_t token = 0;  // its epoll registration (0: none, polled)
    ContainerPids pids;
    std::string run_dir;
    bool child = false;
    int pidfd = -1;  // -1: poll /proc
  };

  // What an epoll token stands for.
  struct Registration {
    bool launch = false;  // a launch report pipe; else a supervisor's pidfd
    std::string container_id;
  };

  void Loop();
  void Wake();
  // Adds `fd` to the epoll set; its token (0 if epoll_ctl failed).
  uint64_t Register(int fd, bool launch, const std::string& container_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Reads what a launch's pipe has; true once its report is complete (or the pipe closed).
  static bool ReadReport(Launch& launch);
  // Handles an ended supervisor (reap, exit status, leftovers), then calls the callback.
  void Finish(const std::string& container_id, Entry entry);

  Launcher::ExitCallback on_exit_;
  int wake_fd_ = -1;   // eventfd: a new polled entry, a new launch deadline, or stop
  int epoll_fd_ = -1;  // pidfds, report pipes and wake_fd_
  absl::Mutex mu_;
  uint64_t next_token_ ABSL_GUARDED_BY(mu_) = 1;
  int polled_ ABSL_GUARDED_BY(mu_) = 0;  // entries without a pidfd
  absl::flat_hash_map<uint64_t, Registration> registrations_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Launch> launches_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace dcos::agent
