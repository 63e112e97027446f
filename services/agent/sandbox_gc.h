#pragma once

// Sandbox garbage collection (Mesos's --gc_delay and --gc_disk_headroom): the sandboxes of
// containers the agent no longer runs or remembers are removed once they have been idle for
// the GC delay, which shrinks as the work dir's disk fills up:
//   delay = gc_delay * max(0, 1 - headroom - disk usage)
// so with the default headroom (0.1) everything idle goes once the disk is 90 % full.
// "Idle" is measured from the newest modification time of the run dir and its entries, so a
// restarted agent collects the sandboxes of earlier runs too.

#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace dcos::agent {

absl::Duration AdjustedGcDelay(absl::Duration gc_delay, double disk_usage, double headroom);

// The fraction of the file system holding `dir` that is in use, 0..1.
absl::StatusOr<double> DiskUsage(const std::string& dir);

// Run dirs (<work_dir>/agents/*/frameworks/*/executors/*/runs/<container>) of containers not
// in `keep`, idle for at least `delay` at `now`.
std::vector<std::string> FindGarbage(const std::string& work_dir,
                                     const std::set<std::string>& keep, absl::Time now,
                                     absl::Duration delay);

// Removes a run dir, then each parent up to <work_dir>/agents that it left empty.
void RemoveSandbox(const std::string& work_dir, const std::string& run_dir);

}  // namespace dcos::agent
