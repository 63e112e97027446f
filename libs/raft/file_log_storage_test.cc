// FileLogStorage behaviour beyond the shared contract: files on disk, segment rolling and
// deletion, snapshot retention, errors from the file system.

#define CATCH_CONFIG_ENABLE_PAIR_STRINGMAKER
#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <string>

#include "libs/raft/fault_injection_env.h"
#include "libs/raft/file_log_storage.h"
#include "libs/raft/file_test_util.h"
#include "libs/raft/test_util.h"
#include "libs/testing/harness.h"

namespace dcos::raft {
namespace {

using testing::Ids;
using testing::MakeEntries;
using testing::MakeEntry;
using testing::MakeHardState;
using testing::MakeSnapshot;

constexpr uint64_t kSegment = 64 << 10;

// Fault-injecting tests need the operations in a fixed order: their segments are prepared in
// the calling thread (`background` false).
std::unique_ptr<FileLogStorage> OpenLoaded(Env* env, const std::string& dir,
                                           uint64_t segment_size = kSegment,
                                           PersistentState* state = nullptr,
                                           bool background = true) {
  std::unique_ptr<FileLogStorage> s = testing::OpenStorage(env, dir, segment_size, background);
  PersistentState loaded = testing::MustLoad(s.get());
  if (state != nullptr) *state = std::move(loaded);
  return s;
}

std::vector<std::string> List(const std::string& dir) { return testing::ListRaw(dir); }

// The segment files of `dir`/wal, without the spare.
std::vector<std::string> Segments(const std::string& dir) {
  std::vector<std::string> out;
  for (const std::string& name : List(dir + "/wal")) {
    if (name.size() > 4 && name.substr(name.size() - 4) == ".wal") out.push_back(name);
  }
  return out;
}

std::string Read(const std::string& path) { return testing::ReadRaw(path); }

TEST_CASE("segments roll at the configured size and are named in order", "[file]") {
  std::string dir = dcos::testing::MakeTempDir("roll");
  auto s = OpenLoaded(Env::Default(), dir, 1024);
  for (uint64_t i = 1; i <= 40; ++i) {
    REQUIRE(s->Append({MakeEntry(i, 1, std::string(100, 'x'))}, nullptr).ok());
  }
  CHECK(s->segment_count() > 3);
  std::vector<std::string> names = Segments(dir);
  CHECK(names.size() == s->segment_count());
  CHECK(names.front() == "0000000000000001.wal");
  // Every segment is its preallocated size: frames, then zeros.
  for (const std::string& name : names) {
    std::string data = Read(dir + "/wal/" + name);
    CHECK(data.size() == 1024);
    CHECK(data.back() == '\0');
  }
  s.reset();
  PersistentState st;
  s.reset();  // the old process is gone (and its lock)
  s = OpenLoaded(Env::Default(), dir, 1024, &st);
  CHECK(Ids(st.entries) == Ids(1, 40, 1));
  // Appends continue in the last segment after a reopen.
  REQUIRE(s->Append({MakeEntry(41, 1)}, nullptr).ok());
}

TEST_CASE("a snapshot deletes the segments it covers and keeps the latest two snapshots",
          "[file]") {
  std::string dir = dcos::testing::MakeTempDir("compact");
  auto s = OpenLoaded(Env::Default(), dir, 1024);
  HardState hs = MakeHardState(7, 1, 0);
  REQUIRE(s->Append({}, &hs).ok());
  for (uint64_t i = 1; i <= 100; ++i) {
    REQUIRE(s->Append({MakeEntry(i, 1, std::string(100, 'x'))}, nullptr).ok());
  }
  size_t before = s->segment_count();
  CHECK(before >= 12);
  REQUIRE(s->SaveSnapshot(MakeSnapshot(30, 1), "a").ok());
  REQUIRE(s->SaveSnapshot(MakeSnapshot(60, 1), "b").ok());
  REQUIRE(s->SaveSnapshot(MakeSnapshot(90, 1), "c").ok());
  CHECK(s->segment_count() <= 3);  // entries 91..100 (about 1,250 bytes) and no more
  CHECK(Segments(dir).size() == s->segment_count());
  CHECK(List(dir + "/snap") == std::vector<std::string>{
                                   "000000000000003c-0000000000000001.snap",
                                   "000000000000005a-0000000000000001.snap"});
  // Every remaining segment is needed: the first holds an entry after 90 or is the last.
  s.reset();
  PersistentState st;
  s.reset();  // the old process is gone (and its lock)
  s = OpenLoaded(Env::Default(), dir, 1024, &st);
  CHECK(st.snapshot.index() == 90);
  CHECK(Ids(st.entries) == Ids(91, 100, 1));
  CHECK(st.hard_state.term() == 7);  // kept by the segment headers
  CHECK(*s->LoadSnapshotData() == "c");
}

TEST_CASE("a snapshot covering everything still keeps the hard state", "[file]") {
  std::string dir = dcos::testing::MakeTempDir("compact-all");
  auto s = OpenLoaded(Env::Default(), dir, 256);
  for (uint64_t i = 1; i <= 30; ++i) {
    HardState hs = MakeHardState(i, 2, i);
    REQUIRE(s->Append({MakeEntry(i, 1, std::string(100, 'x'))}, &hs).ok());
  }
  REQUIRE(s->SaveSnapshot(MakeSnapshot(30, 1), "all").ok());
  CHECK(s->segment_count() == 1);
  s.reset();
  PersistentState st;
  s.reset();  // the old process is gone (and its lock)
  s = OpenLoaded(Env::Default(), dir, 256, &st);
  CHECK(st.entries.empty());
  CHECK(st.hard_state.term() == 30);
  CHECK(st.hard_state.commit() == 30);
  REQUIRE(s->Append({MakeEntry(31, 1)}, nullptr).ok());
}

TEST_CASE("a new segment is a spare prepared in the background, and the next one follows",
          "[file]") {
  std::string dir = dcos::testing::MakeTempDir("spare");
  auto s = OpenLoaded(Env::Default(), dir, 4096);
  s->WaitForSpareSegment();
  CHECK(List(dir + "/wal") == std::vector<std::string>{"spare-1"});
  REQUIRE(s->Append({MakeEntry(1, 1)}, nullptr).ok());
  s->WaitForSpareSegment();
  CHECK(List(dir + "/wal") == std::vector<std::string>{"0000000000000001.wal", "spare-2"});
  uint64_t i = 2;
  while (s->segment_count() < 2) {
    REQUIRE(s->Append({MakeEntry(i++, 1, std::string(300, 'x'))}, nullptr).ok());
  }
  s->WaitForSpareSegment();
  CHECK(List(dir + "/wal") == std::vector<std::string>{"0000000000000001.wal",
                                                        "0000000000000002.wal", "spare-3"});
  CHECK(Read(dir + "/wal/0000000000000002.wal").size() == 4096);
}

TEST_CASE("the segment size may change between runs", "[file]") {
  std::string dir = dcos::testing::MakeTempDir("resize");
  uint64_t last = 0;
  auto append = [&](FileLogStorage* s, int n) {
    for (int k = 0; k < n; ++k) {
      ++last;
      REQUIRE(s->Append({MakeEntry(last, 1, std::string(100, 'x'))}, nullptr).ok());
    }
  };
  // A smaller size applies once the current (larger) segment is full.
  for (uint64_t size : {uint64_t{4096}, uint64_t{1024}, uint64_t{512}, uint64_t{64 << 10}}) {
    INFO("segment size " << size);
    PersistentState st;
    auto s = OpenLoaded(Env::Default(), dir, size, &st);
    CHECK(Ids(st.entries) == Ids(1, last, 1));
    append(s.get(), 70);
  }
  PersistentState st;
  auto s = OpenLoaded(Env::Default(), dir, 4096, &st);
  CHECK(Ids(st.entries) == Ids(1, last, 1));
  // Each segment kept the size it was started with.
  std::vector<size_t> sizes;
  for (const std::string& name : Segments(dir)) sizes.push_back(Read(dir + "/wal/" + name).size());
  CHECK(sizes.front() == 4096);
  CHECK(std::count(sizes.begin(), sizes.end(), 1024) > 1);
  CHECK(std::count(sizes.begin(), sizes.end(), 512) > 1);
  CHECK(sizes.back() == 64 << 10);
}

TEST_CASE("a frame larger than a segment gets a segment of its own", "[file]") {
  std::string dir = dcos::testing::MakeTempDir("bigframe");
  auto s = OpenLoaded(Env::Default(), dir, 256);
  REQUIRE(s->Append({MakeEntry(1, 1)}, nullptr).ok());
  REQUIRE(s->Append({MakeEntry(2, 1, std::string(1000, 'b'))}, nullptr).ok());
  REQUIRE(s->Append({MakeEntry(3, 1)}, nullptr).ok());
  CHECK(s->segment_count() == 3);
  std::vector<std::string> names = Segments(dir);
  REQUIRE(names.size() == 3);
  CHECK(Read(dir + "/wal/" + names[0]).size() == 256);
  CHECK(Read(dir + "/wal/" + names[1]).size() > 1000);  // grown past its 256 bytes
  CHECK(Read(dir + "/wal/" + names[2]).size() == 256);
  s.reset();
  PersistentState st;
  s = OpenLoaded(Env::Default(), dir, 256, &st);
  REQUIRE(st.entries.size() == 3);
  CHECK(st.entries[1].data() == std::string(1000, 'b'));
}

TEST_CASE("Load twice, or calls before Load, fail cleanly", "[file]") {
  std::string dir = dcos::testing::MakeTempDir("order");
  auto opened = FileLogStorage::Open(Env::Default(), dir, {});
  REQUIRE(opened.ok());
  FileLogStorage& s = **opened;
  CHECK(s.Append({MakeEntry(1, 1)}, nullptr).code() == absl::StatusCode::kFailedPrecondition);
  CHECK(s.SaveSnapshot(MakeSnapshot(1, 1), "").code() == absl::StatusCode::kFailedPrecondition);
  REQUIRE(s.Load().ok());
  CHECK(s.Load().status().code() == absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("a directory that cannot be created is an error naming it", "[file]") {
  std::string dir = dcos::testing::MakeTempDir("badparent");
  auto f = Env::Default()->NewWritableFile(dir + "/file", true);
  REQUIRE(f.ok());
  auto s = FileLogStorage::Open(Env::Default(), dir + "/file/raft", {});
  REQUIRE_FALSE(s.ok());
  CHECK(std::string(s.status().message()).find(dir + "/file/raft") != std::string::npos);
}

TEST_CASE("a failed snapshot write leaves the previous state and no temp file", "[file]") {
  std::string dir = dcos::testing::MakeTempDir("snapfail");
  FaultInjectionEnv env(Env::Default());
  auto s = OpenLoaded(&env, dir, kSegment, nullptr, false);
  REQUIRE(s->Append(MakeEntries(1, 10, 1), nullptr).ok());
  REQUIRE(s->SaveSnapshot(MakeSnapshot(4, 1), "four").ok());
  env.InjectFault({FaultInjectionEnv::Op::kWrite, absl::ResourceExhaustedError("ENOSPC"), 1,
                   false, true});
  CHECK(s->SaveSnapshot(MakeSnapshot(8, 1), std::string(10000, 's')).code() ==
        absl::StatusCode::kResourceExhausted);
  CHECK(*s->LoadSnapshotData() == "four");
  CHECK(List(dir + "/snap") == std::vector<std::string>{"0000000000000004-0000000000000001.snap"});
  // Still usable: the next snapshot works.
  REQUIRE(s->SaveSnapshot(MakeSnapshot(8, 1), "eight").ok());
  s.reset();
  PersistentState st;
  s.reset();  // the old process is gone (and its lock)
  s = OpenLoaded(&env, dir, kSegment, &st, false);
  CHECK(st.snapshot.index() == 8);
  CHECK(Ids(st.entries) == Ids(9, 10, 1));
}

TEST_CASE("a failed fdatasync makes the storage refuse further writes until reopened", "[file]") {
  std::string dir = dcos::testing::MakeTempDir("syncfail");
  FaultInjectionEnv env(Env::Default());
  auto s = OpenLoaded(&env, dir, kSegment, nullptr, false);
  REQUIRE(s->Append(MakeEntries(1, 3, 1), nullptr).ok());
  env.InjectFault({FaultInjectionEnv::Op::kSync, absl::DataLossError("fdatasync: EIO"), 0, false,
                   false});
  CHECK(s->Append({MakeEntry(4, 1)}, nullptr).code() == absl::StatusCode::kDataLoss);
  absl::Status after = s->Append({MakeEntry(4, 1)}, nullptr);
  CHECK(after.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(std::string(after.message()).find("reopen") != std::string::npos);
  CHECK(s->last_index() == 3);
  s.reset();
  REQUIRE(env.Crash().ok());
  PersistentState st;
  s.reset();  // the old process is gone (and its lock)
  s = OpenLoaded(&env, dir, kSegment, &st, false);
  CHECK(Ids(st.entries) == Ids(1, 3, 1));
}

}  // namespace
}  // namespace dcos::raft

namespace dcos::raft {
namespace {

TEST_CASE("a data directory in use is refused to a second opener until released", "[file]") {
  std::string dir = dcos::testing::MakeTempDir("lock");
  auto first = FileLogStorage::Open(Env::Default(), dir, {});
  REQUIRE(first.ok());
  auto second = FileLogStorage::Open(Env::Default(), dir, {});
  REQUIRE(second.status().code() == absl::StatusCode::kFailedPrecondition);
  REQUIRE(second.status().message().find("LOCK") != std::string::npos);
  first->reset();
  REQUIRE(FileLogStorage::Open(Env::Default(), dir, {}).ok());
}

}  // namespace
}  // namespace dcos::raft
