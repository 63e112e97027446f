#pragma once

// Checkpointer: the agent's state on disk under <work_dir>/meta (layout.h, checkpoint.proto).
//
// Every file is kept in two slots, `<file>` and `<file>.1`, written in turn and in place: a
// commit overwrites the slot that does not hold the file's newest content with the next
// generation and fsyncs it; a crash at any point leaves that slot whole (new) or not (a write
// cut short, which its checks reveal), and the other slot still holds the previous content.
// Load takes, of each file, the whole slot with the highest generation. Rewriting a file in
// place creates and deletes no inode: on this project's ext4 (no journal) every file created
// scans past the inodes deleted in the last minutes, and replacing files by rename — a new
// inode and a deleted one per write, four writes per launched task — made that scan the
// agent's largest cost. A slot's first write creates it, made durable by an fsync of its
// directory, as are new directories (fsync of the parent).
// Changes are committed in groups (Commit): every slot of a group is written, then all are
// fsynced at once (on several threads: a flush costs ~5 ms on this project's virtual disks,
// and the kernel and the device merge concurrent ones), and every directory with a new entry
// is fsynced once, again at once. A group of 200 task files costs ~0.2 s instead of ~2 s.
// Each slot starts with a header: the magic "DCOSCKP2", the generation (little-endian uint64),
// the payload's length and the CRC-32 of generation and payload (little-endian uint32s), then
// the serialized message; bytes after it are left from a longer earlier content. Files of the
// first format ("DCOSCKP1", no generation, written by rename) read as generation 0. A file
// whose slots both fail these checks is DATA_LOSS naming it: the agent refuses to start
// rather than guess.
//
// File system access goes through raft::Env, so tests can crash it (FaultInjectionEnv).
// Thread-compatible: one user (the agent's driver thread).

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/raft/env.h"
#include "services/agent/checkpoint.pb.h"
#include "services/agent/layout.h"

namespace dcos::agent {

// Changes made durable together (Commit). Removals happen first, so a task removed and
// written again in one batch ends up written.
struct CheckpointBatch {
  std::vector<std::pair<std::string, std::string>> remove_tasks;  // (framework id, task id)
  std::vector<std::string> remove_frameworks;
  std::optional<checkpoint::AgentCheckpoint> agent;
  std::vector<checkpoint::FrameworkCheckpoint> frameworks;
  std::vector<checkpoint::TaskCheckpoint> tasks;

  bool empty() const {
    return remove_tasks.empty() && remove_frameworks.empty() && !agent.has_value() &&
           frameworks.empty() && tasks.empty();
  }
};

// Everything Load() found.
struct CheckpointState {
  std::optional<checkpoint::AgentCheckpoint> agent;
  std::vector<checkpoint::FrameworkCheckpoint> frameworks;
  std::vector<checkpoint::TaskCheckpoint> tasks;
};

// The slot format, exposed for tests: header + payload, and back; decoding returns the
// generation (0 for the first format) and, unless `message` is null, parses the payload.
// Decode errors are DATA_LOSS naming `path`.
std::string EncodeCheckpointFile(const google::protobuf::MessageLite& message,
                                 uint64_t generation = 1);
absl::StatusOr<uint64_t> DecodeCheckpointFile(const std::string& data, const std::string& path,
                                              google::protobuf::MessageLite* message);

// The path of slot `slot` (0 or 1) of checkpoint file `path`.
std::string CheckpointSlot(const std::string& path, int slot);

class Checkpointer {
 public:
  Checkpointer(raft::Env* env, Layout layout) : env_(env), layout_(std::move(layout)) {}

  // Returns once every change of `batch` is durable. On error some may be and others not (each
  // file old or new). Errors: as raft::Env's (RESOURCE_EXHAUSTED for a full disk, ...), the
  // path in the message.
  absl::Status Commit(const CheckpointBatch& batch);

  // Commits of one change each.
  absl::Status WriteAgent(const checkpoint::AgentCheckpoint& agent);
  absl::Status WriteFramework(const checkpoint::FrameworkCheckpoint& framework);
  absl::Status WriteTask(const checkpoint::TaskCheckpoint& task);
  // Removes a task's directory (with its runs) / a framework's directory (with its tasks).
  absl::Status RemoveTask(const std::string& framework_id, const std::string& task_id);
  absl::Status RemoveFramework(const std::string& framework_id);
  // Removes the whole meta dir (a new agent identity starts from nothing).
  absl::Status RemoveAll();

  // Reads everything. Directories without their file (a crash before the first write) and
  // leftover temp files (of the first format) are skipped. Errors: DATA_LOSS for a file
  // without a whole slot, others from Env.
  absl::StatusOr<CheckpointState> Load();

  const Layout& layout() const { return layout_; }

 private:
  // Creates `dir` and its missing parents; adds the parents to fsync to `to_sync`.
  absl::Status CreateDirs(const std::string& dir, std::set<std::string>* to_sync);
  // Removes `dir` with everything in it; adds its parent to `to_sync`.
  absl::Status RemoveTree(const std::string& dir, std::set<std::string>* to_sync);
  // The newest content of file `path` into *message (may be null: the slots are checked, not
  // parsed), and where it is into slots_; false when the file has no slot. DATA_LOSS when
  // no slot is whole.
  absl::StatusOr<bool> ReadNewest(const std::string& path, google::protobuf::MessageLite* message);
  template <typename Message>
  absl::StatusOr<std::optional<Message>> ReadIfExists(const std::string& path);

  // Where a file's newest content is.
  struct Slots {
    int newest = -1;  // the slot holding it; -1: none yet
    uint64_t generation = 0;
    bool exists[2] = {false, false};
  };

  raft::Env* env_;
  Layout layout_;
  // Of every file read or written so far (others are looked up on their first write).
  std::map<std::string, Slots> slots_;
  // Frameworks' tasks dirs made and hinted (dir_hints.h) so far.
  std::set<std::string> spread_;
};

}  // namespace dcos::agent
