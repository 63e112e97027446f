#pragma once

// Isolator: per-container resource limits, usage, and what a limit did. Three kinds, chosen
// at start (agent.isolation=auto picks the first that works on the host):
//   CgroupsV2Isolator  cgroup v2 (the unified hierarchy at /sys/fs/cgroup with the cpu and
//                      memory controllers): memory.max, cpu.max, cpu.weight, memory.events
//   CgroupsV1Isolator  cgroup v1 memory, cpu and cpuacct hierarchies (as mounted on this
//                      project's machines): memory.limit_in_bytes, cpu.cfs_quota_us,
//                      cpu.shares, memory.oom_control
//   PosixIsolator      no limits; usage measured from /proc over the task's process group
//                      (or PID namespace)
// Each container gets a group named dcos/<container id> in every hierarchy; the supervisor
// puts the task in them before it runs, so everything it starts stays inside.
//
// Thread-safety: all methods from any thread (they touch only the container's own files).

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "protos/agent/v1/agent_state.pb.h"
#include "services/agent/launcher.h"

namespace dcos::agent {

struct Limits {
  double cpus = 0;         // 0: no cpu limit
  uint64_t mem_bytes = 0;  // 0: no memory limit
};

class Isolator {
 public:
  virtual ~Isolator() = default;

  virtual agent::v1::Container::Isolation kind() const = 0;

  // Creates the container's groups with its limits. Returns the cgroup.procs files the
  // task's pid must be written to before it runs (none for posix). Errors: INTERNAL naming
  // the file that could not be made or written.
  virtual absl::StatusOr<std::vector<std::string>> Prepare(const std::string& container_id,
                                                           const Limits& limits) = 0;

  // After the container ended: true if the kernel killed a process of it for exceeding its
  // memory limit.
  virtual bool MemoryLimitHit(const std::string& container_id) = 0;

  // After the container ended: kills whatever is left in its groups and removes them.
  virtual void Cleanup(const std::string& container_id) = 0;

  // A usage sample of a running container.
  virtual agent::v1::ResourceStatistics Usage(const std::string& container_id,
                                              const ContainerPids& pids) = 0;
};

// "auto" (cgroups v2, else v1, else posix), "cgroups" (v2 or v1, else an error), "posix".
// `root` is the cgroup file system's mount point (normally /sys/fs/cgroup). Errors:
// FAILED_PRECONDITION when "cgroups" was asked for and neither version is usable (why).
absl::StatusOr<std::unique_ptr<Isolator>> MakeIsolator(const std::string& mode,
                                                       const std::string& root = "/sys/fs/cgroup");

std::unique_ptr<Isolator> MakePosixIsolator();
// Null (with *why) when the host has no usable hierarchy of that version under `root`.
std::unique_ptr<Isolator> MakeCgroupsV1Isolator(const std::string& root, std::string* why);
std::unique_ptr<Isolator> MakeCgroupsV2Isolator(const std::string& root, std::string* why);

// Usage of the processes of process group `pgid` — or of every process in its PID namespace
// when it is the init of one — from /proc (cpu time, rss, count).
agent::v1::ResourceStatistics ProcUsage(pid_t pgid);

}  // namespace dcos::agent
