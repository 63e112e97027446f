#include "libs/raft/raft_log.h"

#include <cstdio>
#include <cstdlib>

namespace dcos::raft {
namespace {

[[noreturn]] void Die(const char* what, uint64_t a, uint64_t b) {
  std::fprintf(stderr, "raft log invariant violated: %s (%llu, %llu)\n", what,
               static_cast<unsigned long long>(a), static_cast<unsigned long long>(b));
  std::abort();
}

}  // namespace

RaftLog::RaftLog(const PersistentState& state)
    : snapshot_index_(state.snapshot.index()),
      snapshot_term_(state.snapshot.term()),
      entries_(state.entries) {
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].index() != snapshot_index_ + 1 + i) {
      Die("restored entries not contiguous", entries_[i].index(), snapshot_index_ + 1 + i);
    }
  }
  committed_ = std::max(snapshot_index_, std::min(state.hard_state.commit(), last_index()));
  applied_ = snapshot_index_;
  stable_ = last_index();
}

std::optional<uint64_t> RaftLog::Term(uint64_t index) const {
  if (index == snapshot_index_) return snapshot_term_;
  if (index < snapshot_index_ || index > last_index()) return std::nullopt;
  return entries_[index - snapshot_index_ - 1].term();
}

bool RaftLog::MatchTerm(uint64_t index, uint64_t term) const {
  std::optional<uint64_t> t = Term(index);
  return t.has_value() && *t == term;
}

bool RaftLog::IsUpToDate(uint64_t index, uint64_t term) const {
  return term > last_term() || (term == last_term() && index >= last_index());
}

uint64_t RaftLog::Append(std::vector<Entry> entries) {
  for (Entry& e : entries) {
    e.set_index(last_index() + 1);
    entries_.push_back(std::move(e));
  }
  return last_index();
}

uint64_t RaftLog::AppendFromLeader(uint64_t prev_index, const std::vector<Entry>& entries) {
  uint64_t last_new = prev_index + entries.size();
  for (size_t i = 0; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    if (e.index() <= snapshot_index_) continue;  // already covered by our snapshot
    std::optional<uint64_t> ours = Term(e.index());
    if (ours.has_value() && *ours == e.term()) continue;
    if (ours.has_value()) {
      // Conflict: our suffix from e.index() is from a deposed leader.
      if (e.index() <= committed_) Die("truncating a committed entry", e.index(), committed_);
      entries_.resize(e.index() - snapshot_index_ - 1);
      if (stable_ >= e.index()) stable_ = e.index() - 1;
    }
    for (size_t j = i; j < entries.size(); ++j) entries_.push_back(entries[j]);
    break;
  }
  return last_new;
}

std::vector<Entry> RaftLog::Slice(uint64_t lo, uint64_t hi, uint64_t max_bytes) const {
  if (lo < first_index() || hi > last_index() + 1 || lo > hi) Die("bad slice", lo, hi);
  std::vector<Entry> out;
  uint64_t bytes = 0;
  for (uint64_t i = lo; i < hi; ++i) {
    const Entry& e = entries_[i - snapshot_index_ - 1];
    bytes += e.data().size() + 16;
    if (!out.empty() && bytes > max_bytes) break;
    out.push_back(e);
  }
  return out;
}

void RaftLog::CommitTo(uint64_t index) {
  if (index <= committed_) return;
  if (index > last_index()) Die("commit beyond the log", index, last_index());
  committed_ = index;
}

std::vector<Entry> RaftLog::TakeCommitted(uint64_t max_bytes) {
  if (committed_ <= applied_) return {};
  std::vector<Entry> out = Slice(applied_ + 1, committed_ + 1, max_bytes);
  applied_ += out.size();
  return out;
}

std::vector<Entry> RaftLog::Unstable() const {
  std::vector<Entry> out;
  for (uint64_t i = stable_ + 1; i <= last_index(); ++i) {
    out.push_back(entries_[i - snapshot_index_ - 1]);
  }
  return out;
}

void RaftLog::StableTo(uint64_t index, uint64_t term) {
  if (index <= stable_) return;
  if (MatchTerm(index, term)) stable_ = index;
}

void RaftLog::CompactTo(uint64_t index) {
  if (index <= snapshot_index_) return;
  if (index > applied_) Die("compacting unapplied entries", index, applied_);
  uint64_t term = *Term(index);
  entries_.erase(entries_.begin(), entries_.begin() + (index - snapshot_index_));
  snapshot_index_ = index;
  snapshot_term_ = term;
}

void RaftLog::RestoreSnapshot(uint64_t index, uint64_t term) {
  entries_.clear();
  snapshot_index_ = index;
  snapshot_term_ = term;
  committed_ = index;
  applied_ = index;
  stable_ = index;
}

}  // namespace dcos::raft
