// The posix isolator, /proc usage, and choosing an isolator.

#include "services/agent/isolator.h"

#include <dirent.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/log/log.h"
#include "services/agent/proto_time.h"

namespace dcos::agent {
namespace {

class PosixIsolator final : public Isolator {
 public:
  agent::v1::Container::Isolation kind() const override {
    return agent::v1::Container::ISOLATION_POSIX;
  }
  absl::StatusOr<std::vector<std::string>> Prepare(const std::string&, const Limits&) override {
    return std::vector<std::string>{};
  }
  bool MemoryLimitHit(const std::string&) override { return false; }
  void Cleanup(const std::string&) override {}
  agent::v1::ResourceStatistics Usage(const std::string&, const ContainerPids& pids) override {
    return ProcUsage(pids.task_pid);
  }
};

}  // namespace

namespace {

// The PID namespace `pid` is in ("pid:[4026531836]"); "" if it is gone.
std::string PidNamespaceOf(const std::string& pid) {
  char target[64];
  ssize_t n = readlink(absl::StrCat("/proc/", pid, "/ns/pid").c_str(), target, sizeof(target));
  return n > 0 ? std::string(target, static_cast<size_t>(n)) : std::string();
}

}  // namespace

agent::v1::ResourceStatistics ProcUsage(pid_t pgid) {
  // A task in a PID namespace of its own (pid_namespace.h): every process in it counts.
  const std::string ns = PidNamespaceOf(std::to_string(pgid));
  const bool by_namespace = !ns.empty() && ns != PidNamespaceOf("self");
  agent::v1::ResourceStatistics s;
  *s.mutable_timestamp() = TimestampOf(absl::Now());
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  uint64_t user = 0, system = 0, rss_pages = 0;
  uint32_t processes = 0;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return s;
  while (dirent* e = readdir(proc)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (pid <= 0 || *end != '\0') continue;
    std::ifstream in(absl::StrCat("/proc/", e->d_name, "/stat"));
    std::string text;
    std::getline(in, text);
    size_t paren = text.rfind(')');
    if (paren == std::string::npos) continue;
    // Fields after the command: state(3) ppid(4) pgrp(5) ... utime(14) stime(15) ... rss(24).
    std::vector<std::string> f =
        absl::StrSplit(text.substr(paren + 2), ' ', absl::SkipEmpty());
    if (f.size() < 22) continue;
    if (by_namespace ? PidNamespaceOf(e->d_name) != ns
                     : std::strtol(f[2].c_str(), nullptr, 10) != pgid) {
      continue;
    }
    ++processes;
    user += std::strtoull(f[11].c_str(), nullptr, 10);
    system += std::strtoull(f[12].c_str(), nullptr, 10);
    rss_pages += std::strtoull(f[21].c_str(), nullptr, 10);
  }
  closedir(proc);
  *s.mutable_cpus_user_time() = DurationProtoOf(absl::Seconds(static_cast<double>(user) / ticks));
  *s.mutable_cpus_system_time() =
      DurationProtoOf(absl::Seconds(static_cast<double>(system) / ticks));
  s.set_mem_rss_bytes(rss_pages * page);
  s.set_processes(processes);
  return s;
}

std::unique_ptr<Isolator> MakePosixIsolator() { return std::make_unique<PosixIsolator>(); }

absl::StatusOr<std::unique_ptr<Isolator>> MakeIsolator(const std::string& mode,
                                                       const std::string& root) {
  if (mode == "posix") return MakePosixIsolator();
  std::string why_v2, why_v1;
  if (std::unique_ptr<Isolator> v2 = MakeCgroupsV2Isolator(root, &why_v2)) return v2;
  if (std::unique_ptr<Isolator> v1 = MakeCgroupsV1Isolator(root, &why_v1)) return v1;
  if (mode == "cgroups") {
    return absl::FailedPreconditionError(absl::StrCat(
        "agent.isolation=cgroups: no usable cgroup hierarchy (v2: ", why_v2, "; v1: ", why_v1,
        ")"));
  }
  log::Warn("no usable cgroups: tasks run without cpu and memory limits (posix isolation)")
      .Field("v2", why_v2)
      .Field("v1", why_v1);
  return MakePosixIsolator();
}

}  // namespace dcos::agent
