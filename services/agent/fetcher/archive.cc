#include "services/agent/fetcher/archive.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

extern char** environ;

namespace dcos::agent::fetcher {
namespace {

constexpr char kTar[] = "/bin/tar";
constexpr char kUnzip[] = "/usr/bin/unzip";

// Runs `argv` (argv[0] an absolute path) in `cwd`; its stdout into *out when given (else the
// fetcher's stdout), its stderr to ours. The exit status, or an error if it could not run.
absl::StatusOr<int> Run(const std::vector<std::string>& args, const std::string& cwd,
                        std::string* out) {
  int pipe_fds[2] = {-1, -1};
  if (out != nullptr && pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  if (out != nullptr) posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  std::vector<char*> argv;
  std::vector<std::string> copy = args;
  for (std::string& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  int spawned = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (out != nullptr) close(pipe_fds[1]);
  if (spawned != 0) {
    if (out != nullptr) close(pipe_fds[0]);
    return absl::FailedPreconditionError(
        absl::StrCat("cannot run ", args[0], ": ", std::strerror(spawned)));
  }
  if (out != nullptr) {
    char buf[16 << 10];
    ssize_t n;
    while ((n = read(pipe_fds[0], buf, sizeof(buf))) != 0) {
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) break;
      out->append(buf, static_cast<size_t>(n));
    }
    close(pipe_fds[0]);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return absl::InternalError(absl::StrCat("waitpid: ", std::strerror(errno)));
  }
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

absl::Status Ran(const absl::StatusOr<int>& code, absl::string_view what) {
  if (!code.ok()) return code.status();
  if (*code != 0) {
    return absl::FailedPreconditionError(absl::StrCat(what, " exited with status ", *code));
  }
  return absl::OkStatus();
}

// GNU tar's verbose listing: "lrwxrwxrwx user/group 0 date time name -> target".
absl::Status CheckTarLinks(absl::string_view verbose) {
  for (absl::string_view line : absl::StrSplit(verbose, '\n', absl::SkipEmpty())) {
    if (line.empty() || (line[0] != 'l' && line[0] != 'h')) continue;
    size_t arrow = line.find(line[0] == 'l' ? " -> " : " link to ");
    if (arrow == absl::string_view::npos) continue;
    absl::string_view target = line.substr(arrow + (line[0] == 'l' ? 4 : 9));
    // The name is the last field before the arrow; names with spaces are checked by prefix.
    absl::string_view before = line.substr(0, arrow);
    absl::string_view name = before.substr(before.rfind(' ') + 1);
    if (!LinkStaysInside(name, target)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "archive member '", name, "' links to '", target, "', outside the sandbox"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string FirstEscapingMember(absl::string_view listing) {
  for (absl::string_view line : absl::StrSplit(listing, '\n', absl::SkipEmpty())) {
    absl::string_view name = absl::StripSuffix(line, "\r");
    absl::string_view relative = name;
    absl::ConsumePrefix(&relative, "./");
    if (relative.empty() || relative == ".") continue;  // the directory itself
    if (!StaysInside(relative)) return std::string(name);
  }
  return "";
}

bool LinkStaysInside(absl::string_view member, absl::string_view target) {
  if (absl::StartsWith(target, "/")) return false;
  // Depth of the link's directory below the root, then walk the target from there.
  std::vector<absl::string_view> parts = absl::StrSplit(member, '/', absl::SkipEmpty());
  int depth = 0;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    if (parts[i] == "..") return false;
    if (parts[i] != ".") ++depth;
  }
  for (absl::string_view part : absl::StrSplit(target, '/', absl::SkipEmpty())) {
    if (part == ".") continue;
    depth += part == ".." ? -1 : 1;
    if (depth < 0) return false;
  }
  return true;
}

absl::Status ExtractArchive(const std::string& archive, ArchiveKind kind,
                            const std::string& directory) {
  if (kind == ArchiveKind::kNone) return absl::OkStatus();
  if (kind == ArchiveKind::kZip) {
    if (access(kUnzip, X_OK) != 0) {
      return absl::FailedPreconditionError("cannot extract .zip: unzip is not installed");
    }
    std::string listing;
    absl::Status listed = Ran(Run({kUnzip, "-Z1", archive}, directory, &listing), "unzip -Z1");
    if (!listed.ok()) return listed;
    std::string bad = FirstEscapingMember(listing);
    if (!bad.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("archive member '", bad, "' would land outside the sandbox"));
    }
    // unzip also strips a leading '/' and skips "../" members by itself; -o overwrites files
    // the sandbox already has. (Symlink members of a zip are not checked: see README.)
    return Ran(Run({kUnzip, "-o", "-q", archive, "-d", directory}, directory, nullptr), "unzip");
  }
  std::string listing;
  absl::Status listed = Ran(Run({kTar, "-t", "-f", archive}, directory, &listing), "tar -t");
  if (!listed.ok()) return listed;
  std::string bad = FirstEscapingMember(listing);
  if (!bad.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("archive member '", bad, "' would land outside the sandbox"));
  }
  std::string verbose;
  listed = Ran(Run({kTar, "-t", "-v", "-f", archive}, directory, &verbose), "tar -tv");
  if (!listed.ok()) return listed;
  absl::Status links = CheckTarLinks(verbose);
  if (!links.ok()) return links;
  return Ran(Run({kTar, "-x", "-f", archive, "-C", directory, "--no-same-owner",
                  "--no-same-permissions"},
                 directory, nullptr),
             "tar -x");
}

}  // namespace dcos::agent::fetcher
