// Cgroup v1 and v2 isolators: limits, out-of-memory kills, usage, cleanup.

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "services/agent/isolator.h"
#include "services/agent/proto_time.h"

namespace dcos::agent {
namespace {

constexpr uint64_t kCfsPeriodUs = 100000;

std::optional<std::string> Read(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// One open and one write(2): a control file takes a value in a single write.
absl::Status Write(const std::string& path, const std::string& value) {
  const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  const bool ok = fd >= 0 && write(fd, value.data(), value.size()) ==
                                 static_cast<ssize_t>(value.size());
  const int error = errno;
  if (fd >= 0) close(fd);
  if (!ok) {
    return absl::InternalError(absl::StrCat("cannot write '", value, "' to ", path, ": ",
                                            std::strerror(error)));
  }
  return absl::OkStatus();
}

absl::Status MakeDir(const std::string& dir) {
  if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return absl::InternalError(absl::StrCat("cannot create ", dir, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

// Whether groups can be made under `dir` (it may exist on a read-only mount): a probe group
// is made and removed.
absl::Status CheckWritable(const std::string& dir) {
  const std::string probe = absl::StrCat(dir, "/.probe-", getpid());
  if (mkdir(probe.c_str(), 0755) != 0 && errno != EEXIST) {
    return absl::InternalError(absl::StrCat("cannot create ", probe, ": ", std::strerror(errno)));
  }
  rmdir(probe.c_str());
  return absl::OkStatus();
}

// The value of `key` in a "key value" per line file (memory.stat, cpu.stat, memory.events).
uint64_t KeyValue(const std::optional<std::string>& text, absl::string_view key) {
  if (!text.has_value()) return 0;
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(line, absl::MaxSplits(' ', 1));
    uint64_t v = 0;
    if (kv.first == key && absl::SimpleAtoi(absl::StripAsciiWhitespace(kv.second), &v)) return v;
  }
  return 0;
}

uint64_t Number(const std::optional<std::string>& text) {
  uint64_t v = 0;
  if (text.has_value()) (void)absl::SimpleAtoi(absl::StripAsciiWhitespace(*text), &v);
  return v;
}

uint32_t CountLines(const std::optional<std::string>& text) {
  if (!text.has_value()) return 0;
  return static_cast<uint32_t>(std::count(text->begin(), text->end(), '\n'));
}

// Kills every process in `dir`'s cgroup.procs (v1 and v2 alike) and removes the group,
// retrying briefly while the kernel finishes the kills.
void KillAndRemove(const std::string& dir) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::optional<std::string> procs = Read(dir + "/cgroup.procs");
    if (!procs.has_value()) return;  // gone already
    for (absl::string_view line : absl::StrSplit(*procs, '\n', absl::SkipEmpty())) {
      int pid = 0;
      if (absl::SimpleAtoi(line, &pid) && pid > 0) kill(pid, SIGKILL);
    }
    if (rmdir(dir.c_str()) == 0 || errno == ENOENT) return;
    usleep(10000);  // the killed processes are still exiting
  }
}

class CgroupsV1Isolator final : public Isolator {
 public:
  // `memsw`: the kernel accounts swap (memory.memsw.* files exist).
  CgroupsV1Isolator(std::string memory, std::string cpu, std::string cpuacct, bool memsw)
      : memory_(std::move(memory)),
        cpu_(std::move(cpu)),
        cpuacct_(std::move(cpuacct)),
        memsw_(memsw) {}

  agent::v1::Container::Isolation kind() const override {
    return agent::v1::Container::ISOLATION_CGROUPS_V1;
  }

  absl::StatusOr<std::vector<std::string>> Prepare(const std::string& id,
                                                   const Limits& limits) override {
    std::vector<std::string> procs;
    for (const std::string* root : Roots()) {
      absl::Status made = MakeDir(Dir(*root, id));
      if (!made.ok()) return made;
      procs.push_back(Dir(*root, id) + "/cgroup.procs");
    }
    if (limits.mem_bytes > 0) {
      absl::Status s = Write(Dir(memory_, id) + "/memory.limit_in_bytes",
                             std::to_string(limits.mem_bytes));
      if (!s.ok()) return s;
      // No swapping around the limit where the kernel accounts swap.
      if (memsw_) {
        (void)Write(Dir(memory_, id) + "/memory.memsw.limit_in_bytes",
                    std::to_string(limits.mem_bytes));
      }
    }
    if (limits.cpus > 0) {
      uint64_t shares = std::max<uint64_t>(2, static_cast<uint64_t>(limits.cpus * 1024));
      uint64_t quota = std::max<uint64_t>(1000, static_cast<uint64_t>(limits.cpus * kCfsPeriodUs));
      // cpu.cfs_period_us of a new group is already kCfsPeriodUs (the kernel's default): not
      // written. Each bandwidth write walks every cpu group to check the quotas, so a write
      // less matters with a thousand containers.
      for (auto [file, value] : {std::pair<const char*, uint64_t>{"cpu.shares", shares},
                                 {"cpu.cfs_quota_us", quota}}) {
        absl::Status s = Write(Dir(cpu_, id) + "/" + file, std::to_string(value));
        if (!s.ok()) return s;
      }
    }
    return procs;
  }

  bool MemoryLimitHit(const std::string& id) override {
    return KeyValue(Read(Dir(memory_, id) + "/memory.oom_control"), "oom_kill") > 0;
  }

  void Cleanup(const std::string& id) override {
    for (const std::string* root : Roots()) KillAndRemove(Dir(*root, id));
  }

  agent::v1::ResourceStatistics Usage(const std::string& id, const ContainerPids&) override {
    agent::v1::ResourceStatistics s;
    *s.mutable_timestamp() = TimestampOf(absl::Now());
    const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    std::optional<std::string> stat = Read(Dir(cpuacct_, id) + "/cpuacct.stat");
    *s.mutable_cpus_user_time() =
        DurationProtoOf(absl::Seconds(static_cast<double>(KeyValue(stat, "user")) / ticks));
    *s.mutable_cpus_system_time() =
        DurationProtoOf(absl::Seconds(static_cast<double>(KeyValue(stat, "system")) / ticks));
    int64_t quota = 0;
    std::optional<std::string> q = Read(Dir(cpu_, id) + "/cpu.cfs_quota_us");
    if (q.has_value() && absl::SimpleAtoi(absl::StripAsciiWhitespace(*q), &quota) && quota > 0) {
      s.set_cpus_limit(static_cast<double>(quota) / kCfsPeriodUs);
    }
    s.set_mem_rss_bytes(KeyValue(Read(Dir(memory_, id) + "/memory.stat"), "total_rss"));
    uint64_t limit = Number(Read(Dir(memory_, id) + "/memory.limit_in_bytes"));
    if (limit < (uint64_t{1} << 60)) s.set_mem_limit_bytes(limit);  // "unlimited" is huge
    s.set_processes(CountLines(Read(Dir(memory_, id) + "/cgroup.procs")));
    return s;
  }

 private:
  static std::string Dir(const std::string& root, const std::string& id) { return root + "/" + id; }
  std::vector<const std::string*> Roots() const {
    std::vector<const std::string*> roots = {&memory_, &cpu_};
    if (cpuacct_ != cpu_) roots.push_back(&cpuacct_);
    return roots;
  }

  std::string memory_, cpu_, cpuacct_;  // the dcos/ group in each hierarchy
  bool memsw_;
};

class CgroupsV2Isolator final : public Isolator {
 public:
  explicit CgroupsV2Isolator(std::string base) : base_(std::move(base)) {}

  agent::v1::Container::Isolation kind() const override {
    return agent::v1::Container::ISOLATION_CGROUPS_V2;
  }

  absl::StatusOr<std::vector<std::string>> Prepare(const std::string& id,
                                                   const Limits& limits) override {
    const std::string dir = base_ + "/" + id;
    absl::Status made = MakeDir(dir);
    if (!made.ok()) return made;
    if (limits.mem_bytes > 0) {
      absl::Status s = Write(dir + "/memory.max", std::to_string(limits.mem_bytes));
      if (!s.ok()) return s;
      (void)Write(dir + "/memory.swap.max", "0");
    }
    if (limits.cpus > 0) {
      uint64_t quota = std::max<uint64_t>(1000, static_cast<uint64_t>(limits.cpus * kCfsPeriodUs));
      absl::Status s = Write(dir + "/cpu.max", absl::StrCat(quota, " ", kCfsPeriodUs));
      if (!s.ok()) return s;
      uint64_t weight = std::clamp<uint64_t>(static_cast<uint64_t>(limits.cpus * 100), 1, 10000);
      (void)Write(dir + "/cpu.weight", std::to_string(weight));
    }
    return std::vector<std::string>{dir + "/cgroup.procs"};
  }

  bool MemoryLimitHit(const std::string& id) override {
    return KeyValue(Read(base_ + "/" + id + "/memory.events"), "oom_kill") > 0;
  }

  void Cleanup(const std::string& id) override {
    const std::string dir = base_ + "/" + id;
    (void)Write(dir + "/cgroup.kill", "1");  // kernels >= 5.14; KillAndRemove covers older ones
    KillAndRemove(dir);
  }

  agent::v1::ResourceStatistics Usage(const std::string& id, const ContainerPids&) override {
    const std::string dir = base_ + "/" + id;
    agent::v1::ResourceStatistics s;
    *s.mutable_timestamp() = TimestampOf(absl::Now());
    std::optional<std::string> stat = Read(dir + "/cpu.stat");
    *s.mutable_cpus_user_time() =
        DurationProtoOf(absl::Microseconds(static_cast<int64_t>(KeyValue(stat, "user_usec"))));
    *s.mutable_cpus_system_time() =
        DurationProtoOf(absl::Microseconds(static_cast<int64_t>(KeyValue(stat, "system_usec"))));
    std::optional<std::string> max = Read(dir + "/cpu.max");  // "<quota> <period>" or "max ..."
    if (max.has_value()) {
      std::vector<std::string> parts = absl::StrSplit(absl::StripAsciiWhitespace(*max), ' ');
      uint64_t quota = 0, period = 0;
      if (parts.size() == 2 && absl::SimpleAtoi(parts[0], &quota) &&
          absl::SimpleAtoi(parts[1], &period) && period > 0) {
        s.set_cpus_limit(static_cast<double>(quota) / static_cast<double>(period));
      }
    }
    s.set_mem_rss_bytes(KeyValue(Read(dir + "/memory.stat"), "anon"));
    s.set_mem_limit_bytes(Number(Read(dir + "/memory.max")));  // "max" reads as 0
    s.set_processes(CountLines(Read(dir + "/cgroup.procs")));
    return s;
  }

 private:
  std::string base_;  // <root>/dcos
};

}  // namespace

std::unique_ptr<Isolator> MakeCgroupsV1Isolator(const std::string& root, std::string* why) {
  const std::string memory = root + "/memory", cpu = root + "/cpu";
  std::string cpuacct = root + "/cpuacct";
  struct stat st;
  if (stat((memory + "/memory.limit_in_bytes").c_str(), &st) != 0 ||
      stat((cpu + "/cpu.shares").c_str(), &st) != 0) {
    *why = absl::StrCat("no memory and cpu hierarchies under ", root);
    return nullptr;
  }
  if (stat((cpu + "/cpuacct.stat").c_str(), &st) == 0) cpuacct = cpu;  // co-mounted
  for (const std::string& h : {memory, cpu, cpuacct}) {
    absl::Status made = MakeDir(h + "/dcos");
    if (made.ok()) made = CheckWritable(h + "/dcos");
    if (!made.ok()) {
      *why = std::string(made.message());
      return nullptr;
    }
  }
  const bool memsw = stat((memory + "/memory.memsw.limit_in_bytes").c_str(), &st) == 0;
  return std::make_unique<CgroupsV1Isolator>(memory + "/dcos", cpu + "/dcos", cpuacct + "/dcos",
                                             memsw);
}

std::unique_ptr<Isolator> MakeCgroupsV2Isolator(const std::string& root, std::string* why) {
  std::optional<std::string> controllers = Read(root + "/cgroup.controllers");
  if (!controllers.has_value()) {
    *why = absl::StrCat(root, " is not a cgroup v2 root");
    return nullptr;
  }
  std::vector<std::string> names = absl::StrSplit(absl::StripAsciiWhitespace(*controllers), ' ');
  for (const char* needed : {"cpu", "memory"}) {
    if (std::find(names.begin(), names.end(), needed) == names.end()) {
      *why = absl::StrCat("the ", needed, " controller is not available in ", root);
      return nullptr;
    }
  }
  const std::string base = root + "/dcos";
  absl::Status s = Write(root + "/cgroup.subtree_control", "+cpu +memory");
  if (s.ok()) s = MakeDir(base);
  if (s.ok()) s = Write(base + "/cgroup.subtree_control", "+cpu +memory");
  if (s.ok()) s = CheckWritable(base);
  if (!s.ok()) {
    *why = std::string(s.message());
    return nullptr;
  }
  return std::make_unique<CgroupsV2Isolator>(base);
}

}  // namespace dcos::agent
