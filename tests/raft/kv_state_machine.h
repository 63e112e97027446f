#pragma once

// KvStateMachine: the replicated state of dcos-raft-kv, a map from key to value changed by
// PutCommand entries (kv.proto). Pure: no Raft, no I/O.
//
// Thread-safety: RaftNode calls Apply / Snapshot / Restore on its loop thread while gRPC
// handlers read with Get / Size / applied from theirs; `mu_` guards the map and the applied
// index, so a reader sees the state as of one applied index.

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "libs/raft/raft_node.h"

namespace dcos::testing::raftkv {

// Serializes a PutCommand for RaftNode::Propose.
std::string EncodePut(const std::string& key, const std::string& value);

class KvStateMachine final : public raft::StateMachine {
 public:
  struct Read {
    std::optional<std::string> value;  // nullopt: no such key
    uint64_t applied = 0;
  };

  // StateMachine. Apply ignores entries that are not ENTRY_TYPE_NORMAL; a NORMAL entry that is
  // not a PutCommand is a bug in whoever proposed it and aborts (it is in the log for good).
  void Apply(const raft::Entry& entry) override;
  std::string Snapshot() override;
  // INVALID_ARGUMENT when `data` is not a KvSnapshot (the state is then unchanged).
  absl::Status Restore(const std::string& data, uint64_t index) override;

  Read Get(const std::string& key) const;
  uint64_t Size() const;
  uint64_t applied() const;

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, std::string> map_ ABSL_GUARDED_BY(mu_);
  uint64_t applied_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace dcos::testing::raftkv
