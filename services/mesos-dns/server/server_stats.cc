#include "services/mesos-dns/server/server_stats.h"

#include <algorithm>

namespace dcos::dns::server {

size_t QtypeSlot(RRType type) {
  for (size_t i = 0; i < kCountedQtypes.size(); ++i) {
    if (kCountedQtypes[i] == type) return i;
  }
  return kCountedQtypes.size();
}

void ServerStats::ObserveLatency(absl::Duration latency, uint64_t count) {
  if (count == 0) return;
  const double seconds = absl::ToDoubleSeconds(latency);
  const size_t bucket = static_cast<size_t>(
      std::lower_bound(kLatencyBounds.begin(), kLatencyBounds.end(), seconds) -
      kLatencyBounds.begin());
  latency_buckets[bucket].fetch_add(count, std::memory_order_relaxed);
  latency_sum_ns.fetch_add(static_cast<uint64_t>(absl::ToInt64Nanoseconds(latency)) * count,
                           std::memory_order_relaxed);
}

void LocalStats::Count(const core::Outcome& outcome) {
  if (outcome.has_question) ++by_qtype[QtypeSlot(outcome.qtype)];
  if (outcome.disposition == core::Disposition::kDrop) {
    ++dropped;
  } else if (outcome.disposition == core::Disposition::kForward) {
    ++forwarded;
  } else {
    const size_t i = static_cast<size_t>(outcome.rcode);
    if (i < by_rcode.size()) ++by_rcode[i];
    if (outcome.truncated) ++truncated;
  }
}

void LocalStats::FlushTo(ServerStats& stats) {
  auto flush = [](uint64_t& local, std::atomic<uint64_t>& shared) {
    if (local == 0) return;
    shared.fetch_add(local, std::memory_order_relaxed);
    local = 0;
  };
  flush(udp_queries, stats.udp_queries);
  flush(tcp_queries, stats.tcp_queries);
  flush(dropped, stats.dropped);
  flush(forwarded, stats.forwarded);
  flush(truncated, stats.truncated);
  for (size_t i = 0; i < by_rcode.size(); ++i) flush(by_rcode[i], stats.by_rcode[i]);
  for (size_t i = 0; i < by_qtype.size(); ++i) flush(by_qtype[i], stats.by_qtype[i]);
}

}  // namespace dcos::dns::server
