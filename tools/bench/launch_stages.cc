#include "tools/bench/launch_stages.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>

#include "absl/strings/str_format.h"

namespace dcos::bench {
namespace {

namespace fs = std::filesystem;

absl::Time FromStatx(const statx_timestamp& t) {
  return absl::FromUnixSeconds(t.tv_sec) + absl::Nanoseconds(t.tv_nsec);
}

// The birth time (or, with `modified`, the modification time) of `path`.
std::optional<absl::Time> FileTime(const fs::path& path, bool modified) {
  struct statx st;
  if (statx(AT_FDCWD, path.c_str(), 0, STATX_BTIME | STATX_MTIME, &st) != 0) return std::nullopt;
  if (modified) return FromStatx(st.stx_mtime);
  if ((st.stx_mask & STATX_BTIME) == 0) return std::nullopt;
  return FromStatx(st.stx_btime);
}

// The only entry of `dir` (a task's one run), or none.
std::optional<fs::path> OnlyChild(const fs::path& dir) {
  std::error_code error;
  fs::directory_iterator it(dir, error);
  if (error || it == fs::directory_iterator()) return std::nullopt;
  return it->path();
}

StageSummary Summarize(const std::string& name, std::vector<absl::Time> times, absl::Time start) {
  StageSummary s;
  s.name = name;
  s.tasks = static_cast<int>(times.size());
  if (times.empty()) return s;
  std::sort(times.begin(), times.end());
  s.first = times.front() - start;
  s.median = times[times.size() / 2] - start;
  s.last = times.back() - start;
  return s;
}

}  // namespace

std::vector<StageSummary> ReadLaunchStages(
    const std::string& work_dir, const absl::flat_hash_map<std::string, absl::Time>& running_at,
    absl::Time start) {
  std::vector<absl::Time> checkpointed, sandbox, spawned, ready, running;
  std::error_code error;
  // <work_dir>/meta/frameworks/<fw>/tasks/<task>/runs/<container>/pids
  for (const fs::directory_entry& fw : fs::directory_iterator(
           fs::path(work_dir) / "meta" / "frameworks", error)) {
    for (const auto& [task, at] : running_at) {
      const fs::path dir = fw.path() / "tasks" / task;
      if (std::optional<absl::Time> t = FileTime(dir, false)) checkpointed.push_back(*t);
      if (std::optional<fs::path> run = OnlyChild(dir / "runs")) {
        if (std::optional<absl::Time> t = FileTime(*run / "pids", true)) ready.push_back(*t);
      }
    }
  }
  // <work_dir>/agents/<agent>/frameworks/<fw>/executors/<task>/runs/<container>/stdout
  for (const fs::directory_entry& agent :
       fs::directory_iterator(fs::path(work_dir) / "agents", error)) {
    for (const fs::directory_entry& fw :
         fs::directory_iterator(agent.path() / "frameworks", error)) {
      for (const auto& [task, at] : running_at) {
        std::optional<fs::path> run = OnlyChild(fw.path() / "executors" / task / "runs");
        if (!run.has_value()) continue;
        if (std::optional<absl::Time> t = FileTime(*run, false)) sandbox.push_back(*t);
        if (std::optional<absl::Time> t = FileTime(*run / "stdout", false)) spawned.push_back(*t);
      }
    }
  }
  for (const auto& [task, at] : running_at) running.push_back(at);
  return {Summarize("checkpointed", std::move(checkpointed), start),
          Summarize("sandbox made", std::move(sandbox), start),
          Summarize("spawned", std::move(spawned), start),
          Summarize("ready (pids)", std::move(ready), start),
          Summarize("RUNNING seen", std::move(running), start)};
}

std::string FormatLaunchStages(const std::vector<StageSummary>& stages) {
  std::string out = absl::StrFormat("  %-24s %6s %9s %9s %9s\n", "stage (after 1st Accept)",
                                    "tasks", "first", "median", "last");
  for (const StageSummary& s : stages) {
    absl::StrAppendFormat(&out, "  %-24s %6d %8.2fs %8.2fs %8.2fs\n", s.name, s.tasks,
                          absl::ToDoubleSeconds(s.first), absl::ToDoubleSeconds(s.median),
                          absl::ToDoubleSeconds(s.last));
  }
  return out;
}

double ProcessCpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  std::getline(in, stat);
  const size_t paren = stat.rfind(')');
  unsigned long long utime = 0, stime = 0;
  // After ')': state (3), then fields 4..13, utime (14), stime (15).
  if (paren == std::string::npos ||
      std::sscanf(stat.c_str() + paren + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
                  &utime, &stime) != 2) {
    return -1;
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

ChildrenCpu SumChildrenCpu(pid_t parent) {
  std::map<pid_t, pid_t> parent_of;
  std::error_code error;
  for (const fs::directory_entry& e : fs::directory_iterator("/proc", error)) {
    pid_t pid = 0, ppid = 0;
    if (std::sscanf(e.path().filename().c_str(), "%d", &pid) != 1) continue;
    std::ifstream in(e.path() / "stat");
    std::string stat;
    std::getline(in, stat);
    const size_t paren = stat.rfind(')');
    if (paren != std::string::npos && std::sscanf(stat.c_str() + paren + 1, " %*c %d", &ppid) == 1) {
      parent_of[pid] = ppid;
    }
  }
  auto on_cpu = [](pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/schedstat");
    unsigned long long ns = 0;
    in >> ns;
    return static_cast<double>(ns) / 1e9;
  };
  ChildrenCpu out;
  for (const auto& [pid, ppid] : parent_of) {
    if (ppid == parent) {
      ++out.children;
      out.children_seconds += on_cpu(pid);
    } else if (auto p = parent_of.find(ppid); p != parent_of.end() && p->second == parent) {
      ++out.grandchildren;
      out.grandchildren_seconds += on_cpu(pid);
    }
  }
  return out;
}

}  // namespace dcos::bench
