#include "services/agent/health_prober.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/agent/spawn_attributes.h"

namespace dcos::agent {
namespace {

using common::v1::HealthCheck;

int RemainingMs(absl::Time deadline) {
  return static_cast<int>(std::max<int64_t>(0, absl::ToInt64Milliseconds(deadline - absl::Now())));
}

std::string TimedOut(absl::Duration timeout) {
  return absl::StrCat("timed out after ", absl::FormatDuration(timeout));
}

// A TCP connection to host:port made within the deadline; the fd, or -1 with *error set.
int Connect(const std::string& host, uint32_t port, absl::Time deadline, std::string* error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
  if (rc != 0 || found == nullptr) {
    *error = absl::StrCat("cannot resolve ", host, ": ", gai_strerror(rc));
    return -1;
  }
  int fd = socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = absl::StrCat("socket: ", std::strerror(errno));
    freeaddrinfo(found);
    return -1;
  }
  rc = connect(fd, found->ai_addr, found->ai_addrlen);
  freeaddrinfo(found);
  if (rc != 0 && errno != EINPROGRESS) {
    *error = absl::StrCat("connect to ", host, ":", port, ": ", std::strerror(errno));
    close(fd);
    return -1;
  }
  if (rc != 0) {
    pollfd p{fd, POLLOUT, 0};
    if (poll(&p, 1, RemainingMs(deadline)) <= 0) {
      *error = absl::StrCat("connect to ", host, ":", port, ": timed out");
      close(fd);
      return -1;
    }
    int err = 0;
    socklen_t len = sizeof(err);
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      *error = absl::StrCat("connect to ", host, ":", port, ": ", std::strerror(err));
      close(fd);
      return -1;
    }
  }
  return fd;
}

ProbeResult Tcp(const ProbeRequest& r, absl::Time deadline) {
  std::string error;
  int fd = Connect(r.host, r.check.tcp().port(), deadline, &error);
  if (fd < 0) return {false, error};
  close(fd);
  return {true, ""};
}

ProbeResult Http(const ProbeRequest& r, absl::Time deadline) {
  const HealthCheck::HTTPCheckInfo& http = r.check.http();
  std::string error;
  int fd = Connect(r.host, http.port(), deadline, &error);
  if (fd < 0) return {false, error};
  std::string path = http.path().empty() ? "/" : http.path();
  std::string request = absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: ", r.host, ":", http.port(),
                                     "\r\nUser-Agent: dcos-agent\r\nConnection: close\r\n\r\n");
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
    close(fd);
    return {false, absl::StrCat("sending the request: ", std::strerror(errno))};
  }
  std::string head;
  while (head.find("\r\n") == std::string::npos && head.size() < 4096) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, RemainingMs(deadline)) <= 0) {
      close(fd);
      return {false, TimedOut(r.timeout)};
    }
    char buf[1024];
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    head.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  // "HTTP/1.1 200 OK"
  std::vector<std::string> words = absl::StrSplit(head.substr(0, head.find("\r\n")), ' ');
  uint32_t status = 0;
  if (words.size() < 2 || words[0].rfind("HTTP/", 0) != 0 || !absl::SimpleAtoi(words[1], &status)) {
    return {false, "not an HTTP response"};
  }
  bool ok = http.statuses().empty()
                ? status >= 200 && status <= 399
                : std::find(http.statuses().begin(), http.statuses().end(), status) !=
                      http.statuses().end();
  return {ok, ok ? "" : absl::StrCat("HTTP ", status)};
}

ProbeResult Command(const ProbeRequest& r, absl::Time deadline) {
  const common::v1::CommandInfo& c = r.check.command();
  const bool shell = !c.has_shell() || c.shell();
  std::vector<std::string> args = shell ? std::vector<std::string>{"sh", "-c", c.value()}
                                        : std::vector<std::string>(c.arguments().begin(),
                                                                   c.arguments().end());
  if (args.empty()) args.push_back(c.value());
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env;
  for (const auto& [name, value] : r.environment) env.push_back(absl::StrCat(name, "=", value));
  for (const auto& v : c.environment().variables()) env.push_back(v.name() + "=" + v.value());
  std::vector<char*> envp;
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  const char* program = shell ? "/bin/sh" : c.value().c_str();

  // posix_spawn, not fork: forking the (large) agent costs milliseconds per check.
  int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addchdir_np(&actions, r.sandbox_dir.c_str());
  for (int fd = 0; fd < 3; ++fd) posix_spawn_file_actions_adddup2(&actions, null_fd, fd);
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  SpawnAttributes attr(POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(attr.get(), 0);  // its own group: a timeout kills all of it
  pid_t pid = 0;
  // argv mode looks the program up in the agent's PATH.
  int spawned = shell ? posix_spawn(&pid, program, &actions, attr.get(), argv.data(), envp.data())
                      : posix_spawnp(&pid, program, &actions, attr.get(), argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (null_fd >= 0) close(null_fd);
  if (spawned != 0) {
    return {false, absl::StrCat("cannot run the check command: ", std::strerror(spawned))};
  }
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  bool ended = true;
  if (pidfd >= 0) {
    pollfd p{pidfd, POLLIN, 0};
    ended = poll(&p, 1, RemainingMs(deadline)) > 0;
    close(pidfd);
  } else {
    // No pidfd (kernels before 5.3): poll for the end without reaping it.
    siginfo_t info{};
    while (waitid(P_PID, pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == 0 &&
           absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(10));
    }
    ended = info.si_pid == pid;
  }
  if (!ended) kill(-pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!ended) return {false, TimedOut(r.timeout)};
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {true, ""};
  if (WIFEXITED(status)) {
    return {false, absl::StrCat("the check command exited with status ", WEXITSTATUS(status))};
  }
  return {false, absl::StrCat("the check command was killed by signal ", WTERMSIG(status))};
}

}  // namespace

ProbeResult RunProbe(const ProbeRequest& request) {
  const absl::Time deadline = absl::Now() + request.timeout;
  switch (request.check.type()) {
    case HealthCheck::TYPE_COMMAND:
      return Command(request, deadline);
    case HealthCheck::TYPE_HTTP:
      return Http(request, deadline);
    case HealthCheck::TYPE_TCP:
      return Tcp(request, deadline);
    default:
      return {false, "unknown health check type"};
  }
}

PosixHealthProber::PosixHealthProber(int threads, Done done) : done_(std::move(done)) {
  for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { Work(); });
}

PosixHealthProber::~PosixHealthProber() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  for (std::thread& t : workers_) t.join();
}

void PosixHealthProber::Probe(ProbeRequest request) {
  absl::MutexLock lock(&mu_);
  queue_.push_back(std::move(request));
}

void PosixHealthProber::Work() {
  for (;;) {
    ProbeRequest next;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_ || !queue_.empty(); };
      mu_.Await(absl::Condition(&ready));
      if (stop_) return;
      next = std::move(queue_.front());
      queue_.pop_front();
    }
    done_(next, RunProbe(next));
  }
}

}  // namespace dcos::agent
