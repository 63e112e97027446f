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
