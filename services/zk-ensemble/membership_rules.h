#pragma once

// The rules of Ensemble.AddMember and RemoveMember, as pure functions of the leader's Raft
// status: which requests are malformed, which name a member that exists or does not, and which
// would leave the ensemble unable to commit. The service (ensemble_membership.cc) applies them
// and carries out the change.

#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "libs/raft/raft_core.h"
#include "protos/common/v1/address.pb.h"
#include "protos/zk/v1/ensemble.pb.h"

namespace dcos::zk {

// "host:port" for an Address (ip, else hostname; IPv6 in brackets). INVALID_ARGUMENT naming
// `field` when it has no host, a port outside 1..65535, or a host that is not one.
absl::StatusOr<std::string> HostPortOf(const common::v1::Address& address,
                                       absl::string_view field);

// Voters of `conf` that the ensemble view `view` (Ensemble.Status: each member asked, so a
// dead one shows at once) lists as healthy.
std::set<uint64_t> HealthyVoters(const v1::StatusResponse& view, const raft::ConfState& conf);

// Adding member `id` at `address`: ALREADY_EXISTS when the id is a member or the address is
// another member's; FAILED_PRECONDITION (NEW_CONFIG_NO_QUORUM) when the `healthy` voters are
// not a majority (a new member could never be caught up and promoted).
absl::Status CheckAdd(const raft::CoreStatus& leader, uint64_t id, const std::string& address,
                      const std::map<uint64_t, std::string>& addresses,
                      const std::set<uint64_t>& healthy);

// Removing member `id`: NOT_FOUND when it is no member; FAILED_PRECONDITION when it is the last
// voter, or (NEW_CONFIG_NO_QUORUM) when the healthy voters left would not be a majority of
// the voters left. Removing a learner never endangers the quorum.
absl::Status CheckRemove(const raft::CoreStatus& leader, uint64_t id,
                         const std::set<uint64_t>& healthy);

}  // namespace dcos::zk
