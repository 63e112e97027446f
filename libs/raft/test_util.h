#pragma once

// Helpers shared by the storage tests.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "libs/raft/storage.h"

namespace dcos::raft::testing {

// An entry whose data names its index and term, so a wrong entry is visible in a diff.
inline Entry MakeEntry(uint64_t index, uint64_t term, std::string data = "") {
  Entry e;
  e.set_index(index);
  e.set_term(term);
  e.set_type(::dcos::raft::v1::ENTRY_TYPE_NORMAL);
  e.set_data(data.empty() ? absl::StrCat("entry-", index, "-term-", term) : std::move(data));
  return e;
}

inline std::vector<Entry> MakeEntries(uint64_t first, uint64_t last, uint64_t term) {
  std::vector<Entry> out;
  for (uint64_t i = first; i <= last; ++i) out.push_back(MakeEntry(i, term));
  return out;
}

inline HardState MakeHardState(uint64_t term, uint64_t vote, uint64_t commit) {
  HardState hs;
  hs.set_term(term);
  hs.set_vote(vote);
  hs.set_commit(commit);
  return hs;
}

inline SnapshotMetadata MakeSnapshot(uint64_t index, uint64_t term) {
  SnapshotMetadata m;
  m.set_index(index);
  m.set_term(term);
  m.mutable_conf_state()->add_voters(1);
  m.mutable_conf_state()->add_voters(2);
  return m;
}

// (index, term) of each entry, for readable comparisons.
inline std::vector<std::pair<uint64_t, uint64_t>> Ids(const std::vector<Entry>& entries) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  for (const Entry& e : entries) out.emplace_back(e.index(), e.term());
  return out;
}

inline std::vector<std::pair<uint64_t, uint64_t>> Ids(uint64_t first, uint64_t last,
                                                      uint64_t term) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  for (uint64_t i = first; i <= last; ++i) out.emplace_back(i, term);
  return out;
}

// True if every entry carries the data MakeEntry gives it.
inline bool DataIntact(const std::vector<Entry>& entries) {
  for (const Entry& e : entries) {
    if (e.data() != absl::StrCat("entry-", e.index(), "-term-", e.term())) return false;
  }
  return true;
}

}  // namespace dcos::raft::testing
