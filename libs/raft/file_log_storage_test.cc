// FileLogStorage behaviour beyond the shared contract: files on disk, segment rolling and
// deletion, snapshot retention, errors from the file system.

#define CATCH_CONFIG_ENABLE_PAIR_STRINGMAKER
#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "libs/raft/fault_injection_env.h"
#include "libs/raft/file_log_storage.h"
#include "libs/raft/test_util.h"
#include "libs/testing/harness.h"

namespace dcos::raft {
namespace {

using testing::Ids;
using testing::MakeEntries;
using testing::MakeEntry;
using testing::MakeHardState;
using testing::MakeSnapshot;

std::unique_ptr<FileLogStorage> OpenLoaded(Env* env, const std::string& dir,
                                           uint64_t segment_size = 64ull << 20,
                                           PersistentState* state = nullptr) {
  FileLogStorage::Options options;
  options.segment_size = segment_size;
  auto s = FileLogStorage::Open(env, dir, options);
  REQUIRE(s.ok());
  auto loaded = (*s)->Load();
  INFO(loaded.status().ToString());
  REQUIRE(loaded.ok());
  if (state != nullptr) *state = *std::move(loaded);
  return *std::move(s);
}

std::vector<std::string> List(const std::string& dir) {
  auto names = Env::Default()->ListDir(dir);
  REQUIRE(names.ok());
  return *names;
}

TEST_CASE("segments roll at the configured size and are named in order", "[file]") {
  std::string dir = dcos::testing::MakeTempDir("roll");
  auto s = OpenLoaded(Env::Default(), dir, 1024);
  for (uint64_t i = 1; i <= 40; ++i) {
    REQUIRE(s->Append({MakeEntry(i, 1, std::string(100, 'x'))}, nullptr).ok());
  }
  CHECK(s->segment_count() > 3);
  std::vector<std::string> names = List(dir + "/wal");
  CHECK(names.size() == s->segment_count());
  CHECK(names.front() == "0000000000000001.wal");
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
  REQUIRE(s->SaveSnapshot(MakeSnapshot(30, 1), "a").ok());
  REQUIRE(s->SaveSnapshot(MakeSnapshot(60, 1), "b").ok());
  REQUIRE(s->SaveSnapshot(MakeSnapshot(90, 1), "c").ok());
  CHECK(s->segment_count() < before / 4);
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
  auto s = OpenLoaded(&env, dir);
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
  s = OpenLoaded(&env, dir, 64ull << 20, &st);
  CHECK(st.snapshot.index() == 8);
  CHECK(Ids(st.entries) == Ids(9, 10, 1));
}

TEST_CASE("a failed fdatasync makes the storage refuse further writes until reopened", "[file]") {
  std::string dir = dcos::testing::MakeTempDir("syncfail");
  FaultInjectionEnv env(Env::Default());
  auto s = OpenLoaded(&env, dir);
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
  s = OpenLoaded(&env, dir, 64ull << 20, &st);
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
