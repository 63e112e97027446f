#pragma once

// The refusal every leader-only call of dcos-zk answers on another member: UNAVAILABLE
// "not the leader: leader is member N at HOST:PORT" with a dcos.common.v1.LeaderInfo detail,
// so clients redirect without parsing the message. Shared by the ZooKeeper and Ensemble
// services.

#include <cstdint>
#include <map>
#include <string>

#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "protos/common/v1/address.pb.h"
#include "protos/common/v1/errors.pb.h"

namespace dcos::zk {

// `status` as a gRPC status: a refusal by a member that is not the leader ("not the leader",
// "no leader known", "starting") becomes the redirect naming `leader` (0: unknown) at its
// address in `peers`; any other status passes through unchanged (e.g. UNAVAILABLE because the
// member stopped with a write pending, whose outcome is unknown).
// "host:port" as an Address (hostname and ip both the host).
void FillAddress(const std::string& host_port, dcos::common::v1::Address* out);

// The LeaderInfo detail for `leader` (0: unknown) with its address from `peers`.
dcos::common::v1::LeaderInfo LeaderInfoFor(uint64_t leader,
                                           const std::map<uint64_t, std::string>& peers);

grpc::Status RedirectToLeader(const absl::Status& status, uint64_t leader,
                              const std::map<uint64_t, std::string>& peers);

}  // namespace dcos::zk
