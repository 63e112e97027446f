#pragma once

// dcos-raft-kv: a replicated key-value store on libs/raft and the service runtime, for tests
// that run real member processes (tests/raft/README.md). Each member serves the Kv service
// and the Raft transport (RaftTransportService) on the same gRPC server: raft.peers lists the
// members' gRPC addresses, so a member's grpc.listen must be its own entry there.
//
// kv_main.cc is only wiring: RegisterKvConfig on the Schema, BuildKv on the runtime.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/config/config.h"
#include "libs/raft/member.h"
#include "libs/runtime/main.h"

namespace dcos::testing::raftkv {

struct KvConfig {
  raft::MemberConfig member;  // raft.id, raft.peers, raft.dir, raft.tick, ...
  // raft.request_timeout: how long Put / linearizable Get wait for Raft before
  // DEADLINE_EXCEEDED.
  absl::Duration request_timeout = absl::Seconds(5);
};

// Registers the raft.* fields, writing into `config` (which holds the defaults).
void RegisterKvConfig(config::Schema& schema, KvConfig* config);

// Builds the member and registers its services on `runtime`. The Raft node starts (recovering
// the data directory) in Component::Start, which then makes the server ready. Errors:
// INVALID_ARGUMENT for inconsistent configuration (id not in peers, grpc.listen not the
// member's peer address), storage errors opening the directory.
absl::StatusOr<std::unique_ptr<runtime::Component>> BuildKv(const KvConfig& config,
                                                            runtime::ServiceRuntime& runtime);

}  // namespace dcos::testing::raftkv
