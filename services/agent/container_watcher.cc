#include "services/agent/container_watcher.h"

#include <sys/epoll.h>
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
    : on_exit_(std::move(on_exit)),
      wake_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      epoll_fd_(epoll_create1(EPOLL_CLOEXEC)) {
  epoll_event wake{};
  wake.events = EPOLLIN;
  wake.data.u64 = 0;  // token 0: the wake fd
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &wake);
  thread_ = std::thread([this] { Loop(); });
}

ContainerWatcher::~ContainerWatcher() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  Wake();
  thread_.join();
  for (auto& [id, e] : entries_) {
    if (e.pidfd >= 0) close(e.pidfd);
  }
  for (auto& [id, l] : launches_) close(l.fd);
  close(epoll_fd_);
  close(wake_fd_);
}

void ContainerWatcher::Wake() {
  uint64_t one = 1;
  ssize_t n = write(wake_fd_, &one, sizeof(one));
  (void)n;
}

uint64_t ContainerWatcher::Register(int fd, bool launch, const std::string& container_id) {
  const uint64_t token = next_token_++;
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = token;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) return 0;
  registrations_[token] = Registration{launch, container_id};
  return token;
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
    if (e.pidfd >= 0) e.token = Register(e.pidfd, /*launch=*/false, container_id);
    if (e.token == 0 && e.pidfd >= 0) {
      close(e.pidfd);
      e.pidfd = -1;
    }
    if (auto old = entries_.find(container_id); old != entries_.end()) {
      // Watched again: the earlier registration goes.
      if (old->second.token != 0) {
        epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, old->second.pidfd, nullptr);
        registrations_.erase(old->second.token);
      } else {
        --polled_;
      }
      if (old->second.pidfd >= 0) close(old->second.pidfd);
      entries_.erase(old);
    }
    if (e.token == 0) ++polled_;
    entries_[container_id] = std::move(e);
  }
  Wake();  // a polled entry changes the loop's timeout
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
    Launch l{0, report_fd, "", deadline, std::move(on_report)};
    l.token = Register(report_fd, /*launch=*/true, container_id);
    launches_[container_id] = std::move(l);
  }
  Wake();  // the loop's next deadline may be earlier now
}

bool ContainerWatcher::ReadReport(Launch& l) {
  char buf[256];
  ssize_t n = read(l.fd, buf, sizeof(buf));
  if (n > 0) l.line.append(buf, static_cast<size_t>(n));
  const bool closed = n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN);
  return closed || l.line.find('\n') != std::string::npos;
}

void ContainerWatcher::Loop() {
  constexpr int kMaxEvents = 256;
  epoll_event events[kMaxEvents];
  absl::Time next_proc_poll = absl::InfinitePast();
  for (;;) {
    absl::Time wake_by = absl::InfiniteFuture();
    {
      absl::MutexLock lock(&mu_);
      if (stop_) return;
      for (const auto& [id, l] : launches_) wake_by = std::min(wake_by, l.deadline);
      if (polled_ > 0) wake_by = std::min(wake_by, next_proc_poll);
    }
    int timeout = wake_by == absl::InfiniteFuture()
                      ? -1
                      : static_cast<int>(std::max<int64_t>(
                            0, absl::ToInt64Milliseconds(wake_by - absl::Now()) + 1));
    int ready = epoll_wait(epoll_fd_, events, kMaxEvents, timeout);
    if (ready < 0) {
      if (errno != EINTR) std::perror("dcos-agent: epoll_wait on supervisors");
      ready = 0;
    }
    std::vector<std::pair<std::string, Entry>> ended;
    std::vector<Launch> reported;
    const absl::Time now = absl::Now();
    {
      absl::MutexLock lock(&mu_);
      if (stop_) return;
      auto finish_launch = [&](absl::flat_hash_map<std::string, Launch>::iterator it) {
        Launch& l = it->second;
        if (l.token != 0) {
          epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, l.fd, nullptr);
          registrations_.erase(l.token);
        }
        close(l.fd);
        reported.push_back(std::move(l));
        launches_.erase(it);
      };
      auto take = [&](const std::string& id) {
        auto it = entries_.find(id);
        if (it == entries_.end()) return;
        Entry& e = it->second;
        if (e.token != 0) {
          epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, e.pidfd, nullptr);
          registrations_.erase(e.token);
        } else {
          --polled_;
        }
        ended.emplace_back(id, std::move(e));
        entries_.erase(it);
      };
      for (int i = 0; i < ready; ++i) {
        const uint64_t token = events[i].data.u64;
        if (token == 0) {
          uint64_t drained;
          while (read(wake_fd_, &drained, sizeof(drained)) > 0) {
          }
          continue;
        }
        auto reg = registrations_.find(token);
        if (reg == registrations_.end()) continue;
        const Registration r = reg->second;
        if (!r.launch) {
          take(r.container_id);
          continue;
        }
        auto it = launches_.find(r.container_id);
        if (it != launches_.end() && ReadReport(it->second)) finish_launch(it);
      }
      for (auto it = launches_.begin(); it != launches_.end();) {
        auto current = it++;
        if (now < current->second.deadline) continue;
        current->second.line.clear();
        finish_launch(current);
      }
      if (polled_ > 0 && now >= next_proc_poll) {
        next_proc_poll = now + absl::Milliseconds(kProcPollMs);
        std::vector<std::string> gone;
        for (const auto& [id, e] : entries_) {
          if (e.token != 0) continue;
          bool ended_now = e.child ? waitpid(e.pids.supervisor_pid, nullptr, WNOHANG) != 0
                                   : !SameProcess(e.pids.supervisor_pid, e.pids.supervisor_start);
          if (ended_now) gone.push_back(id);
        }
        for (const std::string& id : gone) take(id);
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
