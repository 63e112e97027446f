// FileLogStorage's preallocated segments under crashes: spares left behind in any state, a
// crash between the rename of a spare and its header, failed writes inside a segment
// (README.md, "Recovery").

#define CATCH_CONFIG_ENABLE_PAIR_STRINGMAKER
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "libs/raft/fault_injection_env.h"
#include "libs/raft/file_test_util.h"
#include "libs/raft/test_util.h"
#include "libs/raft/wal_format.h"
#include "libs/testing/harness.h"

namespace dcos::raft {
namespace {

using Op = FaultInjectionEnv::Op;
using testing::Ids;
using testing::MakeEntry;
using testing::MustLoad;
using testing::OpenStorage;
using testing::ReadRaw;

constexpr uint64_t kSize = 512;

// Appends entries first..last, one per Append.
void AppendRange(FileLogStorage* s, uint64_t first, uint64_t last) {
  for (uint64_t i = first; i <= last; ++i) REQUIRE(s->Append({MakeEntry(i, 1)}, nullptr).ok());
}

// An entry too large for what is left of a segment after 5 small ones: it starts a new one.
Entry DoesNotFit(uint64_t index) { return MakeEntry(index, 1, std::string(kSize - 100, 'x')); }

std::vector<std::string> Spares(const std::string& dir) {
  std::vector<std::string> out;
  for (const std::string& name : testing::ListRaw(dir + "/wal")) {
    if (name.rfind("spare-", 0) == 0) out.push_back(name);
  }
  return out;
}

TEST_CASE("spares left behind in any state are removed by Load", "[spare]") {
  std::string dir = dcos::testing::MakeTempDir("leftover");
  {
    auto s = OpenStorage(Env::Default(), dir, kSize);
    MustLoad(s.get());
    AppendRange(s.get(), 1, 30);
    REQUIRE(s->segment_count() > 2);
  }
  const std::string in_wal = dir + "/wal/";
  testing::WriteRaw(in_wal + "spare-1", "");                          // just created
  testing::WriteRaw(in_wal + "spare-2", std::string(100, '\0'));      // half written
  testing::WriteRaw(in_wal + "spare-3", std::string(kSize, '\0'));    // ready
  testing::WriteRaw(in_wal + "spare-4", wal::EncodeSegmentHeader(99, nullptr, std::nullopt) +
                                         std::string(kSize, '\0'));  // never renamed
  testing::WriteRaw(in_wal + "spare-5", std::string(kSize, 'g'));     // not zeros at all
  auto s = OpenStorage(Env::Default(), dir, kSize);
  CHECK(Ids(MustLoad(s.get()).entries) == Ids(1, 30, 1));
  CHECK(Spares(dir).empty());
  const size_t segments = s->segment_count();
  AppendRange(s.get(), 31, 60);  // rolls into new spares
  CHECK(s->segment_count() > segments);
  s.reset();
  testing::CheckOnlyZerosAfterFrames(dir);
  s = OpenStorage(Env::Default(), dir, kSize);
  CHECK(Ids(MustLoad(s.get()).entries) == Ids(1, 60, 1));
}

TEST_CASE("a spare prepared in the background survives a crash and is removed by Load",
          "[spare]") {
  std::string dir = dcos::testing::MakeTempDir("spare-crash");
  FaultInjectionEnv env(Env::Default());
  auto s = OpenStorage(&env, dir, kSize, /*background=*/true);
  MustLoad(s.get());
  AppendRange(s.get(), 1, 20);
  s->WaitForSpareSegment();
  std::vector<std::string> spares = Spares(dir);
  REQUIRE(spares.size() == 1);
  s.reset();
  REQUIRE(env.Crash().ok());
  CHECK(Spares(dir) == spares);  // durable: it was synced with its directory
  CHECK(ReadRaw(dir + "/wal/" + spares[0]) == std::string(kSize, '\0'));
  s = OpenStorage(&env, dir, kSize, /*background=*/true);
  CHECK(Ids(MustLoad(s.get()).entries) == Ids(1, 20, 1));
  s->WaitForSpareSegment();
  // The old one is gone; the new preparer numbers from 1 again.
  CHECK(Spares(dir) == std::vector<std::string>{"spare-1"});
  AppendRange(s.get(), 21, 40);
}

TEST_CASE("a crash in the middle of preparing a spare leaves nothing Load minds", "[spare]") {
  std::string dir = dcos::testing::MakeTempDir("prep-crash");
  FaultInjectionEnv env(Env::Default());
  auto s = OpenStorage(&env, dir, kSize);
  MustLoad(s.get());
  AppendRange(s.get(), 1, 5);
  // The next roll's preparation writes its zeros, and then the process dies (here: its
  // fdatasync fails and the cleanup fails too); meanwhile the directory was synced for some
  // other reason, so the spare's name is durable but none of its zeros are.
  env.InjectFault({Op::kSync, absl::DataLossError("EIO"), 0, false, false});
  env.InjectFault({Op::kRemove, absl::InternalError("injected"), 0, false, false});
  CHECK_FALSE(s->Append({DoesNotFit(6)}, nullptr).ok());
  const uint64_t next = 6;
  REQUIRE(env.SyncDir(dir + "/wal").ok());
  s.reset();
  REQUIRE(env.Crash().ok());
  std::vector<std::string> spares = Spares(dir);
  REQUIRE(spares.size() == 1);
  CHECK(ReadRaw(dir + "/wal/" + spares[0]).empty());
  s = OpenStorage(&env, dir, kSize);
  CHECK(Ids(MustLoad(s.get()).entries) == Ids(1, next - 1, 1));
  CHECK(Spares(dir).empty());
  AppendRange(s.get(), next, next + 20);
}

TEST_CASE("a crash after a spare is renamed into place but before its header is durable",
          "[spare]") {
  std::string dir = dcos::testing::MakeTempDir("rename-crash");
  FaultInjectionEnv env(Env::Default());
  auto s = OpenStorage(&env, dir, kSize);
  MustLoad(s.get());
  AppendRange(s.get(), 1, 5);
  const size_t segments = s->segment_count();
  // Sync #1 of the roll is the spare's (succeeds), #2 the new segment's header (fails); the
  // cleanup fails, and the rename becomes durable anyway (ext4 may commit it with any fsync).
  env.InjectFault({Op::kSync, absl::DataLossError("EIO"), 1, false, false});
  env.InjectFault({Op::kRemove, absl::InternalError("injected"), 0, true, false});
  CHECK_FALSE(s->Append({DoesNotFit(6)}, nullptr).ok());
  const uint64_t next = 6;
  CHECK(s->segment_count() == segments);
  env.ClearFaults();
  REQUIRE(env.SyncDir(dir + "/wal").ok());
  s.reset();
  REQUIRE(env.Crash().ok());
  // The new segment is there, all zeros: the header written over the zeros was lost.
  const std::string new_segment = dir + "/wal/" + wal::SegmentFileName(segments + 1);
  CHECK(ReadRaw(new_segment) == std::string(kSize, '\0'));
  s = OpenStorage(&env, dir, kSize);
  CHECK(Ids(MustLoad(s.get()).entries) == Ids(1, next - 1, 1));
  CHECK_FALSE(*Env::Default()->FileExists(new_segment));  // a last segment with no header
  AppendRange(s.get(), next, next + 20);
  s.reset();
  s = OpenStorage(&env, dir, kSize);
  CHECK(Ids(MustLoad(s.get()).entries) == Ids(1, next + 20, 1));
}

TEST_CASE("a failed write is cut off and the next frame starts a new segment", "[spare]") {
  std::string dir = dcos::testing::MakeTempDir("failed-write");
  FaultInjectionEnv env(Env::Default());
  auto s = OpenStorage(&env, dir, 4096);
  MustLoad(s.get());
  AppendRange(s.get(), 1, 3);
  const std::string before = ReadRaw(dir + testing::kSegment1);
  // Half of a frame lands, then the write fails (not acknowledged; the storage stays usable).
  env.InjectFault({Op::kWrite, absl::ResourceExhaustedError("ENOSPC"), 0, false, true});
  CHECK(s->Append({MakeEntry(4, 1, std::string(2000, 'g'))}, nullptr).code() ==
        absl::StatusCode::kResourceExhausted);
  const std::string cut = ReadRaw(dir + testing::kSegment1);
  CHECK(cut == before.substr(0, testing::LogicalEnd(before)));
  AppendRange(s.get(), 4, 6);
  CHECK(s->segment_count() == 2);
  CHECK(ReadRaw(dir + testing::kSegment1) == cut);
  s.reset();
  REQUIRE(env.Crash().ok());
  testing::CheckOnlyZerosAfterFrames(dir);
  s = OpenStorage(&env, dir, 4096);
  CHECK(Ids(MustLoad(s.get()).entries) == Ids(1, 6, 1));
}

}  // namespace
}  // namespace dcos::raft
