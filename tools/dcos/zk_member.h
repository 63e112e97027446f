#pragma once

// `dcos zk member add ID HOST:PORT` and `dcos zk member remove ID`: the ensemble's membership
// (Ensemble.AddMember / RemoveMember on the leader, found through the members of --zk).
// `add` returns once the new member (started with --raft.join) has caught up and votes.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "protos/common/v1/address.pb.h"
#include "tools/dcos/context.h"

namespace dcos::cli {

int RunZkMember(const Context& ctx, const std::vector<std::string>& args);

// "host:port" / "[v6]:port" as an Address (ip for an IP literal, else hostname).
// INVALID_ARGUMENT saying what is wrong.
absl::StatusOr<common::v1::Address> ParseAddress(const std::string& host_port);

}  // namespace dcos::cli
