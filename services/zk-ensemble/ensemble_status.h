#pragma once

// The ensemble view of Ensemble.Status, as pure functions: a member describes itself
// (SelfReport), the answering member gathers the reports it could get and completes the view
// (AggregateStatus): members it could not reach, each member's lag behind the leader's commit
// index, health, and whether the ensemble has a quorum.

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "libs/raft/raft_core.h"
#include "protos/zk/v1/ensemble.pb.h"

namespace dcos::zk {

// What a member knows about itself besides its Raft status.
struct SelfFacts {
  std::string address;        // client and peer address (the same gRPC server)
  // Why it runs no Raft node yet ("starting", "awaiting a restore ..."); empty once it does.
  std::string waiting;
  absl::Status fatal;         // the storage error that stopped it, or OK
  uint64_t sessions = 0;      // session streams attached here
  uint64_t znodes = 0;
  uint64_t watches = 0;
};

// This member's entry. serving_state: SERVING when it runs and knows a leader, NOT_SERVING
// otherwise (not started yet, no leader, or stopped by a storage error). Lag and health are
// left to AggregateStatus, which knows the leader's commit index.
v1::Member SelfReport(const raft::CoreStatus& status, const SelfFacts& facts);

struct EnsembleFacts {
  uint64_t answered_by = 0;
  uint64_t cluster_id = 0;
  raft::ConfState conf;                       // as the answering member knows it
  std::map<uint64_t, std::string> addresses;  // every member's address
  uint64_t healthy_max_lag = 1000;
};

// Every voter and learner of `facts.conf` (or every known address when the configuration is
// still unknown), sorted by id: its report when `reports` has one, ROLE_UNREACHABLE and DOWN
// otherwise. The leader is the reported leader of the highest term.
v1::StatusResponse AggregateStatus(const EnsembleFacts& facts,
                                   const std::map<uint64_t, v1::Member>& reports);

// The view of a member awaiting a restore (zk.restore_mode): no ensemble yet, only itself
// (`self`, its SelfReport), not serving; `receiving` while a Restore call is under way.
v1::StatusResponse AwaitingRestoreStatus(v1::Member self, uint64_t cluster_id, bool receiving);

}  // namespace dcos::zk
