#pragma once

// The PID namespace of a task (dcos-task-supervisor --pid-namespace), the supervisor's side.
// Only libc: it is compiled into the statically linked supervisor.
//
//   dcos-agent: unshare(CLONE_NEWPID) on the launching thread, posix_spawn, back
//                (pid_namespace_spawn.h)
//     └── dcos-task-supervisor   pid 1 of a new PID namespace: its init
//         └── the task           pid 2 there, its own process group, whose host pid is the
//                                "task pid" the agent records and signals; `echo $$` prints 2
//
// As the init, the supervisor reaps every orphan re-parented to it while it waits for the task,
// and exits as soon as the task ends (after writing its exit status): the kernel then kills
// everything left in the namespace — daemons that double-forked and left the process group and
// session included — before the supervisor's own exit is seen. The supervisor having no
// handler for a signal, the kernel drops that signal when it comes from inside the namespace.
// /proc is not remounted (that needs a mount namespace): tools inside that read /proc see the
// host's view, which is also how the supervisor learns the host pids it records.

#include <unistd.h>

#include <cstdio>

namespace dcos::agent::supervisor {

// `dcos-task-supervisor --probe-pid-namespace`, started the way tasks' supervisors are: 0 if
// it is the init (pid 1) of its PID namespace; otherwise 1, with the reason on stderr.
inline int ProbePidNamespace() {
  if (getpid() == 1) return 0;
  fprintf(stderr, "the supervisor started in a new PID namespace is pid %d there, not 1\n",
          static_cast<int>(getpid()));
  return 1;
}

}  // namespace dcos::agent::supervisor
