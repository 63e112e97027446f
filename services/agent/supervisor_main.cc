// dcos-task-supervisor: the small process between the agent and one task. It outlives the
// agent (tasks survive an agent restart), records the task's pids before the task runs and its
// wait status when it ends, so a restarted agent learns what happened while it was away.
//
//   dcos-task-supervisor <run_dir> <agent_pid> [options] shell <command>
//   dcos-task-supervisor <run_dir> <agent_pid> [options] argv <command> [argv0 args...]
// options: --cgroup=<cgroup.procs file> (repeatable), --user=<uid>:<gid>:<gid,gid,...>,
//          --pid-namespace (pid_namespace.h: the agent started it as the init of a new PID
//          namespace; the task is pid 2 there),
//          --fetcher=<dcos-fetcher path> with --fetch=<fetcher arg> (repeatable)
//   dcos-task-supervisor --probe-pid-namespace   exit 0 iff it is the init of a PID namespace
//
// The agent starts it (posix_spawn) with the task's working directory, environment and
// stdout/stderr in place, in a new session, and fd 3 a pipe on which it reports
// (supervisor_files.h). It makes SIGKILL its parent-death signal at once (and gives up if the
// agent is already gone). Steps:
//   0. with --fetcher: run it and wait (supervisor_fetch.h); a failed fetch is reported
//      "failed 0 fetch <why>" and nothing runs;
//   1. start the task (supervisor_spawn.h: a clone sharing the supervisor's memory, which waits
//      meanwhile): its own process group, default signals, the container's cgroups, `pids`
//      written (then a restarted agent can find both processes), the task's user, exec;
//   2. clear the parent-death signal: from here on the supervisor and the task outlive the
//      agent; report "started", or "failed <errno> <what>" (exec failure and the like);
//   3. wait for the task (reaping, as the init of a PID namespace, every orphan meanwhile);
//      SIGKILL whatever is left in its process group; write `exit_status`; exit (which, in a
//      PID namespace, ends everything left in it).
// If the agent dies between the task's exec and step 2, the parent-death signal kills the
// supervisor; a restarted agent finds `pids` without `exit_status` and kills the task.
// SIGTERM to the supervisor is passed on to the task's process group; SIGINT, SIGHUP and
// SIGPIPE are ignored (the task gets them by default).
//
// Only libc, linked statically: it starts in about a millisecond, which bounds the agent's
// launch rate.

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "services/agent/pid_namespace.h"
#include "services/agent/supervisor_fetch.h"
#include "services/agent/supervisor_files.h"
#include "services/agent/supervisor_spawn.h"

namespace {

using namespace dcos::agent::supervisor;  // NOLINT: one small file

volatile sig_atomic_t g_task_pid = 0;

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

void ForwardTerm(int) {
  pid_t task = g_task_pid;
  if (task > 0) kill(-task, SIGTERM);
}

void Report(const char* line) {
  ssize_t ignored = write(kReportFd, line, strlen(line));
  (void)ignored;
}

// Reports "failed <errno> <what>".
void ReportFailure(int error, const char* what) {
  char line[128];
  snprintf(line, sizeof(line), "failed %d %s\n", error, what);
  Report(line);
}

int Usage() {
  fprintf(stderr,
          "usage: dcos-task-supervisor <run_dir> <agent_pid> shell <command>\n"
          "       dcos-task-supervisor <run_dir> <agent_pid> argv <command> [argv...]\n"
          "(started by dcos-agent, not by hand)\n");
  return 2;
}

// The task's user, for the fetcher (set once the options are read).
const User* g_fetch_user = nullptr;

bool BecomeFetchUser() {
  const User& u = *g_fetch_user;
  return !u.set || (setgroups(static_cast<size_t>(u.num_groups), u.groups) == 0 &&
                    setgid(u.gid) == 0 && setuid(u.uid) == 0);
}

// Waits until `task` ends, reaping any other child meanwhile (orphans, in a PID namespace);
// its wait status, or -1 (errno set) if it cannot be waited for.
int WaitForTask(pid_t task) {
  for (;;) {
    int status = 0;
    const pid_t ended = waitpid(-1, &status, 0);
    if (ended == task) return status;
    if (ended < 0 && errno != EINTR) return -1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && strcmp(argv[1], "--probe-pid-namespace") == 0) return ProbePidNamespace();
  if (argc < 5) return Usage();
  const char* run_dir = argv[1];
  pid_t agent = static_cast<pid_t>(atoi(argv[2]));
  // Until the task runs with its pids recorded the supervisor dies with the agent (step 2
  // clears this).
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
  // The host's view of this process (getppid() says 0 inside a PID namespace).
  pid_t self = 0, parent = 0;
  const uint64_t self_start = ReadSelfStat(&self, &parent);
  if (parent != agent) return 1;  // the agent is already gone: do not start anything
  if (pid_namespace && getpid() != 1) {
    ReportFailure(EINVAL, "not the init of a new PID namespace");
    return 1;
  }

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

  static TaskStart start;
  start.run_dir = run_dir;
  start.cgroups = cgroups;
  start.num_cgroups = num_cgroups;
  start.user = &user;
  start.shell = shell;
  start.argv = argv + mode + 1;
  snprintf(start.supervisor_pids, sizeof(start.supervisor_pids), "1 %d %llu",
           static_cast<int>(self), static_cast<unsigned long long>(self_start));
  const pid_t task = StartTask(start, &g_task_pid);
  if (task < 0) {
    ReportFailure(errno, "clone");
    return 1;
  }
  int status = 0;
  switch (start.failed_step) {
    case TaskStep::kNone:
      break;
    case TaskStep::kCgroup:
    case TaskStep::kPids:
      WaitForTask(task);
      ReportFailure(start.failed_errno, start.failed_step == TaskStep::kCgroup
                                            ? "joining the cgroup"
                                            : "writing pids");
      return 1;
    case TaskStep::kSwitchUser:
    case TaskStep::kExec: {
      WaitForTask(task);
      char line[64];
      snprintf(line, sizeof(line), "exec_failed %d\n", start.failed_errno);
      WriteFileAtomically(run_dir, "exit_status", line);
      ReportFailure(start.failed_errno,
                    start.failed_step == TaskStep::kSwitchUser ? "switch user" : "exec");
      return 0;
    }
  }
  prctl(PR_SET_PDEATHSIG, 0);
  Report("started\n");
  close(kReportFd);

  status = WaitForTask(task);
  const int wait_error = errno;
  g_task_pid = 0;
  kill(-task, SIGKILL);  // what the task started dies with it (with a namespace: at our exit)
  char line[64];
  if (status == -1) {
    snprintf(line, sizeof(line), "unknown %d\n", wait_error);
  } else {
    snprintf(line, sizeof(line), "exited %d\n", status);
  }
  WriteFileAtomically(run_dir, "exit_status", line);
  return 0;
}
