#pragma once

// RaftLog: one member's view of the replicated log, in memory — the entries after the latest
// snapshot (compaction point), which of them are known committed, which have been handed out
// for applying, and which are already durable (persisted by the driver). Pure: no I/O.
//
// Indexes: entries are [first_index(), last_index()], first_index() == snapshot_index() + 1.
// The term of snapshot_index() is remembered, so Term(snapshot_index()) answers.
// Invariants: snapshot_index <= applied <= committed <= last_index; stable <= last_index.
//
// Thread-compatible.

#include <cstdint>
#include <optional>
#include <vector>

#include "libs/raft/storage.h"

namespace dcos::raft {

class RaftLog {
 public:
  // An empty log (no snapshot).
  RaftLog() = default;

  // A log restored from disk: everything in `state` is durable, committed as recorded.
  explicit RaftLog(const PersistentState& state);

  uint64_t snapshot_index() const { return snapshot_index_; }
  uint64_t snapshot_term() const { return snapshot_term_; }
  uint64_t first_index() const { return snapshot_index_ + 1; }
  uint64_t last_index() const { return snapshot_index_ + entries_.size(); }
  uint64_t last_term() const { return *Term(last_index()); }
  uint64_t committed() const { return committed_; }
  uint64_t applied() const { return applied_; }
  uint64_t stable() const { return stable_; }

  // The term of entry `index`; nullopt when it is compacted away (< snapshot_index) or beyond
  // the end.
  std::optional<uint64_t> Term(uint64_t index) const;

  // True when the entry at `index` exists with `term` (index 0 term 0 always matches).
  bool MatchTerm(uint64_t index, uint64_t term) const;

  // Raft's "at least as up-to-date" comparison of a candidate's last entry with ours.
  bool IsUpToDate(uint64_t last_index, uint64_t last_term) const;

  // Leader: appends entries at the end; they get indexes last_index()+1... assigned here.
  // Returns the index of the last one.
  uint64_t Append(std::vector<Entry> entries);

  // Follower: the entries of a MsgApp that matched at (prev_index, prev_term). Skips entries we
  // already have, truncates our log at the first conflicting entry (never below committed:
  // that would be a safety violation, and aborts), appends the rest. Returns the index of the
  // last entry of the message (prev_index + entries.size()).
  uint64_t AppendFromLeader(uint64_t prev_index, const std::vector<Entry>& entries);

  // Entries [lo, hi), at most `max_bytes` in total but always at least one when lo < hi.
  // Requires first_index() <= lo <= hi <= last_index() + 1.
  std::vector<Entry> Slice(uint64_t lo, uint64_t hi, uint64_t max_bytes) const;

  // Raises committed to `index` (never lowers it). Requires index <= last_index().
  void CommitTo(uint64_t index);

  // Entries committed but not yet handed out for applying; marks them applied.
  std::vector<Entry> TakeCommitted(uint64_t max_bytes);
  bool HasCommittedToApply() const { return committed_ > applied_; }

  // Entries not yet durable (stable, last_index]; they stay unstable until StableTo.
  std::vector<Entry> Unstable() const;
  bool HasUnstable() const { return stable_ < last_index(); }
  // Marks entries up to `index` durable, if the entry at `index` still has `term` (it may have
  // been overwritten since the batch was handed out).
  void StableTo(uint64_t index, uint64_t term);

  // Discards entries up to `index` (<= applied), keeping Term(index). For compaction after a
  // snapshot at `index` is durable.
  void CompactTo(uint64_t index);

  // Replaces everything with a snapshot at (index, term): the log becomes empty after it,
  // committed = applied = stable = index. (The snapshot itself is made durable by the driver.)
  void RestoreSnapshot(uint64_t index, uint64_t term);

 private:
  uint64_t snapshot_index_ = 0;
  uint64_t snapshot_term_ = 0;
  std::vector<Entry> entries_;  // entries_[i] has index snapshot_index_ + 1 + i
  uint64_t committed_ = 0;
  uint64_t applied_ = 0;
  uint64_t stable_ = 0;
};

}  // namespace dcos::raft
