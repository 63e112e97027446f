#include "libs/runtime/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"

namespace dcos::runtime {
namespace {

std::string ReadFile(const char* path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

double BootTimeSeconds() {
  std::istringstream in(ReadFile("/proc/stat"));
  std::string line;
  while (std::getline(in, line)) {
    double btime;
    if (line.rfind("btime ", 0) == 0 && absl::SimpleAtod(line.substr(6), &btime)) return btime;
  }
  return 0;
}

double CountOpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  double n = 0;
  while (struct dirent* e = readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(dir);
  return n - 1;  // the descriptor opendir itself holds
}

prometheus::MetricFamily Gauge(const std::string& name, const std::string& help, double value,
                               prometheus::MetricType type = prometheus::MetricType::Gauge) {
  prometheus::MetricFamily family;
  family.name = name;
  family.help = help;
  family.type = type;
  prometheus::ClientMetric metric;
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  family.metric.push_back(metric);
  return family;
}

}  // namespace

bool ParseProcStat(const std::string& text, double ticks_per_second, double page_size,
                   double boot_time_seconds, ProcStat* out) {
  // The command name (field 2) is in parentheses and may itself contain spaces or ')'.
  size_t close = text.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream in(text.substr(close + 1));
  // Fields after the name start at field 3 (state).
  std::vector<std::string> f;
  std::string tok;
  while (in >> tok) f.push_back(tok);
  // field N is f[N - 3]
  if (f.size() < 22) return false;
  double utime, stime, starttime, rss_pages;
  if (!absl::SimpleAtod(f[14 - 3], &utime) || !absl::SimpleAtod(f[15 - 3], &stime) ||
      !absl::SimpleAtod(f[20 - 3], &out->threads) ||
      !absl::SimpleAtod(f[22 - 3], &starttime) ||
      !absl::SimpleAtod(f[23 - 3], &out->virtual_bytes) ||
      !absl::SimpleAtod(f[24 - 3], &rss_pages)) {
    return false;
  }
  out->resident_bytes = rss_pages * page_size;
  out->cpu_seconds = (utime + stime) / ticks_per_second;
  out->start_time_seconds = boot_time_seconds + starttime / ticks_per_second;
  return true;
}

ProcessCollector::ProcessCollector(std::string component, std::string version)
    : component_(std::move(component)), version_(std::move(version)) {}

std::vector<prometheus::MetricFamily> ProcessCollector::Collect() const {
  std::vector<prometheus::MetricFamily> out;
  ProcStat stat;
  if (ParseProcStat(ReadFile("/proc/self/stat"), static_cast<double>(sysconf(_SC_CLK_TCK)),
                    static_cast<double>(sysconf(_SC_PAGESIZE)), BootTimeSeconds(), &stat)) {
    out.push_back(Gauge("process_cpu_seconds_total", "User and system CPU time, seconds",
                        stat.cpu_seconds, prometheus::MetricType::Counter));
    out.push_back(Gauge("process_resident_memory_bytes", "Resident memory, bytes",
                        stat.resident_bytes));
    out.push_back(Gauge("process_virtual_memory_bytes", "Virtual memory, bytes",
                        stat.virtual_bytes));
    out.push_back(Gauge("process_start_time_seconds",
                        "Start time of the process since the Unix epoch, seconds",
                        stat.start_time_seconds));
    out.push_back(Gauge("process_threads", "OS threads in the process", stat.threads));
  }
  out.push_back(Gauge("process_open_fds", "Open file descriptors", CountOpenFds()));
  struct rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    out.push_back(Gauge("process_max_fds", "Limit on open file descriptors",
                        static_cast<double>(limit.rlim_cur)));
  }
  prometheus::MetricFamily build = Gauge("dcos_build_info", "Build information; always 1", 1);
  build.metric[0].label = {{"component", component_}, {"version", version_}};
  out.push_back(build);
  return out;
}

}  // namespace dcos::runtime
