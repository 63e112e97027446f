#include "libs/raft/file_log_storage.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/log/log.h"
#include "libs/raft/segment_preparer.h"
#include "libs/raft/snapshot_file.h"
#include "libs/raft/wal_format.h"
#include "libs/status/status_macros.h"

namespace dcos::raft {
namespace {

// Creates `dir` if missing and makes its creation durable.
absl::Status EnsureDir(Env* env, const std::string& dir) {
  bool created = false;
  DCOS_RETURN_IF_ERROR(env->CreateDir(dir, &created));
  if (created) DCOS_RETURN_IF_ERROR(env->SyncDir(DirName(dir)));
  return absl::OkStatus();
}

}  // namespace

FileLogStorage::FileLogStorage(Env* env, std::string dir, Options options)
    : env_(env),
      dir_(std::move(dir)),
      wal_dir_(JoinPath(dir_, "wal")),
      snap_dir_(JoinPath(dir_, "snap")),
      options_(options) {}

FileLogStorage::~FileLogStorage() = default;

absl::StatusOr<std::unique_ptr<FileLogStorage>> FileLogStorage::Open(Env* env, std::string dir,
                                                                     Options options) {
  if (options.snapshots_to_keep < 1) {
    return absl::InvalidArgumentError("FileLogStorage: snapshots_to_keep must be >= 1");
  }
  std::unique_ptr<FileLogStorage> storage(new FileLogStorage(env, std::move(dir), options));
  DCOS_RETURN_IF_ERROR(EnsureDir(env, storage->dir_));
  // Two members writing one log would corrupt it: the second is refused.
  DCOS_ASSIGN_OR_RETURN(storage->lock_, env->LockFile(storage->dir_ + "/LOCK"));
  DCOS_RETURN_IF_ERROR(EnsureDir(env, storage->wal_dir_));
  DCOS_RETURN_IF_ERROR(EnsureDir(env, storage->snap_dir_));
  return storage;
}

absl::Status FileLogStorage::CheckUsable() const {
  if (!loaded_) return absl::FailedPreconditionError("FileLogStorage: Load() was not called");
  if (!fatal_.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "FileLogStorage in ", dir_, " is unusable after an earlier error (", fatal_.ToString(),
        "); reopen it"));
  }
  return absl::OkStatus();
}

uint64_t FileLogStorage::TermAt(uint64_t index) const {
  return terms_[index - snapshot_.index() - 1];
}

absl::Status FileLogStorage::MaybeRoll(uint64_t frame_size) {
  if (current_ != nullptr && (end_ == header_end_ || end_ + frame_size <= capacity_)) {
    return absl::OkStatus();
  }
  return StartSegment();
}

absl::Status FileLogStorage::StartSegment() {
  DCOS_ASSIGN_OR_RETURN(std::string spare, preparer_->Take());
  Segment segment{next_seq_, JoinPath(wal_dir_, wal::SegmentFileName(next_seq_)), 0};
  // The header carries the current hard state, so older segments can be deleted freely, and
  // where the current segment ends, so Load can tell lost frames at its end from unused zeros.
  const std::string header = wal::EncodeSegmentHeader(
      segment.seq, &hard_state_,
      segments_.empty() ? std::nullopt : std::optional<uint64_t>(end_));
  // Renamed before it is opened (FaultInjectionEnv tracks open files by path). A crash before
  // the directory fsync leaves either the spare (removed by Load) or a segment whose header may
  // be missing (a last segment with no header is removed by Load).
  std::unique_ptr<RandomWriteFile> file;
  absl::Status s = env_->RenameFile(spare, segment.path);
  const bool renamed = s.ok();
  if (renamed) {
    absl::StatusOr<std::unique_ptr<RandomWriteFile>> opened =
        env_->NewRandomWriteFile(segment.path, /*truncate=*/false);
    s = opened.status();
    if (s.ok()) file = *std::move(opened);
  }
  if (s.ok()) s = file->WriteAt(0, header);
  if (s.ok()) s = file->Sync();
  if (s.ok()) s = env_->SyncDir(wal_dir_);
  if (!s.ok()) {
    // Harmless if left behind: the next segment is renamed over it, and Load removes spares,
    // a last segment with no complete header, and keeps one with just a header.
    file.reset();
    (void)env_->RemoveFile(renamed ? segment.path : spare);
    return s;
  }
  if (current_ != nullptr) (void)current_->Close();  // its data is synced; close errors moot
  current_ = std::move(file);
  header_end_ = end_ = header.size();
  capacity_ = std::max<uint64_t>(preparer_->size(), header.size());
  segments_.push_back(std::move(segment));
  ++next_seq_;
  return absl::OkStatus();
}

absl::Status FileLogStorage::WriteFrame(const std::string& frame) {
  DCOS_RETURN_IF_ERROR(MaybeRoll(frame.size()));
  absl::Status s = current_->WriteAt(end_, frame);
  if (!s.ok()) {
    // Cut off whatever part of the frame was written, so a frame is never followed by garbage
    // (and a later Load never finds it). The segment then ends at its last frame: the next
    // frame starts a new one.
    absl::Status t = env_->TruncateFile(segments_.back().path, end_);
    if (t.ok()) {
      capacity_ = end_;
    } else {
      fatal_ = s;
    }
    return s;
  }
  s = current_->Sync();
  if (!s.ok()) {
    fatal_ = s;
    return s;
  }
  end_ += frame.size();
  capacity_ = std::max(capacity_, end_);  // a frame larger than the space left grew the file
  return absl::OkStatus();
}

void FileLogStorage::WaitForSpareSegment() {
  if (preparer_ != nullptr) preparer_->WaitIdle();
}

absl::Status FileLogStorage::Append(const std::vector<Entry>& entries,
                                    const HardState* hard_state) {
  DCOS_RETURN_IF_ERROR(CheckUsable());
  if (entries.empty() && hard_state == nullptr) return absl::OkStatus();
  if (!entries.empty()) {
    const uint64_t first = entries.front().index();
    if (first > last_index_ + 1) {
      return absl::FailedPreconditionError(absl::StrCat(
          "Append: entry ", first, " would leave a gap after the last index ", last_index_));
    }
    if (first <= snapshot_.index()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "Append: entry ", first, " is covered by the snapshot at index ", snapshot_.index()));
    }
    for (size_t i = 1; i < entries.size(); ++i) {
      if (entries[i].index() != first + i) {
        return absl::InvalidArgumentError(absl::StrCat("Append: entries not contiguous at #", i,
                                                       " (index ", entries[i].index(), ")"));
      }
    }
  }
  std::string frame = wal::EncodeBatch(entries, hard_state);
  if (frame.size() - wal::kFrameHeaderSize > wal::kMaxPayload) {
    return absl::InvalidArgumentError("Append: batch larger than 1 GiB");
  }
  DCOS_RETURN_IF_ERROR(WriteFrame(frame));

  // Durable: now update the in-memory view.
  if (hard_state != nullptr) hard_state_ = *hard_state;
  if (!entries.empty()) {
    const uint64_t first = entries.front().index();
    terms_.resize(first - snapshot_.index() - 1);
    for (const Entry& e : entries) terms_.push_back(e.term());
    last_index_ = entries.back().index();
    Segment& seg = segments_.back();
    seg.max_index = std::max(seg.max_index, last_index_);
  }
  return absl::OkStatus();
}

absl::Status FileLogStorage::SaveSnapshot(const SnapshotMetadata& metadata,
                                          const std::string& data) {
  DCOS_RETURN_IF_ERROR(CheckUsable());
  const uint64_t index = metadata.index();
  if (index <= snapshot_.index()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "SaveSnapshot: index ", index, " is not after the current snapshot's ", snapshot_.index()));
  }
  DCOS_RETURN_IF_ERROR(WriteSnapshot(metadata, data));
  return AdoptSnapshot(metadata);
}

absl::Status FileLogStorage::WriteSnapshot(const SnapshotMetadata& metadata,
                                           const std::string& data) {
  // Touches only a new file in snap/ (and the directory's fsync): safe beside Append.
  return snapshot_file::Write(env_, snap_dir_, metadata, data);
}

absl::Status FileLogStorage::AdoptSnapshot(const SnapshotMetadata& metadata) {
  DCOS_RETURN_IF_ERROR(CheckUsable());
  const uint64_t index = metadata.index();
  if (index <= snapshot_.index()) return absl::OkStatus();  // overtaken; DeleteOldSnapshots

  // If the log holds the snapshot's last entry with another term, the snapshot replaces the
  // whole log (an installed snapshot over a diverged follower). Record that in the log, or a
  // later Append could leave stale entries after the snapshot once the conflicting entry's
  // segment is deleted. A crash before the marker is durable is handled by Load's term check.
  const bool conflict = index <= last_index_ && TermAt(index) != metadata.term();
  if (conflict) {
    absl::Status s = WriteFrame(wal::EncodeSnapshotMarker(index, metadata.term()));
    if (!s.ok()) {
      // The snapshot file is in place but the in-memory log is not: stop here.
      fatal_ = s;
      return s;
    }
    segments_.back().max_index = std::max(segments_.back().max_index, index);
  }

  if (conflict || index >= last_index_) {
    terms_.clear();
    last_index_ = index;
  } else {
    terms_.erase(terms_.begin(), terms_.begin() + static_cast<long>(index - snapshot_.index()));
  }
  snapshot_ = metadata;
  snapshot_path_ = JoinPath(snap_dir_, snapshot_file::FileName(index, metadata.term()));

  DeleteCoveredSegments();
  DeleteOldSnapshots();
  return absl::OkStatus();
}

void FileLogStorage::DeleteCoveredSegments() {
  // Only a prefix, oldest first, each removal made durable before the next, so the segments
  // on disk are always contiguous; never the segment being appended to.
  while (segments_.size() > 1 && segments_.front().max_index <= snapshot_.index()) {
    absl::Status s = env_->RemoveFile(segments_.front().path);
    if (s.ok()) s = env_->SyncDir(wal_dir_);
    if (!s.ok()) {
      log::Warn("raft log: could not delete a segment covered by the snapshot; will retry")
          .Field("file", segments_.front().path)
          .Field("error", s);
      return;
    }
    segments_.pop_front();
  }
}

void FileLogStorage::DeleteOldSnapshots() {
  absl::StatusOr<std::vector<std::string>> names = env_->ListDir(snap_dir_);
  if (!names.ok()) {
    log::Warn("raft log: could not list snapshots").Field("error", names.status());
    return;
  }
  std::vector<std::pair<uint64_t, std::string>> snaps;
  for (const std::string& name : *names) {
    uint64_t index, term;
    if (snapshot_file::ParseFileName(name, &index, &term)) snaps.emplace_back(index, name);
  }
  std::sort(snaps.rbegin(), snaps.rend());
  bool removed = false;
  for (size_t i = static_cast<size_t>(options_.snapshots_to_keep); i < snaps.size(); ++i) {
    absl::Status s = env_->RemoveFile(JoinPath(snap_dir_, snaps[i].second));
    if (!s.ok()) {
      log::Warn("raft log: could not delete an old snapshot").Field("error", s);
      continue;
    }
    removed = true;
  }
  if (removed) {
    absl::Status s = env_->SyncDir(snap_dir_);
    if (!s.ok()) log::Warn("raft log: could not sync the snapshot directory").Field("error", s);
  }
}

absl::StatusOr<std::string> FileLogStorage::LoadSnapshotData() {
  if (!loaded_) return absl::FailedPreconditionError("FileLogStorage: Load() was not called");
  if (snapshot_.index() == 0) return std::string();
  DCOS_ASSIGN_OR_RETURN(snapshot_file::Contents contents, snapshot_file::Read(env_, snapshot_path_));
  return std::move(contents.data);
}

}  // namespace dcos::raft
