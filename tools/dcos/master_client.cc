#include "tools/dcos/master_client.h"

#include <optional>

#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>

#include "absl/strings/str_cat.h"
#include "libs/status/grpc_status.h"
#include "protos/common/v1/errors.pb.h"

namespace dcos::cli {
namespace {

// The leader's "host:port" from a redirect's LeaderInfo detail; empty if there is none.
std::string LeaderOf(const grpc::Status& status) {
  if (status.error_code() != grpc::StatusCode::UNAVAILABLE) return "";
  absl::Status s = status::FromGrpc(status);
  auto payload = s.GetPayload(status::TypeUrl("dcos.common.v1.LeaderInfo"));
  common::v1::LeaderInfo info;
  if (!payload.has_value() || !info.ParseFromString(std::string(*payload)) || !info.known() ||
      info.address().port() == 0) {
    return "";
  }
  const std::string& host =
      info.address().ip().empty() ? info.address().hostname() : info.address().ip();
  return absl::StrCat(host, ":", info.address().port());
}

}  // namespace

grpc::Status CallMaster(
    const Context& ctx,
    const std::function<grpc::Status(const std::shared_ptr<grpc::Channel>&, grpc::ClientContext*)>&
        call) {
  std::string target = ctx.master;
  grpc::Status status;
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto channel = grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + ctx.timeout));
    status = call(channel, &context);
    std::string leader = LeaderOf(status);
    if (leader.empty() || leader == target) break;
    target = leader;
  }
  return status;
}

}  // namespace dcos::cli
