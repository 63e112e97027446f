#pragma once

// The master's Prometheus metrics, named after Mesos's master/* metrics so operators find what
// they know: dcos_master_elected, dcos_master_agents{state}, dcos_master_frameworks{state},
// dcos_master_tasks{state}, dcos_master_{cpus,mem,disk}_{total,used,offered},
// dcos_master_outstanding_offers, dcos_master_event_queue_messages and the allocation cycle
// time histogram dcos_master_allocation_run_seconds.

#include <map>
#include <string>

#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "services/master/core/master_core.h"

namespace dcos::master {

class MasterMetrics {
 public:
  explicit MasterMetrics(prometheus::Registry& registry);

  void Update(const MasterCore::Stats& stats, size_t queued, bool elected);
  void ObserveAllocation(double seconds) { allocation_->Observe(seconds); }

 private:
  prometheus::Family<prometheus::Gauge>& agents_;
  prometheus::Family<prometheus::Gauge>& frameworks_;
  prometheus::Family<prometheus::Gauge>& tasks_;
  prometheus::Family<prometheus::Gauge>& resources_;
  prometheus::Gauge* elected_;
  prometheus::Gauge* offers_;
  prometheus::Gauge* queued_;
  prometheus::Histogram* allocation_;
};

}  // namespace dcos::master
