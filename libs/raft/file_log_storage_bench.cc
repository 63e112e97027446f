// A quick measurement, not a test: p50/p99 of FileLogStorage::Append of one 256-byte entry
// (with a hard state, as the driver writes it) against a raw write+fdatasync of the same
// frame size on the same disk. Usage: file_log_storage_bench [dir] [iterations]

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
  std::printf("%-40s p50 %7.1f us   p99 %7.1f us\n", what, us[us.size() / 2],
              us[us.size() * 99 / 100]);
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = argc > 1 ? argv[1] : "/tmp/raft-storage-bench";
  int n = argc > 2 ? std::atoi(argv[2]) : 3000;
  std::string cmd = "rm -rf " + dir + " && mkdir -p " + dir;
  if (std::system(cmd.c_str()) != 0) return 1;

  // Raw: append 300 bytes and fdatasync, as the log does.
  std::vector<double> raw;
  std::string buf(300, 'x');
  int fd = ::open((dir + "/raw").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  for (int i = 0; i < n; ++i) {
    auto start = Clock::now();
    if (::write(fd, buf.data(), buf.size()) != static_cast<ssize_t>(buf.size())) return 1;
    if (::fdatasync(fd) != 0) return 1;
    raw.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  ::close(fd);

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
    app.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  Report("raw write(300 B) + fdatasync", raw);
  Report("FileLogStorage::Append(1 x 256 B + hs)", app);
  return 0;
}
