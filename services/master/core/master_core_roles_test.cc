// Role weights and quotas at run time (UpdateWeights, UpdateQuota): an update changes the
// allocation, is written whole to the registry, and survives a failover (a new leader's
// RecoverPolicy over the in-memory registry the old one wrote); bad input is refused whole.

#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "services/master/core/master_core_test_cluster.h"
#include "services/master/registry.h"

namespace dcos::master {
namespace {

using testing::Cluster;
using testing::Scalar;

MasterCore::Subscription SubscribeRole(Cluster& c, const std::string& name,
                                       const std::string& role) {
  common::v1::FrameworkInfo info;
  info.set_user("root");
  info.set_name(name);
  info.add_roles(role);
  absl::StatusOr<MasterCore::Subscription> s = c.core.Subscribe(info, c.now);
  REQUIRE(s.ok());
  c.Drain();
  return *s;
}

v1::UpdateQuotaRequest Quota(const std::string& role, double cpus, double mem) {
  v1::UpdateQuotaRequest r;
  v1::QuotaConfig* q = r.add_configs();
  q->set_role(role);
  *q->add_guarantees() = Scalar("cpus", cpus);
  *q->add_guarantees() = Scalar("mem", mem);
  return r;
}

v1::UpdateWeightsRequest Weights(std::vector<std::pair<std::string, double>> weights) {
  v1::UpdateWeightsRequest r;
  for (const auto& [role, weight] : weights) {
    v1::WeightInfo* w = r.add_weights();
    w->set_role(role);
    w->set_weight(weight);
  }
  return r;
}

const v1::Role* RoleOf(Cluster& c, const std::string& name) {
  for (const v1::Role& r : c.S().roles()) {
    if (r.name() == name) return &r;
  }
  return nullptr;
}

double CpusOffered(Cluster& c, const std::string& fid) {
  double cpus = 0;
  for (const common::v1::Offer& o : c.Offers(fid)) {
    for (const common::v1::Resource& r : o.resources()) {
      if (r.name() == "cpus") cpus += r.scalar().value();
    }
  }
  return cpus;
}

// Frameworks of roles "a" and `other` subscribe, then an agent of `cpus` and `mem` registers:
// the cpus the first allocation offers each (a, other).
std::pair<double, double> OfferToTwoRoles(Cluster& c, const std::string& other, double cpus,
                                          double mem) {
  MasterCore::Subscription a = SubscribeRole(c, "fa", "a");
  MasterCore::Subscription o = SubscribeRole(c, "fo", other);
  c.AddAgent("h1", cpus, mem);
  c.Advance(absl::Seconds(1));
  return {CpusOffered(c, a.framework_id), CpusOffered(c, o.framework_id)};
}

TEST_CASE("UpdateQuota: the role with quota gets its guarantee first; the policy is written") {
  Cluster c;
  REQUIRE(c.core.UpdateQuota(Quota("b", 4, 4096), c.now).ok());
  c.Drain();
  // The whole policy is in the outbox, for the registry, before the caller is answered.
  REQUIRE(c.registry.size() == 1);
  CHECK(c.registry[0].kind == RegistryOp::Kind::kSetPolicy);
  REQUIRE(c.registry[0].policy.quotas_size() == 1);
  CHECK(c.registry[0].policy.quotas(0).role() == "b");

  CHECK(OfferToTwoRoles(c, "b", 4, 4096) == std::make_pair(0.0, 4.0));

  // GetRoles (the state) reports it.
  const v1::Role* role = RoleOf(c, "b");
  REQUIRE(role != nullptr);
  REQUIRE(role->quota_guarantee_size() == 2);

  // An empty guarantee list removes the quota.
  v1::UpdateQuotaRequest remove;
  remove.add_configs()->set_role("b");
  REQUIRE(c.core.UpdateQuota(remove, c.now).ok());
  CHECK(c.core.policy().quotas_size() == 0);
  role = RoleOf(c, "b");
  REQUIRE(role != nullptr);
  CHECK(role->quota_guarantee_size() == 0);
}

TEST_CASE("Without quota the same cluster offers the agent to the other role") {
  Cluster c;
  CHECK(OfferToTwoRoles(c, "b", 4, 4096) == std::make_pair(4.0, 0.0));
}

TEST_CASE("UpdateWeights: set, kept by role, reported, written") {
  Cluster c;
  REQUIRE(c.core.UpdateWeights(Weights({{"ads", 2.5}, {"batch", 0.5}}), c.now).ok());
  REQUIRE(c.core.UpdateWeights(Weights({{"ads", 3}}), c.now).ok());
  c.Drain();
  const v1::RolePolicy& p = c.core.policy();
  REQUIRE(p.weights_size() == 2);
  CHECK(p.weights(0).role() == "ads");
  CHECK(p.weights(0).weight() == 3);
  CHECK(p.weights(1).role() == "batch");
  REQUIRE(c.registry.size() == 2);
  CHECK(c.registry[1].policy.weights_size() == 2);
  const v1::Role* ads = RoleOf(c, "ads");
  REQUIRE(ads != nullptr);
  CHECK(ads->weight() == 3);
}

TEST_CASE("Bad weights or quotas are INVALID_ARGUMENT naming the field and change nothing") {
  Cluster c;
  REQUIRE(c.core.UpdateWeights(Weights({{"ads", 2}}), c.now).ok());
  REQUIRE(c.core.UpdateQuota(Quota("ads", 1, 128), c.now).ok());
  c.Drain();
  const std::string before = c.core.policy().SerializeAsString();
  const size_t ops = c.registry.size();

  auto weights_error = [&](v1::UpdateWeightsRequest r) {
    absl::Status s = c.core.UpdateWeights(r, c.now);
    CHECK(absl::IsInvalidArgument(s));
    return std::string(s.message());
  };
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK(weights_error(Weights({{"ads", 5}, {"b", 0}})).rfind("weights[1].weight: must be > 0",
                                                            0) == 0);
  CHECK(weights_error(Weights({{"ads", 5}, {"b", -1}})).rfind("weights[1].weight", 0) == 0);
  CHECK(weights_error(Weights({{"ads", inf}})).rfind("weights[0].weight: must be finite", 0) ==
        0);
  CHECK(weights_error(Weights({{"ads", nan}})).rfind("weights[0].weight", 0) == 0);
  CHECK(weights_error(Weights({{"ads", 5}, {"no spaces", 1}})).rfind("weights[1].role", 0) == 0);
  CHECK(weights_error(Weights({{"", 1}})).rfind("weights[0].role", 0) == 0);
  CHECK(weights_error(Weights({{"x", 1}, {"x", 2}})).rfind("weights[1].role", 0) == 0);

  auto quota_error = [&](v1::UpdateQuotaRequest r) {
    absl::Status s = c.core.UpdateQuota(r, c.now);
    CHECK(absl::IsInvalidArgument(s));
    return std::string(s.message());
  };
  v1::UpdateQuotaRequest two = Quota("ads", 8, 1024);
  *two.add_configs() = Quota("web", -1, 10).configs(0);
  CHECK(quota_error(two).rfind("configs[1].guarantees[0].scalar.value", 0) == 0);
  CHECK(quota_error(Quota("*", 1, 1)).rfind("configs[0].role", 0) == 0);
  CHECK(quota_error(Quota("a b", 1, 1)).rfind("configs[0].role", 0) == 0);
  v1::UpdateQuotaRequest ranges = Quota("web", 1, 1);
  common::v1::Resource* ports = ranges.mutable_configs(0)->add_guarantees();
  ports->set_name("ports");
  ports->set_type(common::v1::Value::TYPE_RANGES);
  CHECK(quota_error(ranges).rfind("configs[0].guarantees[2].type", 0) == 0);
  v1::UpdateQuotaRequest bad_name = Quota("web", 1, 1);
  bad_name.mutable_configs(0)->mutable_guarantees(1)->set_name("m e m");
  CHECK(quota_error(bad_name).rfind("configs[0].guarantees[1].name", 0) == 0);
  v1::UpdateQuotaRequest twice = Quota("web", 1, 1);
  *twice.mutable_configs(0)->add_guarantees() = Scalar("cpus", 2);
  CHECK(quota_error(twice).rfind("configs[0].guarantees[2].name", 0) == 0);
  v1::UpdateQuotaRequest reserved = Quota("web", 1, 1);
  reserved.mutable_configs(0)->mutable_guarantees(0)->set_role("web");
  CHECK(quota_error(reserved).rfind("configs[0].guarantees[0]", 0) == 0);

  c.Drain();
  CHECK(c.core.policy().SerializeAsString() == before);
  CHECK(c.registry.size() == ops);
  const v1::Role* ads = RoleOf(c, "ads");
  REQUIRE(ads != nullptr);
  CHECK(ads->weight() == 2);
  CHECK(RoleOf(c, "web") == nullptr);
}

TEST_CASE("A new leader takes the registry's policy over its flags") {
  // The old leader started from flags (ads=2, quota of ads) and an operator changed them.
  MasterCoreConfig config = Cluster::Defaults();
  v1::WeightInfo* flag = config.policy.add_weights();
  flag->set_role("ads");
  flag->set_weight(2);
  *config.policy.add_quotas() = Quota("ads", 1, 128).configs(0);
  Cluster old(config);
  REQUIRE(RoleOf(old, "ads") != nullptr);
  CHECK(RoleOf(old, "ads")->weight() == 2);
  REQUIRE(old.core.UpdateWeights(Weights({{"web", 4}}), old.now).ok());
  v1::UpdateQuotaRequest drop;
  drop.add_configs()->set_role("ads");
  REQUIRE(old.core.UpdateQuota(drop, old.now).ok());
  REQUIRE(old.core.UpdateQuota(Quota("web", 2, 256), old.now).ok());
  old.Drain();

  InMemoryRegistry registry;
  REQUIRE(registry.Apply(old.registry).ok());
  absl::StatusOr<RegistryContents> contents = registry.Load();
  REQUIRE(contents.ok());
  REQUIRE(contents->policy.has_value());

  // The new leader has other flags (ads=7, batch=3): the registry wins, flag roles it does not
  // name go back to weight 1 and no quota.
  MasterCoreConfig next = Cluster::Defaults();
  next.master_info.set_id("m2");
  v1::WeightInfo* w = next.policy.add_weights();
  w->set_role("ads");
  w->set_weight(7);
  w = next.policy.add_weights();
  w->set_role("batch");
  w->set_weight(3);
  Cluster c(next);
  c.core.RecoverPolicy(*contents->policy);
  c.core.RecoverRegistry(contents->admitted, contents->unreachable, contents->gone,
                         contents->states, c.now);
  c.Drain();
  CHECK(c.core.policy().SerializeAsString() == old.core.policy().SerializeAsString());
  REQUIRE(c.core.policy().weights_size() == 2);  // ads=2 (from the old flags), web=4
  CHECK(c.core.policy().weights(0).weight() == 2);
  CHECK(c.core.policy().weights(1).role() == "web");
  CHECK(c.registry.empty());  // recovered, not written back
  const v1::Role* web = RoleOf(c, "web");
  REQUIRE(web != nullptr);
  CHECK(web->weight() == 4);
  CHECK(web->quota_guarantee_size() == 2);
  const v1::Role* batch = RoleOf(c, "batch");
  CHECK((batch == nullptr || batch->weight() == 1));
  CHECK(RoleOf(c, "ads")->weight() == 2);
  CHECK(RoleOf(c, "ads")->quota_guarantee_size() == 0);

  // Quota applies at the new leader: a "web" framework gets the agent first.
  CHECK(OfferToTwoRoles(c, "web", 2, 256) == std::make_pair(0.0, 2.0));
}

}  // namespace
}  // namespace dcos::master
