#pragma once

// Counters of the DNS servers, updated by their threads, read by metrics and tests.

#include <array>
#include <atomic>
#include <cstdint>

#include "libs/dns/types.h"
#include "services/mesos-dns/core/responder.h"

namespace dcos::dns::server {

struct ServerStats {
  std::atomic<uint64_t> udp_queries{0};
  std::atomic<uint64_t> tcp_queries{0};
  std::atomic<uint64_t> dropped{0};      // not answered: no header, or a response
  std::atomic<uint64_t> forwarded{0};
  std::atomic<uint64_t> truncated{0};    // answers with RRsets left out (TC)
  std::atomic<uint64_t> tcp_connections{0};  // open now
  std::atomic<uint64_t> tcp_rejected{0};     // refused: too many connections
  std::array<std::atomic<uint64_t>, 24> by_rcode{};  // index = RCODE (BADVERS = 16)

  void Count(const core::Outcome& outcome) {
    if (outcome.disposition == core::Disposition::kDrop) {
      dropped.fetch_add(1, std::memory_order_relaxed);
    } else if (outcome.disposition == core::Disposition::kForward) {
      forwarded.fetch_add(1, std::memory_order_relaxed);
    } else {
      CountRcode(outcome.rcode);
      if (outcome.truncated) truncated.fetch_add(1, std::memory_order_relaxed);
    }
  }
  void CountRcode(Rcode rcode) {
    const size_t i = static_cast<size_t>(rcode);
    if (i < by_rcode.size()) by_rcode[i].fetch_add(1, std::memory_order_relaxed);
  }
  uint64_t rcode(Rcode r) const { return by_rcode[static_cast<size_t>(r)].load(); }
};

}  // namespace dcos::dns::server
