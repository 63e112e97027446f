#include "services/agent/posix_launcher.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "services/agent/dir_hints.h"
#include "services/agent/layout.h"
#include "services/agent/pid_namespace_spawn.h"
#include "services/agent/spawn_attributes.h"
#include "services/agent/supervisor_files.h"

namespace dcos::agent {
namespace {

// A user to switch to, resolved before fork (getpwnam is not async-signal-safe).
struct UserIds {
  bool switch_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
};

absl::StatusOr<UserIds> ResolveUser(const std::string& user, bool allowed) {
  UserIds ids;
  if (!allowed || user.empty()) return ids;
  std::vector<char> buf(16384);
  passwd pw;
  passwd* found = nullptr;
  getpwuid_r(geteuid(), &pw, buf.data(), buf.size(), &found);
  if (found != nullptr && user == found->pw_name) return ids;  // already that user
  found = nullptr;
  int err = getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &found);
  if (found == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "unknown user '", user, "'", err != 0 ? absl::StrCat(": ", std::strerror(err)) : ""));
  }
  if (geteuid() != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot run the task as user '", user,
        "': the agent does not run as root (start it with agent.switch_user=false to run "
        "every task as the agent's user)"));
  }
  ids.switch_user = true;
  ids.uid = pw.pw_uid;
  ids.gid = pw.pw_gid;
  int n = 64;
  ids.groups.resize(n);
  if (getgrouplist(user.c_str(), pw.pw_gid, ids.groups.data(), &n) < 0) {
    ids.groups.resize(n);
    getgrouplist(user.c_str(), pw.pw_gid, ids.groups.data(), &n);
  }
  ids.groups.resize(n);
  return ids;
}

// An fd duplicated above the standard ones (so dup2 onto 0..3 in the child cannot clobber it).
int HighFd(int fd) {
  int high = fcntl(fd, F_DUPFD_CLOEXEC, 10);
  close(fd);
  return high;
}

void Reap(pid_t pid) {
  while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace

PosixLauncher::PosixLauncher(Options options, ExitCallback on_exit, LaunchCallback on_launch)
    : options_(std::move(options)),
      own_isolator_(options_.isolator == nullptr ? MakePosixIsolator() : nullptr),
      isolator_(options_.isolator != nullptr ? options_.isolator : own_isolator_.get()),
      on_exit_(std::move(on_exit)),
      on_launch_(std::move(on_launch)),
      watcher_([this](const std::string& id, const ExitInfo& exit) {
        on_exit_(id, Finish(id, exit));
      }) {
  for (int i = 0; i < std::max(1, options_.launch_threads); ++i) {
    launch_threads_.emplace_back([this] { LaunchLoop(); });
  }
}

void PosixLauncher::LaunchLoop() {
  for (;;) {
    LaunchSpec spec;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_ || !queue_.empty(); };
      mu_.Await(absl::Condition(&ready));
      if (stop_) return;
      spec = std::move(queue_.front());
      queue_.pop_front();
    }
    LaunchNow(spec);
  }
}

ExitInfo PosixLauncher::Finish(const std::string& container_id, ExitInfo exit) {
  exit.memory_limit_hit = isolator_->MemoryLimitHit(container_id);
  isolator_->Cleanup(container_id);
  return exit;
}

PosixLauncher::~PosixLauncher() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  for (std::thread& t : launch_threads_) t.join();
}

std::string PosixLauncher::DefaultSupervisorPath() {
  std::error_code error;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) return "dcos-task-supervisor";
  return (self.parent_path() / "dcos-task-supervisor").string();
}

std::string PosixLauncher::FetcherPath() const {
  if (!options_.fetcher_path.empty()) return options_.fetcher_path;
  return (std::filesystem::path(options_.supervisor_path).parent_path() / "dcos-fetcher")
      .string();
}

absl::Status PosixLauncher::ProbePidNamespaces(const std::string& supervisor_path) {
  int err_pipe[2];
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe2: ", std::strerror(errno)));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
  std::string binary = supervisor_path;
  std::string flag = "--probe-pid-namespace";
  char* argv[] = {binary.data(), flag.data(), nullptr};
  char* envp[] = {nullptr};
  pid_t pid = 0;
  // Started the way the tasks' supervisors are.
  absl::Status spawned = SpawnInNewPidNamespace([&] {
    int error = posix_spawn(&pid, argv[0], &actions, nullptr, argv, envp);
    return error == 0 ? absl::OkStatus()
                      : absl::FailedPreconditionError(absl::StrCat(
                            "cannot run ", supervisor_path, ": ", std::strerror(error)));
  });
  posix_spawn_file_actions_destroy(&actions);
  close(err_pipe[1]);
  std::string why;
  char buf[256];
  ssize_t n;
  while (spawned.ok() &&
         ((n = read(err_pipe[0], buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))) {
    if (n > 0) why.append(buf, static_cast<size_t>(n));
  }
  close(err_pipe[0]);
  if (!spawned.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("PID namespaces are not available: ", spawned.message()));
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("PID namespaces are not available: ", absl::StripAsciiWhitespace(why)));
}

absl::StatusOr<pid_t> PosixLauncher::StartSupervisor(const LaunchSpec& spec,
                                                     const std::vector<std::string>& cgroups,
                                                     int report_fd) {
  absl::StatusOr<UserIds> user = ResolveUser(spec.user, options_.switch_user);
  if (!user.ok()) return user.status();

  std::vector<std::string> args = {options_.supervisor_path, spec.run_dir,
                                   std::to_string(getpid())};
  for (const std::string& procs : cgroups) args.push_back("--cgroup=" + procs);
  if (!spec.uris.empty()) {
    google::protobuf::RepeatedPtrField<common::v1::CommandURI> uris(spec.uris.begin(),
                                                                   spec.uris.end());
    std::vector<std::string> fetch =
        fetcher::SupervisorFetchArgs(FetcherPath(), uris, options_.fetch);
    args.insert(args.end(), fetch.begin(), fetch.end());
  }
  if (options_.pid_namespace) args.push_back("--pid-namespace");
  if (user->switch_user) {
    // The supervisor stays root (it writes the run dir and cgroups); the task switches.
    std::string groups = absl::StrJoin(user->groups, ",");
    args.push_back(absl::StrCat("--user=", user->uid, ":", user->gid, ":", groups));
  }
  args.push_back(spec.shell ? "shell" : "argv");
  args.push_back(spec.command);
  if (!spec.shell) args.insert(args.end(), spec.arguments.begin(), spec.arguments.end());
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env;
  for (const auto& [name, value] : spec.environment) env.push_back(absl::StrCat(name, "=", value));
  std::vector<char*> envp;
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  auto open_output = [&](const char* name) {
    std::string path = absl::StrCat(spec.sandbox_dir, "/", name);
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0 && user->switch_user) {
      int ignored = fchown(fd, user->uid, user->gid);
      (void)ignored;
    }
    return fd;
  };
  int out = open_output(Layout::kStdout);
  int err = open_output(Layout::kStderr);
  int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (out < 0 || err < 0 || null_fd < 0) {
    int e = errno;
    for (int fd : {out, err, null_fd}) {
      if (fd >= 0) close(fd);
    }
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create stdout/stderr in the sandbox ", spec.sandbox_dir, ": ",
                     std::strerror(e)));
  }
  if (user->switch_user) {
    int ignored = chown(spec.sandbox_dir.c_str(), user->uid, user->gid);
    (void)ignored;
  }
  out = HighFd(out);
  err = HighFd(err);
  null_fd = HighFd(null_fd);

  // posix_spawn (a vfork underneath): forking the agent itself costs milliseconds per launch
  // on a large process, this does not. The supervisor does the rest (parent-death signal,
  // the task's user) itself.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addchdir_np(&actions, spec.sandbox_dir.c_str());
  posix_spawn_file_actions_adddup2(&actions, null_fd, STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err, STDERR_FILENO);
  posix_spawn_file_actions_adddup2(&actions, report_fd, supervisor::kReportFd);
  posix_spawn_file_actions_addclosefrom_np(&actions, supervisor::kReportFd + 1);
  SpawnAttributes attr(POSIX_SPAWN_SETSID);
  pid_t pid = 0;
  auto spawn = [&] {
    int error = posix_spawn(&pid, argv[0], &actions, attr.get(), argv.data(), envp.data());
    return error == 0 ? absl::OkStatus()
                      : absl::InternalError(absl::StrCat("cannot start the task's supervisor (",
                                                         options_.supervisor_path, "): ",
                                                         std::strerror(error)));
  };
  // With a PID namespace the supervisor is its init (pid_namespace.h).
  absl::Status spawned = options_.pid_namespace ? SpawnInNewPidNamespace(spawn) : spawn();
  posix_spawn_file_actions_destroy(&actions);
  close(out);
  close(err);
  close(null_fd);
  if (!spawned.ok()) return spawned;
  return pid;
}

bool PosixLauncher::NewExecutorsDir(const std::string& dir) {
  absl::MutexLock lock(&mu_);
  return executors_dirs_.insert(dir).second;
}

void PosixLauncher::Launch(const LaunchSpec& spec) {
  absl::MutexLock lock(&mu_);
  queue_.push_back(spec);
}

void PosixLauncher::LaunchNow(const LaunchSpec& spec) {
  absl::Status started = StartLaunch(spec);
  if (started.ok()) return;  // the rest comes through CompleteLaunch
  isolator_->Cleanup(spec.container_id);
  on_launch_(spec.container_id, started);
}

absl::Status PosixLauncher::StartLaunch(const LaunchSpec& spec) {
  // The framework's executors dir (layout.h: three levels above a sandbox), the first time:
  // each task's sandbox in a place of its own (dir_hints.h).
  const std::filesystem::path executors =
      std::filesystem::path(spec.sandbox_dir).parent_path().parent_path().parent_path();
  std::error_code error;
  if (NewExecutorsDir(executors.string())) {
    std::filesystem::create_directories(executors, error);
    SpreadSubdirectories(executors.string());
  }
  std::filesystem::create_directories(spec.sandbox_dir, error);
  if (error) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create the sandbox ", spec.sandbox_dir, ": ", error.message()));
  }
  std::filesystem::create_directories(spec.run_dir, error);
  if (error) {
    return absl::InternalError(absl::StrCat("cannot create ", spec.run_dir, ": ", error.message()));
  }
  absl::StatusOr<std::vector<std::string>> cgroups =
      isolator_->Prepare(spec.container_id, {spec.cpus, spec.mem_bytes});
  if (!cgroups.ok()) {
    return absl::InternalError(
        absl::StrCat("cannot set up the container's cgroups: ", cgroups.status().message()));
  }
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe2: ", std::strerror(errno)));
  }
  report[1] = HighFd(report[1]);
  absl::StatusOr<pid_t> pid = StartSupervisor(spec, *cgroups, report[1]);
  close(report[1]);
  if (!pid.ok()) {
    close(report[0]);
    return pid.status();
  }
  // The report is read by the watcher: launches overlap instead of waiting in turn.
  watcher_.WatchLaunch(
      spec.container_id, report[0],
      absl::Now() + options_.launch_timeout +
          (spec.uris.empty() ? absl::ZeroDuration() : options_.fetch.timeout),
      [this, id = spec.container_id, run_dir = spec.run_dir,
       command = spec.shell ? std::string("/bin/sh") : spec.command,
       supervisor = *pid](const std::string& line) {
        absl::StatusOr<ContainerPids> pids = CompleteLaunch(id, run_dir, command, supervisor, line);
        if (!pids.ok()) isolator_->Cleanup(id);
        on_launch_(id, pids);
      });
  return absl::OkStatus();
}

absl::StatusOr<ContainerPids> PosixLauncher::CompleteLaunch(const std::string& container_id,
                                                            const std::string& run_dir,
                                                            const std::string& command,
                                                            pid_t supervisor,
                                                            const std::string& line) {
  if (line == "started\n") {
    const std::string path = absl::StrCat(run_dir, "/", Layout::kPidsFile);
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    absl::StatusOr<ContainerPids> pids = ParsePidsFile(text.str(), path);
    if (!pids.ok()) {
      kill(supervisor, SIGKILL);
      Reap(supervisor);
      return absl::InternalError(pids.status().message());
    }
    watcher_.Watch(container_id, *pids, run_dir, /*child=*/true);
    return pids;
  }
  if (line.empty()) {
    kill(supervisor, SIGKILL);
    Reap(supervisor);
    return absl::InternalError(absl::StrCat(
        "the task's supervisor (", options_.supervisor_path, ") ended or hung without reporting"));
  }
  Reap(supervisor);
  // "failed <errno> <what>\n"
  std::vector<std::string> words = absl::StrSplit(absl::StripSuffix(line, "\n"),
                                                  absl::MaxSplits(' ', 2));
  int err = 0;
  if (words.size() < 3 || words[0] != "failed" || !absl::SimpleAtoi(words[1], &err)) {
    return absl::InternalError(absl::StrCat("the task's supervisor said '", line, "'"));
  }
  if (absl::StartsWith(words[2], "fetch ")) {
    return absl::FailedPreconditionError(words[2].substr(6));
  }
  if (words[2] == "exec") {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot execute '", command, "': ", std::strerror(err)));
  }
  if (words[2] == "switch user") {
    return absl::FailedPreconditionError(absl::StrCat("cannot switch user: ", std::strerror(err)));
  }
  return absl::InternalError(absl::StrCat("cannot start the task's supervisor (",
                                          options_.supervisor_path, "): ", words[2], ": ",
                                          std::strerror(err)));
}

absl::StatusOr<RecoveredContainer> PosixLauncher::Recover(const std::string& container_id,
                                                          const std::string& run_dir) {
  RecoveredContainer out;
  const std::string path = absl::StrCat(run_dir, "/", Layout::kPidsFile);
  std::ifstream in(path);
  if (!in) {
    out.state = RecoveredContainer::State::kNeverStarted;
    isolator_->Cleanup(container_id);
    return out;
  }
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<ContainerPids> pids = ParsePidsFile(text.str(), path);
  if (!pids.ok()) return pids.status();
  out.pids = *pids;
  if (SameProcess(pids->supervisor_pid, pids->supervisor_start)) {
    out.state = RecoveredContainer::State::kRunning;
    watcher_.Watch(container_id, *pids, run_dir, /*child=*/false);
    return out;
  }
  out.state = RecoveredContainer::State::kExited;
  std::optional<ExitInfo> exit = ReadExitStatus(run_dir);
  if (exit.has_value()) {
    out.exit = *exit;
  } else {
    out.exit.message = absl::StrCat("the task's supervisor (pid ", pids->supervisor_pid,
                                    ") ended without recording how the task ended");
    if (SameProcess(pids->task_pid, pids->task_start)) kill(-pids->task_pid, SIGKILL);
  }
  out.exit = Finish(container_id, out.exit);
  return out;
}

void PosixLauncher::Signal(const std::string& container_id, int signal) {
  std::optional<ContainerPids> pids = watcher_.Find(container_id);
  if (!pids.has_value()) return;
  // The task's leader still being the same process guards against a reused pid; once it is
  // gone the supervisor kills the rest of the group itself.
  if (SameProcess(pids->task_pid, pids->task_start)) kill(-pids->task_pid, signal);
}

}  // namespace dcos::agent
