#pragma once

// How dcos-task-supervisor starts the task: clone(CLONE_VM | CLONE_VFORK) on a stack of its
// own, as posix_spawn does, instead of fork(). Nothing of the supervisor's address space is
// copied: on this project's virtual machines (page tables kept by the hypervisor) a fork of even
// the small static supervisor costs ~2 ms of CPU and a new address space to tear down again
// at the exec, a clone ~0.05 ms.
//
// The supervisor is suspended until the child has exec'd the task's command or given up, so
// everything that must happen before the task's own code runs happens in the child, in order:
//   1. a process group of its own; the signals the supervisor handles or ignores (TERM, INT,
//      HUP, PIPE) at their defaults, the supervisor's signal mask back;
//   2. the container's cgroups: "0" (itself) written to each cgroup.procs file;
//   3. `pids` written in the run dir (the supervisor's and its own host pid and start time),
//      so a restarted agent finds both before the task runs;
//   4. the task's user; exec.
// A failure is left in memory the child shares with the supervisor (the step and errno) before
// the child exits with status 127. Only libc, and in the child only async-signal-safe calls
// (the supervisor is single-threaded and holds no lock while it is suspended).

#include <errno.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

#include "services/agent/simple_command.h"
#include "services/agent/supervisor_files.h"

namespace dcos::agent::supervisor {

// The task's user, switched to in the task's process just before exec.
struct User {
  bool set = false;
  uid_t uid = 0;
  gid_t gid = 0;
  gid_t groups[64];
  int num_groups = 0;
};

// The step of the task's start that failed.
enum class TaskStep : int { kNone = 0, kCgroup, kPids, kSwitchUser, kExec };

// What the task's start needs (read by the child) and how it failed (written by it).
struct TaskStart {
  const char* run_dir = nullptr;
  const char* const* cgroups = nullptr;  // cgroup.procs files
  int num_cgroups = 0;
  const User* user = nullptr;
  // shell: argv[0] is a shell command; else argv[0] is the program and argv[1..] its argv
  // (argv0 first), or none.
  bool shell = true;
  char** argv = nullptr;
  // "1 <supervisor host pid> <its start time>": the start of the pids line.
  char supervisor_pids[64] = {0};

  // Set by the child when it gives up.
  volatile TaskStep failed_step = TaskStep::kNone;
  volatile int failed_errno = 0;

  // Internal: the supervisor's signal mask before the start.
  sigset_t mask;
};

namespace spawn_internal {

inline constexpr size_t kStackSize = 256 * 1024;

[[noreturn]] inline void Fail(TaskStart& start, TaskStep step, int error) {
  start.failed_errno = error;
  start.failed_step = step;
  _exit(127);
}

// The task's process until exec (see the steps above).
inline int TaskMain(void* arg) {
  TaskStart& start = *static_cast<TaskStart*>(arg);
  setpgid(0, 0);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGPIPE}) sigaction(sig, &dfl, nullptr);
  sigprocmask(SIG_SETMASK, &start.mask, nullptr);

  for (int i = 0; i < start.num_cgroups; ++i) {
    int fd = open(start.cgroups[i], O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, "0", 1) != 1) Fail(start, TaskStep::kCgroup, errno);
    close(fd);
  }

  // Host pids: /proc is the host's, so its "self" is this process's host pid even inside a
  // PID namespace.
  pid_t self = 0;
  const uint64_t started = ReadSelfStat(&self, nullptr);
  char pids[128];
  snprintf(pids, sizeof(pids), "%s %d %llu\n", start.supervisor_pids, static_cast<int>(self),
           static_cast<unsigned long long>(started));
  if (self <= 0 || !WriteFileAtomically(start.run_dir, "pids", pids)) {
    Fail(start, TaskStep::kPids, errno);
  }

  const User& user = *start.user;
  if (user.set && (setgroups(static_cast<size_t>(user.num_groups), user.groups) != 0 ||
                   setgid(user.gid) != 0 || setuid(user.uid) != 0)) {
    Fail(start, TaskStep::kSwitchUser, errno);
  }
  char** argv = start.argv;
  if (start.shell) {
    // A plain command runs without the shell (one exec less); if that exec fails, the shell
    // runs it after all and says why as it always did (simple_command.h).
    char buf[4096];
    char* words[65];
    if (SplitSimpleCommand(argv[0], buf, sizeof(buf), words, 64)) execvp(words[0], words);
    execl("/bin/sh", "sh", "-c", argv[0], static_cast<char*>(nullptr));
  } else {
    execvp(argv[0], argv[1] != nullptr ? argv + 1 : argv);
  }
  Fail(start, TaskStep::kExec, errno);
}

}  // namespace spawn_internal

// Starts the task as described; returns its pid (as the supervisor sees it) once it exec'd or
// gave up (then start.failed_step says where; the child exits 127 and must still be reaped),
// or -1 with errno set when it could not be created. `task_pid` (the supervisor's signal
// handlers read it) is set before any signal that arrived meanwhile is handled.
inline pid_t StartTask(TaskStart& start, volatile sig_atomic_t* task_pid) {
  void* stack = mmap(nullptr, spawn_internal::kStackSize, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) return -1;
  // No signal handler of the supervisor may run in the child (it shares the memory): all are
  // blocked across the clone; the child resets them before it unblocks.
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &start.mask);
  pid_t pid = clone(spawn_internal::TaskMain, static_cast<char*>(stack) + spawn_internal::kStackSize,
                    CLONE_VM | CLONE_VFORK | SIGCHLD, &start);
  const int error = errno;
  if (pid > 0) *task_pid = pid;
  sigprocmask(SIG_SETMASK, &start.mask, nullptr);
  munmap(stack, spawn_internal::kStackSize);
  errno = error;
  return pid;
}

}  // namespace dcos::agent::supervisor
