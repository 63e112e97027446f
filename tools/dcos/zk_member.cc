#include "tools/dcos/zk_member.h"

#include <grpcpp/channel.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/config/host_port.h"
#include "protos/zk/v1/ensemble.grpc.pb.h"
#include "tools/dcos/master_client.h"

namespace dcos::cli {
namespace {

namespace v1 = zk::v1;

constexpr char kUsage[] =
    "usage: dcos zk member add ID HOST:PORT    add a member started with --raft.join\n"
    "       dcos zk member remove ID           remove a member (the leader hands over first)\n";

int Usage(const Context& ctx, const std::string& why) {
  *ctx.err << "dcos zk member: " << why << "\n" << kUsage;
  return kExitUsage;
}

bool ParseId(const std::string& text, uint64_t* id) {
  return absl::SimpleAtoi(text, id) && *id > 0;
}

int Report(const Context& ctx, const std::string& what, const grpc::Status& status) {
  if (status.ok()) return kExitOk;
  *ctx.err << "dcos zk member " << what << ": " << status.error_message() << "\n";
  return kExitError;
}

}  // namespace

absl::StatusOr<common::v1::Address> ParseAddress(const std::string& host_port) {
  absl::Status valid = config::ValidateHostPort(host_port);
  if (!valid.ok()) return valid;
  size_t colon = host_port.rfind(':');
  std::string host = host_port.substr(0, colon);
  uint32_t port = 0;
  if (!absl::SimpleAtoi(host_port.substr(colon + 1), &port) || port == 0) {
    return absl::InvalidArgumentError(absl::StrCat("\"", host_port, "\": port must be 1..65535"));
  }
  common::v1::Address address;
  address.set_port(port);
  if (!host.empty() && host.front() == '[') {
    address.set_ip(host.substr(1, host.size() - 2));
  } else if (host.find_first_not_of("0123456789.") == std::string::npos) {
    address.set_ip(host);  // an IPv4 literal
  } else {
    address.set_hostname(host);
  }
  return address;
}

int RunZkMember(const Context& ctx, const std::vector<std::string>& args) {
  if (args.empty()) return Usage(ctx, "no subcommand given");
  uint64_t id = 0;
  if (args[0] == "add") {
    if (args.size() != 3) return Usage(ctx, "add takes ID and HOST:PORT");
    if (!ParseId(args[1], &id)) return Usage(ctx, absl::StrCat("ID: \"", args[1], "\" is not a positive number"));
    absl::StatusOr<common::v1::Address> address = ParseAddress(args[2]);
    if (!address.ok()) return Usage(ctx, absl::StrCat("HOST:PORT: ", address.status().message()));
    v1::AddMemberRequest request;
    request.set_id(id);
    *request.mutable_peer_address() = *address;
    *request.mutable_client_address() = *address;
    v1::AddMemberResponse response;
    grpc::Status status = CallLeader(ctx, ctx.zk_ensemble, [&](const auto& channel, auto* call) {
      return v1::Ensemble::NewStub(channel)->AddMember(call, request, &response);
    });
    if (status.ok()) *ctx.out << "member " << id << " added at " << args[2] << " (voter)\n";
    return Report(ctx, "add", status);
  }
  if (args[0] == "remove") {
    if (args.size() != 2) return Usage(ctx, "remove takes ID");
    if (!ParseId(args[1], &id)) return Usage(ctx, absl::StrCat("ID: \"", args[1], "\" is not a positive number"));
    v1::RemoveMemberRequest request;
    request.set_id(id);
    v1::RemoveMemberResponse response;
    grpc::Status status = CallLeader(ctx, ctx.zk_ensemble, [&](const auto& channel, auto* call) {
      return v1::Ensemble::NewStub(channel)->RemoveMember(call, request, &response);
    });
    if (status.ok()) *ctx.out << "member " << id << " removed\n";
    return Report(ctx, "remove", status);
  }
  return Usage(ctx, absl::StrCat("unknown subcommand \"", args[0], "\""));
}

}  // namespace dcos::cli
