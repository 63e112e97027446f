#pragma once

// dcos-dns's Prometheus metrics:
//   dcos_dns_queries_total{qtype}          queries by question type (A, AAAA, SRV, ..., other)
//   dcos_dns_responses_total{rcode}        answers by RCODE (NOERROR, NXDOMAIN, ..., forwarded
//                                          answers included)
//   dcos_dns_requests_total{transport}     packets read, udp / tcp
//   dcos_dns_forwarded_total, dcos_dns_truncated_total, dcos_dns_dropped_total,
//   dcos_dns_tcp_rejected_total, dcos_dns_tcp_connections
//   dcos_dns_answer_seconds                histogram: query read -> answer sent (local answers)
//   dcos_dns_records, dcos_dns_names, dcos_dns_soa_serial
//   dcos_dns_freshness_lag_seconds{origin} histogram: a task event to the snapshot serving it;
//                                          origin="received" (from the driver receiving it) or
//                                          "status" (from the task status's timestamp, when the
//                                          agent made the update: agent -> master -> dcos-dns)
//   dcos_dns_master_connected, dcos_dns_master_subscribes_total, dcos_dns_resyncs_total,
//   dcos_dns_master_last_event_timestamp_seconds, dcos_dns_zk_following
//
// The DNS threads count into ServerStats (no Prometheus calls on the query path); Sync() copies
// its totals into the Prometheus metrics (call it periodically). Thread-safe.

#include <array>
#include <cstdint>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "absl/synchronization/mutex.h"
#include "services/mesos-dns/driver/dns_driver.h"
#include "services/mesos-dns/server/server_stats.h"

namespace dcos::dns {

class DnsMetrics {
 public:
  explicit DnsMetrics(prometheus::Registry& registry);

  // After each publish of the driver.
  void OnPublish(const driver::PublishInfo& info);
  // Brings the query metrics up to `stats` and the master metrics to `status`.
  void Sync(const server::ServerStats& stats, const driver::DriverStatus& status);

 private:
  // Counter `c` to `total` (counters only grow; `last` is what it was set to before).
  static void Advance(prometheus::Counter* c, uint64_t total, uint64_t& last);

  prometheus::Family<prometheus::Counter>& queries_;
  prometheus::Family<prometheus::Counter>& responses_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Counter* forwarded_;
  prometheus::Counter* truncated_;
  prometheus::Counter* dropped_;
  prometheus::Counter* tcp_rejected_;
  prometheus::Gauge* tcp_connections_;
  prometheus::Histogram* answer_seconds_;
  prometheus::Gauge* records_;
  prometheus::Gauge* names_;
  prometheus::Gauge* serial_;
  prometheus::Family<prometheus::Histogram>& lag_;
  prometheus::Histogram* lag_received_;
  prometheus::Histogram* lag_status_;
  prometheus::Gauge* connected_;
  prometheus::Counter* subscribes_;
  prometheus::Counter* resyncs_;
  prometheus::Gauge* last_event_;
  prometheus::Gauge* zk_following_;

  absl::Mutex mu_;  // Sync's copies of the totals
  struct Last {
    uint64_t udp = 0, tcp = 0, forwarded = 0, truncated = 0, dropped = 0, tcp_rejected = 0;
    uint64_t subscribes = 0, resyncs = 0;
    std::array<uint64_t, 24> by_rcode{};
    std::array<uint64_t, server::kQtypeSlots> by_qtype{};
    std::array<uint64_t, server::kLatencyBounds.size() + 1> latency{};
    uint64_t latency_sum_ns = 0;
  };
  Last last_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dcos::dns
