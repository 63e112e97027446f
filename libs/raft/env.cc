#include "libs/raft/env.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace dcos::raft {
namespace {

// Closes `fd` on scope exit.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;

 private:
  int fd_;
};

int OpenRetrying(const char* path, int flags, mode_t mode = 0) {
  int fd;
  do {
    fd = ::open(path, flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

// fsync(2), or fdatasync(2) if `data_only`, of an open descriptor.
absl::Status SyncFd(int fd, bool data_only, absl::string_view path) {
  // Not restarted after EINTR by every kernel; retry it ourselves.
  int r;
  do {
    r = data_only ? ::fdatasync(fd) : ::fsync(fd);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return ErrnoToStatus(errno, data_only ? "fdatasync" : "fsync", path);
  return absl::OkStatus();
}

// fdatasync(2) of an open file; FAILED_PRECONDITION once it was closed.
absl::Status DataSync(int fd, const std::string& path) {
  if (fd < 0) return absl::FailedPreconditionError(absl::StrCat("sync ", path, ": closed"));
  return SyncFd(fd, /*data_only=*/true, path);
}

// Closes *fd (if open) and marks it closed.
absl::Status CloseOnce(int* fd, const std::string& path) {
  if (*fd < 0) return absl::OkStatus();
  int to_close = *fd;
  *fd = -1;
  // Never retry close(2) on EINTR on Linux: the descriptor is already released.
  if (::close(to_close) < 0 && errno != EINTR) return ErrnoToStatus(errno, "close", path);
  return absl::OkStatus();
}

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd, uint64_t size)
      : path_(std::move(path)), fd_(fd), size_(size) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }

  absl::Status Append(absl::string_view data) override {
    if (fd_ < 0) return absl::FailedPreconditionError(absl::StrCat("write ", path_, ": closed"));
    const char* p = data.data();
    size_t left = data.size();
    while (left > 0) {
      ssize_t n = ::write(fd_, p, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoToStatus(errno, "write", path_);
      }
      p += n;
      left -= static_cast<size_t>(n);
      size_ += static_cast<uint64_t>(n);
    }
    return absl::OkStatus();
  }

  absl::Status Sync() override { return DataSync(fd_, path_); }
  absl::Status Close() override { return CloseOnce(&fd_, path_); }

  uint64_t Size() const override { return size_; }
  const std::string& path() const override { return path_; }

 private:
  std::string path_;
  int fd_;
  uint64_t size_;
};

class PosixRandomWriteFile final : public RandomWriteFile {
 public:
  PosixRandomWriteFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixRandomWriteFile() override {
    if (fd_ >= 0) ::close(fd_);
  }

  absl::Status WriteAt(uint64_t offset, absl::string_view data) override {
    if (fd_ < 0) return absl::FailedPreconditionError(absl::StrCat("pwrite ", path_, ": closed"));
    size_t done = 0;
    while (done < data.size()) {
      ssize_t n = ::pwrite(fd_, data.data() + done, data.size() - done,
                           static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoToStatus(errno, "pwrite", path_);
      }
      done += static_cast<size_t>(n);
    }
    return absl::OkStatus();
  }

  absl::Status Sync() override { return DataSync(fd_, path_); }
  absl::Status Close() override { return CloseOnce(&fd_, path_); }
  const std::string& path() const override { return path_; }

 private:
  std::string path_;
  int fd_;
};

}  // namespace

absl::Status ErrnoToStatus(int err, absl::string_view op, absl::string_view path) {
  std::string msg = absl::StrCat(op, " ", path, ": ", std::strerror(err), " (errno ", err, ")");
  switch (err) {
    case ENOSPC:
    case EDQUOT:
      return absl::ResourceExhaustedError(msg);
    case ENOENT:
      return absl::NotFoundError(msg);
    case EACCES:
    case EPERM:
    case EROFS:
      return absl::PermissionDeniedError(msg);
    case EEXIST:
      return absl::AlreadyExistsError(msg);
    case EIO:
      return absl::DataLossError(msg);
    default:
      return absl::InternalError(msg);
  }
}

std::string JoinPath(absl::string_view dir, absl::string_view name) {
  if (dir.empty()) return std::string(name);
  if (dir.back() == '/') return absl::StrCat(dir, name);
  return absl::StrCat(dir, "/", name);
}

std::string DirName(absl::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == absl::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

Env* Env::Default() {
  static Env* env = new PosixEnv();
  return env;
}

absl::StatusOr<std::unique_ptr<WritableFile>> PosixEnv::NewWritableFile(const std::string& path,
                                                                        bool truncate) {
  int flags = O_WRONLY | O_CREAT | O_APPEND | (truncate ? O_TRUNC : 0);
  int fd = OpenRetrying(path.c_str(), flags, 0644);
  if (fd < 0) return ErrnoToStatus(errno, "open", path);
  struct stat st;
  if (::fstat(fd, &st) < 0) {
    int err = errno;
    ::close(fd);
    return ErrnoToStatus(err, "fstat", path);
  }
  return std::unique_ptr<WritableFile>(
      new PosixWritableFile(path, fd, static_cast<uint64_t>(st.st_size)));
}

absl::StatusOr<std::unique_ptr<RandomWriteFile>> PosixEnv::NewRandomWriteFile(
    const std::string& path, bool truncate) {
  int fd = OpenRetrying(path.c_str(), O_WRONLY | O_CREAT | (truncate ? O_TRUNC : 0), 0644);
  if (fd < 0) return ErrnoToStatus(errno, "open", path);
  return std::unique_ptr<RandomWriteFile>(new PosixRandomWriteFile(path, fd));
}

absl::StatusOr<std::string> PosixEnv::ReadFile(const std::string& path) {
  int fd = OpenRetrying(path.c_str(), O_RDONLY);
  if (fd < 0) return ErrnoToStatus(errno, "open", path);
  FdCloser closer(fd);
  struct stat st;
  if (::fstat(fd, &st) < 0) return ErrnoToStatus(errno, "fstat", path);
  std::string out;
  out.resize(static_cast<size_t>(st.st_size));
  size_t got = 0;
  while (true) {
    if (got == out.size()) out.resize(std::max<size_t>(4096, out.size() * 2));
    ssize_t n = ::read(fd, out.data() + got, out.size() - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoToStatus(errno, "read", path);
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  out.resize(got);
  return out;
}

absl::StatusOr<std::string> PosixEnv::ReadFileRange(const std::string& path, uint64_t offset,
                                                    uint64_t length) {
  int fd = OpenRetrying(path.c_str(), O_RDONLY);
  if (fd < 0) return ErrnoToStatus(errno, "open", path);
  FdCloser closer(fd);
  std::string out;
  out.resize(static_cast<size_t>(length));
  size_t got = 0;
  while (got < out.size()) {
    ssize_t n = ::pread(fd, out.data() + got, out.size() - got, static_cast<off_t>(offset + got));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoToStatus(errno, "read", path);
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  out.resize(got);
  return out;
}

absl::StatusOr<uint64_t> PosixEnv::FileSize(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) < 0) return ErrnoToStatus(errno, "stat", path);
  return static_cast<uint64_t>(st.st_size);
}

absl::StatusOr<bool> PosixEnv::FileExists(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) return true;
  if (errno == ENOENT) return false;
  return ErrnoToStatus(errno, "stat", path);
}

absl::Status PosixEnv::TruncateFile(const std::string& path, uint64_t size) {
  int fd = OpenRetrying(path.c_str(), O_WRONLY);
  if (fd < 0) return ErrnoToStatus(errno, "open", path);
  FdCloser closer(fd);
  int r;
  do {
    r = ::ftruncate(fd, static_cast<off_t>(size));
  } while (r < 0 && errno == EINTR);
  if (r < 0) return ErrnoToStatus(errno, "ftruncate", path);
  return SyncFd(fd, /*data_only=*/false, path);
}

absl::Status PosixEnv::RenameFile(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) < 0) {
    return ErrnoToStatus(errno, "rename", absl::StrCat(from, " -> ", to));
  }
  return absl::OkStatus();
}

absl::Status PosixEnv::RemoveFile(const std::string& path) {
  if (::unlink(path.c_str()) < 0) return ErrnoToStatus(errno, "unlink", path);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> PosixEnv::ListDir(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return ErrnoToStatus(errno, "opendir", dir);
  std::vector<std::string> names;
  while (true) {
    errno = 0;
    struct dirent* e = ::readdir(d);
    if (e == nullptr) {
      int err = errno;
      ::closedir(d);
      if (err != 0) return ErrnoToStatus(err, "readdir", dir);
      break;
    }
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    names.emplace_back(e->d_name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

absl::Status PosixEnv::CreateDir(const std::string& dir, bool* created) {
  if (created != nullptr) *created = false;
  if (::mkdir(dir.c_str(), 0755) == 0) {
    if (created != nullptr) *created = true;
    return absl::OkStatus();
  }
  int err = errno;
  if (err == EEXIST) {
    struct stat st;
    if (::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return absl::OkStatus();
    return absl::AlreadyExistsError(absl::StrCat("mkdir ", dir, ": exists and is not a directory"));
  }
  return ErrnoToStatus(err, "mkdir", dir);
}

namespace {

class PosixFileLock final : public FileLock {
 public:
  explicit PosixFileLock(int fd) : fd_(fd) {}
  ~PosixFileLock() override { close(fd_); }  // closing releases the flock

 private:
  int fd_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<FileLock>> PosixEnv::LockFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::Status(absl::StatusCode::kInternal,
                        absl::StrCat("open ", path, ": ", std::strerror(errno)));
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    close(fd);
    if (err == EWOULDBLOCK) {
      return absl::FailedPreconditionError(absl::StrCat(
          path, " is locked: another process is using this data directory"));
    }
    return absl::InternalError(absl::StrCat("flock ", path, ": ", std::strerror(err)));
  }
  return std::unique_ptr<FileLock>(new PosixFileLock(fd));
}

absl::Status PosixEnv::SyncDir(const std::string& dir) {
  int fd = OpenRetrying(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return ErrnoToStatus(errno, "open", dir);
  FdCloser closer(fd);
  return SyncFd(fd, /*data_only=*/false, dir);
}

}  // namespace dcos::raft
