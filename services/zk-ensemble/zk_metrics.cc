#include "services/zk-ensemble/zk_metrics.h"

#include <string>

#include "services/zk-ensemble/watch_hub.h"
#include "services/zk-ensemble/zk_service.h"
#include "services/zk-ensemble/zk_state_machine.h"

namespace dcos::zk {
namespace {

prometheus::MetricFamily Gauge(std::string name, std::string help, double value) {
  prometheus::MetricFamily family;
  family.name = std::move(name);
  family.help = std::move(help);
  family.type = prometheus::MetricType::Gauge;
  prometheus::ClientMetric metric;
  metric.gauge.value = value;
  family.metric.push_back(std::move(metric));
  return family;
}

}  // namespace

std::vector<prometheus::MetricFamily> ZkMetrics::Collect() const {
  return {
      Gauge("dcos_zk_znodes", "Znodes in this member's tree",
            static_cast<double>(sm_->znode_count())),
      Gauge("dcos_zk_watches", "Watches registered on this member",
            static_cast<double>(hub_->watch_count())),
      Gauge("dcos_zk_sessions", "Live sessions (the replicated session table)",
            static_cast<double>(sm_->session_count())),
      Gauge("dcos_zk_attached_sessions", "Session streams attached to this member",
            static_cast<double>(service_->attached_sessions())),
      Gauge("dcos_zk_outstanding_requests",
            "Operations received and not yet answered (unary calls and pipelined ops)",
            static_cast<double>(service_->outstanding_requests())),
      Gauge("dcos_zk_pipeline_streams", "Open Pipeline streams",
            static_cast<double>(service_->pipeline_streams())),
  };
}

}  // namespace dcos::zk
