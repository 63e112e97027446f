#include "tools/bench/bench_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/subprocess/spawn.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace dcos::bench {

std::atomic<bool> g_stop_requested{false};

namespace {

void OnStopSignal(int) { g_stop_requested.store(true); }

std::string ErrnoText(const std::string& what) {
  return absl::StrCat(what, ": ", std::strerror(errno));
}

}  // namespace

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Start(Options options) {
  std::string log_path = absl::StrCat(options.log_dir, "/", options.name, ".log");
  absl::StatusOr<pid_t> pid = subprocess::Spawn(options.binary, options.args, log_path);
  if (!pid.ok()) return pid.status();
  return std::unique_ptr<ChildProcess>(new ChildProcess(std::move(options), *pid, log_path));
}

ChildProcess::ChildProcess(Options options, pid_t pid, std::string log_path)
    : options_(std::move(options)), pid_(pid), log_path_(std::move(log_path)) {}

ChildProcess::~ChildProcess() { Stop(absl::Seconds(3)); }

bool ChildProcess::Running() {
  if (exited_) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == 0) return true;
  exited_ = true;
  return false;
}

void ChildProcess::Kill() {
  if (!Running()) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  exited_ = true;
}

void ChildProcess::Stop(absl::Duration grace) {
  if (!Running()) return;
  kill(pid_, SIGTERM);
  absl::Time deadline = absl::Now() + grace;
  while (absl::Now() < deadline) {
    if (!Running()) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  Kill();
}

std::string ChildProcess::LogTail(size_t bytes) const {
  std::ifstream in(log_path_, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string log = ss.str();
  if (log.size() > bytes) log = "..." + log.substr(log.size() - bytes);
  return log;
}

absl::StatusOr<std::unique_ptr<TempDir>> TempDir::Create(const std::string& base,
                                                         const std::string& prefix) {
  std::error_code ec;
  std::filesystem::create_directories(base, ec);
  if (ec) return absl::InternalError(absl::StrCat("mkdir ", base, ": ", ec.message()));
  std::string templ = absl::StrCat(base, "/", prefix, ".XXXXXX");
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) return absl::InternalError(ErrnoText("mkdtemp " + templ));
  return std::unique_ptr<TempDir>(new TempDir(buf.data()));
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
  if (ec) std::fprintf(stderr, "could not remove %s: %s\n", path_.c_str(), ec.message().c_str());
}

namespace {

// utime + stime of a /proc/.../stat file (fields 14 and 15, counted after the ")" that ends
// the name, which may hold spaces), and the name.
absl::StatusOr<std::pair<std::string, absl::Duration>> ReadStat(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return absl::NotFoundError(absl::StrCat("no ", path));
  size_t open = line.find('(');
  size_t close = line.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) {
    return absl::InternalError(absl::StrCat("unexpected ", path));
  }
  std::vector<absl::string_view> fields =
      absl::StrSplit(absl::string_view(line).substr(close + 2), ' ', absl::SkipEmpty());
  // fields[0] is field 3 (state): utime is field 14, stime field 15.
  int64_t utime = 0, stime = 0;
  if (fields.size() < 13 || !absl::SimpleAtoi(fields[11], &utime) ||
      !absl::SimpleAtoi(fields[12], &stime)) {
    return absl::InternalError(absl::StrCat("unexpected ", path));
  }
  const double tick = 1.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
  return std::make_pair(line.substr(open + 1, close - open - 1),
                        absl::Seconds(static_cast<double>(utime + stime) * tick));
}

}  // namespace

absl::StatusOr<absl::Duration> CpuTime(pid_t pid) {
  absl::StatusOr<std::pair<std::string, absl::Duration>> s =
      ReadStat(absl::StrCat("/proc/", pid, "/stat"));
  if (!s.ok()) return s.status();
  return s->second;
}

std::vector<ThreadCpu> ThreadsCpu(pid_t pid) {
  std::vector<ThreadCpu> out;
  std::error_code error;
  for (const auto& entry :
       std::filesystem::directory_iterator(absl::StrCat("/proc/", pid, "/task"), error)) {
    int tid = 0;
    if (!absl::SimpleAtoi(entry.path().filename().string(), &tid)) continue;
    absl::StatusOr<std::pair<std::string, absl::Duration>> s =
        ReadStat(entry.path().string() + "/stat");
    if (s.ok()) out.push_back({tid, s->first, s->second});
  }
  return out;
}

MachineCpu MachineCpuNow() {
  std::ifstream in("/proc/stat");
  std::string line;
  MachineCpu out;
  if (!std::getline(in, line) || !absl::StartsWith(line, "cpu ")) return out;
  std::vector<absl::string_view> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
  const double tick = 1.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
  int64_t total = 0, idle = 0;
  for (size_t i = 1; i < fields.size() && i <= 8; ++i) {  // user .. steal
    int64_t v = 0;
    if (!absl::SimpleAtoi(fields[i], &v)) continue;
    total += v;
    if (i == 4 || i == 5) idle += v;  // idle, iowait
  }
  out.busy = absl::Seconds(static_cast<double>(total - idle) * tick);
  out.total = absl::Seconds(static_cast<double>(total) * tick);
  return out;
}

absl::StatusOr<int64_t> ResidentBytes(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  if (!in) return absl::NotFoundError(absl::StrCat("no process ", pid));
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view rest = line;
    if (!absl::ConsumePrefix(&rest, "VmRSS:")) continue;
    rest = absl::StripAsciiWhitespace(rest);
    absl::ConsumeSuffix(&rest, " kB");
    int64_t kb = 0;
    if (!absl::SimpleAtoi(rest, &kb)) break;
    return kb * 1024;
  }
  return absl::NotFoundError(absl::StrCat("no VmRSS for process ", pid));
}

int FreePort() {
  static std::mutex mu;
  static std::set<int> handed_out;
  std::lock_guard<std::mutex> lock(mu);
  for (int attempt = 0; attempt < 100; ++attempt) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    int port = 0;
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port = ntohs(addr.sin_port);
    }
    close(fd);
    if (port != 0 && handed_out.insert(port).second) return port;
  }
  std::fprintf(stderr, "FreePort: no free port found\n");
  std::abort();
}

absl::Status WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

absl::StatusOr<std::string> TcpAsk(int port, const std::string& request, absl::Duration timeout) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(ErrnoText("socket"));
  timeval tv = absl::ToTimeval(timeout);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    std::string e = ErrnoText(absl::StrCat("connect 127.0.0.1:", port));
    close(fd);
    return absl::UnavailableError(e);
  }
  if (write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    close(fd);
    return absl::UnavailableError("write failed");
  }
  std::string answer;
  char buf[4096];
  while (true) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    answer.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return answer;
}

void InstallStopHandler() {
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

absl::StatusOr<std::vector<double>> FdatasyncLatencies(const std::string& dir, size_t bytes,
                                                       int iterations, bool preallocated) {
  std::string path = dir + "/fdatasync-probe";
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return absl::InternalError(ErrnoText("open " + path));
  std::string buf(bytes, 'x');
  if (preallocated) {
    std::string zeros(bytes * static_cast<size_t>(iterations), '\0');
    if (write(fd, zeros.data(), zeros.size()) != static_cast<ssize_t>(zeros.size()) ||
        fsync(fd) != 0 || lseek(fd, 0, SEEK_SET) != 0) {
      std::string e = ErrnoText("preallocate " + path);
      close(fd);
      return absl::InternalError(e);
    }
  }
  std::vector<double> us;
  for (int i = 0; i < iterations; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    if (write(fd, buf.data(), buf.size()) != static_cast<ssize_t>(buf.size()) ||
        fdatasync(fd) != 0) {
      std::string e = ErrnoText("write/fdatasync " + path);
      close(fd);
      return absl::InternalError(e);
    }
    us.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  close(fd);
  unlink(path.c_str());
  return us;
}

}  // namespace dcos::bench
