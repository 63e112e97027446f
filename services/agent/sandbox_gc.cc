#include "services/agent/sandbox_gc.h"

#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"

namespace dcos::agent {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> Children(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code error;
  for (const auto& e : fs::directory_iterator(dir, error)) {
    if (e.is_directory(error)) out.push_back(e.path());
  }
  return out;
}

absl::Time MTime(const fs::path& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return absl::InfinitePast();
  return absl::TimeFromTimespec(st.st_mtim);
}

}  // namespace

absl::Duration AdjustedGcDelay(absl::Duration gc_delay, double disk_usage, double headroom) {
  return gc_delay * std::max(0.0, 1.0 - headroom - disk_usage);
}

absl::StatusOr<double> DiskUsage(const std::string& dir) {
  struct statvfs fs;
  if (statvfs(dir.c_str(), &fs) != 0 || fs.f_blocks == 0) {
    return absl::InternalError(absl::StrCat("statvfs ", dir, ": ", std::strerror(errno)));
  }
  return 1.0 - static_cast<double>(fs.f_bavail) / static_cast<double>(fs.f_blocks);
}

std::vector<std::string> FindGarbage(const std::string& work_dir,
                                     const std::set<std::string>& keep, absl::Time now,
                                     absl::Duration delay) {
  std::vector<std::string> out;
  for (const fs::path& agent : Children(fs::path(work_dir) / "agents")) {
    for (const fs::path& framework : Children(agent / "frameworks")) {
      for (const fs::path& executor : Children(framework / "executors")) {
        for (const fs::path& run : Children(executor / "runs")) {
          if (keep.count(run.filename().string()) > 0) continue;
          absl::Time newest = MTime(run);
          std::error_code error;
          for (const auto& e : fs::directory_iterator(run, error)) {
            newest = std::max(newest, MTime(e.path()));
          }
          if (now - newest >= delay) out.push_back(run.string());
        }
      }
    }
  }
  return out;
}

void RemoveSandbox(const std::string& work_dir, const std::string& run_dir) {
  std::error_code error;
  fs::remove_all(run_dir, error);
  const fs::path stop = fs::path(work_dir) / "agents";
  // runs, executor, executors, framework, frameworks, agent: removed while empty.
  for (fs::path dir = fs::path(run_dir).parent_path(); dir != stop && dir.has_parent_path();
       dir = dir.parent_path()) {
    if (rmdir(dir.c_str()) != 0) break;  // not empty (or gone): stop
  }
}

}  // namespace dcos::agent
