#include "tools/dcos/role_commands.h"

#include <grpcpp/client_context.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "libs/resources/resources.h"
#include "protos/master/v1/operator.grpc.pb.h"
#include "tools/dcos/master_client.h"

namespace dcos::cli {
namespace {

namespace mv1 = dcos::master::v1;

constexpr char kQuotaUsage[] =
    "dcos quota list | dcos quota set <role> <resources, e.g. cpus:4;mem:1024> | "
    "dcos quota remove <role>";
constexpr char kWeightUsage[] = "dcos weight list | dcos weight set <role> <weight>";

std::string GuaranteeText(const mv1::QuotaConfig& q) {
  std::string out;
  for (const common::v1::Resource& r : q.guarantees()) {
    absl::StrAppend(&out, out.empty() ? "" : ";", r.name(), ":",
                    absl::StrFormat("%g", r.scalar().value()));
  }
  return out;
}

int QuotaUpdate(const Context& ctx, const std::string& command, mv1::QuotaConfig config) {
  mv1::UpdateQuotaRequest request;
  *request.add_configs() = config;
  mv1::UpdateQuotaResponse response;
  grpc::Status s = CallOperator(ctx, request, &response, &mv1::Operator::Stub::UpdateQuota);
  if (!s.ok()) return Fail(ctx, "quota " + command, s.error_message());
  if (config.guarantees_size() == 0) {
    *ctx.out << "quota of " << config.role() << " removed\n";
  } else {
    *ctx.out << "quota of " << config.role() << " set to " << GuaranteeText(config) << "\n";
  }
  return kExitOk;
}

}  // namespace

int RunQuota(const Context& ctx, const std::vector<std::string>& args) {
  if (args.size() == 1 && args[0] == "list") {
    mv1::GetQuotaResponse response;
    grpc::Status s =
        CallOperator(ctx, mv1::GetQuotaRequest(), &response, &mv1::Operator::Stub::GetQuota);
    if (!s.ok()) return Fail(ctx, "quota list", s.error_message());
    *ctx.out << absl::StrFormat("%-24s %s\n", "ROLE", "GUARANTEE");
    for (const mv1::QuotaConfig& q : response.configs()) {
      *ctx.out << absl::StrFormat("%-24s %s\n", q.role(), GuaranteeText(q));
    }
    return kExitOk;
  }
  mv1::QuotaConfig config;
  if (args.size() == 3 && args[0] == "set") {
    config.set_role(args[1]);
    absl::StatusOr<resources::Resources> guarantee = resources::Resources::Parse(args[2]);
    if (!guarantee.ok()) return Fail(ctx, "quota set", std::string(guarantee.status().message()));
    if (guarantee->empty()) return Usage(ctx, "quota set", kQuotaUsage);
    guarantee->ToProto(config.mutable_guarantees());
    return QuotaUpdate(ctx, "set", std::move(config));
  }
  if (args.size() == 2 && args[0] == "remove") {
    config.set_role(args[1]);
    return QuotaUpdate(ctx, "remove", std::move(config));
  }
  return Usage(ctx, "quota", kQuotaUsage);
}

int RunWeight(const Context& ctx, const std::vector<std::string>& args) {
  if (args.size() == 1 && args[0] == "list") {
    mv1::GetWeightsResponse response;
    grpc::Status s =
        CallOperator(ctx, mv1::GetWeightsRequest(), &response, &mv1::Operator::Stub::GetWeights);
    if (!s.ok()) return Fail(ctx, "weight list", s.error_message());
    *ctx.out << absl::StrFormat("%-24s %s\n", "ROLE", "WEIGHT");
    for (const mv1::WeightInfo& w : response.weights()) {
      *ctx.out << absl::StrFormat("%-24s %g\n", w.role(), w.weight());
    }
    return kExitOk;
  }
  if (args.size() != 3 || args[0] != "set") return Usage(ctx, "weight", kWeightUsage);
  double weight = 0;
  if (!absl::SimpleAtod(args[2], &weight)) {
    *ctx.err << "dcos weight set: not a number: " << args[2] << "\n";
    return Usage(ctx, "weight", kWeightUsage);
  }
  mv1::UpdateWeightsRequest request;
  mv1::WeightInfo* info = request.add_weights();
  info->set_role(args[1]);
  info->set_weight(weight);
  mv1::UpdateWeightsResponse response;
  grpc::Status s = CallOperator(ctx, request, &response, &mv1::Operator::Stub::UpdateWeights);
  if (!s.ok()) return Fail(ctx, "weight set", s.error_message());
  *ctx.out << "weight of " << args[1] << " set to " << absl::StrFormat("%g", weight) << "\n";
  return kExitOk;
}

}  // namespace dcos::cli
