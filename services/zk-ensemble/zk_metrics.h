#pragma once

// dcos-zk's own metrics, read from the member's state on every scrape (nothing to keep in
// step), next to libs/raft's dcos_raft_* (term, leader changes, commit and applied index,
// storage_append_seconds: the fsync latency) and libs/runtime's grpc_server_* (each unary
// call's count, code and latency):
//
//   dcos_zk_znodes                 gauge  znodes in this member's tree
//   dcos_zk_watches                gauge  watches registered on this member
//   dcos_zk_sessions               gauge  live sessions (the replicated table)
//   dcos_zk_attached_sessions      gauge  Session streams attached to this member
//   dcos_zk_outstanding_requests   gauge  ops received and not yet answered, unary calls and
//                                         pipelined ops alike
//   dcos_zk_pipeline_streams       gauge  open Pipeline streams
//
// Pipelined ops are counted and timed by ZkService itself: dcos_zk_pipeline_op_seconds{op}
// (a histogram; its _count is the number of ops answered).

#include <memory>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

namespace dcos::zk {

class ZkService;
class ZkStateMachine;
class WatchHub;

class ZkMetrics final : public prometheus::Collectable {
 public:
  // Not owned; they outlive the collector's registration (the runtime's metrics endpoint
  // stops before the component is destroyed).
  ZkMetrics(const ZkStateMachine* sm, const WatchHub* hub, const ZkService* service)
      : sm_(sm), hub_(hub), service_(service) {}

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const ZkStateMachine* const sm_;
  const WatchHub* const hub_;
  const ZkService* const service_;
};

}  // namespace dcos::zk
