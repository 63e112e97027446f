#pragma once

// Process metrics with the standard names Prometheus client libraries use:
//   process_cpu_seconds_total, process_resident_memory_bytes, process_virtual_memory_bytes,
//   process_open_fds, process_max_fds, process_start_time_seconds, process_threads
// and the build information of the binary:
//   dcos_build_info{component, version} 1
// Read from /proc/self on every scrape. Thread-safe (no mutable state).

#include <string>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

namespace dcos::runtime {

class ProcessCollector final : public prometheus::Collectable {
 public:
  ProcessCollector(std::string component, std::string version);
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::string component_;
  std::string version_;
};

// Parsed fields of /proc/self/stat that the collector uses; exposed for tests.
struct ProcStat {
  double cpu_seconds = 0;        // utime + stime
  double start_time_seconds = 0; // since the Unix epoch
  double virtual_bytes = 0;
  double resident_bytes = 0;
  double threads = 0;
};

// Parses the text of /proc/<pid>/stat. `ticks_per_second` is sysconf(_SC_CLK_TCK),
// `page_size` sysconf(_SC_PAGESIZE), `boot_time_seconds` the btime line of /proc/stat.
// Returns false when the text is not in the expected shape.
bool ParseProcStat(const std::string& text, double ticks_per_second, double page_size,
                   double boot_time_seconds, ProcStat* out);

}  // namespace dcos::runtime
