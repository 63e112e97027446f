#include "libs/masters/master_address.h"

#include <google/protobuf/util/json_util.h>

#include "absl/strings/str_cat.h"
#include "libs/status/grpc_status.h"
#include "protos/common/v1/errors.pb.h"

namespace dcos::masters {

std::string HostPort(const common::v1::Address& address) {
  const std::string& host = address.ip().empty() ? address.hostname() : address.ip();
  if (host.empty() || address.port() == 0) return "";
  return host.find(':') != std::string::npos ? absl::StrCat("[", host, "]:", address.port())
                                             : absl::StrCat(host, ":", address.port());
}

std::string MasterAddress(const common::v1::MasterInfo& info) { return HostPort(info.address()); }

std::string RedirectTarget(const absl::Status& status) {
  if (status.code() != absl::StatusCode::kUnavailable) return "";
  auto payload = status.GetPayload(status::TypeUrl("dcos.common.v1.LeaderInfo"));
  common::v1::LeaderInfo info;
  if (!payload.has_value() || !info.ParseFromString(std::string(*payload)) || !info.known()) {
    return "";
  }
  return HostPort(info.address());
}

std::optional<common::v1::MasterInfo> ParseElectionData(const std::string& data) {
  common::v1::MasterInfo info;
  if (!google::protobuf::util::JsonStringToMessage(data, &info).ok()) return std::nullopt;
  return info;
}

}  // namespace dcos::masters
