#pragma once

// Checkpointer: the agent's state on disk under <work_dir>/meta (layout.h, checkpoint.proto).
//
// Every file is replaced atomically: the new content goes to `<file>.tmp`, is fsynced, renamed
// over the file, and the directory is fsynced; a crash at any point leaves the old or the new
// content, never a mix. New directories are made durable the same way (fsync of the parent).
// Changes are committed in groups (Commit): every temp file of a group is written, then all are
// fsynced at once (on several threads: a flush costs ~5 ms on this project's virtual disks,
// and the kernel and the device merge concurrent ones), renamed, and every directory touched
// is fsynced once, again at once. A group of 200 task files costs ~0.2 s instead of ~2 s.
// Each file starts with a header: the magic "DCOSCKP1", the payload's length and its CRC-32
// (both little-endian uint32), then the serialized message. A file that fails these checks is
// DATA_LOSS naming the file: the agent refuses to start rather than guess.
//
// File system access goes through raft::Env, so tests can crash it (FaultInjectionEnv).
// Thread-compatible: one user (the agent's driver thread).

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

// The file format, exposed for tests: header + payload, and back. Decode errors are
// DATA_LOSS naming `path`.
std::string EncodeCheckpointFile(const google::protobuf::MessageLite& message);
absl::Status DecodeCheckpointFile(const std::string& data, const std::string& path,
                                  google::protobuf::MessageLite* message);

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
  // leftover temp files are skipped. Errors: DATA_LOSS for a damaged file, others from Env.
  absl::StatusOr<CheckpointState> Load();

  const Layout& layout() const { return layout_; }

 private:
  // Creates `dir` and its missing parents; adds the parents to fsync to `to_sync`.
  absl::Status CreateDirs(const std::string& dir, std::set<std::string>* to_sync);
  // Removes `dir` with everything in it; adds its parent to `to_sync`.
  absl::Status RemoveTree(const std::string& dir, std::set<std::string>* to_sync);
  template <typename Message>
  absl::StatusOr<std::optional<Message>> ReadIfExists(const std::string& path);

  raft::Env* env_;
  Layout layout_;
};

}  // namespace dcos::agent
