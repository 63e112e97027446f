// The LogStorage contract (storage.h), checked against every implementation.

#define CATCH_CONFIG_ENABLE_PAIR_STRINGMAKER
#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "libs/raft/env.h"
#include "libs/raft/file_log_storage.h"
#include "libs/raft/mem_log_storage.h"
#include "libs/raft/test_util.h"
#include "libs/testing/harness.h"

namespace dcos::raft {
namespace {

using testing::Ids;
using testing::MakeEntries;
using testing::MakeEntry;
using testing::MakeHardState;
using testing::MakeSnapshot;

// Reopen() returns the storage as a restarted member would see it; call Load() on it next.
struct MemFixture {
  MemLogStorage storage;
  LogStorage* Reopen() { return &storage; }
};

// FileLogStorage with `segment_size`-byte segments, prepared in the background or not.
template <uint64_t segment_size, bool background>
struct FileFixtureOf {
  std::string dir = dcos::testing::MakeTempDir("contract");
  std::unique_ptr<FileLogStorage> storage;
  LogStorage* Reopen() {
    storage.reset();
    FileLogStorage::Options options;
    options.segment_size = segment_size;
    options.prepare_in_background = background;
    auto opened = FileLogStorage::Open(Env::Default(), dir, options);
    REQUIRE(opened.ok());
    storage = std::move(*opened);
    return storage.get();
  }
};
// Several segments even in small tests.
using FileFixture = FileFixtureOf<4096, true>;
// Most frames do not fit in what is left of a segment, some not in a whole one.
using TinySegmentFileFixture = FileFixtureOf<128, false>;

PersistentState MustLoad(LogStorage* s) {
  absl::StatusOr<PersistentState> state = s->Load();
  INFO(state.status().ToString());
  REQUIRE(state.ok());
  return *std::move(state);
}

TEMPLATE_TEST_CASE("a fresh storage is empty", "[contract]", MemFixture,
                   FileFixture, TinySegmentFileFixture) {
  TestType f;
  PersistentState st = MustLoad(f.Reopen());
  CHECK(st.entries.empty());
  CHECK(st.snapshot.index() == 0);
  CHECK(st.hard_state.term() == 0);
  CHECK(f.Reopen() != nullptr);
}

TEMPLATE_TEST_CASE("appended entries and hard state survive a reopen", "[contract]", MemFixture,
                   FileFixture, TinySegmentFileFixture) {
  TestType f;
  LogStorage* s = f.Reopen();
  MustLoad(s);
  HardState hs = MakeHardState(3, 2, 5);
  REQUIRE(s->Append(MakeEntries(1, 5, 1), nullptr).ok());
  REQUIRE(s->Append(MakeEntries(6, 10, 3), &hs).ok());
  PersistentState st = MustLoad(f.Reopen());
  CHECK(Ids(st.entries) == [] {
    auto ids = Ids(1, 5, 1);
    auto more = Ids(6, 10, 3);
    ids.insert(ids.end(), more.begin(), more.end());
    return ids;
  }());
  CHECK(testing::DataIntact(st.entries));
  CHECK(st.hard_state.term() == 3);
  CHECK(st.hard_state.vote() == 2);
  CHECK(st.hard_state.commit() == 5);
}

TEMPLATE_TEST_CASE("an append at an earlier index overwrites the suffix", "[contract]",
                   MemFixture, FileFixture, TinySegmentFileFixture) {
  TestType f;
  LogStorage* s = f.Reopen();
  MustLoad(s);
  REQUIRE(s->Append(MakeEntries(1, 6, 1), nullptr).ok());
  REQUIRE(s->Append(MakeEntries(3, 4, 2), nullptr).ok());  // a new leader's log from 3
  auto expected = Ids(1, 2, 1);
  expected.emplace_back(3, 2);
  expected.emplace_back(4, 2);
  PersistentState st = MustLoad(f.Reopen());
  CHECK(Ids(st.entries) == expected);
  // And appending after the overwrite continues from the new end.
  s = f.Reopen();
  MustLoad(s);
  REQUIRE(s->Append({MakeEntry(5, 2)}, nullptr).ok());
  expected.emplace_back(5, 2);
  CHECK(Ids(MustLoad(f.Reopen()).entries) == expected);
}

TEMPLATE_TEST_CASE("the latest hard state wins", "[contract]", MemFixture,
                   FileFixture, TinySegmentFileFixture) {
  TestType f;
  LogStorage* s = f.Reopen();
  MustLoad(s);
  for (uint64_t t = 1; t <= 20; ++t) {
    HardState hs = MakeHardState(t, t % 3, t / 2);
    REQUIRE(s->Append({}, &hs).ok());
  }
  REQUIRE(s->Append({}, nullptr).ok());  // nothing to do
  PersistentState st = MustLoad(f.Reopen());
  CHECK(st.hard_state.term() == 20);
  CHECK(st.hard_state.vote() == 2);
  CHECK(st.hard_state.commit() == 10);
  CHECK(st.entries.empty());
}

TEMPLATE_TEST_CASE("appends that break the preconditions fail and change nothing", "[contract]",
                   MemFixture, FileFixture, TinySegmentFileFixture) {
  TestType f;
  LogStorage* s = f.Reopen();
  MustLoad(s);
  REQUIRE(s->Append(MakeEntries(1, 3, 1), nullptr).ok());
  HardState hs = MakeHardState(9, 9, 9);
  // A gap after the last index.
  absl::Status gap = s->Append({MakeEntry(5, 1)}, &hs);
  CHECK(gap.code() == absl::StatusCode::kFailedPrecondition);
  // Not contiguous within the batch.
  absl::Status holes = s->Append({MakeEntry(4, 1), MakeEntry(6, 1)}, &hs);
  CHECK(holes.code() == absl::StatusCode::kInvalidArgument);
  // Covered by the snapshot.
  REQUIRE(s->SaveSnapshot(MakeSnapshot(2, 1), "snap-2").ok());
  absl::Status covered = s->Append({MakeEntry(2, 1)}, &hs);
  CHECK(covered.code() == absl::StatusCode::kFailedPrecondition);
  // A snapshot that is not newer.
  CHECK(s->SaveSnapshot(MakeSnapshot(2, 1), "again").code() ==
        absl::StatusCode::kFailedPrecondition);
  CHECK(s->SaveSnapshot(MakeSnapshot(1, 1), "older").code() ==
        absl::StatusCode::kFailedPrecondition);
  PersistentState st = MustLoad(f.Reopen());
  CHECK(Ids(st.entries) == Ids(3, 3, 1));
  CHECK(st.hard_state.term() == 0);
  CHECK(st.snapshot.index() == 2);
}

TEMPLATE_TEST_CASE("a snapshot discards the entries it covers", "[contract]", MemFixture,
                   FileFixture, TinySegmentFileFixture) {
  TestType f;
  LogStorage* s = f.Reopen();
  MustLoad(s);
  REQUIRE(s->Append(MakeEntries(1, 10, 1), nullptr).ok());
  REQUIRE(s->SaveSnapshot(MakeSnapshot(6, 1), "state@6").ok());
  CHECK(*s->LoadSnapshotData() == "state@6");
  REQUIRE(s->Append({MakeEntry(11, 1)}, nullptr).ok());
  s = f.Reopen();
  PersistentState st = MustLoad(s);
  CHECK(st.snapshot.index() == 6);
  CHECK(st.snapshot.term() == 1);
  CHECK(st.snapshot.conf_state().voters_size() == 2);
  CHECK(Ids(st.entries) == Ids(7, 11, 1));
  CHECK(*s->LoadSnapshotData() == "state@6");
}

TEMPLATE_TEST_CASE("a snapshot past the end of the log empties it", "[contract]", MemFixture,
                   FileFixture, TinySegmentFileFixture) {
  TestType f;
  LogStorage* s = f.Reopen();
  MustLoad(s);
  REQUIRE(s->Append(MakeEntries(1, 3, 1), nullptr).ok());
  REQUIRE(s->SaveSnapshot(MakeSnapshot(10, 2), "installed").ok());
  REQUIRE(s->Append({MakeEntry(11, 2)}, nullptr).ok());
  PersistentState st = MustLoad(f.Reopen());
  CHECK(st.snapshot.index() == 10);
  CHECK(Ids(st.entries) == Ids(11, 11, 2));
}

TEMPLATE_TEST_CASE("a snapshot whose last entry conflicts with the log discards the whole log",
                   "[contract]", MemFixture,
                   FileFixture, TinySegmentFileFixture) {
  TestType f;
  LogStorage* s = f.Reopen();
  MustLoad(s);
  REQUIRE(s->Append(MakeEntries(1, 10, 1), nullptr).ok());
  // The leader's entry 5 has term 2: entries 6..10 of term 1 are not the leader's.
  REQUIRE(s->SaveSnapshot(MakeSnapshot(5, 2), "leader@5").ok());
  REQUIRE(s->Append({MakeEntry(6, 2)}, nullptr).ok());
  PersistentState st = MustLoad(f.Reopen());
  CHECK(st.snapshot.index() == 5);
  CHECK(st.snapshot.term() == 2);
  CHECK(Ids(st.entries) == Ids(6, 6, 2));
}

TEMPLATE_TEST_CASE("many snapshots and appends", "[contract]", MemFixture,
                   FileFixture, TinySegmentFileFixture) {
  TestType f;
  LogStorage* s = f.Reopen();
  MustLoad(s);
  const std::string payload(200, 'p');
  uint64_t last = 0;
  for (int round = 0; round < 20; ++round) {
    std::vector<Entry> batch;
    for (int i = 0; i < 10; ++i) batch.push_back(MakeEntry(++last, 1, payload));
    REQUIRE(s->Append(batch, nullptr).ok());
    REQUIRE(s->SaveSnapshot(MakeSnapshot(last - 5, 1), absl::StrCat("state@", last - 5)).ok());
  }
  s = f.Reopen();
  PersistentState st = MustLoad(s);
  CHECK(st.snapshot.index() == last - 5);
  CHECK(Ids(st.entries).size() == 5);
  CHECK(st.entries.front().index() == last - 4);
  CHECK(*s->LoadSnapshotData() == absl::StrCat("state@", last - 5));
}

}  // namespace
}  // namespace dcos::raft
