#pragma once

// Where a master is, as the processes that look for the leading master need it: "host:port"
// from a MasterInfo or from the LeaderInfo a standby master attaches to its UNAVAILABLE
// answers. Shared by dcos-agent and dcos-dns (and whatever else follows the masters).

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "protos/common/v1/master_info.pb.h"
#include "protos/common/v1/address.pb.h"

namespace dcos::masters {

// "ip:port" ("[v6]:port"), the hostname when there is no ip; "" without a host or a port.
std::string HostPort(const common::v1::Address& address);

// HostPort of a master's address.
std::string MasterAddress(const common::v1::MasterInfo& info);

// The leader a refusal names ("host:port"): UNAVAILABLE with a dcos.common.v1.LeaderInfo
// detail that knows the leader. "" otherwise.
std::string RedirectTarget(const absl::Status& status);

// The MasterInfo a master writes (as JSON) into its election node; nullopt when `data` is not
// one.
std::optional<common::v1::MasterInfo> ParseElectionData(const std::string& data);

}  // namespace dcos::masters
