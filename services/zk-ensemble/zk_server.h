#pragma once

// Builds a dcos-zk member on the runtime: config fields, the Raft member, the state machine
// and the ZooKeeper gRPC service. main.cc only wires this into RunMain.

#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/config/config.h"
#include "libs/raft/member.h"
#include "libs/runtime/main.h"

namespace dcos::zk {

struct ZkConfig {
  // raft.*; dcos-zk ticks every 20 ms (elections after 200-400 ms without a leader), so a
  // dead leader is replaced well within a second.
  raft::MemberConfig member = [] {
    raft::MemberConfig m;
    m.tick = absl::Milliseconds(20);
    return m;
  }();
  absl::Duration request_timeout = absl::Seconds(5);  // zk.request_timeout
  int64_t max_data_bytes = 1 << 20;                  // zk.max_data_bytes
  absl::Duration min_session_timeout = absl::Seconds(4);   // zk.min_session_timeout
  absl::Duration max_session_timeout = absl::Seconds(40);  // zk.max_session_timeout
  int64_t healthy_max_lag = 1000;                          // zk.healthy_max_lag
  absl::Duration add_member_timeout = absl::Seconds(30);   // zk.add_member_timeout
  std::string restore_from;  // zk.restore_from: a backup file seeding an empty raft.dir
  // zk.restore_mode: on an empty raft.dir, wait for Ensemble.Restore (serving nothing else)
  // and become a one-member ensemble on the backup it brings; ignored once raft.dir holds state.
  bool restore_mode = false;
};

void RegisterZkConfig(config::Schema& schema, ZkConfig* config);

absl::StatusOr<std::unique_ptr<runtime::Component>> BuildZk(const ZkConfig& config,
                                                            runtime::ServiceRuntime& runtime);

}  // namespace dcos::zk
