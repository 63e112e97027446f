#include "libs/testing/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "libs/testing/harness.h"

namespace dcos::testing {

absl::StatusOr<std::unique_ptr<TestProcess>> TestProcess::Start(Options options) {
  std::string log_path = absl::StrCat(options.log_dir, "/", options.name, ".log");
  int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    return absl::InternalError(absl::StrCat("open ", log_path, ": ", std::strerror(errno)));
  }
  int exec_pipe[2];
  if (pipe2(exec_pipe, O_CLOEXEC) != 0) {
    close(log_fd);
    return absl::InternalError("pipe2 failed");
  }
  std::vector<std::string> argv_storage;
  argv_storage.push_back(options.binary);
  for (const std::string& a : options.args) argv_storage.push_back(a);
  std::vector<char*> argv;
  for (std::string& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t parent = getpid();

  pid_t pid = fork();
  if (pid < 0) {
    close(log_fd);
    close(exec_pipe[0]);
    close(exec_pipe[1]);
    return absl::InternalError("fork failed");
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls from here to exec.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    // The test may block signals (the runtime does); the child starts with a clean mask.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    setpgid(0, 0);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
    execv(argv[0], argv.data());
    int err = errno;
    ssize_t ignored = write(exec_pipe[1], &err, sizeof(err));
    (void)ignored;
    _exit(127);
  }
  close(log_fd);
  close(exec_pipe[1]);
  int child_errno = 0;
  ssize_t n = read(exec_pipe[0], &child_errno, sizeof(child_errno));
  close(exec_pipe[0]);
  if (n == sizeof(child_errno)) {
    waitpid(pid, nullptr, 0);
    return absl::FailedPreconditionError(
        absl::StrCat("cannot execute ", options.binary, ": ", std::strerror(child_errno)));
  }
  return std::unique_ptr<TestProcess>(new TestProcess(std::move(options), pid, log_path));
}

TestProcess::TestProcess(Options options, pid_t pid, std::string log_path)
    : options_(std::move(options)), pid_(pid), log_path_(std::move(log_path)) {}

TestProcess::~TestProcess() {
  if (Running()) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    exited_ = true;
  }
  std::string log = Log();
  constexpr size_t kTail = 8000;
  if (log.size() > kTail) log = "..." + log.substr(log.size() - kTail);
  std::fprintf(stderr, "----- log of %s (pid %d, %s) -----\n%s----- end of %s -----\n",
               options_.name.c_str(), pid_, log_path_.c_str(), log.c_str(),
               options_.name.c_str());
}

void TestProcess::Signal(int signal) {
  if (Running()) kill(pid_, signal);
}

bool TestProcess::Running() {
  if (exited_) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == 0) return true;
  exited_ = true;
  if (r == pid_) {
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  return false;
}

absl::StatusOr<int> TestProcess::WaitExit(absl::Duration timeout) {
  absl::Status waited = WaitFor([this] { return !Running(); }, timeout,
                                absl::StrCat(options_.name, " to exit"));
  if (!waited.ok()) return waited;
  return exit_code_;
}

std::string TestProcess::Log() const {
  absl::StatusOr<std::string> log = ReadFile(log_path_);
  return log.ok() ? *log : "";
}

}  // namespace dcos::testing
