#pragma once

// dnsperf (Debian `dnsperf`) as a child process, and its summary parsed.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tools/bench/bench_process.h"

namespace dcos::bench {

struct DnsperfOptions {
  std::string binary = "/usr/bin/dnsperf";
  std::string server = "127.0.0.1";
  int port = 53;
  std::string queries;  // the data file
  double seconds = 20;
  int clients = 4;        // -c: sockets
  int outstanding = 128;  // -q: queries in flight
  int threads = 1;        // -T
  bool edns = true;       // -e
  double max_qps = 0;     // -Q; 0: as fast as answers come
};

struct DnsperfResult {
  uint64_t sent = 0;
  uint64_t completed = 0;
  uint64_t lost = 0;
  double qps = 0;
  double avg_latency_s = 0;
  double min_latency_s = 0;
  double max_latency_s = 0;
  double stddev_latency_s = 0;
  std::map<std::string, uint64_t> rcodes;  // "NOERROR" -> count
};

// Parses dnsperf's "Statistics:" summary. INVALID_ARGUMENT if it is not there.
absl::StatusOr<DnsperfResult> ParseDnsperf(const std::string& output);

// Starts dnsperf in the background, its output in `<log_dir>/<name>.log`.
absl::StatusOr<std::unique_ptr<ChildProcess>> StartDnsperf(const DnsperfOptions& options,
                                                           const std::string& name,
                                                           const std::string& log_dir);

// Runs dnsperf to completion, its output in `<log_dir>/<name>.log`; the parsed summary.
absl::StatusOr<DnsperfResult> RunDnsperf(const DnsperfOptions& options, const std::string& name,
                                         const std::string& log_dir);

}  // namespace dcos::bench
