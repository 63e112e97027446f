// PosixEnv against the real file system, FaultInjectionEnv's crash model and faults, and the
// WAL frame format's checksums.

#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "libs/raft/env.h"
#include "libs/raft/fault_injection_env.h"
#include "libs/raft/wal_format.h"
#include "libs/testing/harness.h"

namespace dcos::raft {
namespace {

using Op = FaultInjectionEnv::Op;

void Write(Env* env, const std::string& path, const std::string& data, bool sync) {
  auto f = env->NewWritableFile(path, false);
  REQUIRE(f.ok());
  REQUIRE((*f)->Append(data).ok());
  if (sync) REQUIRE((*f)->Sync().ok());
}

std::string Read(Env* env, const std::string& path) {
  auto data = env->ReadFile(path);
  REQUIRE(data.ok());
  return *data;
}

TEST_CASE("PosixEnv reads, appends, truncates, renames, lists and removes", "[env]") {
  Env* env = Env::Default();
  std::string dir = dcos::testing::MakeTempDir("posix");
  bool created = false;
  REQUIRE(env->CreateDir(dir + "/d", &created).ok());
  CHECK(created);
  REQUIRE(env->CreateDir(dir + "/d", &created).ok());
  CHECK_FALSE(created);
  Write(env, dir + "/d/a", "hello ", true);
  Write(env, dir + "/d/a", "world", true);  // appends
  CHECK(Read(env, dir + "/d/a") == "hello world");
  CHECK(*env->ReadFileRange(dir + "/d/a", 6, 100) == "world");
  CHECK(*env->FileSize(dir + "/d/a") == 11);
  REQUIRE(env->TruncateFile(dir + "/d/a", 5).ok());
  CHECK(Read(env, dir + "/d/a") == "hello");
  REQUIRE(env->RenameFile(dir + "/d/a", dir + "/d/b").ok());
  REQUIRE(env->SyncDir(dir + "/d").ok());
  CHECK(*env->ListDir(dir + "/d") == std::vector<std::string>{"b"});
  REQUIRE(env->RemoveFile(dir + "/d/b").ok());
  CHECK_FALSE(*env->FileExists(dir + "/d/b"));
  std::string big(3 << 20, 'z');
  Write(env, dir + "/big", big, true);
  CHECK(Read(env, dir + "/big") == big);
}

TEST_CASE("PosixEnv maps errno to codes and names the path", "[env]") {
  Env* env = Env::Default();
  std::string dir = dcos::testing::MakeTempDir("errno");
  absl::StatusOr<std::string> missing = env->ReadFile(dir + "/nope");
  CHECK(missing.status().code() == absl::StatusCode::kNotFound);
  CHECK(std::string(missing.status().message()).find(dir + "/nope") != std::string::npos);
  CHECK(env->RemoveFile(dir + "/nope").code() == absl::StatusCode::kNotFound);
  CHECK(env->ListDir(dir + "/nope").status().code() == absl::StatusCode::kNotFound);
  Write(env, dir + "/file", "x", false);
  CHECK(env->CreateDir(dir + "/file", nullptr).code() == absl::StatusCode::kAlreadyExists);
  CHECK(ErrnoToStatus(ENOSPC, "write", "/x").code() == absl::StatusCode::kResourceExhausted);
  CHECK(ErrnoToStatus(EDQUOT, "write", "/x").code() == absl::StatusCode::kResourceExhausted);
  CHECK(ErrnoToStatus(EACCES, "open", "/x").code() == absl::StatusCode::kPermissionDenied);
  CHECK(ErrnoToStatus(EIO, "fsync", "/x").code() == absl::StatusCode::kDataLoss);
  CHECK(ErrnoToStatus(EBADF, "fsync", "/x").code() == absl::StatusCode::kInternal);
  CHECK(ErrnoToStatus(ENOSPC, "write", "/x").message() ==
        "write /x: No space left on device (errno 28)");
}

TEST_CASE("PosixEnv writes to /dev/full fail with RESOURCE_EXHAUSTED", "[env]") {
  auto f = Env::Default()->NewWritableFile("/dev/full", false);
  REQUIRE(f.ok());
  absl::Status s = (*f)->Append("data");
  CHECK(s.code() == absl::StatusCode::kResourceExhausted);
  CHECK(std::string(s.message()).find("/dev/full") != std::string::npos);
}

TEST_CASE("FaultInjectionEnv::Crash drops unsynced data and undoes unsynced directory changes",
          "[env]") {
  std::string dir = dcos::testing::MakeTempDir("fault");
  Env* posix = Env::Default();
  Write(posix, dir + "/old", "before", true);  // existed before: counts as durable
  Write(posix, dir + "/victim", "keep me", true);
  FaultInjectionEnv env(posix);

  Write(&env, dir + "/old", " synced", true);
  Write(&env, dir + "/old", " lost", false);
  Write(&env, dir + "/durable", "new file", true);
  REQUIRE(env.SyncDir(dir).ok());
  Write(&env, dir + "/unlisted", "data synced, dir not", true);
  Write(&env, dir + "/tmp", "renamed", true);
  REQUIRE(env.RenameFile(dir + "/tmp", dir + "/final").ok());
  REQUIRE(env.RemoveFile(dir + "/victim").ok());

  REQUIRE(env.Crash().ok());
  CHECK(Read(posix, dir + "/old") == "before synced");
  CHECK(Read(posix, dir + "/durable") == "new file");
  CHECK_FALSE(*posix->FileExists(dir + "/unlisted"));
  CHECK_FALSE(*posix->FileExists(dir + "/final"));
  CHECK_FALSE(*posix->FileExists(dir + "/tmp"));  // its creation was not durable either
  CHECK(Read(posix, dir + "/victim") == "keep me");

  // After a SyncDir the same operations survive.
  Write(&env, dir + "/tmp2", "renamed", true);
  REQUIRE(env.RenameFile(dir + "/tmp2", dir + "/final2").ok());
  REQUIRE(env.RemoveFile(dir + "/victim").ok());
  REQUIRE(env.SyncDir(dir).ok());
  REQUIRE(env.Crash().ok());
  CHECK(Read(posix, dir + "/final2") == "renamed");
  CHECK_FALSE(*posix->FileExists(dir + "/victim"));
}

TEST_CASE("FaultInjectionEnv injects the Nth failure, partial writes and sticky faults", "[env]") {
  std::string dir = dcos::testing::MakeTempDir("inject");
  FaultInjectionEnv env(Env::Default());
  env.InjectFault({Op::kWrite, absl::ResourceExhaustedError("full"), 2, true, true});
  auto f = env.NewWritableFile(dir + "/f", false);
  REQUIRE(f.ok());
  CHECK((*f)->Append("aa").ok());
  CHECK((*f)->Append("bb").ok());
  CHECK((*f)->Append("cccc").code() == absl::StatusCode::kResourceExhausted);
  CHECK((*f)->Append("dd").code() == absl::StatusCode::kResourceExhausted);
  CHECK(Read(&env, dir + "/f") == "aabbccd");  // half of each failed write landed
  CHECK(env.Count(Op::kWrite) == 4);
  env.ClearFaults();
  CHECK((*f)->Append("e").ok());
  env.InjectFault({Op::kSync, absl::DataLossError("EIO"), 0, false, false});
  CHECK((*f)->Sync().code() == absl::StatusCode::kDataLoss);
  CHECK((*f)->Sync().ok());  // not sticky
}

void WriteAt(Env* env, const std::string& path, uint64_t offset, const std::string& data,
             bool sync) {
  auto f = env->NewRandomWriteFile(path, false);
  REQUIRE(f.ok());
  REQUIRE((*f)->WriteAt(offset, data).ok());
  if (sync) REQUIRE((*f)->Sync().ok());
}

TEST_CASE("PosixEnv writes at offsets, in place or past the end", "[env]") {
  Env* env = Env::Default();
  std::string dir = dcos::testing::MakeTempDir("pwrite");
  WriteAt(env, dir + "/f", 0, std::string(10, '0'), true);
  WriteAt(env, dir + "/f", 3, "abc", true);
  CHECK(Read(env, dir + "/f") == "000abc0000");
  WriteAt(env, dir + "/f", 12, "z", true);  // past the end: a hole of zeros
  CHECK(Read(env, dir + "/f") == std::string("000abc0000\0\0z", 13));
  auto truncated = env->NewRandomWriteFile(dir + "/f", true);
  REQUIRE(truncated.ok());
  CHECK(*env->FileSize(dir + "/f") == 0);
  REQUIRE((*truncated)->Close().ok());
  CHECK((*truncated)->WriteAt(0, "x").code() == absl::StatusCode::kFailedPrecondition);
  CHECK(env->NewRandomWriteFile(dir + "/no/such/dir", false).status().code() ==
        absl::StatusCode::kNotFound);
}

TEST_CASE("FaultInjectionEnv::Crash undoes unsynced overwrites and drops unsynced growth",
          "[env]") {
  std::string dir = dcos::testing::MakeTempDir("fault-pwrite");
  Env* posix = Env::Default();
  FaultInjectionEnv env(posix);
  const std::string path = dir + "/seg";
  WriteAt(&env, path, 0, std::string(16, '.'), true);  // "preallocated", durable
  REQUIRE(env.SyncDir(dir).ok());
  WriteAt(&env, path, 0, "AAAA", true);    // durable overwrite
  WriteAt(&env, path, 4, "BBBB", false);   // lost
  WriteAt(&env, path, 6, "CCCC", false);   // lost, overlapping the previous one
  WriteAt(&env, path, 14, "DDDD", false);  // lost, and so is the growth
  CHECK(Read(posix, path) == "AAAABBCCCC....DDDD");
  REQUIRE(env.Crash().ok());
  CHECK(Read(posix, path) == "AAAA............");

  // A sync makes every earlier write durable; a rename carries the file's state along.
  WriteAt(&env, path, 4, "EE", false);
  WriteAt(&env, path, 8, "FF", true);
  WriteAt(&env, path, 10, "GG", false);
  REQUIRE(env.RenameFile(path, dir + "/renamed").ok());
  REQUIRE(env.SyncDir(dir).ok());
  REQUIRE(env.Crash().ok());
  CHECK(Read(posix, dir + "/renamed") == "AAAAEE..FF......");

  // A removed file comes back as it was durable.
  WriteAt(&env, dir + "/renamed", 0, "HH", false);
  REQUIRE(env.RemoveFile(dir + "/renamed").ok());
  REQUIRE(env.Crash().ok());
  CHECK(Read(posix, dir + "/renamed") == "AAAAEE..FF......");
}

TEST_CASE("FaultInjectionEnv fails WriteAt and Sync of a RandomWriteFile on demand", "[env]") {
  std::string dir = dcos::testing::MakeTempDir("fault-pwrite-inject");
  Env* posix = Env::Default();
  FaultInjectionEnv env(posix);
  const std::string path = dir + "/seg";
  WriteAt(&env, path, 0, std::string(8, '.'), true);
  REQUIRE(env.SyncDir(dir).ok());
  env.InjectFault({Op::kWrite, absl::ResourceExhaustedError("full"), 0, false, true});
  auto f = env.NewRandomWriteFile(path, false);
  REQUIRE(f.ok());
  CHECK((*f)->WriteAt(2, "wxyz").code() == absl::StatusCode::kResourceExhausted);
  CHECK(Read(posix, path) == "..wx....");  // half of it landed
  env.InjectFault({Op::kSync, absl::DataLossError("EIO"), 0, false, false});
  CHECK((*f)->Sync().code() == absl::StatusCode::kDataLoss);
  f->reset();
  REQUIRE(env.Crash().ok());
  CHECK(Read(posix, path) == "........");  // never synced
}

TEST_CASE("a segment's zero tail is its unused end; garbage there is a torn tail", "[env][wal]") {
  std::string seg = wal::EncodeSegmentHeader(1, nullptr, std::nullopt) + wal::EncodeSnapshotMarker(3, 1);
  const uint64_t end = seg.size();
  std::string padded = seg + std::string(1000, '\0');
  CHECK(wal::NonZeroEnd(padded) <= end);
  CHECK(wal::NonZeroEnd(std::string(9, '\0')) == 0);
  CHECK(wal::NonZeroEnd(std::string("\0\0a\0", 4)) == 3);
  for (bool is_last : {false, true}) {
    auto scan = wal::ScanSegment(padded, "seg", is_last);
    REQUIRE(scan.ok());
    CHECK(scan->frames.size() == 2);
    CHECK(scan->valid_end == end);
    CHECK_FALSE(scan->torn_tail.has_value());
  }
  std::string garbage = padded;
  garbage[end + 500] = 'g';
  auto last = wal::ScanSegment(garbage, "seg", true);
  REQUIRE(last.ok());
  CHECK(last->valid_end == end);
  CHECK(last->garbage_end == end + 501);
  CHECK(last->torn_tail.has_value());
  auto not_last = wal::ScanSegment(garbage, "seg", false);
  CHECK(not_last.status().code() == absl::StatusCode::kDataLoss);
}

TEST_CASE("frames round-trip and an all-zero header is never valid", "[env][wal]") {
  std::string data = wal::EncodeSnapshotMarker(7, 3);
  wal::Frame frame;
  std::string why;
  REQUIRE(wal::ParseFrame(data, 0, &frame, &why));
  CHECK(frame.type == wal::RecordType::kSnapshotMarker);
  auto marker = wal::DecodeSnapshotMarker(frame.payload);
  REQUIRE(marker.ok());
  CHECK(marker->index == 7);
  CHECK(marker->term == 3);
  std::string zeros(64, '\0');
  CHECK_FALSE(wal::ParseFrame(zeros, 0, &frame, &why));
  CHECK(why == "zero-filled space");
  CHECK_FALSE(wal::FindValidFrameAfter(zeros, 0).has_value());
  std::string two = zeros + data;
  CHECK(wal::FindValidFrameAfter(two, 0) == std::optional<uint64_t>(64));
  uint64_t seq = 0;
  CHECK(wal::ParseSegmentFileName(wal::SegmentFileName(0x1234), &seq));
  CHECK(seq == 0x1234);
  CHECK_FALSE(wal::ParseSegmentFileName("000000000000001.wal", &seq));
  CHECK_FALSE(wal::ParseSegmentFileName("000000000000000G.wal", &seq));
}

}  // namespace
}  // namespace dcos::raft
