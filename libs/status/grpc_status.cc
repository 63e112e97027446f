#include "libs/status/grpc_status.h"

#include <string>

#include "absl/strings/cord.h"
#include "protos/common/v1/errors.pb.h"

namespace dcos::status {

std::string TypeUrl(const std::string& full_name) {
  return "type.googleapis.com/" + full_name;
}

grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  dcos::common::v1::RpcStatus details;
  bool any = false;
  status.ForEachPayload([&](absl::string_view url, const absl::Cord& payload) {
    google::protobuf::Any* detail = details.add_details();
    detail->set_type_url(std::string(url));
    detail->set_value(std::string(payload));
    any = true;
  });
  if (!any) {
    return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                        std::string(status.message()));
  }
  details.set_code(static_cast<int32_t>(status.code()));
  details.set_message(std::string(status.message()));
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()), details.SerializeAsString());
}

absl::Status FromGrpc(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  absl::Status out(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  if (!status.error_details().empty()) {
    dcos::common::v1::RpcStatus details;
    if (details.ParseFromString(status.error_details())) {
      for (const google::protobuf::Any& detail : details.details()) {
        out.SetPayload(detail.type_url(), absl::Cord(detail.value()));
      }
    }
  }
  return out;
}

}  // namespace dcos::status
