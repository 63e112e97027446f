#include "services/zk-ensemble/leader_redirect.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/status/grpc_status.h"

namespace dcos::zk {

void FillAddress(const std::string& host_port, dcos::common::v1::Address* out) {
  std::pair<std::string, std::string> parts = absl::StrSplit(host_port, absl::MaxSplits(':', 1));
  uint32_t port = 0;
  (void)absl::SimpleAtoi(parts.second, &port);
  out->set_hostname(parts.first);
  out->set_ip(parts.first);
  out->set_port(port);
}

dcos::common::v1::LeaderInfo LeaderInfoFor(uint64_t leader,
                                           const std::map<uint64_t, std::string>& peers) {
  dcos::common::v1::LeaderInfo info;
  info.set_service("dcos-zk");
  auto it = peers.find(leader);
  bool known = leader != 0 && it != peers.end();
  info.set_known(known);
  if (known) {
    info.set_leader_id(absl::StrCat(leader));
    FillAddress(it->second, info.mutable_address());
  }
  return info;
}

grpc::Status RedirectToLeader(const absl::Status& status, uint64_t leader,
                              const std::map<uint64_t, std::string>& peers) {
  bool refused = absl::StartsWith(status.message(), "not the leader") ||
                 absl::StartsWith(status.message(), "no leader known") ||
                 absl::StartsWith(status.message(), "starting");
  if (status.code() != absl::StatusCode::kUnavailable || !refused) {
    return status::ToGrpc(status);
  }
  auto it = peers.find(leader);
  bool known = leader != 0 && it != peers.end();
  std::string where = known ? absl::StrCat("leader is member ", leader, " at ", it->second)
                            : "no leader is known (election in progress); retry shortly";
  dcos::common::v1::LeaderInfo info = LeaderInfoFor(leader, peers);
  absl::Status redirect = absl::UnavailableError(absl::StrCat("not the leader: ", where));
  redirect.SetPayload(status::TypeUrl("dcos.common.v1.LeaderInfo"),
                      absl::Cord(info.SerializeAsString()));
  return status::ToGrpc(redirect);
}

}  // namespace dcos::zk
