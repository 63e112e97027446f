#pragma once

// Starting a process as the init (pid 1) of a new PID namespace from the multi-threaded agent,
// with posix_spawn (pid_namespace.h says what the supervisor does there). unshare(CLONE_NEWPID)
// changes only the calling thread's namespace for its next children, and only once: so the
// thread unshares, spawns, and enters its process's own namespace again (setns) for whatever
// it starts next. Each call makes a new namespace; the kernel frees it when its init is gone.
//
// Thread-safety: any thread, several at once (each changes only its own children's
// namespace). `spawn` must start one process and create no thread.

#include <functional>

#include "absl/status/status.h"

namespace dcos::agent {

// Runs `spawn` with the calling thread's next child the init of a new PID namespace; spawn's
// status. FAILED_PRECONDITION when the namespace cannot be made (no privilege, a kernel
// without them, a thread of a sandbox that forbids it). A thread that cannot get back to its
// own namespace aborts the process: it would put every later child in this one.
absl::Status SpawnInNewPidNamespace(const std::function<absl::Status()>& spawn);

}  // namespace dcos::agent
