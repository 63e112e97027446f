#include "libs/testing/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "libs/subprocess/spawn.h"
#include "libs/testing/harness.h"

namespace dcos::testing {

absl::StatusOr<std::unique_ptr<TestProcess>> TestProcess::Start(Options options) {
  std::string log_path = absl::StrCat(options.log_dir, "/", options.name, ".log");
  absl::StatusOr<pid_t> pid = subprocess::Spawn(options.binary, options.args, log_path);
  if (!pid.ok()) return pid.status();
  return std::unique_ptr<TestProcess>(new TestProcess(std::move(options), *pid, log_path));
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
