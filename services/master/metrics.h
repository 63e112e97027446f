#pragma once

// The master's Prometheus metrics, named after Mesos's master/* metrics so operators find what
// they know: dcos_master_elected, dcos_master_agents{state}, dcos_master_frameworks{state},
// dcos_master_tasks{state}, dcos_master_{cpus,mem,disk}_{total,used,offered},
// dcos_master_outstanding_offers, dcos_master_event_queue_messages and the allocation cycle
// time histogram dcos_master_allocation_run_seconds. The same figures under Mesos's own names
// (master/slaves_active, ...) come from MesosSnapshot, for Operator.GetMetrics.
//
// Update and ObserveAllocation run on the leader's loop; MesosSnapshot on any thread.

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/master/core/master_core.h"

namespace dcos::master {

class MasterMetrics {
 public:
  // `started`: when the process started (master/uptime_secs).
  MasterMetrics(prometheus::Registry& registry, absl::Time started);

  void Update(const MasterCore::Stats& stats, size_t queued, bool elected);
  void ObserveAllocation(double seconds);

  // Mesos's names and figures (mesos_metrics.h), sorted by name: the leader's counts `stats`
  // (nullopt: a standby's figures), with the event queue and allocator as of the last Update.
  std::vector<std::pair<std::string, double>> MesosSnapshot(
      absl::Time now, const std::optional<MasterCore::Stats>& stats) const;

 private:
  prometheus::Family<prometheus::Gauge>& agents_;
  prometheus::Family<prometheus::Gauge>& frameworks_;
  prometheus::Family<prometheus::Gauge>& tasks_;
  prometheus::Family<prometheus::Gauge>& resources_;
  prometheus::Gauge* elected_;
  prometheus::Gauge* offers_;
  prometheus::Gauge* queued_;
  prometheus::Histogram* allocation_;

  const absl::Time started_;
  mutable absl::Mutex mu_;
  size_t queued_messages_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t allocation_runs_ ABSL_GUARDED_BY(mu_) = 0;
  double last_allocation_seconds_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace dcos::master
