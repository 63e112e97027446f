#pragma once

// PosixLauncher: the real Launcher. Each task runs under dcos-task-supervisor
// (supervisor_main.cc) in a new session, with its own process group, its sandbox as working
// directory, stdout/stderr in files there, the given environment and user.
//
// Supervisors are watched by a ContainerWatcher (container_watcher.h), those launched here as
// well as those inherited from an earlier agent process; when one ends, its exit_status file
// says how the task ended.
//
// Launches are carried out by a few launch threads of the launcher's own (sandbox and cgroup
// set-up, the supervisor's spawn): Launch only queues, so the driver goes on committing and
// reporting while processes start, and several start at once.
//
// Thread-safety: Launch, Recover and Signal may be called from any thread (normally the
// driver's); the launch callback runs on a launch thread or the watcher thread, the exit
// callback on the watcher thread.

#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/agent/container_watcher.h"
#include "services/agent/fetcher/fetcher.h"
#include "services/agent/isolator.h"
#include "services/agent/launcher.h"

namespace dcos::agent {

class PosixLauncher final : public Launcher {
 public:
  struct Options {
    // Path of the dcos-task-supervisor binary.
    std::string supervisor_path;
    // Run tasks as their CommandInfo/FrameworkInfo user (needs root); false: as the agent's
    // user, whatever the task asks (Mesos's --switch_user).
    bool switch_user = true;
    // How long a launch may take before it is given up (plus fetch.timeout for a task with
    // URIs).
    absl::Duration launch_timeout = absl::Seconds(30);
    // dcos-fetcher, run by the supervisor for tasks with URIs; "": next to the supervisor.
    std::string fetcher_path;
    fetcher::FetchOptions fetch;
    // Limits and usage; null: posix (no limits, usage from /proc). Not owned; must outlive
    // the launcher.
    Isolator* isolator = nullptr;
    // Each task in its own PID namespace, its supervisor the init there (pid_namespace.h), so
    // a kill ends everything it started. Only where ProbePidNamespaces says the host allows it.
    bool pid_namespace = false;
    // Threads that start launches (queued launches are dropped when the launcher is
    // destroyed: after a restart their tasks are found never started). Each mostly waits for
    // its spawn's exec and the kernel's cgroup lock, so more than the cores pay.
    int launch_threads = 4;
  };

  // Starts the watcher and launch threads.
  PosixLauncher(Options options, ExitCallback on_exit, LaunchCallback on_launch);
  // Stops launching and watching; running tasks are left alone.
  ~PosixLauncher() override;

  void Launch(const LaunchSpec& spec) override;
  absl::StatusOr<RecoveredContainer> Recover(const std::string& container_id,
                                             const std::string& run_dir) override;
  void Signal(const std::string& container_id, int signal) override;
  agent::v1::Container::Isolation isolation() const override { return isolator_->kind(); }
  agent::v1::ResourceStatistics Usage(const std::string& container_id,
                                      const ContainerPids& pids) override {
    return isolator_->Usage(container_id, pids);
  }

  // The default supervisor path: dcos-task-supervisor next to this process's binary.
  static std::string DefaultSupervisorPath();

  // Whether tasks can get PID namespaces here: runs `<supervisor> --probe-pid-namespace` as
  // the init of a new one, as launches do.
  // FAILED_PRECONDITION with the reason (no privilege, a kernel without them) when not.
  static absl::Status ProbePidNamespaces(const std::string& supervisor_path);

 private:
  // Fork + exec of the supervisor; the pid, or an error for the task. `cgroups`: the
  // cgroup.procs files the supervisor puts the task in.
  absl::StatusOr<pid_t> StartSupervisor(const LaunchSpec& spec,
                                        const std::vector<std::string>& cgroups, int report_fd);
  std::string FetcherPath() const;
  // Everything up to the supervisor's start; then the watcher waits for its report.
  absl::Status StartLaunch(const LaunchSpec& spec);
  // The launch's outcome from the supervisor's report line ("" if none came).
  absl::StatusOr<ContainerPids> CompleteLaunch(const std::string& container_id,
                                               const std::string& run_dir,
                                               const std::string& command, pid_t supervisor,
                                               const std::string& line);
  // What the isolator knows of an ended container; then its groups are removed.
  ExitInfo Finish(const std::string& container_id, ExitInfo exit);
  // True the first time `dir` is named (then it is made and hinted: dir_hints.h).
  bool NewExecutorsDir(const std::string& dir);
  // A launch thread: takes queued launches until stopped.
  void LaunchLoop();
  void LaunchNow(const LaunchSpec& spec);

  Options options_;
  std::unique_ptr<Isolator> own_isolator_;  // posix, when none was given
  Isolator* isolator_;
  ExitCallback on_exit_;
  LaunchCallback on_launch_;
  ContainerWatcher watcher_;

  absl::Mutex mu_;
  std::deque<LaunchSpec> queue_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<std::string> executors_dirs_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> launch_threads_;
};

}  // namespace dcos::agent
