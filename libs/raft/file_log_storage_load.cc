// FileLogStorage::Load: recovery of snapshots and segments (see README.md, "Recovery").

#include <algorithm>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "libs/log/log.h"
#include "libs/raft/file_log_storage.h"
#include "libs/raft/segment_preparer.h"
#include "libs/raft/snapshot_file.h"
#include "libs/raft/wal_format.h"
#include "libs/status/status_macros.h"

namespace dcos::raft {
namespace {

// Replays frames into the log as it was after the last of them. The loaded snapshot covers
// indexes <= snapshot_index, so only entries above it are kept, plus the term of the entry at
// snapshot_index (to detect a log that conflicts with the snapshot).
class Replay {
 public:
  explicit Replay(uint64_t snapshot_index) : snapshot_index_(snapshot_index) {}

  absl::Status Entry(::dcos::raft::v1::Entry e, const std::string& where) {
    uint64_t i = e.index();
    uint64_t bound = std::max(last_, snapshot_index_) + 1;
    if (i == 0 || i > bound) {
      return absl::DataLossError(absl::StrCat(where, ": entry ", i, " leaves a gap after index ",
                                              bound - 1));
    }
    last_ = i;
    if (i <= snapshot_index_) {
      entries_.clear();
      if (i == snapshot_index_) {
        term_at_snapshot_ = e.term();
      } else {
        term_at_snapshot_.reset();
      }
      return absl::OkStatus();
    }
    entries_.resize(i - snapshot_index_ - 1);
    entries_.push_back(std::move(e));
    return absl::OkStatus();
  }

  absl::Status Marker(uint64_t index, uint64_t term, const std::string& where) {
    if (index > snapshot_index_) {
      return absl::DataLossError(absl::StrCat(where, ": the log was replaced by snapshot ", index,
                                              ", newer than the loaded snapshot ", snapshot_index_));
    }
    entries_.clear();
    last_ = index;
    if (index == snapshot_index_) {
      term_at_snapshot_ = term;
    } else {
      term_at_snapshot_.reset();
    }
    return absl::OkStatus();
  }

  std::vector<::dcos::raft::v1::Entry>& entries() { return entries_; }
  std::optional<uint64_t> term_at_snapshot() const { return term_at_snapshot_; }

 private:
  const uint64_t snapshot_index_;
  uint64_t last_ = 0;
  std::vector<::dcos::raft::v1::Entry> entries_;
  std::optional<uint64_t> term_at_snapshot_;
};

struct SnapshotName {
  uint64_t index;
  uint64_t term;
  std::string path;
};

}  // namespace

absl::Status FileLogStorage::RecoverSegments(uint64_t snapshot_index, PersistentState* state,
                                             std::optional<uint64_t>* term_at_snapshot) {
  DCOS_ASSIGN_OR_RETURN(std::vector<std::string> names, env_->ListDir(wal_dir_));
  std::vector<uint64_t> seqs;
  bool removed_spare = false;
  for (const std::string& name : names) {
    uint64_t seq;
    if (wal::ParseSegmentFileName(name, &seq)) {
      seqs.push_back(seq);
    } else if (SegmentPreparer::IsSpareName(name)) {
      // Prepared but never used (or half prepared) when the process stopped. Not reused: only
      // a spare this process wrote and synced is known to be all zeros.
      log::Info("raft log: removing an unused spare segment").Field("file", name);
      DCOS_RETURN_IF_ERROR(env_->RemoveFile(JoinPath(wal_dir_, name)));
      removed_spare = true;
    }
  }
  if (removed_spare) DCOS_RETURN_IF_ERROR(env_->SyncDir(wal_dir_));
  std::sort(seqs.begin(), seqs.end());
  for (size_t i = 1; i < seqs.size(); ++i) {
    if (seqs[i] != seqs[i - 1] + 1) {
      return absl::DataLossError(absl::StrCat("raft log in ", wal_dir_, ": segment ",
                                              wal::SegmentFileName(seqs[i - 1] + 1),
                                              " is missing"));
    }
  }
  Replay replay(snapshot_index);
  // The previous segment's logical end, to check against what the next header recorded.
  std::optional<uint64_t> previous_end;
  for (size_t i = 0; i < seqs.size(); ++i) {
    const bool is_last = i + 1 == seqs.size();
    Segment segment{seqs[i], JoinPath(wal_dir_, wal::SegmentFileName(seqs[i])), 0};
    next_seq_ = segment.seq + 1;
    DCOS_ASSIGN_OR_RETURN(std::string data, env_->ReadFile(segment.path));
    DCOS_ASSIGN_OR_RETURN(wal::SegmentScan scan, wal::ScanSegment(data, segment.path, is_last));
    if (scan.frames.empty()) {
      if (!is_last) {
        return absl::DataLossError(absl::StrCat("raft log segment ", segment.path,
                                                ": empty, and not the last segment"));
      }
      // Created, but its header never became durable: a crash while starting a segment.
      log::Warn("raft log: removing a segment with no complete header")
          .Field("file", segment.path)
          .Field("bytes", static_cast<uint64_t>(data.size()));
      DCOS_RETURN_IF_ERROR(env_->RemoveFile(segment.path));
      DCOS_RETURN_IF_ERROR(env_->SyncDir(wal_dir_));
      next_seq_ = segment.seq;
      break;
    }
    for (size_t f = 0; f < scan.frames.size(); ++f) {
      const wal::Frame& frame = scan.frames[f];
      std::string where = absl::StrCat("raft log segment ", segment.path, " offset ", frame.offset);
      auto corrupt = [&](const absl::Status& s) {
        return absl::DataLossError(absl::StrCat(where, ": ", s.message()));
      };
      if ((f == 0) != (frame.type == wal::RecordType::kSegmentHeader)) {
        return absl::DataLossError(absl::StrCat(where, f == 0 ? ": no segment header"
                                                              : ": unexpected segment header"));
      }
      switch (frame.type) {
        case wal::RecordType::kSegmentHeader: {
          absl::StatusOr<wal::SegmentHeader> header = wal::DecodeSegmentHeader(frame.payload);
          if (!header.ok()) return corrupt(header.status());
          if (header->seq != segment.seq) {
            return absl::DataLossError(absl::StrCat(where, ": header says segment ", header->seq));
          }
          if (header->hard_state.has_value()) state->hard_state = *header->hard_state;
          if (previous_end.has_value() && header->previous_end.has_value() &&
              *header->previous_end != *previous_end) {
            // Zeros where frames were acknowledged read as the unused end of that segment;
            // only this record tells them apart.
            return absl::DataLossError(absl::StrCat(
                "raft log segment ", segments_.back().path, " ends at offset ", *previous_end,
                " but the next segment's header says it ended at offset ",
                *header->previous_end, ": records at its end are lost"));
          }
          break;
        }
        case wal::RecordType::kBatch: {
          absl::StatusOr<wal::Batch> batch = wal::DecodeBatch(frame.payload);
          if (!batch.ok()) return corrupt(batch.status());
          if (batch->hard_state.has_value()) state->hard_state = *batch->hard_state;
          for (::dcos::raft::v1::Entry& e : batch->entries) {
            segment.max_index = std::max(segment.max_index, e.index());
            DCOS_RETURN_IF_ERROR(replay.Entry(std::move(e), where));
          }
          break;
        }
        case wal::RecordType::kSnapshotMarker: {
          absl::StatusOr<wal::SnapshotMarker> m = wal::DecodeSnapshotMarker(frame.payload);
          if (!m.ok()) return corrupt(m.status());
          segment.max_index = std::max(segment.max_index, m->index);
          DCOS_RETURN_IF_ERROR(replay.Marker(m->index, m->term, where));
          break;
        }
      }
    }
    // Appends go on at the logical end of the last segment, over its zeros; the file's size
    // is its capacity.
    header_end_ = wal::kFrameHeaderSize + scan.frames[0].payload.size();
    end_ = scan.valid_end;
    capacity_ = data.size();
    if (scan.torn_tail.has_value()) {
      // The last frame of the last segment was being written when the process stopped: it was
      // never acknowledged. Cut it off so new frames do not follow garbage; the segment then
      // has no space left, and the next frame starts a new one.
      log::Warn("raft log: truncating a torn tail")
          .Field("file", segment.path)
          .Field("offset", scan.valid_end)
          .Field("dropped_bytes", scan.garbage_end - scan.valid_end)
          .Field("reason", *scan.torn_tail);
      DCOS_RETURN_IF_ERROR(env_->TruncateFile(segment.path, scan.valid_end));
      capacity_ = scan.valid_end;
    }
    previous_end = scan.valid_end;
    segments_.push_back(std::move(segment));
  }
  if (!segments_.empty()) {
    DCOS_ASSIGN_OR_RETURN(current_, env_->NewRandomWriteFile(segments_.back().path, false));
  }
  state->entries = std::move(replay.entries());
  *term_at_snapshot = replay.term_at_snapshot();
  return absl::OkStatus();
}

absl::StatusOr<PersistentState> FileLogStorage::Load() {
  if (loaded_) return absl::FailedPreconditionError("FileLogStorage::Load called twice");

  // 1. The newest snapshot that passes its checksum.
  DCOS_ASSIGN_OR_RETURN(std::vector<std::string> names, env_->ListDir(snap_dir_));
  std::vector<SnapshotName> snaps;
  bool removed_temp = false;
  for (const std::string& name : names) {
    SnapshotName s;
    s.path = JoinPath(snap_dir_, name);
    if (snapshot_file::ParseFileName(name, &s.index, &s.term)) {
      snaps.push_back(std::move(s));
    } else if (name.size() > 4 && name.substr(name.size() - 4) == ".tmp") {
      // An interrupted SaveSnapshot.
      DCOS_RETURN_IF_ERROR(env_->RemoveFile(s.path));
      removed_temp = true;
    }
  }
  if (removed_temp) DCOS_RETURN_IF_ERROR(env_->SyncDir(snap_dir_));
  std::sort(snaps.begin(), snaps.end(), [](const SnapshotName& a, const SnapshotName& b) {
    return std::tie(a.index, a.term) > std::tie(b.index, b.term);
  });
  std::vector<std::pair<SnapshotName, absl::Status>> corrupt;
  PersistentState state;
  for (const SnapshotName& s : snaps) {
    absl::StatusOr<snapshot_file::Contents> contents = snapshot_file::Read(env_, s.path);
    if (contents.ok()) {
      state.snapshot = contents->metadata;
      snapshot_path_ = s.path;
      break;
    }
    if (contents.status().code() != absl::StatusCode::kDataLoss) return contents.status();
    corrupt.emplace_back(s, contents.status());
  }
  const uint64_t snap_index = state.snapshot.index();

  // 2. The log after it.
  std::optional<uint64_t> term_at_snapshot;
  absl::Status s = RecoverSegments(snap_index, &state, &term_at_snapshot);
  if (!s.ok()) {
    if (corrupt.empty()) return s;
    return absl::DataLossError(absl::StrCat(corrupt.front().second.message(),
                                            "; and the log cannot replace it: ", s.message()));
  }
  if (term_at_snapshot.has_value() && *term_at_snapshot != state.snapshot.term()) {
    // The snapshot was installed over a conflicting log and the process stopped before the
    // snapshot marker was written: the whole log is discarded, as SaveSnapshot would have.
    log::Info("raft log: discarding a log that conflicts with the snapshot")
        .Field("snapshot_index", snap_index)
        .Field("snapshot_term", state.snapshot.term())
        .Field("log_term", *term_at_snapshot);
    state.entries.clear();
  }

  // 3. A corrupt newer snapshot may be replaced by an older one only if the log still holds
  // every entry the newer one covered (the newest entry it covers, with its term).
  if (!corrupt.empty()) {
    const SnapshotName& newest = corrupt.front().first;
    uint64_t pos = newest.index - snap_index - 1;  // newest.index > snap_index
    if (pos >= state.entries.size() || state.entries[pos].term() != newest.term) {
      return absl::DataLossError(absl::StrCat(
          corrupt.front().second.message(), "; the previous snapshot (index ", snap_index,
          ") cannot replace it because the log does not hold entry ", newest.index, " of term ",
          newest.term));
    }
    for (const auto& [name, status] : corrupt) {
      log::Warn("raft log: corrupt snapshot replaced by an older snapshot and the log")
          .Field("file", name.path)
          .Field("error", status)
          .Field("using_index", snap_index);
      DCOS_RETURN_IF_ERROR(env_->RenameFile(name.path, name.path + ".corrupt"));
    }
    DCOS_RETURN_IF_ERROR(env_->SyncDir(snap_dir_));
  }

  // 4. The in-memory view.
  snapshot_ = state.snapshot;
  hard_state_ = state.hard_state;
  terms_.clear();
  for (const Entry& e : state.entries) terms_.push_back(e.term());
  last_index_ = state.entries.empty() ? snap_index : state.entries.back().index();
  // 5. A spare segment, ready before the current one fills up.
  preparer_ = std::make_unique<SegmentPreparer>(env_, wal_dir_, options_.segment_size,
                                                options_.prepare_in_background);
  preparer_->Start();
  loaded_ = true;
  return state;
}

}  // namespace dcos::raft
