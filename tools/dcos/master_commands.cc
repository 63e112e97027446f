#include "tools/dcos/master_commands.h"

#include <google/protobuf/util/json_util.h>

#include <map>

#include "absl/status/statusor.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "libs/status/grpc_status.h"
#include "protos/master/v1/operator.grpc.pb.h"
#include "tools/dcos/master_client.h"
#include "tools/dcos/node_commands.h"

namespace dcos::cli {
namespace {

namespace mv1 = dcos::master::v1;

absl::StatusOr<mv1::ClusterState> GetState(const Context& ctx, grpc::Status* status) {
  mv1::GetStateResponse response;
  *status = CallMaster(ctx, [&](const auto& channel, grpc::ClientContext* context) {
    return mv1::Operator::NewStub(channel)->GetState(context, {}, &response);
  });
  if (!status->ok()) return absl::UnavailableError(status->error_message());
  return response.state();
}

double ScalarOf(const google::protobuf::RepeatedPtrField<common::v1::Resource>& list,
                const std::string& name) {
  double total = 0;
  for (const auto& r : list) {
    if (r.name() == name && r.type() == common::v1::Value::TYPE_SCALAR) total += r.scalar().value();
  }
  return total;
}

std::string Lower(const std::string& enum_name, absl::string_view prefix) {
  return absl::AsciiStrToLower(absl::StripPrefix(enum_name, prefix));
}

}  // namespace

int RunNode(const Context& ctx, const std::vector<std::string>& args) {
  if (int operated = RunNodeOperation(ctx, args); operated >= 0) return operated;
  if (args.size() != 1 || args[0] != "list") {
    return Usage(ctx, "node",
                 "dcos node list | dcos node deactivate|reactivate|decommission <agent-id> | "
                 "dcos node drain <agent-id> [--max-grace=DURATION] [--decommission]");
  }
  grpc::Status status;
  absl::StatusOr<mv1::ClusterState> state = GetState(ctx, &status);
  if (!state.ok()) return Fail(ctx, "node list", status.error_message());
  *ctx.out << absl::StrFormat("%-26s %-20s %-22s %-18s %-13s %-17s %-15s %s\n", "ID", "HOSTNAME",
                              "ADDRESS", "STATE", "CPUS", "MEM", "DISK", "ATTRIBUTES");
  for (const mv1::Agent& a : state->agents()) {
    std::vector<std::string> attributes;
    for (const auto& attr : a.agent_info().attributes()) {
      attributes.push_back(absl::StrCat(attr.name(), ":", attr.text().value()));
    }
    std::string st = Lower(mv1::Agent::State_Name(a.state()), "STATE_");
    if (a.drain_state() != mv1::Agent::DRAIN_STATE_UNSPECIFIED) {
      st += "," + Lower(mv1::Agent::DrainState_Name(a.drain_state()), "DRAIN_STATE_");
    } else if (a.deactivated()) {
      st += ",deactivated";
    }
    auto used_of = [&](const std::string& name) {
      return absl::StrFormat("%g/%g", ScalarOf(a.allocated_resources(), name),
                             ScalarOf(a.total_resources(), name));
    };
    *ctx.out << absl::StrFormat(
        "%-26s %-20s %-22s %-18s %-13s %-17s %-15s %s\n", a.agent_info().id().value(),
        a.agent_info().address().hostname(),
        absl::StrCat(a.agent_info().address().ip(), ":", a.agent_info().address().port()), st,
        used_of("cpus"), used_of("mem"), used_of("disk"), absl::StrJoin(attributes, ";"));
  }
  return kExitOk;
}

int RunFramework(const Context& ctx, const std::vector<std::string>& args) {
  if (args.size() != 1 || args[0] != "list") {
    return Usage(ctx, "framework", "dcos framework list");
  }
  grpc::Status status;
  absl::StatusOr<mv1::ClusterState> state = GetState(ctx, &status);
  if (!state.ok()) return Fail(ctx, "framework list", status.error_message());
  std::map<std::string, int> tasks;
  for (const auto& t : state->tasks()) ++tasks[t.framework_id().value()];
  *ctx.out << absl::StrFormat("%-26s %-20s %-12s %-10s %6s %6s\n", "ID", "NAME", "ROLES",
                              "CONNECTED", "TASKS", "OFFERS");
  for (const mv1::Framework& f : state->frameworks()) {
    const auto& info = f.framework_info();
    *ctx.out << absl::StrFormat("%-26s %-20s %-12s %-10s %6d %6d\n", info.id().value(),
                                info.name(), absl::StrJoin(info.roles(), ","),
                                f.connected() ? "yes" : "no", tasks[info.id().value()],
                                f.offers_size());
  }
  return kExitOk;
}

int TaskList(const Context& ctx, const std::vector<std::string>& args) {
  bool all = !args.empty() && args[0] == "--completed";
  if (args.size() > (all ? 1u : 0u)) return Usage(ctx, "task list", "dcos task list [--completed]");
  grpc::Status status;
  absl::StatusOr<mv1::ClusterState> state = GetState(ctx, &status);
  if (!state.ok()) return Fail(ctx, "task list", status.error_message());
  std::map<std::string, std::string> framework_names, agent_hosts;
  for (const auto& f : state->frameworks()) {
    framework_names[f.framework_info().id().value()] = f.framework_info().name();
  }
  for (const auto& a : state->agents()) {
    agent_hosts[a.agent_info().id().value()] = a.agent_info().address().hostname();
  }
  *ctx.out << absl::StrFormat("%-36s %-16s %-16s %-12s %-7s %s\n", "ID", "FRAMEWORK", "HOST",
                              "STATE", "HEALTHY", "NAME");
  auto row = [&](const common::v1::Task& t) {
    std::string healthy = "-";
    if (!t.statuses().empty() && t.statuses(t.statuses_size() - 1).has_healthy()) {
      healthy = t.statuses(t.statuses_size() - 1).healthy() ? "yes" : "no";
    }
    *ctx.out << absl::StrFormat("%-36s %-16s %-16s %-12s %-7s %s\n", t.task_id().value(),
                                framework_names[t.framework_id().value()],
                                agent_hosts[t.agent_id().value()],
                                Lower(common::v1::TaskState_Name(t.state()), "TASK_"), healthy,
                                t.name());
  };
  for (const auto& t : state->tasks()) row(t);
  if (all) {
    for (const auto& t : state->completed_tasks()) row(t);
  }
  return kExitOk;
}

// `dcos master metrics`: the leader's figures under Mesos's names, one "name value" a line.
// Every master answers GetMetrics, so the leader is found first (GetLeader) and a standby's
// answer is turned into the redirect CallMaster follows.
int MasterMetrics(const Context& ctx) {
  mv1::GetMetricsResponse response;
  grpc::Status status = CallMaster(ctx, [&](const auto& channel, grpc::ClientContext* context) {
    auto stub = mv1::Operator::NewStub(channel);
    mv1::GetLeaderResponse leader;
    grpc::Status asked = stub->GetLeader(context, {}, &leader);
    if (!asked.ok()) return asked;
    if (!leader.elected() && leader.leader().known()) {
      absl::Status redirect = absl::UnavailableError("not the leading master");
      redirect.SetPayload(status::TypeUrl("dcos.common.v1.LeaderInfo"),
                          absl::Cord(leader.leader().SerializeAsString()));
      return status::ToGrpc(redirect);
    }
    grpc::ClientContext metrics;
    metrics.set_deadline(context->deadline());
    response.Clear();
    return stub->GetMetrics(&metrics, {}, &response);
  });
  if (!status.ok()) return Fail(ctx, "master metrics", status.error_message());
  for (const mv1::Metric& m : response.metrics()) {
    *ctx.out << absl::StrFormat("%-40s %g\n", m.name(), m.value());
  }
  return kExitOk;
}

int RunMaster(const Context& ctx, const std::vector<std::string>& args) {
  if (args.size() == 1 && args[0] == "metrics") return MasterMetrics(ctx);
  if (args.size() != 1 || args[0] != "state") {
    return Usage(ctx, "master", "dcos master state | dcos master metrics");
  }
  grpc::Status status;
  absl::StatusOr<mv1::ClusterState> state = GetState(ctx, &status);
  if (!state.ok()) return Fail(ctx, "master state", status.error_message());
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  (void)google::protobuf::util::MessageToJsonString(*state, &json, options);
  *ctx.out << json;
  return kExitOk;
}

}  // namespace dcos::cli
