#pragma once

// The PID namespace of a task (dcos-task-supervisor --pid-namespace). Only libc: it is
// compiled into the statically linked supervisor.
//
//   dcos-task-supervisor (host namespace)
//     └── init    pid 1 in a new PID namespace (unshare(CLONE_NEWPID) before the fork): its
//         │       own process group, whose id is the "task pid" the agent records and signals
//         └── the task   pid 2: its own process group there; `echo $$` prints 2
//
// The init forwards SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 to the task's process
// group (to the task alone if it left it), reaps every orphan re-parented to it, and exits as
// soon as the task ends, passing its wait status to the supervisor through a pipe. When the
// init exits (or is SIGKILLed by a kill's escalation) the kernel kills everything left in the
// namespace — daemons that double-forked and left the process group and session included —
// before the supervisor's waitpid returns. /proc is not remounted (that needs a mount
// namespace): tools inside that read /proc see the host's view.

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

namespace dcos::agent::supervisor {

namespace pid_namespace_internal {

inline volatile sig_atomic_t g_task = 0;  // the task's pid inside the namespace

inline void Forward(int sig) {
  const pid_t task = g_task;
  if (task > 0 && kill(-task, sig) != 0) kill(task, sig);
}

}  // namespace pid_namespace_internal

// In the init: installs the forwarding handlers (a namespace's init gets no signal from the
// host without a handler, SIGKILL aside), forks the task and runs `task_main` in it (which
// must not return; exec resets the handlers). The task's pid, or -1 (errno set).
template <typename TaskMain>
pid_t StartUnderInit(TaskMain task_main) {
  struct sigaction forward {};
  forward.sa_handler = pid_namespace_internal::Forward;
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2}) {
    sigaction(sig, &forward, nullptr);
  }
  const pid_t task = fork();
  if (task == 0) task_main();
  if (task > 0) pid_namespace_internal::g_task = task;
  return task;
}

// The init's life after the start: reaps every child until the task ends, writes the task's
// wait status (an int) to `status_fd` and exits, which ends the namespace.
[[noreturn]] inline void RunInitLoop(pid_t task, int status_fd) {
  for (;;) {
    int status = 0;
    const pid_t ended = waitpid(-1, &status, 0);
    if (ended < 0 && errno == EINTR) continue;
    if (ended < 0) break;  // ECHILD: cannot happen while the task lives
    if (ended != task) continue;  // an orphan reaped
    ssize_t n = write(status_fd, &status, sizeof(status));
    (void)n;
    break;
  }
  _exit(0);
}

// In the supervisor, after the init ended with `init_status`: the task's wait status as the
// init passed it on, or the init's own (it was killed before the task ended: SIGKILL).
inline int TaskStatusFromInit(int status_fd, int init_status) {
  int status = 0;
  ssize_t n;
  do {
    n = read(status_fd, &status, sizeof(status));
  } while (n < 0 && errno == EINTR);
  close(status_fd);
  return n == static_cast<ssize_t>(sizeof(status)) ? status : init_status;
}

// `dcos-task-supervisor --probe-pid-namespace`: 0 if a child in a new PID namespace is its
// pid 1; otherwise 1, with the reason on stderr.
inline int ProbePidNamespace() {
  if (unshare(CLONE_NEWPID) != 0) {
    fprintf(stderr, "unshare(CLONE_NEWPID): %s\n", strerror(errno));
    return 1;
  }
  const pid_t child = fork();
  if (child < 0) {
    fprintf(stderr, "fork into the new PID namespace: %s\n", strerror(errno));
    return 1;
  }
  if (child == 0) _exit(getpid() == 1 ? 0 : 1);
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "a child in the new PID namespace is not its pid 1\n");
    return 1;
  }
  return 0;
}

}  // namespace dcos::agent::supervisor
