#pragma once

// Checkpointer: the agent's state on disk under <work_dir>/meta (layout.h, checkpoint.proto).
//
// Every file is replaced atomically: the new content goes to `<file>.tmp`, is fsynced, renamed
// over the file, and the directory is fsynced; a crash at any point leaves the old or the new
// content, never a mix. New directories are made durable the same way (fsync of the parent).
// Each file starts with a header: the magic "DCOSCKP1", the payload's length and its CRC-32
// (both little-endian uint32), then the serialized message. A file that fails these checks is
// DATA_LOSS naming the file: the agent refuses to start rather than guess.
//
// File system access goes through raft::Env, so tests can crash it (FaultInjectionEnv).
// Thread-compatible: one user (the agent's driver thread).

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/raft/env.h"
#include "services/agent/checkpoint.pb.h"
#include "services/agent/layout.h"

namespace dcos::agent {

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

  // Each returns once the change is durable. Errors: as raft::Env's (RESOURCE_EXHAUSTED for a
  // full disk, ...), the path in the message.
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
  // Creates `dir` and its missing parents, durably.
  absl::Status CreateDirs(const std::string& dir);
  absl::Status WriteAtomically(const std::string& path, const std::string& data);
  absl::Status RemoveTree(const std::string& dir);
  template <typename Message>
  absl::StatusOr<std::optional<Message>> ReadIfExists(const std::string& path);

  raft::Env* env_;
  Layout layout_;
};

}  // namespace dcos::agent
