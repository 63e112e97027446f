#include "services/agent/sandbox_files.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "services/agent/proto_time.h"

namespace dcos::agent {
namespace {

absl::Status Errno(int err, const std::string& what) {
  if (err == ENOENT || err == ENOTDIR) return absl::NotFoundError(absl::StrCat(what, ": no such file"));
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(err)));
}

std::string UserName(uid_t uid) {
  passwd* pw = getpwuid(uid);
  return pw != nullptr ? pw->pw_name : std::to_string(uid);
}

std::string GroupName(gid_t gid) {
  group* gr = getgrgid(gid);
  return gr != nullptr ? gr->gr_name : std::to_string(gid);
}

agent::v1::FileInfo Info(const struct stat& st, const std::string& virtual_path) {
  agent::v1::FileInfo f;
  f.set_path(virtual_path);
  f.set_nlink(static_cast<uint32_t>(st.st_nlink));
  f.set_size(static_cast<uint64_t>(st.st_size));
  *f.mutable_mtime() = TimestampOf(absl::FromTimeT(st.st_mtime));
  f.set_mode(st.st_mode);
  f.set_uid(UserName(st.st_uid));
  f.set_gid(GroupName(st.st_gid));
  return f;
}

}  // namespace

absl::StatusOr<VirtualPath> ParseVirtualPath(const std::string& path, const std::string& field) {
  std::vector<std::string> parts = absl::StrSplit(path, '/', absl::SkipEmpty());
  if (!absl::StartsWith(path, "/") || parts.size() < 6 || parts[0] != "frameworks" ||
      parts[2] != "executors" || parts[4] != "runs") {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": '", path,
        "' is not a sandbox path (/frameworks/<fw>/executors/<executor>/runs/<container|latest>"
        "[/path]); or give task_id"));
  }
  VirtualPath v{parts[1], parts[3], parts[5], ""};
  v.rest = absl::StrJoin(parts.begin() + 6, parts.end(), "/");
  return v;
}

absl::StatusOr<std::string> ResolveInSandbox(const std::string& sandbox,
                                             const std::string& relative,
                                             const std::string& field) {
  std::vector<std::string> stack;
  for (absl::string_view part : absl::StrSplit(relative, '/', absl::SkipEmpty())) {
    if (part == ".") continue;
    if (part == "..") {
      if (stack.empty()) {
        return absl::InvalidArgumentError(absl::StrCat(field, ": '", relative,
                                                       "' leaves the sandbox"));
      }
      stack.pop_back();
      continue;
    }
    stack.emplace_back(part);
  }
  std::string path = stack.empty() ? sandbox : absl::StrCat(sandbox, "/", absl::StrJoin(stack, "/"));
  std::error_code error;
  std::filesystem::path real = std::filesystem::canonical(path, error);
  if (error) return Errno(error.value(), absl::StrCat(field, " '", relative, "'"));
  std::filesystem::path root = std::filesystem::canonical(sandbox, error);
  if (error) return Errno(error.value(), "the sandbox");
  std::string r = real.string(), s = root.string();
  if (r != s && !absl::StartsWith(r, s + "/")) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": '", relative, "' leads out of the sandbox (a symlink)"));
  }
  return path;
}

absl::StatusOr<std::vector<agent::v1::FileInfo>> ListPath(const std::string& path,
                                                          const std::string& virtual_path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return Errno(errno, virtual_path);
  if (!S_ISDIR(st.st_mode)) return std::vector<agent::v1::FileInfo>{Info(st, virtual_path)};
  std::vector<std::string> names;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(path, error)) {
    names.push_back(entry.path().filename().string());
  }
  if (error) return Errno(error.value(), virtual_path);
  std::sort(names.begin(), names.end());
  std::vector<agent::v1::FileInfo> out;
  for (const std::string& name : names) {
    struct stat e;
    if (lstat(absl::StrCat(path, "/", name).c_str(), &e) != 0) continue;  // gone meanwhile
    out.push_back(Info(e, absl::StrCat(virtual_path, "/", name)));
  }
  return out;
}

absl::StatusOr<FileChunk> ReadChunk(const std::string& path, uint64_t offset,
                                    std::optional<uint64_t> length) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Errno(errno, path);
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return absl::InvalidArgumentError("location: not a regular file (list a directory instead)");
  }
  FileChunk chunk;
  chunk.size = static_cast<uint64_t>(st.st_size);
  uint64_t want = std::min(length.value_or(kMaxReadBytes), kMaxReadBytes);
  if (offset < chunk.size) want = std::min(want, chunk.size - offset);
  else want = 0;
  chunk.data.resize(want);
  size_t got = 0;
  while (got < want) {
    ssize_t n = pread(fd, chunk.data.data() + got, want - got, static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  chunk.data.resize(got);
  close(fd);
  return chunk;
}

}  // namespace dcos::agent
