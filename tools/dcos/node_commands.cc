#include "tools/dcos/node_commands.h"

#include <optional>

#include <grpcpp/client_context.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "protos/master/v1/operator.grpc.pb.h"
#include "tools/dcos/master_client.h"

namespace dcos::cli {
namespace {

namespace mv1 = dcos::master::v1;

constexpr char kUsage[] =
    "dcos node deactivate|reactivate|decommission <agent-id> | dcos node drain <agent-id> "
    "[--max-grace=DURATION] [--decommission]";

int UsageError(const Context& ctx, const std::string& why) {
  *ctx.err << "dcos node: " << why << "\n" << "usage: " << kUsage << "\n";
  return kExitUsage;
}

// Runs one Operator call at the leader and prints "agent <id> <done>".
template <typename Request, typename Response>
int Operate(const Context& ctx, const std::string& command, const std::string& agent_id,
            Request request,
            grpc::Status (mv1::Operator::Stub::*method)(grpc::ClientContext*, const Request&,
                                                       Response*),
            const std::string& done) {
  request.mutable_agent_id()->set_value(agent_id);
  Response response;
  grpc::Status status = CallOperator(ctx, request, &response, method);
  if (!status.ok()) return Fail(ctx, "node " + command, status.error_message());
  *ctx.out << "agent " << agent_id << " " << done << "\n";
  return kExitOk;
}

}  // namespace

int RunNodeOperation(const Context& ctx, const std::vector<std::string>& args) {
  if (args.empty()) return -1;
  const std::string& command = args[0];
  if (command != "deactivate" && command != "reactivate" && command != "decommission" &&
      command != "drain") {
    return -1;
  }
  std::string agent_id;
  std::optional<absl::Duration> max_grace;
  bool decommission = false;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (command == "drain" && absl::StartsWith(arg, "--max-grace=")) {
      absl::Duration d;
      if (!absl::ParseDuration(arg.substr(12), &d) || d < absl::ZeroDuration()) {
        return UsageError(ctx, absl::StrCat("--max-grace: not a duration >= 0: ", arg.substr(12)));
      }
      max_grace = d;
    } else if (command == "drain" && arg == "--decommission") {
      decommission = true;
    } else if (absl::StartsWith(arg, "--") || !agent_id.empty()) {
      return UsageError(ctx, absl::StrCat("unexpected argument: ", arg));
    } else {
      agent_id = arg;
    }
  }
  if (agent_id.empty()) return UsageError(ctx, "the agent's id is required");
  if (command == "deactivate") {
    return Operate(ctx, command, agent_id, mv1::DeactivateAgentRequest(),
                   &mv1::Operator::Stub::DeactivateAgent, "deactivated");
  }
  if (command == "reactivate") {
    return Operate(ctx, command, agent_id, mv1::ReactivateAgentRequest(),
                   &mv1::Operator::Stub::ReactivateAgent, "reactivated");
  }
  if (command == "decommission") {
    return Operate(ctx, command, agent_id, mv1::MarkAgentGoneRequest(),
                   &mv1::Operator::Stub::MarkAgentGone, "decommissioned (gone)");
  }
  mv1::DrainAgentRequest drain;
  if (max_grace.has_value()) {
    const int64_t nanos = absl::ToInt64Nanoseconds(*max_grace);
    drain.mutable_max_grace_period()->set_seconds(nanos / 1000000000);
    drain.mutable_max_grace_period()->set_nanos(static_cast<int32_t>(nanos % 1000000000));
  }
  drain.set_mark_gone(decommission);
  return Operate(ctx, command, agent_id, std::move(drain), &mv1::Operator::Stub::DrainAgent,
                 decommission ? "draining (gone once drained)" : "draining");
}

}  // namespace dcos::cli
