#pragma once

// Where a launch wave's time went on the agent, read afterwards from the files the agent and
// the task supervisors wrote (birth and modification times, statx(2)), with no help from the
// agent. Per task:
//   checkpointed  its checkpoint dir appeared (the commit before TASK_STARTING was sent)
//   sandbox       its sandbox dir appeared (a launch thread took the launch)
//   spawned       stdout appeared in the sandbox (just before the supervisor's spawn)
//   ready         the supervisor wrote `pids` (the task forked, in its cgroups, about to exec)
//   running       TASK_RUNNING reached the framework
// For each stage: when the first, the median and the last task passed it, after `start` (the
// first Accept). A stage whose last time is far beyond the previous stage's is the bottleneck.

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"

namespace dcos::bench {

struct StageSummary {
  std::string name;
  int tasks = 0;  // tasks with this stage's time found
  absl::Duration first, median, last;  // after the wave's start
};

// Reads the stage times of the tasks in `running_at` (task id -> when the framework saw
// TASK_RUNNING) from the agent work dir `work_dir`. Tasks whose files are missing are left out
// of the stages they lack.
std::vector<StageSummary> ReadLaunchStages(
    const std::string& work_dir, const absl::flat_hash_map<std::string, absl::Time>& running_at,
    absl::Time start);

// "stage  first  median  last" lines.
std::string FormatLaunchStages(const std::vector<StageSummary>& stages);

// CPU time, in seconds, of a whole process (all its threads, ended ones included: utime +
// stime of /proc/<pid>/stat, in clock ticks); -1 if it is gone.
double ProcessCpuSeconds(pid_t pid);

// On-CPU time (the first field of /proc/<pid>/schedstat, in ns: precise where ticks are too
// coarse for processes that ran a few ms) summed over the running children of `parent` (the
// agent's task supervisors) and over their children (the tasks, from their clone on: the
// start, the exec, the program).
struct ChildrenCpu {
  int children = 0, grandchildren = 0;
  double children_seconds = 0, grandchildren_seconds = 0;
};
ChildrenCpu SumChildrenCpu(pid_t parent);

}  // namespace dcos::bench
