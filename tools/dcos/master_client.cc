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

namespace {

// One replica, then the leader it names.
grpc::Status CallFollowingRedirect(const Context& ctx, std::string target, const LeaderCall& call,
                                   bool* redirected_or_answered) {
  grpc::Status status;
  *redirected_or_answered = false;
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto channel = grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + ctx.timeout));
    status = call(channel, &context);
    std::string leader = LeaderOf(status);
    if (leader.empty() || leader == target) break;
    *redirected_or_answered = true;
    target = leader;
  }
  if (status.error_code() != grpc::StatusCode::UNAVAILABLE) *redirected_or_answered = true;
  return status;
}

}  // namespace

grpc::Status CallMaster(const Context& ctx, const LeaderCall& call) {
  bool answered = false;
  return CallFollowingRedirect(ctx, ctx.master, call, &answered);
}

grpc::Status CallLeader(const Context& ctx, const std::vector<std::string>& replicas,
                        const LeaderCall& call) {
  grpc::Status status(grpc::StatusCode::INVALID_ARGUMENT, "no replica to ask");
  for (const std::string& replica : replicas) {
    bool answered = false;
    status = CallFollowingRedirect(ctx, replica, call, &answered);
    if (answered) break;
  }
  return status;
}

int Fail(const Context& ctx, const std::string& what, const std::string& message) {
  *ctx.err << "dcos " << what << ": " << message << "\n";
  return kExitError;
}

int Usage(const Context& ctx, const std::string& what, const std::string& usage) {
  *ctx.err << "dcos " << what << ": usage: " << usage << "\n";
  return kExitUsage;
}

}  // namespace dcos::cli
