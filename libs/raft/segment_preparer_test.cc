// SegmentPreparer: spares are full of real zeros, synced, handed over once; failures leave no
// file behind and the next Take tries again; the background thread keeps one spare ahead.

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "libs/raft/env.h"
#include "libs/raft/fault_injection_env.h"
#include "libs/raft/segment_preparer.h"
#include "libs/testing/harness.h"

namespace dcos::raft {
namespace {

using Op = FaultInjectionEnv::Op;

std::vector<std::string> List(const std::string& dir) {
  auto names = Env::Default()->ListDir(dir);
  REQUIRE(names.ok());
  return *names;
}

void CheckZeroFilled(const std::string& path, uint64_t size) {
  auto data = Env::Default()->ReadFile(path);
  REQUIRE(data.ok());
  CHECK(data->size() == size);
  CHECK(data->find_first_not_of('\0') == std::string::npos);
}

TEST_CASE("a spare is a file of real zeros, synced with its directory entry", "[preparer]") {
  std::string dir = dcos::testing::MakeTempDir("spare");
  FaultInjectionEnv env(Env::Default());
  const uint64_t size = (3 << 20) + 5;  // more than one chunk, not a multiple of it
  SegmentPreparer preparer(&env, dir, size, /*background=*/false);
  preparer.Start();
  CHECK(List(dir).empty());  // nothing runs ahead without a thread
  auto spare = preparer.Take();
  REQUIRE(spare.ok());
  CHECK(*spare == dir + "/spare-1");
  CHECK(SegmentPreparer::IsSpareName("spare-1"));
  CHECK_FALSE(SegmentPreparer::IsSpareName("0000000000000001.wal"));
  CheckZeroFilled(*spare, size);
  // Durable: a crash now keeps it whole.
  REQUIRE(env.Crash().ok());
  CheckZeroFilled(*spare, size);
  CHECK(env.Count(Op::kSync) == 4);  // one per MiB
  CHECK(env.Count(Op::kSyncDir) == 1);
}

TEST_CASE("a failed preparation leaves no file and the next Take tries again", "[preparer]") {
  std::string dir = dcos::testing::MakeTempDir("spare-fail");
  FaultInjectionEnv env(Env::Default());
  SegmentPreparer preparer(&env, dir, 4096, /*background=*/false);
  for (Op op : {Op::kCreate, Op::kWrite, Op::kSync, Op::kSyncDir}) {
    env.InjectFault({op, absl::ResourceExhaustedError("injected"), 0, false, true});
    auto spare = preparer.Take();
    CHECK(spare.status().code() == absl::StatusCode::kResourceExhausted);
    CHECK(List(dir).empty());
  }
  auto spare = preparer.Take();
  REQUIRE(spare.ok());
  CheckZeroFilled(*spare, 4096);
}

TEST_CASE("the background thread keeps one spare ready ahead of Take", "[preparer]") {
  std::string dir = dcos::testing::MakeTempDir("spare-bg");
  SegmentPreparer preparer(Env::Default(), dir, 1 << 20, /*background=*/true);
  preparer.Start();
  preparer.WaitIdle();
  CHECK(List(dir) == std::vector<std::string>{"spare-1"});
  auto first = preparer.Take();
  REQUIRE(first.ok());
  CHECK(*first == dir + "/spare-1");
  REQUIRE(Env::Default()->RenameFile(*first, dir + "/taken").ok());
  preparer.WaitIdle();  // the next one is prepared at once
  CHECK(List(dir) == std::vector<std::string>{"spare-2", "taken"});
  CheckZeroFilled(dir + "/spare-2", 1 << 20);
  auto second = preparer.Take();
  REQUIRE(second.ok());
  CHECK(*second == dir + "/spare-2");
}

TEST_CASE("after a failed background preparation, Take prepares in its own thread",
          "[preparer]") {
  std::string dir = dcos::testing::MakeTempDir("spare-bg-fail");
  FaultInjectionEnv env(Env::Default());
  env.InjectFault({Op::kSync, absl::DataLossError("EIO"), 0, false, false});
  SegmentPreparer preparer(&env, dir, 8192, /*background=*/true);
  preparer.Start();
  preparer.WaitIdle();
  CHECK(List(dir).empty());  // failed, removed, and not retried in a loop
  CHECK(env.Count(Op::kSync) == 1);
  auto spare = preparer.Take();
  REQUIRE(spare.ok());
  CheckZeroFilled(*spare, 8192);
}

}  // namespace
}  // namespace dcos::raft
