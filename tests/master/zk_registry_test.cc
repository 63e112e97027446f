// ZkRegistry against three real dcos-zk processes: entries of the AgentInfo alone (what
// masters wrote before drains were recorded) still load; a drain and a deactivation
// round-trip and a reactivation writes the bare AgentInfo again; a corrupt entry stops the
// load with DATA_LOSS naming it; a write whose fence is gone is refused; 10,000 entries, some
// draining, load in one pass (its time is printed).

#include <cstdio>

#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "libs/zk/client.h"
#include "libs/zk/recipes/paths.h"
#include "services/master/zk_registry.h"
#include "tests/zk/zk_ensemble.h"

namespace dcos::testing {
namespace {

using master::RegistryContents;
using master::RegistryOp;
using master::ZkRegistry;
namespace cv1 = common::v1;
namespace mv1 = master::v1;

constexpr const char* kFence = "/fence";  // stands for the leader's election node

std::unique_ptr<zk::client::ZkClient> Connect(const ZkTestEnsemble& e) {
  zk::client::ZkClient::Options o;
  o.ensemble = e.addresses();
  absl::StatusOr<std::unique_ptr<zk::client::ZkClient>> client = zk::client::ZkClient::Connect(o);
  INFO(client.status().ToString());
  REQUIRE(client.ok());
  return *std::move(client);
}

// Three members and a client, with the fence created.
struct Zk {
  Zk() {
    REQUIRE(ensemble.StartAll().ok());
    client = Connect(ensemble);
    REQUIRE(client->Create(kFence, "").ok());
  }
  // Writes `data` at `path` as it is, creating the parents.
  void Put(const std::string& path, const std::string& data) {
    REQUIRE(zk::recipes::EnsurePath(*client, path.substr(0, path.rfind('/'))).ok());
    absl::Status s = client->Create(path, data).status();
    if (!s.ok()) s = client->SetData(path, data).status();
    REQUIRE(s.ok());
  }
  std::string Get(const std::string& path) {
    auto data = client->GetData(path);
    REQUIRE(data.ok());
    return data->first;
  }
  ZkTestEnsemble ensemble;
  std::unique_ptr<zk::client::ZkClient> client;
};

cv1::AgentInfo Agent(const std::string& id) {
  cv1::AgentInfo info;
  info.mutable_id()->set_value(id);
  info.mutable_address()->set_hostname("host-" + id);
  info.mutable_address()->set_port(5051);
  cv1::Resource* r = info.add_resources();
  r->set_name("cpus");
  r->set_type(cv1::Value::TYPE_SCALAR);
  r->mutable_scalar()->set_value(4);
  return info;
}

RegistryOp Op(RegistryOp::Kind kind, const std::string& id,
              mv1::AgentRegistryState state = {}) {
  return RegistryOp{kind, Agent(id), std::move(state), {}};
}

mv1::AgentRegistryState Drain(std::optional<int64_t> grace_seconds, bool mark_gone) {
  mv1::AgentRegistryState s;
  if (grace_seconds) s.mutable_drain()->mutable_max_grace_period()->set_seconds(*grace_seconds);
  s.mutable_drain()->set_mark_gone(mark_gone);
  s.set_deactivated(true);
  return s;
}

std::vector<std::string> Ids(const std::vector<cv1::AgentInfo>& agents) {
  std::vector<std::string> ids;
  for (const cv1::AgentInfo& a : agents) ids.push_back(a.id().value());
  std::sort(ids.begin(), ids.end());
  return ids;
}

RegistryContents LoadFresh(Zk& zk, const std::string& root) {
  ZkRegistry registry(zk.client.get(), root, kFence);
  absl::StatusOr<RegistryContents> contents = registry.Load();
  INFO(contents.status().ToString());
  REQUIRE(contents.ok());
  return *std::move(contents);
}

TEST_CASE("zk registry: old entries load, drains round-trip, reactivation writes the bare info") {
  Zk zk;
  // What a master of before wrote: each entry the AgentInfo alone.
  zk.Put("/reg/admitted/S1", Agent("S1").SerializeAsString());
  zk.Put("/reg/admitted/S2", Agent("S2").SerializeAsString());
  zk.Put("/reg/unreachable/S3", Agent("S3").SerializeAsString());
  zk.Put("/reg/gone/S4", Agent("S4").SerializeAsString());
  ZkRegistry leader(zk.client.get(), "/reg", kFence);
  absl::StatusOr<RegistryContents> old = leader.Load();
  REQUIRE(old.ok());
  CHECK(Ids(old->admitted) == std::vector<std::string>{"S1", "S2"});
  CHECK(Ids(old->unreachable) == std::vector<std::string>{"S3"});
  CHECK(Ids(old->gone) == std::vector<std::string>{"S4"});
  CHECK(old->states.empty());
  CHECK(old->admitted[0].SerializeAsString() == Agent(old->admitted[0].id().value()).SerializeAsString());

  // S1 drains (5 s, then gone), S3 drains while unreachable (each task's own grace period).
  REQUIRE(leader.Apply({Op(RegistryOp::Kind::kAdmit, "S1", Drain(5, true)),
                        Op(RegistryOp::Kind::kMarkUnreachable, "S3", Drain(std::nullopt, false))})
              .ok());
  RegistryContents next = LoadFresh(zk, "/reg");  // a new leader's read
  REQUIRE(next.states.size() == 2);
  CHECK(next.states["S1"].drain().max_grace_period().seconds() == 5);
  CHECK(next.states["S1"].drain().mark_gone());
  CHECK(next.states["S1"].deactivated());
  CHECK(!next.states["S3"].drain().has_max_grace_period());
  CHECK(next.states["S3"].deactivated());
  // The AgentInfos read back carry nothing of the drain.
  for (const cv1::AgentInfo& a : next.admitted) {
    CHECK(a.SerializeAsString() == Agent(a.id().value()).SerializeAsString());
  }
  // A master of before reads the new entry's AgentInfo (and keeps the drain as unknown fields).
  cv1::AgentInfo old_reader;
  REQUIRE(old_reader.ParseFromString(zk.Get("/reg/admitted/S1")));
  CHECK(old_reader.id().value() == "S1");
  CHECK(old_reader.address().hostname() == "host-S1");

  // Reactivated: the bare AgentInfo again. Gone: no drain with it.
  REQUIRE(leader.Apply({Op(RegistryOp::Kind::kAdmit, "S1"),
                        Op(RegistryOp::Kind::kMarkGone, "S3")}).ok());
  CHECK(zk.Get("/reg/admitted/S1") == Agent("S1").SerializeAsString());
  RegistryContents last = LoadFresh(zk, "/reg");
  CHECK(last.states.empty());
  CHECK(Ids(last.gone) == std::vector<std::string>{"S3", "S4"});
  CHECK(last.unreachable.empty());
}

TEST_CASE("zk registry: a corrupt entry stops the load with DATA_LOSS naming it") {
  Zk zk;
  auto load_error = [&](const std::string& root) {
    ZkRegistry registry(zk.client.get(), root, kFence);
    absl::StatusOr<RegistryContents> contents = registry.Load();
    REQUIRE(!contents.ok());
    CHECK(contents.status().code() == absl::StatusCode::kDataLoss);
    return std::string(contents.status().message());
  };
  zk.Put("/garbage/admitted/S1", Agent("S1").SerializeAsString());
  zk.Put("/garbage/admitted/S2", "\xff\xff\xff\xff");
  CHECK(load_error("/garbage") ==
        "registry entry /garbage/admitted/S2: not an agent entry (an AgentInfo, then an "
        "AgentRegistryState): 4 bytes that do not parse");

  // The AgentInfo whole, the drain after it broken (field 1000 holding a tag of field 0).
  zk.Put("/trailer/unreachable/S5",
         Agent("S5").SerializeAsString() + std::string("\xc2\x3e\x02\x00\x00", 5));
  CHECK(load_error("/trailer") ==
        "registry entry /trailer/unreachable/S5: agent S5: the 5 bytes after its AgentInfo are "
        "not an AgentRegistryState (its drain)");

  zk.Put("/misnamed/gone/S6", Agent("S7").SerializeAsString());
  CHECK(load_error("/misnamed") == "registry entry /misnamed/gone/S6 holds agent \"S7\"");
}

TEST_CASE("zk registry: a write whose fence is gone is refused and changes nothing") {
  Zk zk;
  ZkRegistry deposed(zk.client.get(), "/reg", "/no-longer-leading");
  REQUIRE(deposed.Load().ok());
  absl::Status s = deposed.Apply({Op(RegistryOp::Kind::kAdmit, "S1", Drain(5, false))});
  CHECK(s.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(s.message() ==
        "registry write refused: the fence /no-longer-leading: NO_NODE (this "
        "master no longer leads)");
  CHECK(LoadFresh(zk, "/reg").admitted.empty());
}

mv1::RolePolicy Policy(double web_weight, double ads_cpus) {
  mv1::RolePolicy p;
  mv1::WeightInfo* w = p.add_weights();
  w->set_role("web");
  w->set_weight(web_weight);
  mv1::QuotaConfig* q = p.add_quotas();
  q->set_role("ads");
  cv1::Resource* cpus = q->add_guarantees();
  cpus->set_name("cpus");
  cpus->set_type(cv1::Value::TYPE_SCALAR);
  cpus->mutable_scalar()->set_value(ads_cpus);
  return p;
}

RegistryOp PolicyOp(const mv1::RolePolicy& policy) {
  RegistryOp op{RegistryOp::Kind::kSetPolicy, {}, {}, policy};
  return op;
}

TEST_CASE("zk registry: the role policy round-trips, is replaced whole, and is fenced") {
  Zk zk;
  ZkRegistry leader(zk.client.get(), "/reg", kFence);
  absl::StatusOr<RegistryContents> first = leader.Load();
  REQUIRE(first.ok());
  CHECK(!first->policy.has_value());  // nothing set yet: the flags apply

  // Written with an agent in one Multi (created), then replaced (set), the last op winning.
  REQUIRE(leader.Apply({Op(RegistryOp::Kind::kAdmit, "S1"), PolicyOp(Policy(2, 4))}).ok());
  RegistryContents next = LoadFresh(zk, "/reg");  // a new leader's read
  REQUIRE(next.policy.has_value());
  CHECK(next.policy->SerializeAsString() == Policy(2, 4).SerializeAsString());
  CHECK(Ids(next.admitted) == std::vector<std::string>{"S1"});
  REQUIRE(leader.Apply({PolicyOp(Policy(3, 8)), PolicyOp(Policy(5, 1))}).ok());
  next = LoadFresh(zk, "/reg");
  REQUIRE(next.policy.has_value());
  CHECK(next.policy->SerializeAsString() == Policy(5, 1).SerializeAsString());
  mv1::RolePolicy raw;
  REQUIRE(raw.ParseFromString(zk.Get("/reg/policy")));
  CHECK(raw.weights(0).weight() == 5);

  // A new leader over that registry writes on (set, not create) and a deposed one cannot.
  ZkRegistry successor(zk.client.get(), "/reg", kFence);
  REQUIRE(successor.Load().ok());
  REQUIRE(successor.Apply({PolicyOp(Policy(6, 2))}).ok());
  ZkRegistry deposed(zk.client.get(), "/reg", "/no-longer-leading");
  REQUIRE(deposed.Load().ok());
  absl::Status refused = deposed.Apply({PolicyOp(Policy(9, 9))});
  CHECK(refused.code() == absl::StatusCode::kFailedPrecondition);
  next = LoadFresh(zk, "/reg");
  REQUIRE(next.policy.has_value());
  CHECK(next.policy->SerializeAsString() == Policy(6, 2).SerializeAsString());

  // A policy node that does not parse stops the load.
  zk.Put("/bad/policy", "\xff\xff\xff");
  ZkRegistry bad(zk.client.get(), "/bad", kFence);
  absl::StatusOr<RegistryContents> broken = bad.Load();
  REQUIRE(!broken.ok());
  CHECK(broken.status().code() == absl::StatusCode::kDataLoss);
  CHECK(broken.status().message() == "registry entry /bad/policy: not a RolePolicy");
}

TEST_CASE("zk registry: 10,000 entries, one in a hundred draining, load in one pass") {
  Zk zk;
  constexpr int kAgents = 10000;
  {
    ZkRegistry leader(zk.client.get(), "/big", kFence);
    REQUIRE(leader.Load().ok());
    std::vector<RegistryOp> ops;
    for (int i = 0; i < kAgents; ++i) {
      ops.push_back(Op(RegistryOp::Kind::kAdmit, absl::StrCat("S", 100000 + i),
                       i % 100 == 0 ? Drain(60, i % 200 == 0) : mv1::AgentRegistryState()));
    }
    REQUIRE(leader.Apply(ops).ok());
  }
  const absl::Time start = absl::Now();
  RegistryContents contents = LoadFresh(zk, "/big");
  const absl::Duration took = absl::Now() - start;
  std::printf("loaded %zu registry entries (%zu draining) in %s\n", contents.admitted.size(),
              contents.states.size(), absl::FormatDuration(took).c_str());
  CHECK(contents.admitted.size() == kAgents);
  CHECK(contents.states.size() == kAgents / 100);
  CHECK(contents.states["S100200"].drain().mark_gone());
  CHECK(!contents.states["S100100"].drain().mark_gone());
}

TEST_CASE("zk registry: a standby's warm copy is taken only for directories unchanged since") {
  Zk zk;
  ZkRegistry leader(zk.client.get(), "/warm", kFence);
  REQUIRE(leader.Load().ok());  // creates the directories
  REQUIRE(leader.Apply({Op(RegistryOp::Kind::kAdmit, "S1"), Op(RegistryOp::Kind::kAdmit, "S2"),
                        Op(RegistryOp::Kind::kMarkUnreachable, "S3", Drain(5, false)),
                        Op(RegistryOp::Kind::kMarkGone, "S4")})
              .ok());
  ZkRegistry standby(zk.client.get(), "/warm", kFence);
  // The first look only notes each directory's pzxid (the leader may be amid a burst); the
  // second, with nothing changed, reads.
  REQUIRE(standby.Prefetch().ok());
  REQUIRE(standby.Prefetch().ok());
  // Unchanged: all three taken warm, and the same as a cold read.
  {
    ZkRegistry warm(zk.client.get(), "/warm", kFence);
    REQUIRE(warm.Prefetch().ok());
    REQUIRE(warm.Prefetch().ok());
    absl::StatusOr<RegistryContents> got = warm.Load();
    REQUIRE(got.ok());
    CHECK(warm.warm_dirs_used() == 3);
    RegistryContents cold = LoadFresh(zk, "/warm");
    CHECK(Ids(got->admitted) == Ids(cold.admitted));
    CHECK(Ids(got->unreachable) == std::vector<std::string>{"S3"});
    CHECK(Ids(got->gone) == std::vector<std::string>{"S4"});
    REQUIRE(got->states.size() == 1);
    CHECK(got->states["S3"].drain().max_grace_period().seconds() == 5);
    // It writes as a leader would: its mirror came from the warm copy.
    REQUIRE(warm.Apply({Op(RegistryOp::Kind::kAdmit, "S1")}).ok());  // unchanged: no write
    CHECK(zk.Get("/warm/admitted/S1") == Agent("S1").SerializeAsString());
  }
  // The leader writes after the standby's copy: S2 drains (delete + create), S5 is admitted.
  REQUIRE(leader.Apply({Op(RegistryOp::Kind::kAdmit, "S2", Drain(7, true)),
                        Op(RegistryOp::Kind::kAdmit, "S5")})
              .ok());
  absl::StatusOr<RegistryContents> got = standby.Load();
  REQUIRE(got.ok());
  CHECK(standby.warm_dirs_used() == 2);  // unreachable and gone; admitted read again
  CHECK(Ids(got->admitted) == std::vector<std::string>{"S1", "S2", "S5"});
  REQUIRE(got->states.count("S2") == 1);
  CHECK(got->states["S2"].drain().max_grace_period().seconds() == 7);
  CHECK(got->states["S2"].drain().mark_gone());
}

}  // namespace
}  // namespace dcos::testing
