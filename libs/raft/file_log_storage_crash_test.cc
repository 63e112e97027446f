// Real crashes with real files: a child process appends in a tight loop and reports every
// acknowledged index through a pipe; the parent kill -9s it at a random moment and checks that
// the reopened storage holds every acknowledged entry, contiguous and intact.
//
// kill -9 does not drop the page cache, so this proves the process-crash half of the contract
// (torn writes, recovery, no acknowledged entry lost); FaultInjectionEnv tests cover power loss.

#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "libs/raft/file_log_storage.h"
#include "libs/raft/test_util.h"
#include "libs/testing/harness.h"

namespace dcos::raft {
namespace {

using testing::MakeEntry;
using testing::MakeHardState;
using testing::MakeSnapshot;

constexpr uint64_t kSegmentSize = 64 << 10;  // rolls and deletions happen during the run

FileLogStorage::Options Options() {
  FileLogStorage::Options options;
  options.segment_size = kSegmentSize;
  return options;
}

// The child: loads, then appends batches of 1..64 entries (each Append carries a hard state whose commit
// is the batch's last index), snapshots now and then, and writes each acknowledged last index
// to `fd`. Never returns.
[[noreturn]] void RunChild(const std::string& dir, uint64_t seed, int fd) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  std::mt19937_64 rng(seed);
  auto storage = FileLogStorage::Open(Env::Default(), dir, Options());
  if (!storage.ok()) _exit(2);
  FileLogStorage& s = **storage;
  auto loaded = s.Load();
  if (!loaded.ok()) _exit(2);
  // Continues after what the previous child left.
  uint64_t last = loaded->entries.empty() ? loaded->snapshot.index() : loaded->entries.back().index();
  while (true) {
    std::vector<Entry> batch;
    const uint64_t n = 1 + rng() % 64;
    for (uint64_t i = 0; i < n; ++i) batch.push_back(MakeEntry(++last, 1));
    HardState hs = MakeHardState(1, 1, last);
    if (!s.Append(batch, &hs).ok()) _exit(3);
    if (::write(fd, &last, sizeof(last)) != sizeof(last)) _exit(4);
    if (rng() % 50 == 0 && last > 100) {
      if (!s.SaveSnapshot(MakeSnapshot(last - 100, 1), "snap").ok()) _exit(5);
    }
  }
}

TEST_CASE("kill -9 during an append loop loses no acknowledged entry", "[crash]") {
  const char* fixed = std::getenv("RAFT_TEST_SEED");
  const uint64_t seed = fixed != nullptr ? std::strtoull(fixed, nullptr, 10) : std::random_device{}();
  std::printf("crash test seed=%llu\n", static_cast<unsigned long long>(seed));
  INFO("seed=" << seed << " (replay with RAFT_TEST_SEED)");
  std::mt19937_64 rng(seed);
  const std::string dir = dcos::testing::MakeTempDir("crash");

  uint64_t acked = 0;  // highest index acknowledged over all rounds
  for (int round = 0; round < 20; ++round) {
    INFO("round " << round);
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const uint64_t child_seed = rng();
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(fds[0]);
      RunChild(dir, child_seed, fds[1]);
    }
    ::close(fds[1]);
    // Let the child acknowledge a random number of batches, then kill it wherever it is.
    const uint64_t wait_for = 1 + rng() % 200;
    uint64_t acks = 0;
    uint64_t value;
    bool child_died = false;
    while (acks < wait_for) {
      ssize_t n = ::read(fds[0], &value, sizeof(value));
      if (n < 0 && errno == EINTR) continue;
      if (n != sizeof(value)) {
        child_died = true;
        break;
      }
      acked = std::max(acked, value);
      ++acks;
    }
    ::kill(pid, SIGKILL);
    // Acknowledgements written before the kill landed still count.
    while (true) {
      ssize_t n = ::read(fds[0], &value, sizeof(value));
      if (n < 0 && errno == EINTR) continue;
      if (n != sizeof(value)) break;
      acked = std::max(acked, value);
    }
    ::close(fds[0]);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    INFO("child exit status " << status);
    REQUIRE_FALSE(child_died);
    REQUIRE(WIFSIGNALED(status));

    auto storage = FileLogStorage::Open(Env::Default(), dir, Options());
    REQUIRE(storage.ok());
    auto loaded = (*storage)->Load();
    INFO(loaded.status().ToString());
    REQUIRE(loaded.ok());
    const PersistentState& st = *loaded;
    const uint64_t last = st.entries.empty() ? st.snapshot.index() : st.entries.back().index();
    INFO("acknowledged " << acked << ", loaded up to " << last << ", snapshot "
                         << st.snapshot.index());
    REQUIRE(last >= acked);
    REQUIRE(st.snapshot.index() <= acked);
    for (size_t i = 0; i < st.entries.size(); ++i) {
      REQUIRE(st.entries[i].index() == st.snapshot.index() + 1 + i);
    }
    REQUIRE(testing::DataIntact(st.entries));
    // Hard state and entries share a frame: the latest hard state names the last entry.
    REQUIRE(st.hard_state.commit() == last);
    // The next child continues from there (a durable but unacknowledged tail is kept).
    acked = last;
  }
}

}  // namespace
}  // namespace dcos::raft
