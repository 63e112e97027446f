#pragma once

// ReserveHeap: makes the process's heap hot before it is needed. A master that takes over a
// large cluster allocates hundreds of MiB within a second (10,000 agents x 10 tasks: about
// 450 MiB); on a virtual machine the first touch of each fresh page is most of that takeover's
// CPU (page faults, and sysmalloc touching new top chunks: about 60% of the new leader's
// CPU in master_cluster_failover_bench). A standby that reserves its heap at start pays those
// touches while it stands by, as a JVM's -XX:+AlwaysPreTouch does (dcos-master's
// master.heap_reserve_mib; master_cluster_failover_bench's agent fleet uses it too).
//
// How (glibc malloc): every thread shares one malloc arena (M_ARENA_MAX=1), so memory touched
// here serves the gRPC threads' parsing and the driver's loop alike; `bytes` are allocated in
// blocks below the mmap threshold, written, and freed, and the trim threshold is raised above
// them, so they stay mapped in the arena's free memory for later allocations to reuse. The
// process's resident memory is at least `bytes` from then on.
//
// Call it once, before any other thread starts (it sets process-wide malloc options).
// INVALID_ARGUMENT if mallopt refuses an option.

#include <cstddef>

#include "absl/status/status.h"

namespace dcos::runtime {

absl::Status ReserveHeap(size_t bytes);

}  // namespace dcos::runtime
