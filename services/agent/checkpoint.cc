#include "services/agent/checkpoint.h"

#include <zlib.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
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


// Runs job(0..n-1) on up to kSyncThreads threads (this one included); the first error.
// Flushes wait on the device, not the CPU: issued together they are merged.
constexpr size_t kSyncThreads = 16;

absl::Status ForEachInParallel(size_t n, const std::function<absl::Status(size_t)>& job) {
  std::atomic<size_t> next{0};
  absl::Mutex mu;
  absl::Status first = absl::OkStatus();
  auto work = [&] {
    for (size_t i = next++; i < n; i = next++) {
      absl::Status s = job(i);
      if (!s.ok()) {
        absl::MutexLock lock(&mu);
        first.Update(s);
      }
    }
  };
  std::vector<std::thread> threads;
  for (size_t t = 1; t < std::min(n, kSyncThreads); ++t) threads.emplace_back(work);
  work();
  for (std::thread& t : threads) t.join();
  return first;
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

absl::Status Checkpointer::CreateDirs(const std::string& dir, std::set<std::string>* to_sync) {
  absl::StatusOr<bool> exists = env_->FileExists(dir);
  if (!exists.ok()) return exists.status();
  if (*exists) return absl::OkStatus();
  std::string parent = raft::DirName(dir);
  if (parent != dir) DCOS_RETURN_IF_ERROR(CreateDirs(parent, to_sync));
  bool created = false;
  DCOS_RETURN_IF_ERROR(env_->CreateDir(dir, &created));
  if (created) to_sync->insert(parent);
  return absl::OkStatus();
}

absl::Status Checkpointer::RemoveTree(const std::string& dir, std::set<std::string>* to_sync) {
  std::error_code error;
  std::filesystem::remove_all(dir, error);
  if (error) {
    return absl::InternalError(absl::StrCat("remove ", dir, ": ", error.message()));
  }
  to_sync->insert(raft::DirName(dir));
  return absl::OkStatus();
}

absl::Status Checkpointer::Commit(const CheckpointBatch& batch) {
  std::set<std::string> to_sync;  // directories whose entries changed
  for (const auto& [fid, tid] : batch.remove_tasks) {
    DCOS_RETURN_IF_ERROR(RemoveTree(layout_.TaskDir(fid, tid), &to_sync));
  }
  for (const std::string& fid : batch.remove_frameworks) {
    DCOS_RETURN_IF_ERROR(RemoveTree(layout_.FrameworkDir(fid), &to_sync));
  }
  // Path -> content; a file named twice gets its last content.
  std::map<std::string, std::string> files;
  if (batch.agent.has_value()) files[layout_.AgentFile()] = EncodeCheckpointFile(*batch.agent);
  for (const auto& f : batch.frameworks) {
    files[layout_.FrameworkFile(f.info().id().value())] = EncodeCheckpointFile(f);
  }
  for (const auto& t : batch.tasks) {
    files[layout_.TaskFile(t.framework_id().value(), t.task().task_id().value())] =
        EncodeCheckpointFile(t);
  }
  // 1. every temp file written; 2. all fsynced at once; 3. renamed; 4. directories fsynced.
  std::vector<std::unique_ptr<raft::WritableFile>> temps;
  for (const auto& [path, data] : files) {
    DCOS_RETURN_IF_ERROR(CreateDirs(raft::DirName(path), &to_sync));
    DCOS_ASSIGN_OR_RETURN(std::unique_ptr<raft::WritableFile> file,
                          env_->NewWritableFile(path + ".tmp", /*truncate=*/true));
    DCOS_RETURN_IF_ERROR(file->Append(data));
    temps.push_back(std::move(file));
  }
  DCOS_RETURN_IF_ERROR(ForEachInParallel(temps.size(), [&](size_t i) {
    absl::Status synced = temps[i]->Sync();
    return synced.ok() ? temps[i]->Close() : synced;
  }));
  for (const auto& [path, data] : files) {
    DCOS_RETURN_IF_ERROR(env_->RenameFile(path + ".tmp", path));
    to_sync.insert(raft::DirName(path));
  }
  std::vector<std::string> dirs(to_sync.begin(), to_sync.end());
  return ForEachInParallel(dirs.size(), [&](size_t i) {
    absl::Status synced = env_->SyncDir(dirs[i]);
    // The parent of a removed directory may be gone too (a framework removed with its task).
    return absl::IsNotFound(synced) ? absl::OkStatus() : synced;
  });
}

absl::Status Checkpointer::WriteAgent(const checkpoint::AgentCheckpoint& agent) {
  CheckpointBatch b;
  b.agent = agent;
  return Commit(b);
}

absl::Status Checkpointer::WriteFramework(const checkpoint::FrameworkCheckpoint& framework) {
  CheckpointBatch b;
  b.frameworks.push_back(framework);
  return Commit(b);
}

absl::Status Checkpointer::WriteTask(const checkpoint::TaskCheckpoint& task) {
  CheckpointBatch b;
  b.tasks.push_back(task);
  return Commit(b);
}

absl::Status Checkpointer::RemoveTask(const std::string& framework_id,
                                      const std::string& task_id) {
  CheckpointBatch b;
  b.remove_tasks.emplace_back(framework_id, task_id);
  return Commit(b);
}

absl::Status Checkpointer::RemoveFramework(const std::string& framework_id) {
  CheckpointBatch b;
  b.remove_frameworks.push_back(framework_id);
  return Commit(b);
}

absl::Status Checkpointer::RemoveAll() {
  std::set<std::string> to_sync;
  DCOS_RETURN_IF_ERROR(RemoveTree(layout_.MetaDir(), &to_sync));
  absl::Status synced = env_->SyncDir(*to_sync.begin());
  return absl::IsNotFound(synced) ? absl::OkStatus() : synced;
}

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
