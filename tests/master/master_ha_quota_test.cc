// Role weights and quotas set through the Operator API survive a failover: two dcos-master
// processes over three real dcos-zk members, each started with its own master.weights flag;
// an operator updates weights and a quota at the leader (refused at the standby, refused
// whole when one entry is bad); kill -9 of the leader; the new leader reports the old
// leader's values (the registry's policy, not its own flag) in GetWeights, GetQuota and
// GetRoles.

#include <signal.h>

#include <map>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>
#include <grpcpp/create_channel.h>

#include "libs/testing/harness.h"
#include "protos/master/v1/operator.grpc.pb.h"
#include "tests/master/master_cluster.h"
#include "tests/master/sim_clients.h"  // Scalar
#include "tests/zk/zk_ensemble.h"
#include "tools/dcos/cli.h"

namespace dcos::testing {
namespace {

grpc::Status UpdateWeights(const std::string& address, const std::map<std::string, double>& w) {
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  mv1::UpdateWeightsRequest req;
  for (const auto& [role, weight] : w) {
    mv1::WeightInfo* info = req.add_weights();
    info->set_role(role);
    info->set_weight(weight);
  }
  mv1::UpdateWeightsResponse resp;
  return OperatorAt(address)->UpdateWeights(&ctx, req, &resp);
}

// The weights the master at `address` reports; nullopt if it does not answer OK.
std::optional<std::map<std::string, double>> Weights(const std::string& address) {
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  mv1::GetWeightsResponse resp;
  if (!OperatorAt(address)->GetWeights(&ctx, {}, &resp).ok()) return std::nullopt;
  std::map<std::string, double> out;
  for (const mv1::WeightInfo& w : resp.weights()) out[w.role()] = w.weight();
  return out;
}

// role -> "name:value;..." of the quotas the master at `address` reports.
std::optional<std::map<std::string, std::string>> Quotas(const std::string& address) {
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  mv1::GetQuotaResponse resp;
  if (!OperatorAt(address)->GetQuota(&ctx, {}, &resp).ok()) return std::nullopt;
  std::map<std::string, std::string> out;
  for (const mv1::QuotaConfig& q : resp.configs()) {
    std::string text;
    for (const cv1::Resource& r : q.guarantees()) {
      absl::StrAppend(&text, text.empty() ? "" : ";", r.name(), ":", r.scalar().value());
    }
    out[q.role()] = text;
  }
  return out;
}

// `dcos --master=<address> args...`: its exit code; stdout and stderr into *out.
int Dcos(const std::string& address, std::vector<std::string> args, std::string* out) {
  args.insert(args.begin(), "--master=" + address);
  std::ostringstream o, e;
  int code = cli::Run(args, [](const char*) -> const char* { return nullptr; }, o, e);
  *out = o.str() + e.str();
  return code;
}

TEST_CASE("dcos-master HA: weights and quotas set at run time survive kill -9 of the leader") {
  TwoMasters masters({"--master.weights=batch=3"}, {"--master.weights=batch=7"});
  Master* leader = masters.leader;
  Master* standby = masters.standby;
  const double leader_flag = leader == &masters.a ? 3 : 7;

  // Before any update: the leader's own flag.
  CHECK(Weights(leader->address) == std::map<std::string, double>{{"batch", leader_flag}});

  // The standby redirects, as for every Operator call.
  grpc::Status redirected = UpdateWeights(standby->address, {{"web", 2}});
  CHECK(redirected.error_code() == grpc::StatusCode::UNAVAILABLE);

  // One bad entry: nothing of the request applies.
  grpc::Status bad = UpdateWeights(leader->address, {{"a-ok", 2}, {"web", -1}});
  CHECK(bad.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(bad.error_message() == "weights[1].weight: must be > 0, got -1");
  CHECK(Weights(leader->address) == std::map<std::string, double>{{"batch", leader_flag}});

  // Weights and a quota, each acknowledged once in the registry.
  REQUIRE(UpdateWeights(leader->address, {{"web", 2.5}}).ok());
  {
    grpc::ClientContext ctx;
    mv1::UpdateQuotaRequest req;
    mv1::QuotaConfig* q = req.add_configs();
    q->set_role("ads");
    *q->add_guarantees() = Scalar("cpus", 2);
    *q->add_guarantees() = Scalar("mem", 512);
    mv1::UpdateQuotaResponse resp;
    grpc::Status s = OperatorAt(leader->address)->UpdateQuota(&ctx, req, &resp);
    INFO(s.error_message());
    REQUIRE(s.ok());
  }
  const std::map<std::string, double> weights = {{"batch", leader_flag}, {"web", 2.5}};
  const std::map<std::string, std::string> quotas = {{"ads", "cpus:2;mem:512"}};
  CHECK(Weights(leader->address) == weights);
  CHECK(Quotas(leader->address) == quotas);

  leader->process->Signal(SIGKILL);
  REQUIRE(leader->process->WaitExit(absl::Seconds(10)).ok());
  REQUIRE(WaitFor([&] { return Elected(standby->address); }, absl::Seconds(20),
                  "the standby to lead").ok());
  // Elected, then recovering: it answers once it leads.
  std::optional<std::map<std::string, double>> after;
  REQUIRE(WaitFor([&] { return (after = Weights(standby->address)).has_value(); },
                  absl::Seconds(10), "GetWeights at the new leader").ok());
  CHECK(*after == weights);  // the registry's, not its own batch flag
  CHECK(Quotas(standby->address) == quotas);

  // The CLI shows them, and changes them at the new leader.
  std::string out;
  CHECK(Dcos(standby->address, {"weight", "list"}, &out) == 0);
  CHECK(out.find("web                      2.5") != std::string::npos);
  CHECK(Dcos(standby->address, {"quota", "list"}, &out) == 0);
  CHECK(out.find("ads                      cpus:2;mem:512") != std::string::npos);
  CHECK(Dcos(standby->address, {"quota", "set", "web", "cpus:1;mem:64"}, &out) == 0);
  CHECK(out == "quota of web set to cpus:1;mem:64\n");
  CHECK(Dcos(standby->address, {"quota", "remove", "ads"}, &out) == 0);
  CHECK(out == "quota of ads removed\n");
  CHECK(Dcos(standby->address, {"weight", "set", "web", "4"}, &out) == 0);
  CHECK(out == "weight of web set to 4\n");
  CHECK(Dcos(standby->address, {"weight", "set", "web", "0"}, &out) == 1);
  CHECK(out == "dcos weight set: weights[0].weight: must be > 0, got 0\n");
  CHECK(Dcos(standby->address, {"quota", "set", "*", "cpus:1"}, &out) == 1);
  CHECK(out.find("configs[0].role: quota cannot be set for '*'") != std::string::npos);
  CHECK(Dcos(standby->address, {"quota", "set", "web"}, &out) == 2);
  CHECK(Quotas(standby->address) ==
        std::map<std::string, std::string>{{"web", "cpus:1;mem:64"}});
  CHECK(Weights(standby->address) ==
        std::map<std::string, double>{{"batch", leader_flag}, {"web", 4}});
  CHECK(UpdateWeights(standby->address, {{"web", 2.5}}).ok());
  {
    grpc::ClientContext ctx;
    mv1::UpdateQuotaRequest req;
    *req.add_configs() = mv1::QuotaConfig();
    req.mutable_configs(0)->set_role("ads");
    *req.mutable_configs(0)->add_guarantees() = Scalar("cpus", 2);
    *req.mutable_configs(0)->add_guarantees() = Scalar("mem", 512);
    mv1::UpdateQuotaResponse resp;
    REQUIRE(OperatorAt(standby->address)->UpdateQuota(&ctx, req, &resp).ok());
  }

  // GetRoles reports the same.
  grpc::ClientContext ctx;
  mv1::GetRolesResponse roles;
  REQUIRE(OperatorAt(standby->address)->GetRoles(&ctx, {}, &roles).ok());
  std::map<std::string, double> role_weights;
  size_t ads_quota = 0;
  for (const mv1::Role& r : roles.roles()) {
    role_weights[r.name()] = r.weight();
    if (r.name() == "ads") ads_quota = static_cast<size_t>(r.quota_guarantee_size());
  }
  CHECK(role_weights["web"] == 2.5);
  CHECK(role_weights["batch"] == leader_flag);
  CHECK(ads_quota == 2);
}

}  // namespace
}  // namespace dcos::testing
