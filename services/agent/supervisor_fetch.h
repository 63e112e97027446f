#pragma once

// The supervisor's one fetch step (libc only, like the rest of dcos-task-supervisor): before
// the task is forked, run dcos-fetcher (fetcher_main.cc) in a child that dies with the
// supervisor, as the task's user, in the sandbox, with the sandbox's stdout/stderr; wait for
// it. The fetcher writes why it failed on its fd 3 (a pipe to here); the supervisor passes that
// on in its report ("failed 0 fetch <message>"), which the agent turns into TASK_FAILED with
// REASON_CONTAINER_LAUNCH_FAILED. The fetcher bounds its own time (--timeout_ms), so this
// never hangs for longer.

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace dcos::agent::supervisor {

// The fd on which dcos-fetcher writes its failure message.
inline constexpr int kFetchMessageFd = 3;

// Runs argv (argv[0]: the fetcher's path; null-terminated). `become_user` (may be null) runs in
// the child before exec and returns false on failure (errno set). True when the fetch
// succeeded; otherwise `message` (of `size` bytes) says why, on one line.
inline bool RunFetch(char* const* argv, bool (*become_user)(), char* message, size_t size) {
  message[0] = '\0';
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    snprintf(message, size, "cannot start the fetcher: pipe: %s", strerror(errno));
    return false;
  }
  pid_t pid = fork();
  if (pid < 0) {
    snprintf(message, size, "cannot start the fetcher: fork: %s", strerror(errno));
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    return false;
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (pipe_fds[1] == kFetchMessageFd) {
      fcntl(kFetchMessageFd, F_SETFD, 0);
    } else {
      dup2(pipe_fds[1], kFetchMessageFd);  // also closes the supervisor's report fd here
    }
    if (become_user != nullptr && !become_user()) {
      dprintf(kFetchMessageFd, "cannot switch to the task's user: %s", strerror(errno));
      _exit(127);
    }
    execv(argv[0], argv);
    dprintf(kFetchMessageFd, "cannot run the fetcher %s: %s", argv[0], strerror(errno));
    _exit(127);
  }
  close(pipe_fds[1]);
  size_t used = 0;
  for (;;) {
    char buf[512];
    ssize_t n = read(pipe_fds[0], buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    for (ssize_t i = 0; i < n && used + 1 < size; ++i) {
      message[used++] = buf[i] == '\n' || buf[i] == '\r' ? ' ' : buf[i];
    }
  }
  message[used] = '\0';
  close(pipe_fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      snprintf(message, size, "cannot wait for the fetcher: %s", strerror(errno));
      return false;
    }
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return true;
  if (used == 0) {
    if (WIFSIGNALED(status)) {
      snprintf(message, size, "the fetcher was killed by signal %d", WTERMSIG(status));
    } else {
      snprintf(message, size, "the fetcher exited with status %d", WEXITSTATUS(status));
    }
  }
  return false;
}

}  // namespace dcos::agent::supervisor
