// The checkpoint format and its atomicity: round trips, damaged files refused, a slot cut
// short falling back to the other, files of the first format read, rewrites in place (no new
// inode), and a crash at every step of a rewrite leaving the old or the new content
// (FaultInjectionEnv).

#include <sys/stat.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "libs/raft/fault_injection_env.h"
#include "libs/testing/harness.h"
#include "services/agent/checkpoint.h"

namespace dcos::agent {
namespace {

using checkpoint::AgentCheckpoint;
using checkpoint::FrameworkCheckpoint;
using checkpoint::TaskCheckpoint;

TaskCheckpoint Task(const std::string& fid, const std::string& tid, const std::string& message) {
  TaskCheckpoint t;
  t.mutable_framework_id()->set_value(fid);
  t.mutable_task()->mutable_task_id()->set_value(tid);
  t.mutable_task()->mutable_command()->set_value("sleep 1");
  t.mutable_container_id()->set_value("c-" + tid);
  t.set_state(common::v1::TASK_RUNNING);
  common::v1::TaskStatus* s = t.add_pending_updates();
  s->set_uuid(std::string(16, 'x'));
  s->set_message(message);
  return t;
}

FrameworkCheckpoint Framework(const std::string& fid) {
  FrameworkCheckpoint f;
  f.mutable_info()->mutable_id()->set_value(fid);
  f.mutable_info()->set_name("fw " + fid);
  return f;
}

TEST_CASE("what is written is loaded back", "[checkpoint]") {
  std::string dir = testing::MakeTempDir("ckpt");
  Checkpointer c(raft::Env::Default(), Layout(dir));
  auto empty = c.Load();
  REQUIRE(empty.ok());
  CHECK_FALSE(empty->agent.has_value());
  CHECK(empty->tasks.empty());

  AgentCheckpoint agent;
  agent.mutable_info()->mutable_id()->set_value("S1");
  agent.set_boot_id("boot");
  REQUIRE(c.WriteAgent(agent).ok());
  REQUIRE(c.WriteFramework(Framework("F1")).ok());
  REQUIRE(c.WriteFramework(Framework("F2")).ok());
  REQUIRE(c.WriteTask(Task("F1", "a", "one")).ok());
  REQUIRE(c.WriteTask(Task("F1", "b", "two")).ok());
  REQUIRE(c.WriteTask(Task("F2", "a", "three")).ok());
  REQUIRE(c.WriteTask(Task("F1", "a", "one again")).ok());

  auto state = c.Load();
  REQUIRE(state.ok());
  REQUIRE(state->agent.has_value());
  CHECK(state->agent->info().id().value() == "S1");
  CHECK(state->frameworks.size() == 2);
  REQUIRE(state->tasks.size() == 3);
  CHECK(state->tasks[0].pending_updates(0).message() == "one again");

  REQUIRE(c.RemoveTask("F1", "a").ok());
  REQUIRE(c.RemoveFramework("F2").ok());
  state = c.Load();
  REQUIRE(state.ok());
  CHECK(state->frameworks.size() == 1);
  REQUIRE(state->tasks.size() == 1);
  CHECK(state->tasks[0].task().task_id().value() == "b");
  // Removing what is not there is fine.
  CHECK(c.RemoveTask("F1", "nope").ok());

  // A directory without its file (a crash before the first write) and a leftover temp file
  // are skipped.
  std::filesystem::create_directories(Layout(dir).TaskDir("F1", "half"));
  std::ofstream(Layout(dir).TaskFile("F1", "half") + ".tmp") << "junk";
  state = c.Load();
  REQUIRE(state.ok());
  CHECK(state->tasks.size() == 1);

  REQUIRE(c.RemoveAll().ok());
  CHECK_FALSE(c.Load()->agent.has_value());
}

TEST_CASE("a damaged file is refused with DATA_LOSS naming it", "[checkpoint]") {
  std::string dir = testing::MakeTempDir("ckpt");
  Checkpointer c(raft::Env::Default(), Layout(dir));
  REQUIRE(c.WriteFramework(Framework("F1")).ok());
  REQUIRE(c.WriteTask(Task("F1", "a", "one")).ok());
  const std::string path = Layout(dir).TaskFile("F1", "a");
  std::string good = *testing::ReadFile(path);

  for (int variant = 0; variant < 4; ++variant) {
    std::string bad = good;
    if (variant == 0) bad[bad.size() - 3] ^= 0x40;     // a flipped bit in the payload
    if (variant == 1) bad.resize(bad.size() - 1);        // cut short
    if (variant == 2) bad = "garbage";                   // no header
    if (variant == 3) bad[0] = 'X';                      // wrong magic
    std::ofstream(path, std::ios::trunc) << bad;
    auto state = c.Load();
    INFO("variant " << variant);
    REQUIRE_FALSE(state.ok());
    CHECK(state.status().code() == absl::StatusCode::kDataLoss);
    CHECK(state.status().message().find(path) != std::string::npos);
  }
  common::v1::TaskStatus decoded;
  absl::StatusOr<uint64_t> generation =
      DecodeCheckpointFile(EncodeCheckpointFile(Task("F", "t", "m").pending_updates(0), 42), "p",
                           &decoded);
  REQUIRE(generation.ok());
  CHECK(*generation == 42);
  CHECK(decoded.message() == "m");
}

uint64_t Inode(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

TEST_CASE("rewrites go to the two slots in turn, in place; a slot cut short falls back",
          "[checkpoint]") {
  std::string dir = testing::MakeTempDir("ckpt");
  const std::string path = Layout(dir).TaskFile("F1", "a");
  {
    Checkpointer c(raft::Env::Default(), Layout(dir));
    REQUIRE(c.WriteFramework(Framework("F1")).ok());
    REQUIRE(c.WriteTask(Task("F1", "a", "one")).ok());
    CHECK_FALSE(std::filesystem::exists(CheckpointSlot(path, 1)));
    REQUIRE(c.WriteTask(Task("F1", "a", "two, longer than one")).ok());
    const uint64_t inode0 = Inode(CheckpointSlot(path, 0));
    const uint64_t inode1 = Inode(CheckpointSlot(path, 1));
    for (int i = 3; i < 8; ++i) REQUIRE(c.WriteTask(Task("F1", "a", std::to_string(i))).ok());
    // No file was created or replaced: the same two inodes.
    CHECK(Inode(CheckpointSlot(path, 0)) == inode0);
    CHECK(Inode(CheckpointSlot(path, 1)) == inode1);
  }
  // 7 went to slot 0 (odd writes), 6 to slot 1; a new Checkpointer finds 7 and goes on.
  Checkpointer c(raft::Env::Default(), Layout(dir));
  REQUIRE(c.WriteTask(Task("F1", "a", "8")).ok());  // looks at the slots first: into slot 1
  auto state = c.Load();
  REQUIRE(state.ok());
  REQUIRE(state->tasks.size() == 1);
  CHECK(state->tasks[0].pending_updates(0).message() == "8");

  // The newest slot cut short (a crash during its write): the other one is loaded.
  std::string newest = *testing::ReadFile(CheckpointSlot(path, 1));
  std::ofstream(CheckpointSlot(path, 1), std::ios::trunc) << newest.substr(0, newest.size() / 2);
  state = c.Load();
  REQUIRE(state.ok());
  CHECK(state->tasks[0].pending_updates(0).message() == "7");
  // Both damaged: refused.
  std::ofstream(CheckpointSlot(path, 0), std::ios::trunc) << "garbage";
  state = c.Load();
  REQUIRE_FALSE(state.ok());
  CHECK(state.status().code() == absl::StatusCode::kDataLoss);
}

TEST_CASE("a file of the first format (replaced by rename) is read and then rewritten",
          "[checkpoint]") {
  std::string dir = testing::MakeTempDir("ckpt");
  const std::string path = Layout(dir).TaskFile("F1", "a");
  std::filesystem::create_directories(Layout(dir).TaskDir("F1", "a"));
  // "DCOSCKP1", payload length, CRC-32 of the payload, payload.
  const std::string payload = Task("F1", "a", "first format").SerializeAsString();
  std::string v1 = "DCOSCKP1";
  for (uint32_t v : {static_cast<uint32_t>(payload.size()),
                     static_cast<uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(payload.data()),
                                                 static_cast<uInt>(payload.size())))}) {
    for (int i = 0; i < 4; ++i) v1.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  std::ofstream(path) << v1 + payload;
  Checkpointer c(raft::Env::Default(), Layout(dir));
  REQUIRE(c.WriteFramework(Framework("F1")).ok());
  auto state = c.Load();
  REQUIRE(state.ok());
  REQUIRE(state->tasks.size() == 1);
  CHECK(state->tasks[0].pending_updates(0).message() == "first format");
  REQUIRE(c.WriteTask(Task("F1", "a", "second format")).ok());
  CHECK(std::filesystem::exists(CheckpointSlot(path, 1)));  // the old file kept until then
  state = c.Load();
  REQUIRE(state.ok());
  CHECK(state->tasks[0].pending_updates(0).message() == "second format");
}

TEST_CASE("a crash at any step of a rewrite leaves the old or the new task", "[checkpoint]") {
  using Op = raft::FaultInjectionEnv::Op;
  int old_seen = 0, new_seen = 0;
  // Earlier writes: 1 (the rewrite creates the second slot) or 2 and 3 (it overwrites one).
  for (int earlier : {1, 2, 3}) for (Op op : {Op::kCreate, Op::kWrite, Op::kSync, Op::kSyncDir}) {
    for (int skip = 0; skip < 3; ++skip) {
      INFO("after " << earlier << " writes, fault at op " << static_cast<int>(op) << " skip "
                    << skip);
      std::string dir = testing::MakeTempDir("ckpt");
      raft::FaultInjectionEnv env(raft::Env::Default());
      Checkpointer c(&env, Layout(dir));
      REQUIRE(c.WriteFramework(Framework("F1")).ok());
      for (int i = 1; i < earlier; ++i) REQUIRE(c.WriteTask(Task("F1", "a", "older")).ok());
      REQUIRE(c.WriteTask(Task("F1", "a", "old")).ok());
      env.InjectFault({op, absl::InternalError("injected"), skip, /*sticky=*/true});
      absl::Status write = c.WriteTask(Task("F1", "a", "new"));
      REQUIRE(env.Crash().ok());
      env.ClearFaults();
      auto state = c.Load();
      REQUIRE(state.ok());
      REQUIRE(state->tasks.size() == 1);
      const std::string& got = state->tasks[0].pending_updates(0).message();
      CHECK((got == "old" || got == "new"));
      if (write.ok()) CHECK(got == "new");  // acknowledged writes are durable
      (got == "old" ? old_seen : new_seen)++;
    }
  }
  CHECK(old_seen > 0);
  CHECK(new_seen > 0);
}

TEST_CASE("a crash at any step of a group commit leaves each file old or new", "[checkpoint]") {
  using Op = raft::FaultInjectionEnv::Op;
  constexpr int kTasks = 5;
  for (Op op : {Op::kCreate, Op::kWrite, Op::kSync, Op::kSyncDir}) {
    for (int skip = 0; skip < 2 * kTasks; skip += 3) {
      INFO("fault at op " << static_cast<int>(op) << " skip " << skip);
      std::string dir = testing::MakeTempDir("ckpt");
      raft::FaultInjectionEnv env(raft::Env::Default());
      Checkpointer c(&env, Layout(dir));
      CheckpointBatch before;
      before.frameworks.push_back(Framework("F1"));
      for (int i = 0; i < kTasks; ++i) before.tasks.push_back(Task("F1", std::to_string(i), "old"));
      before.tasks.push_back(Task("F1", "gone", "old"));
      REQUIRE(c.Commit(before).ok());
      CheckpointBatch after;
      after.remove_tasks.emplace_back("F1", "gone");
      for (int i = 0; i < kTasks; ++i) after.tasks.push_back(Task("F1", std::to_string(i), "new"));
      after.tasks.push_back(Task("F1", "fresh", "new"));
      env.InjectFault({op, absl::InternalError("injected"), skip, /*sticky=*/true});
      absl::Status commit = c.Commit(after);
      REQUIRE(env.Crash().ok());
      env.ClearFaults();
      auto state = c.Load();
      REQUIRE(state.ok());
      for (const TaskCheckpoint& t : state->tasks) {
        const std::string& got = t.pending_updates(0).message();
        INFO("task " << t.task().task_id().value());
        CHECK((got == "old" || got == "new"));
        if (commit.ok()) CHECK(got == "new");  // an acknowledged commit is durable
      }
      if (commit.ok()) CHECK(state->tasks.size() == kTasks + 1);  // "gone" gone, "fresh" there
    }
  }
}

TEST_CASE("a task written for the first time survives a crash once written", "[checkpoint]") {
  std::string dir = testing::MakeTempDir("ckpt");
  raft::FaultInjectionEnv env(raft::Env::Default());
  Checkpointer c(&env, Layout(dir));
  REQUIRE(c.WriteFramework(Framework("F9")).ok());
  REQUIRE(c.WriteTask(Task("F9", "new-task", "hello")).ok());
  REQUIRE(env.Crash().ok());
  auto state = c.Load();
  REQUIRE(state.ok());
  REQUIRE(state->tasks.size() == 1);
  CHECK(state->tasks[0].pending_updates(0).message() == "hello");
}

}  // namespace
}  // namespace dcos::agent
