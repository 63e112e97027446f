#include "libs/raft/fault_injection_env.h"

#include <algorithm>
#include <utility>

#include "libs/status/status_macros.h"

namespace dcos::raft {

class FaultWritableFile final : public WritableFile {
 public:
  FaultWritableFile(FaultInjectionEnv* env, std::unique_ptr<WritableFile> base)
      : env_(env), base_(std::move(base)) {}

  absl::Status Append(absl::string_view data) override {
    bool partial = false;
    absl::Status injected = env_->Check(FaultInjectionEnv::Op::kWrite, &partial);
    if (!injected.ok()) {
      if (partial && data.size() > 1) {
        (void)base_->Append(data.substr(0, data.size() / 2));
      }
      return injected;
    }
    return base_->Append(data);
  }

  absl::Status Sync() override {
    DCOS_RETURN_IF_ERROR(env_->Check(FaultInjectionEnv::Op::kSync, nullptr));
    DCOS_RETURN_IF_ERROR(base_->Sync());
    env_->OnSynced(base_->path(), base_->Size());
    return absl::OkStatus();
  }

  absl::Status Close() override { return base_->Close(); }
  uint64_t Size() const override { return base_->Size(); }
  const std::string& path() const override { return base_->path(); }

 private:
  FaultInjectionEnv* env_;
  std::unique_ptr<WritableFile> base_;
};

class FaultRandomWriteFile final : public RandomWriteFile {
 public:
  FaultRandomWriteFile(FaultInjectionEnv* env, std::unique_ptr<RandomWriteFile> base)
      : env_(env), base_(std::move(base)) {}

  absl::Status WriteAt(uint64_t offset, absl::string_view data) override {
    bool partial = false;
    absl::Status injected = env_->Check(FaultInjectionEnv::Op::kWrite, &partial);
    if (!injected.ok()) {
      if (partial && data.size() > 1) {
        absl::string_view half = data.substr(0, data.size() / 2);
        if (env_->SaveOverwritten(path(), offset, half.size()).ok()) {
          (void)base_->WriteAt(offset, half);
        }
      }
      return injected;
    }
    DCOS_RETURN_IF_ERROR(env_->SaveOverwritten(path(), offset, data.size()));
    return base_->WriteAt(offset, data);
  }

  absl::Status Sync() override {
    DCOS_RETURN_IF_ERROR(env_->Check(FaultInjectionEnv::Op::kSync, nullptr));
    DCOS_RETURN_IF_ERROR(base_->Sync());
    DCOS_ASSIGN_OR_RETURN(uint64_t size, env_->base_->FileSize(path()));
    env_->OnSynced(path(), size);
    return absl::OkStatus();
  }

  absl::Status Close() override { return base_->Close(); }
  const std::string& path() const override { return base_->path(); }

 private:
  FaultInjectionEnv* env_;
  std::unique_ptr<RandomWriteFile> base_;
};

namespace {

// Puts `old` back at `offset` of `content`, growing it if needed.
void Restore(std::string* content, uint64_t offset, const std::string& old) {
  if (content->size() < offset + old.size()) content->resize(offset + old.size());
  content->replace(offset, old.size(), old);
}

}  // namespace

void FaultInjectionEnv::InjectFault(Fault fault) {
  absl::MutexLock lock(&mu_);
  faults_.push_back(std::move(fault));
}

void FaultInjectionEnv::ClearFaults() {
  absl::MutexLock lock(&mu_);
  faults_.clear();
}

int FaultInjectionEnv::Count(Op op) const {
  absl::MutexLock lock(&mu_);
  auto it = counts_.find(op);
  return it == counts_.end() ? 0 : it->second;
}

absl::Status FaultInjectionEnv::Check(Op op, bool* partial) {
  absl::MutexLock lock(&mu_);
  ++counts_[op];
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    if (it->op != op) continue;
    if (it->skip > 0) {
      --it->skip;
      continue;
    }
    absl::Status error = it->error;
    if (partial != nullptr) *partial = it->partial_write;
    if (!it->sticky) faults_.erase(it);
    return error;
  }
  return absl::OkStatus();
}

void FaultInjectionEnv::OnSynced(const std::string& path, uint64_t size) {
  absl::MutexLock lock(&mu_);
  FileState& state = files_[path];
  state.synced_size = size;
  state.overwritten.clear();
}

absl::Status FaultInjectionEnv::SaveOverwritten(const std::string& path, uint64_t offset,
                                                uint64_t length) {
  absl::MutexLock lock(&mu_);
  FileState& state = files_[path];
  if (offset >= state.synced_size || length == 0) return absl::OkStatus();
  uint64_t n = std::min(length, state.synced_size - offset);
  DCOS_ASSIGN_OR_RETURN(std::string old, base_->ReadFileRange(path, offset, n));
  state.overwritten.emplace_back(offset, std::move(old));
  return absl::OkStatus();
}

absl::StatusOr<std::string> FaultInjectionEnv::DurableContent(const std::string& path) {
  DCOS_ASSIGN_OR_RETURN(std::string content, base_->ReadFile(path));
  auto it = files_.find(path);
  if (it == files_.end()) return content;
  const FileState& state = it->second;
  for (auto o = state.overwritten.rbegin(); o != state.overwritten.rend(); ++o) {
    Restore(&content, o->first, o->second);
  }
  if (content.size() > state.synced_size) content.resize(state.synced_size);
  return content;
}

void FaultInjectionEnv::Track(const std::string& path, bool existed, bool truncate,
                              uint64_t size) {
  absl::MutexLock lock(&mu_);
  if (!existed) {
    undo_.push_back(Undo{Undo::kCreated, DirName(path), path, "", std::nullopt});
    files_[path] = FileState{};
  } else if (files_.find(path) == files_.end()) {
    files_[path].synced_size = size;  // pre-existing: durable as found
  }
  // Truncating an existing file on open is, like TruncateFile, treated as durable.
  if (truncate) files_[path] = FileState{};
}

absl::StatusOr<std::unique_ptr<WritableFile>> FaultInjectionEnv::NewWritableFile(
    const std::string& path, bool truncate) {
  DCOS_RETURN_IF_ERROR(Check(Op::kCreate, nullptr));
  DCOS_ASSIGN_OR_RETURN(bool existed, base_->FileExists(path));
  DCOS_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file, base_->NewWritableFile(path, truncate));
  Track(path, existed, truncate, file->Size());
  return std::unique_ptr<WritableFile>(new FaultWritableFile(this, std::move(file)));
}

absl::StatusOr<std::unique_ptr<RandomWriteFile>> FaultInjectionEnv::NewRandomWriteFile(
    const std::string& path, bool truncate) {
  DCOS_RETURN_IF_ERROR(Check(Op::kCreate, nullptr));
  DCOS_ASSIGN_OR_RETURN(bool existed, base_->FileExists(path));
  DCOS_ASSIGN_OR_RETURN(std::unique_ptr<RandomWriteFile> file,
                        base_->NewRandomWriteFile(path, truncate));
  DCOS_ASSIGN_OR_RETURN(uint64_t size, base_->FileSize(path));
  Track(path, existed, truncate, size);
  return std::unique_ptr<RandomWriteFile>(new FaultRandomWriteFile(this, std::move(file)));
}

absl::StatusOr<std::string> FaultInjectionEnv::ReadFile(const std::string& path) {
  DCOS_RETURN_IF_ERROR(Check(Op::kRead, nullptr));
  return base_->ReadFile(path);
}

absl::StatusOr<std::string> FaultInjectionEnv::ReadFileRange(const std::string& path,
                                                             uint64_t offset, uint64_t length) {
  DCOS_RETURN_IF_ERROR(Check(Op::kRead, nullptr));
  return base_->ReadFileRange(path, offset, length);
}

absl::StatusOr<uint64_t> FaultInjectionEnv::FileSize(const std::string& path) {
  return base_->FileSize(path);
}

absl::StatusOr<bool> FaultInjectionEnv::FileExists(const std::string& path) {
  return base_->FileExists(path);
}

absl::Status FaultInjectionEnv::TruncateFile(const std::string& path, uint64_t size) {
  DCOS_RETURN_IF_ERROR(Check(Op::kTruncate, nullptr));
  DCOS_RETURN_IF_ERROR(base_->TruncateFile(path, size));
  absl::MutexLock lock(&mu_);
  auto it = files_.find(path);
  if (it != files_.end() && it->second.synced_size > size) it->second.synced_size = size;
  return absl::OkStatus();
}

absl::Status FaultInjectionEnv::RenameFile(const std::string& from, const std::string& to) {
  DCOS_RETURN_IF_ERROR(Check(Op::kRename, nullptr));
  absl::MutexLock lock(&mu_);
  std::optional<std::string> old_to;
  DCOS_ASSIGN_OR_RETURN(bool to_exists, base_->FileExists(to));
  if (to_exists) {
    DCOS_ASSIGN_OR_RETURN(old_to, DurableContent(to));
  }
  DCOS_RETURN_IF_ERROR(base_->RenameFile(from, to));
  undo_.push_back(Undo{Undo::kRenamed, DirName(to), from, to, std::move(old_to)});
  auto it = files_.find(from);
  if (it != files_.end()) {
    files_[to] = it->second;
    files_.erase(from);
  } else {
    files_.erase(to);
  }
  return absl::OkStatus();
}

absl::Status FaultInjectionEnv::RemoveFile(const std::string& path) {
  DCOS_RETURN_IF_ERROR(Check(Op::kRemove, nullptr));
  absl::MutexLock lock(&mu_);
  DCOS_ASSIGN_OR_RETURN(std::string content, DurableContent(path));
  DCOS_RETURN_IF_ERROR(base_->RemoveFile(path));
  undo_.push_back(Undo{Undo::kRemoved, DirName(path), path, "", std::move(content)});
  files_.erase(path);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> FaultInjectionEnv::ListDir(const std::string& dir) {
  DCOS_RETURN_IF_ERROR(Check(Op::kRead, nullptr));
  return base_->ListDir(dir);
}

absl::Status FaultInjectionEnv::CreateDir(const std::string& dir, bool* created) {
  DCOS_RETURN_IF_ERROR(Check(Op::kCreate, nullptr));
  return base_->CreateDir(dir, created);
}

absl::StatusOr<std::unique_ptr<FileLock>> FaultInjectionEnv::LockFile(const std::string& path) {
  return base_->LockFile(path);
}

absl::Status FaultInjectionEnv::SyncDir(const std::string& dir) {
  DCOS_RETURN_IF_ERROR(Check(Op::kSyncDir, nullptr));
  DCOS_RETURN_IF_ERROR(base_->SyncDir(dir));
  absl::MutexLock lock(&mu_);
  std::vector<Undo> kept;
  for (Undo& u : undo_) {
    if (u.dir != dir) kept.push_back(std::move(u));
  }
  undo_ = std::move(kept);
  return absl::OkStatus();
}

namespace {

absl::Status WriteWhole(Env* env, const std::string& path, const std::string& content) {
  DCOS_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> f, env->NewWritableFile(path, true));
  DCOS_RETURN_IF_ERROR(f->Append(content));
  DCOS_RETURN_IF_ERROR(f->Sync());
  return f->Close();
}

}  // namespace

absl::Status FaultInjectionEnv::Crash() {
  absl::MutexLock lock(&mu_);
  // 1. Unsynced overwrites and appends are lost.
  for (const auto& [path, state] : files_) {
    DCOS_ASSIGN_OR_RETURN(bool exists, base_->FileExists(path));
    if (!exists) continue;
    if (!state.overwritten.empty()) {
      DCOS_ASSIGN_OR_RETURN(std::unique_ptr<RandomWriteFile> f,
                            base_->NewRandomWriteFile(path, false));
      for (auto o = state.overwritten.rbegin(); o != state.overwritten.rend(); ++o) {
        DCOS_RETURN_IF_ERROR(f->WriteAt(o->first, o->second));
      }
      DCOS_RETURN_IF_ERROR(f->Sync());
    }
    DCOS_ASSIGN_OR_RETURN(uint64_t size, base_->FileSize(path));
    if (size > state.synced_size) {
      DCOS_RETURN_IF_ERROR(base_->TruncateFile(path, state.synced_size));
    }
  }
  // 2. Directory operations not made durable are undone, newest first.
  for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) {
    switch (it->kind) {
      case Undo::kCreated:
        DCOS_RETURN_IF_ERROR(base_->RemoveFile(it->path));
        break;
      case Undo::kRenamed:
        DCOS_RETURN_IF_ERROR(base_->RenameFile(it->to, it->path));
        if (it->old_content.has_value()) {
          DCOS_RETURN_IF_ERROR(WriteWhole(base_, it->to, *it->old_content));
        }
        break;
      case Undo::kRemoved:
        DCOS_RETURN_IF_ERROR(WriteWhole(base_, it->path, *it->old_content));
        break;
    }
  }
  undo_.clear();
  files_.clear();  // what remains is durable; untracked files count as synced
  return absl::OkStatus();
}

}  // namespace dcos::raft
