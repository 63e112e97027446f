#pragma once

// SpawnAttributes: posix_spawn attributes for a child that starts clean — no blocked signals
// (the agent's runtime blocks SIGTERM/SIGINT in every thread), every signal at its default
// action — plus the given POSIX_SPAWN_* flags. Used where the agent starts processes: the
// task supervisors and health check commands (posix_spawn instead of fork: forking the large
// agent process costs milliseconds).

#include <signal.h>
#include <spawn.h>

namespace dcos::agent {

class SpawnAttributes {
 public:
  explicit SpawnAttributes(short flags) {
    posix_spawnattr_init(&attr_);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr_, &none);
    posix_spawnattr_setsigdefault(&attr_, &all);
    posix_spawnattr_setflags(&attr_, static_cast<short>(flags | POSIX_SPAWN_SETSIGMASK |
                                                        POSIX_SPAWN_SETSIGDEF));
  }
  ~SpawnAttributes() { posix_spawnattr_destroy(&attr_); }
  SpawnAttributes(const SpawnAttributes&) = delete;
  SpawnAttributes& operator=(const SpawnAttributes&) = delete;

  posix_spawnattr_t* get() { return &attr_; }

 private:
  posix_spawnattr_t attr_;
};

}  // namespace dcos::agent
