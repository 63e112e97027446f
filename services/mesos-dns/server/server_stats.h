#pragma once

// Counters of the DNS servers, updated by their threads, read by metrics and tests.
//
// The listener threads count into a LocalStats of their own (plain integers) and add it to the
// shared ServerStats once per batch of packets: a handful of atomic additions per batch instead
// of several contended ones per query.

#include <array>
#include <atomic>
#include <cstdint>

#include "absl/time/time.h"
#include "libs/dns/types.h"
#include "services/mesos-dns/core/responder.h"

namespace dcos::dns::server {

// Query types counted apart in metrics; every other type is counted as "other".
inline constexpr std::array<RRType, 10> kCountedQtypes = {
    RRType::kA,   RRType::kAAAA, RRType::kSRV, RRType::kSOA, RRType::kNS,
    RRType::kPTR, RRType::kANY,  RRType::kTXT, RRType::kMX,  RRType::kCNAME};
inline constexpr size_t kQtypeSlots = kCountedQtypes.size() + 1;  // + other
// The slot of `type` (kCountedQtypes' index, or the last slot for any other type).
size_t QtypeSlot(RRType type);

// Upper bounds (seconds) of the answer-latency histogram's buckets; a last bucket is +Inf.
inline constexpr std::array<double, 12> kLatencyBounds = {
    10e-6, 25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 100e-3};

struct ServerStats {
  std::atomic<uint64_t> udp_queries{0};
  std::atomic<uint64_t> tcp_queries{0};
  std::atomic<uint64_t> dropped{0};      // not answered: no header, or a response
  std::atomic<uint64_t> forwarded{0};
  std::atomic<uint64_t> truncated{0};    // answers with RRsets left out (TC)
  std::atomic<uint64_t> tcp_connections{0};  // open now
  std::atomic<uint64_t> tcp_rejected{0};     // refused: too many connections
  std::array<std::atomic<uint64_t>, 24> by_rcode{};  // index = RCODE (BADVERS = 16)
  // Queries with one question, by its type (QtypeSlot).
  std::array<std::atomic<uint64_t>, kQtypeSlots> by_qtype{};
  // Time from reading a query to its answer being sent (or queued, over TCP), answers answered
  // locally only (forwarded ones wait for the upstream): counts per bucket (kLatencyBounds,
  // then +Inf), and the sum in nanoseconds.
  std::array<std::atomic<uint64_t>, kLatencyBounds.size() + 1> latency_buckets{};
  std::atomic<uint64_t> latency_sum_ns{0};

  void CountRcode(Rcode rcode) {
    const size_t i = static_cast<size_t>(rcode);
    if (i < by_rcode.size()) by_rcode[i].fetch_add(1, std::memory_order_relaxed);
  }
  uint64_t rcode(Rcode r) const { return by_rcode[static_cast<size_t>(r)].load(); }
  uint64_t qtype(RRType t) const { return by_qtype[QtypeSlot(t)].load(); }
  // `count` answers that each took `latency`.
  void ObserveLatency(absl::Duration latency, uint64_t count);
};

// One listener thread's counts since its last Flush. Thread-compatible.
struct LocalStats {
  uint64_t udp_queries = 0;
  uint64_t tcp_queries = 0;
  uint64_t dropped = 0;
  uint64_t forwarded = 0;
  uint64_t truncated = 0;
  std::array<uint64_t, 24> by_rcode{};
  std::array<uint64_t, kQtypeSlots> by_qtype{};

  void Count(const core::Outcome& outcome);
  // Adds the counts to `stats` and zeroes them.
  void FlushTo(ServerStats& stats);
};

}  // namespace dcos::dns::server
