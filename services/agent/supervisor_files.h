#pragma once

// The files and messages shared by the task supervisor (dcos-task-supervisor) and the agent's
// PosixLauncher. Only libc, so the supervisor stays a tiny binary that starts fast.
//
// In the container's run dir the supervisor writes, each atomically (temp file + rename):
//   pids          "1 <supervisor pid> <supervisor start> <task pid> <task start>\n"
//                 before the task runs
//   exit_status   "exited <wait status>\n" when the task ended, or
//                 "exec_failed <errno>\n" when its command could not be executed
// Start times are field 22 of /proc/<pid>/stat (clock ticks since boot).
//
// These files are not fsynced: they matter across agent process restarts (the page cache
// keeps them), not across a host crash, after which no task survives anyway.
//
// On fd 3 (a pipe to the launching agent) the supervisor reports one line:
//   "started\n" once the task's command runs, or "failed <errno> <what>\n".

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstdint>
#include <string>

namespace dcos::agent::supervisor {

inline constexpr int kReportFd = 3;

// Field `field` (3 or more) of /proc/<pid>/stat text, as a number; 0 when malformed. The
// command name (field 2) may contain spaces and parentheses, so fields are counted after its
// last ')'.
inline uint64_t ParseStatField(const char* stat, int field) {
  const char* p = strrchr(stat, ')');
  if (p == nullptr) return 0;
  ++p;
  // After ')': field 3 (state) is the first.
  for (int f = 3; f < field; ++f) {
    while (*p == ' ') ++p;
    while (*p != ' ' && *p != '\0') ++p;
    if (*p == '\0') return 0;
  }
  while (*p == ' ') ++p;
  return strtoull(p, nullptr, 10);
}

// Field 22 (starttime) of /proc/<pid>/stat text; 0 when malformed.
inline uint64_t ParseStartTime(const char* stat) { return ParseStatField(stat, 22); }

// Reads /proc/<name>/stat into buf (of size bytes); false if it cannot. Async-signal-safe.
inline bool ReadStat(const char* name, char* buf, size_t size) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%s/stat", name);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  ssize_t n = read(fd, buf, size - 1);
  close(fd);
  if (n <= 0) return false;
  buf[n] = '\0';
  return true;
}

// The start time of process `pid`, 0 if it does not exist. Async-signal-safe.
inline uint64_t ReadStartTime(pid_t pid) {
  char name[32], buf[1024];
  snprintf(name, sizeof(name), "%d", static_cast<int>(pid));
  return ReadStat(name, buf, sizeof(buf)) ? ParseStartTime(buf) : 0;
}

// The calling process's start time, and its pid and parent's pid as the host sees them (/proc
// is the host's, also inside a PID namespace of the process's own); zeros if unreadable.
// `ppid` may be null. Async-signal-safe.
inline uint64_t ReadSelfStat(pid_t* pid, pid_t* ppid) {
  char buf[1024];
  if (!ReadStat("self", buf, sizeof(buf))) buf[0] = '\0';
  *pid = static_cast<pid_t>(strtol(buf, nullptr, 10));
  if (ppid != nullptr) *ppid = static_cast<pid_t>(ParseStatField(buf, 4));
  return ParseStartTime(buf);
}

// Writes `data` to `dir/name` through `dir/name.tmp` and rename(2). Returns false on error.
inline bool WriteFileAtomically(const char* dir, const char* name, const char* data) {
  char path[4096], tmp[4096];
  if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= static_cast<int>(sizeof(path)) ||
      snprintf(tmp, sizeof(tmp), "%s/%s.tmp", dir, name) >= static_cast<int>(sizeof(tmp))) {
    return false;
  }
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  size_t len = strlen(data);
  bool ok = write(fd, data, len) == static_cast<ssize_t>(len);
  ok = close(fd) == 0 && ok;
  return ok && rename(tmp, path) == 0;
}

}  // namespace dcos::agent::supervisor
