#include "services/zk-ensemble/membership_rules.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/config/host_port.h"

namespace dcos::zk {
namespace {

bool Contains(const google::protobuf::RepeatedField<uint64_t>& ids, uint64_t id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

}  // namespace

absl::StatusOr<std::string> HostPortOf(const common::v1::Address& address,
                                       absl::string_view field) {
  std::string host = address.ip().empty() ? address.hostname() : address.ip();
  if (host.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": needs an ip or a hostname"));
  }
  if (address.port() == 0 || address.port() > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": port ", address.port(), " is not in 1..65535"));
  }
  std::string host_port = absl::StrContains(host, ':')
                              ? absl::StrCat("[", host, "]:", address.port())
                              : absl::StrCat(host, ":", address.port());
  absl::Status valid = config::ValidateHostPort(host_port);
  if (!valid.ok()) return absl::InvalidArgumentError(absl::StrCat(field, ": ", valid.message()));
  return host_port;
}

std::set<uint64_t> HealthyVoters(const v1::StatusResponse& view, const raft::ConfState& conf) {
  std::set<uint64_t> healthy;
  for (const v1::Member& m : view.members()) {
    if (m.healthy() && Contains(conf.voters(), m.id())) healthy.insert(m.id());
  }
  return healthy;
}

absl::Status CheckAdd(const raft::CoreStatus& leader, uint64_t id, const std::string& address,
                      const std::map<uint64_t, std::string>& addresses,
                      const std::set<uint64_t>& healthy) {
  if (Contains(leader.conf.voters(), id) || Contains(leader.conf.learners(), id)) {
    return absl::AlreadyExistsError(absl::StrCat("id: member ", id, " is already in the ensemble"));
  }
  for (const auto& [member, at] : addresses) {
    if (at == address) {
      return absl::AlreadyExistsError(
          absl::StrCat("peer_address: ", address, " is already member ", member, "'s address"));
    }
  }
  size_t voters = static_cast<size_t>(leader.conf.voters_size());
  if (healthy.size() < voters / 2 + 1) {
    return absl::FailedPreconditionError(absl::StrCat(
        "NEW_CONFIG_NO_QUORUM: only ", healthy.size(), " of ", voters,
        " voters are healthy; a majority must be before a member is added"));
  }
  return absl::OkStatus();
}

absl::Status CheckRemove(const raft::CoreStatus& leader, uint64_t id,
                         const std::set<uint64_t>& healthy) {
  if (Contains(leader.conf.learners(), id)) return absl::OkStatus();
  if (!Contains(leader.conf.voters(), id)) {
    return absl::NotFoundError(absl::StrCat("id: member ", id, " is not in the ensemble"));
  }
  size_t left = static_cast<size_t>(leader.conf.voters_size()) - 1;
  if (left == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("member ", id, " is the last voter; an ensemble needs one"));
  }
  size_t healthy_left = healthy.size() - (healthy.count(id) > 0 ? 1 : 0);
  if (healthy_left < left / 2 + 1) {
    return absl::FailedPreconditionError(absl::StrCat(
        "NEW_CONFIG_NO_QUORUM: without member ", id, " only ", healthy_left, " of the ", left,
        " voters left would be healthy, not a majority; the ensemble could not commit"));
  }
  return absl::OkStatus();
}

}  // namespace dcos::zk
