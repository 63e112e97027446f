// A quick measurement, not a test: p50/p99 of FileLogStorage::Append of one 256-byte entry
// (with a hard state, as the driver writes it) against a raw write+fdatasync of the same frame
// size on the same disk, appending to a growing file and overwriting a zero-filled one (what
// the log does in its preallocated segments). Usage: file_log_storage_bench [dir] [iterations]

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "libs/raft/file_log_storage.h"

namespace {

using Clock = std::chrono::steady_clock;

void Report(const char* what, std::vector<double> us) {
  std::sort(us.begin(), us.end());
  std::printf("%-44s p50 %7.1f us   p99 %7.1f us\n", what, us[us.size() / 2],
              us[us.size() * 99 / 100]);
}

// 300 bytes and an fdatasync, `n` times: at the end of a growing file, or in place over zeros.
bool Raw(const std::string& path, int n, bool overwrite, std::vector<double>* us) {
  std::string buf(300, 'x');
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return false;
  if (overwrite) {
    std::string zeros(buf.size() * static_cast<size_t>(n), '\0');
    if (::pwrite(fd, zeros.data(), zeros.size(), 0) < 0 || ::fdatasync(fd) != 0) return false;
  }
  for (int i = 0; i < n; ++i) {
    auto start = Clock::now();
    ssize_t w = overwrite ? ::pwrite(fd, buf.data(), buf.size(), static_cast<off_t>(i * buf.size()))
                          : ::write(fd, buf.data(), buf.size());
    if (w != static_cast<ssize_t>(buf.size()) || ::fdatasync(fd) != 0) return false;
    us->push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  ::close(fd);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = argc > 1 ? argv[1] : "/tmp/raft-storage-bench";
  int n = argc > 2 ? std::atoi(argv[2]) : 3000;
  std::string cmd = "rm -rf " + dir + " && mkdir -p " + dir;
  if (std::system(cmd.c_str()) != 0) return 1;

  std::vector<double> append, overwrite;
  if (!Raw(dir + "/append", n, false, &append) || !Raw(dir + "/overwrite", n, true, &overwrite)) {
    std::perror("raw write/fdatasync");
    return 1;
  }

  auto storage = dcos::raft::FileLogStorage::Open(dcos::raft::Env::Default(), dir + "/raft", {});
  if (!storage.ok() || !(*storage)->Load().ok()) return 1;
  std::vector<double> app;
  for (int i = 1; i <= n; ++i) {
    dcos::raft::Entry e;
    e.set_index(i);
    e.set_term(1);
    e.set_type(dcos::raft::v1::ENTRY_TYPE_NORMAL);
    e.set_data(std::string(256, 'd'));
    dcos::raft::HardState hs;
    hs.set_term(1);
    hs.set_vote(1);
    hs.set_commit(i);
    auto start = Clock::now();
    if (!(*storage)->Append({e}, &hs).ok()) return 1;
    double us = std::chrono::duration<double, std::micro>(Clock::now() - start).count();
    if (i > 1) app.push_back(us);
    // The first Append starts the first segment; then wait for its successor to be prepared.
    if (i == 1) (*storage)->WaitForSpareSegment();
  }
  Report("raw write(300 B) + fdatasync, growing file", append);
  Report("raw pwrite(300 B) + fdatasync, zero-filled", overwrite);
  Report("FileLogStorage::Append(1 x 256 B + hs)", app);
  return 0;
}
