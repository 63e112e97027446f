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
#include "services/agent/dir_hints.h"

namespace dcos::agent {
namespace {

constexpr char kMagicV1[] = "DCOSCKP1";  // the first format: no generation, replaced by rename
constexpr char kMagic[] = "DCOSCKP2";
constexpr size_t kMagicSize = sizeof(kMagic) - 1;
constexpr size_t kHeaderSizeV1 = kMagicSize + 8;
constexpr size_t kHeaderSize = kMagicSize + 16;

void PutUint32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint32_t GetUint32(const std::string& in, size_t at) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(in[at + i])) << (8 * i);
  return v;
}

uint64_t GetUint64(const std::string& in, size_t at) {
  return GetUint32(in, at) | static_cast<uint64_t>(GetUint32(in, at + 4)) << 32;
}

uint32_t Crc32(const char* data, size_t size, uint32_t crc = 0) {
  return static_cast<uint32_t>(
      crc32(crc, reinterpret_cast<const Bytef*>(data), static_cast<uInt>(size)));
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

std::string EncodeCheckpointFile(const google::protobuf::MessageLite& message,
                                 uint64_t generation) {
  std::string out(kMagic, kMagicSize);
  PutUint32(&out, static_cast<uint32_t>(generation));
  PutUint32(&out, static_cast<uint32_t>(generation >> 32));
  const std::string payload = message.SerializeAsString();
  PutUint32(&out, static_cast<uint32_t>(payload.size()));
  PutUint32(&out, Crc32(payload.data(), payload.size(), Crc32(out.data() + kMagicSize, 8)));
  out += payload;
  return out;
}

absl::StatusOr<uint64_t> DecodeCheckpointFile(const std::string& data, const std::string& path,
                                              google::protobuf::MessageLite* message) {
  auto damaged = [&](absl::string_view what) {
    return absl::DataLossError(absl::StrCat(
        "checkpoint file ", path, " is damaged (", what,
        "); remove it (or the whole meta dir, which makes this a new agent) to start"));
  };
  const bool v1 = data.size() >= kHeaderSizeV1 && data.compare(0, kMagicSize, kMagicV1) == 0;
  if (!v1 && (data.size() < kHeaderSize || data.compare(0, kMagicSize, kMagic) != 0)) {
    return damaged("no DCOSCKP2 header");
  }
  const size_t header = v1 ? kHeaderSizeV1 : kHeaderSize;
  const uint64_t generation = v1 ? 0 : GetUint64(data, kMagicSize);
  const uint32_t length = GetUint32(data, header - 8);
  const uint32_t crc = GetUint32(data, header - 4);
  // A slot may go on past its payload (a longer earlier content); the first format may not.
  if (v1 ? data.size() - header != length : data.size() - header < length) {
    return damaged("wrong length");
  }
  const uint32_t expected = v1 ? Crc32(data.data() + header, length)
                               : Crc32(data.data() + header, length,
                                       Crc32(data.data() + kMagicSize, 8));
  if (expected != crc) return damaged("checksum mismatch");
  if (message != nullptr && !message->ParseFromArray(data.data() + header, static_cast<int>(length))) {
    return damaged("not a valid message");
  }
  return generation;
}

std::string CheckpointSlot(const std::string& path, int slot) {
  return slot == 0 ? path : path + ".1";
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
  const std::string prefix = dir + "/";
  for (auto it = slots_.lower_bound(prefix); it != slots_.end() && absl::StartsWith(it->first, prefix);) {
    it = slots_.erase(it);
  }
  for (auto it = spread_.lower_bound(prefix); it != spread_.end() && absl::StartsWith(*it, prefix);) {
    it = spread_.erase(it);
  }
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
  std::map<std::string, const google::protobuf::MessageLite*> files;
  if (batch.agent.has_value()) files[layout_.AgentFile()] = &*batch.agent;
  for (const auto& f : batch.frameworks) files[layout_.FrameworkFile(f.info().id().value())] = &f;
  for (const auto& t : batch.tasks) {
    files[layout_.TaskFile(t.framework_id().value(), t.task().task_id().value())] = &t;
    // A framework's tasks dir, the first time: each task's directory in a place of its own.
    const std::string tasks_dir = layout_.TasksDir(t.framework_id().value());
    if (spread_.insert(tasks_dir).second) {
      DCOS_RETURN_IF_ERROR(CreateDirs(tasks_dir, &to_sync));
      SpreadSubdirectories(tasks_dir);
    }
  }
  // 1. every file's other slot written in place; 2. all fsynced at once; 3. directories with
  // new entries fsynced; 4. only then the slots count as the newest.
  struct Write {
    std::string path;
    int slot;
    uint64_t generation;
  };
  std::vector<Write> writes;
  std::vector<std::unique_ptr<raft::RandomWriteFile>> opened;
  for (const auto& [path, message] : files) {
    auto known = slots_.find(path);
    if (known == slots_.end()) {
      // Not read or written before: look at what is on disk (the slots' headers).
      absl::StatusOr<bool> read = ReadNewest(path, nullptr);
      if (!read.ok() && !absl::IsDataLoss(read.status())) return read.status();
      known = slots_.find(path);
    }
    const Slots& slots = known->second;
    const Write w{path, slots.newest == 0 ? 1 : 0, slots.generation + 1};
    const std::string slot_path = CheckpointSlot(path, w.slot);
    DCOS_RETURN_IF_ERROR(CreateDirs(raft::DirName(path), &to_sync));
    DCOS_ASSIGN_OR_RETURN(std::unique_ptr<raft::RandomWriteFile> file,
                          env_->NewRandomWriteFile(slot_path, /*truncate=*/false));
    DCOS_RETURN_IF_ERROR(file->WriteAt(0, EncodeCheckpointFile(*message, w.generation)));
    if (!slots.exists[w.slot]) to_sync.insert(raft::DirName(path));
    opened.push_back(std::move(file));
    writes.push_back(w);
  }
  DCOS_RETURN_IF_ERROR(ForEachInParallel(opened.size(), [&](size_t i) {
    absl::Status synced = opened[i]->Sync();
    return synced.ok() ? opened[i]->Close() : synced;
  }));
  std::vector<std::string> dirs(to_sync.begin(), to_sync.end());
  DCOS_RETURN_IF_ERROR(ForEachInParallel(dirs.size(), [&](size_t i) {
    absl::Status synced = env_->SyncDir(dirs[i]);
    // The parent of a removed directory may be gone too (a framework removed with its task).
    return absl::IsNotFound(synced) ? absl::OkStatus() : synced;
  }));
  for (const Write& w : writes) {
    Slots& slots = slots_[w.path];
    slots.newest = w.slot;
    slots.generation = w.generation;
    slots.exists[w.slot] = true;
  }
  return absl::OkStatus();
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
  slots_.clear();
  spread_.clear();
  std::set<std::string> to_sync;
  DCOS_RETURN_IF_ERROR(RemoveTree(layout_.MetaDir(), &to_sync));
  absl::Status synced = env_->SyncDir(*to_sync.begin());
  return absl::IsNotFound(synced) ? absl::OkStatus() : synced;
}

absl::StatusOr<bool> Checkpointer::ReadNewest(const std::string& path,
                                              google::protobuf::MessageLite* message) {
  Slots& slots = slots_[path];
  slots = Slots{};
  absl::Status damage = absl::OkStatus();
  for (int slot = 0; slot < 2; ++slot) {
    const std::string slot_path = CheckpointSlot(path, slot);
    absl::StatusOr<std::string> data = env_->ReadFile(slot_path);
    if (absl::IsNotFound(data.status())) continue;
    if (!data.ok()) return data.status();
    slots.exists[slot] = true;
    std::unique_ptr<google::protobuf::MessageLite> candidate(
        message != nullptr ? message->New() : nullptr);
    absl::StatusOr<uint64_t> generation = DecodeCheckpointFile(*data, slot_path, candidate.get());
    if (!generation.ok()) {
      // A write cut short by a crash, as long as the other slot is whole.
      if (damage.ok()) damage = generation.status();
      continue;
    }
    if (slots.newest < 0 || *generation > slots.generation) {
      slots.newest = slot;
      slots.generation = *generation;
      if (message != nullptr) {
        message->Clear();
        message->CheckTypeAndMergeFrom(*candidate);
      }
    }
  }
  if (slots.newest < 0 && !damage.ok()) return damage;
  return slots.newest >= 0;
}

template <typename Message>
absl::StatusOr<std::optional<Message>> Checkpointer::ReadIfExists(const std::string& path) {
  Message m;
  DCOS_ASSIGN_OR_RETURN(bool found, ReadNewest(path, &m));
  if (!found) return std::optional<Message>();
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
