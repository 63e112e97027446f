#include "services/agent/pid_namespace_spawn.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "libs/log/log.h"

namespace dcos::agent {

absl::Status SpawnInNewPidNamespace(const std::function<absl::Status()>& spawn) {
  // The process's own PID namespace, where each thread's children belong outside a spawn.
  static const int own = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
  if (own < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot open /proc/self/ns/pid: ", std::strerror(errno)));
  }
  if (unshare(CLONE_NEWPID) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("unshare(CLONE_NEWPID): ", std::strerror(errno)));
  }
  absl::Status spawned = spawn();
  if (setns(own, CLONE_NEWPID) != 0) {
    log::Error("a launch thread cannot return to the agent's PID namespace")
        .Field("error", std::strerror(errno));
    std::abort();
  }
  return spawned;
}

}  // namespace dcos::agent
