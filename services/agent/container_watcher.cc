#include "services/agent/container_watcher.h"

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/agent/layout.h"
#include "services/agent/supervisor_files.h"

namespace dcos::agent {
namespace {

constexpr int kProcPollMs = 100;

// glibc's <sys/pidfd.h> (2.36) declares pidfd_open without C linkage; the system call itself.
int PidfdOpen(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

std::optional<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

std::optional<ExitInfo> ReadExitStatus(const std::string& run_dir) {
  std::optional<std::string> text =
      ReadSmallFile(absl::StrCat(run_dir, "/", Layout::kExitStatusFile));
  if (!text.has_value()) return std::nullopt;
  ExitInfo exit;
  int value = 0;
  if (std::sscanf(text->c_str(), "exited %d", &value) == 1) {
    exit.wait_status = value;
  } else if (std::sscanf(text->c_str(), "exec_failed %d", &value) == 1) {
    exit.message = absl::StrCat("the command could not be executed: ", std::strerror(value));
  } else if (std::sscanf(text->c_str(), "unknown %d", &value) == 1) {
    exit.message = absl::StrCat("the supervisor could not wait for the task: ", std::strerror(value));
  } else {
    exit.message = absl::StrCat("unreadable exit status '", *text, "' in ", run_dir);
  }
  return exit;
}

absl::StatusOr<ContainerPids> ParsePidsFile(const std::string& text, const std::string& path) {
  ContainerPids pids;
  int version = 0, supervisor = 0, task = 0;
  unsigned long long supervisor_start = 0, task_start = 0;
  if (std::sscanf(text.c_str(), "%d %d %llu %d %llu", &version, &supervisor, &supervisor_start,
                  &task, &task_start) != 5 ||
      version != 1 || supervisor <= 0 || task <= 0) {
    return absl::DataLossError(absl::StrCat("malformed pids file ", path, ": '", text, "'"));
  }
  pids.supervisor_pid = supervisor;
  pids.supervisor_start = supervisor_start;
  pids.task_pid = task;
  pids.task_start = task_start;
  return pids;
}

bool SameProcess(pid_t pid, uint64_t start_time) {
  return pid > 0 && start_time != 0 && supervisor::ReadStartTime(pid) == start_time;
}

ContainerWatcher::ContainerWatcher(Launcher::ExitCallback on_exit)
    : on_exit_(std::move(on_exit)), wake_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  thread_ = std::thread([this] { Loop(); });
}

ContainerWatcher::~ContainerWatcher() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  uint64_t one = 1;
  ssize_t n = write(wake_fd_, &one, sizeof(one));
  (void)n;
  thread_.join();
  for (auto& [id, e] : entries_) {
    if (e.pidfd >= 0) close(e.pidfd);
  }
  for (auto& [id, l] : launches_) close(l.fd);
  close(wake_fd_);
}

void ContainerWatcher::Watch(const std::string& container_id, const ContainerPids& pids,
                             const std::string& run_dir, bool child) {
  Entry e;
  e.pids = pids;
  e.run_dir = run_dir;
  e.child = child;
  e.pidfd = PidfdOpen(pids.supervisor_pid);
  if (e.pidfd >= 0 && !child && !SameProcess(pids.supervisor_pid, pids.supervisor_start)) {
    // The pid now names another process: ours is gone. The /proc check reports it at once.
    close(e.pidfd);
    e.pidfd = -1;
  }
  {
    absl::MutexLock lock(&mu_);
    entries_[container_id] = std::move(e);
  }
  uint64_t one = 1;
  ssize_t n = write(wake_fd_, &one, sizeof(one));
  (void)n;
}

std::optional<ContainerPids> ContainerWatcher::Find(const std::string& container_id) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(container_id);
  if (it == entries_.end()) return std::nullopt;
  return it->second.pids;
}

void ContainerWatcher::WatchLaunch(const std::string& container_id, int report_fd,
                                   absl::Time deadline,
                                   std::function<void(const std::string&)> on_report) {
  {
    absl::MutexLock lock(&mu_);
    launches_[container_id] = Launch{report_fd, "", deadline, std::move(on_report)};
  }
  uint64_t one = 1;
  ssize_t n = write(wake_fd_, &one, sizeof(one));
  (void)n;
}

void ContainerWatcher::Loop() {
  for (;;) {
    std::vector<pollfd> fds{{wake_fd_, POLLIN, 0}};
    std::vector<std::string> ids;       // fds[1..] of supervisors, then of launch reports
    std::vector<std::string> polled;    // entries without a pidfd
    size_t first_launch = 0;
    absl::Time wake_by = absl::InfiniteFuture();
    {
      absl::MutexLock lock(&mu_);
      if (stop_) return;
      for (const auto& [id, e] : entries_) {
        if (e.pidfd >= 0) {
          fds.push_back({e.pidfd, POLLIN, 0});
          ids.push_back(id);
        } else {
          polled.push_back(id);
        }
      }
      first_launch = fds.size();
      for (const auto& [id, l] : launches_) {
        fds.push_back({l.fd, POLLIN, 0});
        ids.push_back(id);
        wake_by = std::min(wake_by, l.deadline);
      }
    }
    if (!polled.empty()) wake_by = std::min(wake_by, absl::Now() + absl::Milliseconds(kProcPollMs));
    int timeout = wake_by == absl::InfiniteFuture()
                      ? -1
                      : static_cast<int>(std::max<int64_t>(
                            0, absl::ToInt64Milliseconds(wake_by - absl::Now()) + 1));
    int ready = poll(fds.data(), fds.size(), timeout);
    if (ready < 0 && errno != EINTR) std::perror("dcos-agent: poll on supervisors");
    uint64_t drained;
    while (read(wake_fd_, &drained, sizeof(drained)) > 0) {
    }
    std::vector<std::pair<std::string, Entry>> ended;
    std::vector<Launch> reported;
    const absl::Time now = absl::Now();
    {
      absl::MutexLock lock(&mu_);
      if (stop_) return;
      auto take = [&](const std::string& id) {
        auto it = entries_.find(id);
        if (it == entries_.end()) return;
        ended.emplace_back(id, std::move(it->second));
        entries_.erase(it);
      };
      for (size_t i = 1; i < first_launch; ++i) {
        if (fds[i].revents != 0) take(ids[i - 1]);
      }
      for (const std::string& id : polled) {
        auto it = entries_.find(id);
        if (it == entries_.end()) continue;
        const Entry& e = it->second;
        bool gone = e.child ? waitpid(e.pids.supervisor_pid, nullptr, WNOHANG) != 0
                            : !SameProcess(e.pids.supervisor_pid, e.pids.supervisor_start);
        if (gone) take(id);
      }
      for (size_t i = first_launch; i < fds.size(); ++i) {
        auto it = launches_.find(ids[i - 1]);
        if (it == launches_.end()) continue;
        Launch& l = it->second;
        bool done = false;
        if (fds[i].revents != 0) {
          char buf[256];
          ssize_t n = read(l.fd, buf, sizeof(buf));
          if (n > 0) l.line.append(buf, static_cast<size_t>(n));
          const bool closed = n == 0 || (n < 0 && errno != EINTR);
          done = closed || l.line.find('\n') != std::string::npos;
        }
        if (!done && now >= l.deadline) {
          done = true;
          l.line.clear();
        }
        if (!done) continue;
        close(l.fd);
        reported.push_back(std::move(l));
        launches_.erase(it);
      }
    }
    for (Launch& l : reported) l.on_report(l.line.substr(0, l.line.find('\n') + 1));
    for (auto& [id, entry] : ended) Finish(id, std::move(entry));
  }
}

void ContainerWatcher::Finish(const std::string& container_id, Entry entry) {
  if (entry.child) {
    while (waitpid(entry.pids.supervisor_pid, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  if (entry.pidfd >= 0) close(entry.pidfd);
  std::optional<ExitInfo> exit = ReadExitStatus(entry.run_dir);
  if (!exit.has_value()) {
    exit = ExitInfo{std::nullopt,
                    absl::StrCat("the task's supervisor (pid ", entry.pids.supervisor_pid,
                                 ") ended without recording how the task ended")};
    // Nobody is left to clean up after the task: what still runs of it is killed.
    if (SameProcess(entry.pids.task_pid, entry.pids.task_start)) {
      kill(-entry.pids.task_pid, SIGKILL);
    }
  }
  on_exit_(container_id, *exit);
}

}  // namespace dcos::agent
