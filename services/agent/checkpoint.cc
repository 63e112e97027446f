#include "services/agent/checkpoint.h"

#include <zlib.h>

#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/status/status_macros.h"

namespace dcos::agent {
namespace {

constexpr char kMagic[] = "DCOSCKP1";
constexpr size_t kMagicSize = sizeof(kMagic) - 1;
constexpr size_t kHeaderSize = kMagicSize + 8;

void PutUint32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint32_t GetUint32(const std::string& in, size_t at) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(in[at + i])) << (8 * i);
  return v;
}

uint32_t Crc32(const std::string& data, size_t offset) {
  return static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(data.data() + offset),
            static_cast<uInt>(data.size() - offset)));
}


}  // namespace

std::string EncodeCheckpointFile(const google::protobuf::MessageLite& message) {
  std::string out(kMagic, kMagicSize);
  std::string payload = message.SerializeAsString();
  PutUint32(&out, static_cast<uint32_t>(payload.size()));
  PutUint32(&out, static_cast<uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(payload.data()),
                                              static_cast<uInt>(payload.size()))));
  out += payload;
  return out;
}

absl::Status DecodeCheckpointFile(const std::string& data, const std::string& path,
                                  google::protobuf::MessageLite* message) {
  auto damaged = [&](absl::string_view what) {
    return absl::DataLossError(absl::StrCat(
        "checkpoint file ", path, " is damaged (", what,
        "); remove it (or the whole meta dir, which makes this a new agent) to start"));
  };
  if (data.size() < kHeaderSize || data.compare(0, kMagicSize, kMagic) != 0) {
    return damaged("no DCOSCKP1 header");
  }
  uint32_t length = GetUint32(data, kMagicSize);
  uint32_t crc = GetUint32(data, kMagicSize + 4);
  if (data.size() - kHeaderSize != length) return damaged("wrong length");
  if (Crc32(data, kHeaderSize) != crc) return damaged("checksum mismatch");
  if (!message->ParseFromArray(data.data() + kHeaderSize, static_cast<int>(length))) {
    return damaged("not a valid message");
  }
  return absl::OkStatus();
}

absl::Status Checkpointer::CreateDirs(const std::string& dir) {
  absl::StatusOr<bool> exists = env_->FileExists(dir);
  if (!exists.ok()) return exists.status();
  if (*exists) return absl::OkStatus();
  std::string parent = raft::DirName(dir);
  if (parent != dir) DCOS_RETURN_IF_ERROR(CreateDirs(parent));
  bool created = false;
  DCOS_RETURN_IF_ERROR(env_->CreateDir(dir, &created));
  if (created) DCOS_RETURN_IF_ERROR(env_->SyncDir(parent));
  return absl::OkStatus();
}

absl::Status Checkpointer::WriteAtomically(const std::string& path, const std::string& data) {
  const std::string dir = raft::DirName(path);
  DCOS_RETURN_IF_ERROR(CreateDirs(dir));
  const std::string tmp = path + ".tmp";
  {
    DCOS_ASSIGN_OR_RETURN(std::unique_ptr<raft::WritableFile> file,
                          env_->NewWritableFile(tmp, /*truncate=*/true));
    DCOS_RETURN_IF_ERROR(file->Append(data));
    DCOS_RETURN_IF_ERROR(file->Sync());
    DCOS_RETURN_IF_ERROR(file->Close());
  }
  DCOS_RETURN_IF_ERROR(env_->RenameFile(tmp, path));
  return env_->SyncDir(dir);
}

absl::Status Checkpointer::RemoveTree(const std::string& dir) {
  std::error_code error;
  std::filesystem::remove_all(dir, error);
  if (error) {
    return absl::InternalError(absl::StrCat("remove ", dir, ": ", error.message()));
  }
  absl::Status synced = env_->SyncDir(raft::DirName(dir));
  return absl::IsNotFound(synced) ? absl::OkStatus() : synced;
}

absl::Status Checkpointer::WriteAgent(const checkpoint::AgentCheckpoint& agent) {
  return WriteAtomically(layout_.AgentFile(), EncodeCheckpointFile(agent));
}

absl::Status Checkpointer::WriteFramework(const checkpoint::FrameworkCheckpoint& framework) {
  return WriteAtomically(layout_.FrameworkFile(framework.info().id().value()),
                         EncodeCheckpointFile(framework));
}

absl::Status Checkpointer::WriteTask(const checkpoint::TaskCheckpoint& task) {
  return WriteAtomically(
      layout_.TaskFile(task.framework_id().value(), task.task().task_id().value()),
      EncodeCheckpointFile(task));
}

absl::Status Checkpointer::RemoveTask(const std::string& framework_id,
                                      const std::string& task_id) {
  return RemoveTree(layout_.TaskDir(framework_id, task_id));
}

absl::Status Checkpointer::RemoveFramework(const std::string& framework_id) {
  return RemoveTree(layout_.FrameworkDir(framework_id));
}

absl::Status Checkpointer::RemoveAll() { return RemoveTree(layout_.MetaDir()); }

template <typename Message>
absl::StatusOr<std::optional<Message>> Checkpointer::ReadIfExists(const std::string& path) {
  absl::StatusOr<std::string> data = env_->ReadFile(path);
  if (absl::IsNotFound(data.status())) return std::optional<Message>();
  if (!data.ok()) return data.status();
  Message m;
  DCOS_RETURN_IF_ERROR(DecodeCheckpointFile(*data, path, &m));
  return std::optional<Message>(std::move(m));
}

absl::StatusOr<CheckpointState> Checkpointer::Load() {
  CheckpointState state;
  DCOS_ASSIGN_OR_RETURN(state.agent,
                        ReadIfExists<checkpoint::AgentCheckpoint>(layout_.AgentFile()));
  absl::StatusOr<std::vector<std::string>> frameworks = env_->ListDir(layout_.FrameworksDir());
  if (absl::IsNotFound(frameworks.status())) return state;
  if (!frameworks.ok()) return frameworks.status();
  for (const std::string& fid : *frameworks) {
    DCOS_ASSIGN_OR_RETURN(std::optional<checkpoint::FrameworkCheckpoint> framework,
                          ReadIfExists<checkpoint::FrameworkCheckpoint>(layout_.FrameworkFile(fid)));
    if (!framework.has_value()) continue;  // crashed before its first write
    if (framework->info().id().value() != fid) {
      return absl::DataLossError(absl::StrCat("checkpoint file ", layout_.FrameworkFile(fid),
                                              " names framework '", framework->info().id().value(),
                                              "', not '", fid, "'"));
    }
    state.frameworks.push_back(std::move(*framework));
    absl::StatusOr<std::vector<std::string>> tasks = env_->ListDir(layout_.TasksDir(fid));
    if (absl::IsNotFound(tasks.status())) continue;
    if (!tasks.ok()) return tasks.status();
    for (const std::string& tid : *tasks) {
      DCOS_ASSIGN_OR_RETURN(std::optional<checkpoint::TaskCheckpoint> task,
                            ReadIfExists<checkpoint::TaskCheckpoint>(layout_.TaskFile(fid, tid)));
      if (!task.has_value()) continue;
      if (task->framework_id().value() != fid || task->task().task_id().value() != tid) {
        return absl::DataLossError(absl::StrCat("checkpoint file ", layout_.TaskFile(fid, tid),
                                                " names another task"));
      }
      state.tasks.push_back(std::move(*task));
    }
  }
  return state;
}

}  // namespace dcos::agent
