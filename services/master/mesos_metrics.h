#pragma once

// The master's figures under the names Mesos gives them (GET_METRICS, /metrics/snapshot), for
// operators and tools that know Mesos: master/elected, master/slaves_active, master/tasks_lost,
// master/cpus_percent, allocator/mesos/allocation_run_ms, ... A pure function of what the
// leader's loop counts; Operator.GetMetrics serves it.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "services/master/core/master_core.h"

namespace dcos::master {

struct MesosMetricsInput {
  // The leader's counts; nullopt on a standby (which reports only elected and uptime).
  std::optional<MasterCore::Stats> stats;
  size_t event_queue_messages = 0;
  absl::Duration uptime;
  uint64_t allocation_runs = 0;
  double last_allocation_seconds = 0;
};

// (name, value) pairs sorted by name.
std::vector<std::pair<std::string, double>> MesosMetrics(const MesosMetricsInput& in);

}  // namespace dcos::master
