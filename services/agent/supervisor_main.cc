// dcos-task-supervisor: the small process between the agent and one task. It outlives the
// agent (tasks survive an agent restart), records the task's pids before the task runs and its
// wait status when it ends, so a restarted agent learns what happened while it was away.
//
//   dcos-task-supervisor <run_dir> <agent_pid> [options] shell <command>
//   dcos-task-supervisor <run_dir> <agent_pid> [options] argv <command> [argv0 args...]
// options: --cgroup=<cgroup.procs file> (repeatable), --user=<uid>:<gid>:<gid,gid,...>,
//          --pid-namespace (pid_namespace.h: the task runs as pid 2 under a minimal init),
//          --fetcher=<dcos-fetcher path> with --fetch=<fetcher arg> (repeatable)
//   dcos-task-supervisor --probe-pid-namespace   exit 0 iff PID namespaces work here
//
// The agent starts it (posix_spawn) with the task's working directory, environment and
// stdout/stderr in place, in a new session, and fd 3 a pipe on which it reports
// (supervisor_files.h). It makes SIGKILL its parent-death signal at once (and gives up if the
// agent is already gone). Steps:
//   0. with --fetcher: run it and wait (supervisor_fetch.h); a failed fetch is reported
//      "failed 0 fetch <why>" and nothing runs;
//   1. fork the task: its own process group, default signals, the task's user (--user),
//      held until step 3; put it in the container's cgroups (each --cgroup file), so all it
//      starts stays inside;
//   2. write `pids` (then a restarted agent can find both processes), clear the parent-death
//      signal: from here on the supervisor and the task outlive the agent; if the agent died
//      before, the parent-death signal killed us and the held task gives up unstarted;
//   3. release the task; report "started" or "failed <errno>" (exec failure);
//   4. wait for the task; SIGKILL whatever is left in its process group; write `exit_status`.
// SIGTERM to the supervisor is passed on to the task's process group; SIGINT, SIGHUP and
// SIGPIPE are ignored (the task gets them by default).
//
// Only libc: it starts in about a millisecond, which bounds the agent's launch rate.

#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "services/agent/pid_namespace.h"
#include "services/agent/simple_command.h"
#include "services/agent/supervisor_fetch.h"
#include "services/agent/supervisor_files.h"

namespace {

using namespace dcos::agent::supervisor;  // NOLINT: one small file

volatile sig_atomic_t g_task_pid = 0;

// The task's user, switched to in the task's process just before exec.
struct User {
  bool set = false;
  uid_t uid = 0;
  gid_t gid = 0;
  gid_t groups[64];
  int num_groups = 0;
};

// "uid:gid:g1,g2,..." into *user; false if malformed.
bool ParseUser(const char* text, User* user) {
  char* end = nullptr;
  user->uid = static_cast<uid_t>(strtoul(text, &end, 10));
  if (*end != ':') return false;
  user->gid = static_cast<gid_t>(strtoul(end + 1, &end, 10));
  if (*end != ':') return false;
  const char* p = end + 1;
  while (*p != '\0' && user->num_groups < 64) {
    user->groups[user->num_groups++] = static_cast<gid_t>(strtoul(p, &end, 10));
    if (*end == ',') ++end;
    else if (*end != '\0') return false;
    p = end;
  }
  user->set = true;
  return true;
}

// What the task's process reports when it cannot exec: which step failed, and errno.
enum Stage : int { kExec = 0, kSwitchUser = 1, kFork = 2 };

void ForwardTerm(int) {
  pid_t task = g_task_pid;
  if (task > 0) kill(-task, SIGTERM);
}

void Report(const char* line) {
  ssize_t ignored = write(kReportFd, line, strlen(line));
  (void)ignored;
}

int Usage() {
  fprintf(stderr,
          "usage: dcos-task-supervisor <run_dir> <agent_pid> shell <command>\n"
          "       dcos-task-supervisor <run_dir> <agent_pid> argv <command> [argv...]\n"
          "(started by dcos-agent, not by hand)\n");
  return 2;
}

[[noreturn]] void Fail(int error_fd, Stage stage) {
  int report[2] = {stage, errno};
  ssize_t ignored = write(error_fd, report, sizeof(report));
  (void)ignored;
  _exit(127);
}

void DefaultSignals() {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGPIPE}) sigaction(sig, &dfl, nullptr);
}

// Blocks until the supervisor releases the task (after writing `pids`); exits if it died.
void WaitForRelease(int hold_fd) {
  char go = 0;
  ssize_t n;
  do {
    n = read(hold_fd, &go, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 1) _exit(127);  // the supervisor died before releasing us
  close(hold_fd);
}

// In the task's process: its user, then exec; reports a failure on error_fd and exits 127.
[[noreturn]] void ExecTask(int error_fd, bool shell, char** argv, const User& user) {
  if (user.set && (setgroups(static_cast<size_t>(user.num_groups), user.groups) != 0 ||
                   setgid(user.gid) != 0 || setuid(user.uid) != 0)) {
    Fail(error_fd, kSwitchUser);
  }
  if (shell) {
    // A plain command runs without the shell (one exec less); if that exec fails, the shell
    // runs it after all and says why as it always did (simple_command.h).
    char buf[4096];
    char* words[65];
    if (SplitSimpleCommand(argv[0], buf, sizeof(buf), words, 64)) execvp(words[0], words);
    execl("/bin/sh", "sh", "-c", argv[0], static_cast<char*>(nullptr));
  } else {
    // argv[0] is the command, argv[1..] the argv given (argv0 first), or none.
    char** args = argv[1] != nullptr ? argv + 1 : argv;
    execvp(argv[0], args);
  }
  Fail(error_fd, kExec);
}

// The task without a PID namespace: the supervisor's child, leader of its own process group
// (a kill reaches the task and everything it started that stayed in the group).
[[noreturn]] void RunTask(int hold_fd, int error_fd, bool shell, char** argv, const User& user) {
  setpgid(0, 0);
  DefaultSignals();
  close(kReportFd);
  WaitForRelease(hold_fd);
  ExecTask(error_fd, shell, argv, user);
}

// With a PID namespace this process is its init (pid 1); the task is forked as pid 2.
[[noreturn]] void RunInit(int hold_fd, int error_fd, int status_fd, bool shell, char** argv,
                          const User& user) {
  setpgid(0, 0);
  close(kReportFd);
  WaitForRelease(hold_fd);
  pid_t task = StartUnderInit([&] {
    setpgid(0, 0);
    DefaultSignals();
    close(status_fd);
    ExecTask(error_fd, shell, argv, user);
  });
  if (task < 0) Fail(error_fd, kFork);
  close(error_fd);  // the task's copy closes at its exec: the supervisor sees EOF
  RunInitLoop(task, status_fd);
}

// The task's user, for the fetcher (set once the options are read).
const User* g_fetch_user = nullptr;

bool BecomeFetchUser() {
  const User& u = *g_fetch_user;
  return !u.set || (setgroups(static_cast<size_t>(u.num_groups), u.groups) == 0 &&
                    setgid(u.gid) == 0 && setuid(u.uid) == 0);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && strcmp(argv[1], "--probe-pid-namespace") == 0) return ProbePidNamespace();
  if (argc < 5) return Usage();
  const char* run_dir = argv[1];
  pid_t agent = static_cast<pid_t>(atoi(argv[2]));
  // Until the pids are recorded the supervisor dies with the agent (step 2 clears this).
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  int mode = 3;
  const char* cgroups[8];
  int num_cgroups = 0;
  static User user;
  bool pid_namespace = false;
  char* fetch[68];  // the fetcher, its arguments, null
  int num_fetch = 1;
  fetch[0] = nullptr;
  for (; mode < argc && strncmp(argv[mode], "--", 2) == 0; ++mode) {
    if (strncmp(argv[mode], "--cgroup=", 9) == 0 && num_cgroups < 8) {
      cgroups[num_cgroups++] = argv[mode] + 9;
    } else if (strcmp(argv[mode], "--pid-namespace") == 0) {
      pid_namespace = true;
    } else if (strncmp(argv[mode], "--fetcher=", 10) == 0) {
      fetch[0] = argv[mode] + 10;
    } else if (strncmp(argv[mode], "--fetch=", 8) == 0 && num_fetch < 67) {
      fetch[num_fetch++] = argv[mode] + 8;
    } else if (strncmp(argv[mode], "--user=", 7) != 0 || !ParseUser(argv[mode] + 7, &user)) {
      return Usage();
    }
  }
  if (mode + 1 >= argc) return Usage();
  bool shell = strcmp(argv[mode], "shell") == 0;
  if (!shell && strcmp(argv[mode], "argv") != 0) return Usage();
  if (getppid() != agent) return 1;  // the agent is already gone: do not start anything

  struct sigaction sa {};
  sa.sa_handler = ForwardTerm;
  sigaction(SIGTERM, &sa, nullptr);
  struct sigaction ign {};
  ign.sa_handler = SIG_IGN;
  for (int sig : {SIGINT, SIGHUP, SIGPIPE}) sigaction(sig, &ign, nullptr);
  fcntl(kReportFd, F_SETFD, FD_CLOEXEC);

  fetch[num_fetch] = nullptr;
  if (fetch[0] != nullptr) {
    char why[1024], line[1100];
    g_fetch_user = &user;
    if (!RunFetch(fetch, BecomeFetchUser, why, sizeof(why))) {
      snprintf(line, sizeof(line), "failed 0 fetch %s\n", why);
      Report(line);
      return 1;
    }
  }

  // task_status: the init of a PID namespace passes the task's wait status on through it.
  int hold[2], exec_error[2], task_status[2] = {-1, -1};
  if (pipe2(hold, O_CLOEXEC) != 0 || pipe2(exec_error, O_CLOEXEC) != 0 ||
      (pid_namespace && pipe2(task_status, O_CLOEXEC) != 0)) {
    char line[128];
    snprintf(line, sizeof(line), "failed %d pipe\n", errno);
    Report(line);
    return 1;
  }
  // With a PID namespace the next child is the namespace's init (pid 1 there).
  if (pid_namespace && unshare(CLONE_NEWPID) != 0) {
    char line[128];
    snprintf(line, sizeof(line), "failed %d unshare(CLONE_NEWPID)\n", errno);
    Report(line);
    return 1;
  }
  pid_t task = fork();
  if (task < 0) {
    char line[128];
    snprintf(line, sizeof(line), "failed %d fork\n", errno);
    Report(line);
    return 1;
  }
  if (task == 0) {
    close(hold[1]);
    close(exec_error[0]);
    if (pid_namespace) {
      close(task_status[0]);
      RunInit(hold[0], exec_error[1], task_status[1], shell, argv + mode + 1, user);
    }
    RunTask(hold[0], exec_error[1], shell, argv + mode + 1, user);
  }
  if (pid_namespace) close(task_status[1]);
  setpgid(task, task);  // also here, so the group exists before anyone signals it
  g_task_pid = task;
  close(hold[0]);
  close(exec_error[1]);
  for (int i = 0; i < num_cgroups; ++i) {
    char pid_text[32];
    int len = snprintf(pid_text, sizeof(pid_text), "%d", static_cast<int>(task));
    int fd = open(cgroups[i], O_WRONLY | O_CLOEXEC);
    bool ok = fd >= 0 && write(fd, pid_text, static_cast<size_t>(len)) == len;
    int err = errno;
    if (fd >= 0) close(fd);
    if (!ok) {
      char line[128];
      snprintf(line, sizeof(line), "failed %d joining the cgroup\n", err);
      Report(line);
      kill(task, SIGKILL);
      return 1;
    }
  }

  char pids[256];
  snprintf(pids, sizeof(pids), "1 %d %llu %d %llu\n", static_cast<int>(getpid()),
           static_cast<unsigned long long>(ReadStartTime(getpid())), static_cast<int>(task),
           static_cast<unsigned long long>(ReadStartTime(task)));
  if (!WriteFileAtomically(run_dir, "pids", pids)) {
    char line[128];
    snprintf(line, sizeof(line), "failed %d writing pids\n", errno);
    Report(line);
    kill(task, SIGKILL);
    return 1;
  }
  prctl(PR_SET_PDEATHSIG, 0);

  ssize_t n = write(hold[1], "g", 1);
  (void)n;
  close(hold[1]);
  int failure[2] = {0, 0};  // stage, errno
  do {
    n = read(exec_error[0], failure, sizeof(failure));
  } while (n < 0 && errno == EINTR);
  close(exec_error[0]);
  int status = 0;
  if (n == sizeof(failure)) {
    char line[128];
    snprintf(line, sizeof(line), "exec_failed %d\n", failure[1]);
    while (waitpid(task, &status, 0) < 0 && errno == EINTR) {
    }
    WriteFileAtomically(run_dir, "exit_status", line);
    snprintf(line, sizeof(line), "failed %d %s\n", failure[1],
             failure[0] == kSwitchUser ? "switch user"
             : failure[0] == kFork     ? "fork"
                                       : "exec");
    Report(line);
    return 0;
  }
  Report("started\n");
  close(kReportFd);

  while (waitpid(task, &status, 0) < 0) {
    if (errno != EINTR) {
      status = -1;
      break;
    }
  }
  g_task_pid = 0;
  // The init reports the task's own wait status; killed itself (SIGKILL), it could not.
  if (pid_namespace && status != -1) status = TaskStatusFromInit(task_status[0], status);
  kill(-task, SIGKILL);  // what the task started dies with it (with a namespace, it already did)
  char line[64];
  if (status == -1) {
    snprintf(line, sizeof(line), "unknown %d\n", errno);
  } else {
    snprintf(line, sizeof(line), "exited %d\n", status);
  }
  WriteFileAtomically(run_dir, "exit_status", line);
  return 0;
}
