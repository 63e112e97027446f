// Tests of RecordBuilder and RecordSet: building from a cluster state, incremental updates
// (tasks, agents, frameworks, leader, health), empty non-terminals, reference-counted shared
// records, snapshots that do not change under later updates, and a randomized check that any
// sequence of events ends in the same records as building afresh from the final state.
//
// DNS_BUILDER_SEEDS=<n> runs more random seeds; DNS_BUILDER_SEED=<s> replays one.

#include <catch2/catch.hpp>

#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "libs/dns/wire_test_util.h"
#include "libs/testing/env.h"
#include "services/mesos-dns/core/record_builder.h"
#include "services/mesos-dns/core/test_util.h"

namespace dcos::dns::core {
namespace {

using dns::testing::N;
using testing::MakeAgent;
using testing::MakeFramework;
using testing::MakeLeader;
using testing::MakeStatus;
using testing::MakeTask;
using testing::TaskSpec;

std::unique_ptr<RecordBuilder> MakeBuilder(RecordConfig config = {}) {
  absl::StatusOr<std::unique_ptr<RecordBuilder>> b = RecordBuilder::Create(config);
  REQUIRE(b.ok());
  return *std::move(b);
}

// Every record as "name TYPE data" (without the SOA, whose serial moves), "name (ENT)" for
// names without records, and "name +additional target TYPE data" for the additional-section
// RRsets kept with SRV/NS owners.
std::set<std::string> Dump(const RecordSet& set) {
  std::set<std::string> out;
  set.ForEach([&out](const NameEntry& e) {
    if (e.rrsets.empty()) out.insert(e.name.ToText() + " (ENT)");
    for (const RRset& rrset : e.rrsets) {
      if (rrset.type == RRType::kSOA) continue;
      for (const RData& d : rrset.data) {
        out.insert(absl::StrCat(e.name.ToText(), " ", RRTypeName(rrset.type), " ",
                                RDataToText(d)));
      }
    }
    for (const RRset& glue : e.additional) {
      for (const RData& d : glue.data) {
        out.insert(absl::StrCat(e.name.ToText(), " +additional ", glue.name.ToText(), " ",
                                RRTypeName(glue.type), " ", RDataToText(d)));
      }
    }
  });
  return out;
}

std::vector<std::string> Addresses(const RecordSet& set, absl::string_view name) {
  std::vector<std::string> out;
  const NameEntry* e = set.Lookup(N(name));
  if (e == nullptr) return out;
  if (const RRset* a = e->Find(RRType::kA)) {
    for (const RData& d : a->data) out.push_back(RDataToText(d));
  }
  return out;
}

TaskSpec Spec(const std::string& id, const std::string& name, const std::string& agent) {
  TaskSpec spec;
  spec.id = id;
  spec.name = name;
  spec.agent_id = agent;
  return spec;
}

master::v1::ClusterState SmallCluster() {
  master::v1::ClusterState state;
  *state.mutable_leader() = MakeLeader("10.1.0.1");
  *state.add_agents() = MakeAgent("a-S1", "10.0.3.1");
  *state.add_agents() = MakeAgent("a-S2", "10.0.3.2");
  *state.add_frameworks() = MakeFramework("fw-1", "marathon");
  TaskSpec web1 = Spec("web.1", "web", "a-S1");
  web1.port_ranges = {{31000, 31000}};
  *state.add_tasks() = MakeTask(web1);
  *state.add_tasks() = MakeTask(Spec("web.2", "web", "a-S2"));
  TaskSpec staging = Spec("db.1", "db", "a-S1");
  staging.state = common::v1::TASK_STAGING;
  *state.add_tasks() = MakeTask(staging);
  return state;
}

TEST_CASE("Builder: a cluster state becomes records, SOA and NS at the apex") {
  auto b = MakeBuilder();
  b->Reset(SmallCluster());
  std::shared_ptr<const RecordSet> set = b->Publish();
  CHECK(set->serial() == 1);
  CHECK(Addresses(*set, "web.marathon.mesos") == std::vector<std::string>{"10.0.3.1", "10.0.3.2"});
  CHECK(Addresses(*set, "slave.mesos") == std::vector<std::string>{"10.0.3.1", "10.0.3.2"});
  CHECK(Addresses(*set, "leader.mesos") == std::vector<std::string>{"10.1.0.1"});
  CHECK(set->Lookup(N("db.marathon.mesos")) == nullptr);  // STAGING: not published
  const NameEntry* apex = set->Lookup(N("MESOS"));
  REQUIRE(apex != nullptr);
  REQUIRE(apex->rrsets.size() == 2);
  CHECK(apex->rrsets[0].type == RRType::kNS);
  CHECK(apex->rrsets[1].type == RRType::kSOA);
  CHECK(std::get<SoaData>(set->soa().data[0]).serial == 1);
  CHECK(set->negative_soa().ttl == 60);
  // Empty non-terminals exist, with no records.
  for (const char* ent : {"marathon.mesos", "_tcp.marathon.mesos", "marathon.slave.mesos",
                          "_tcp.marathon.slave.mesos", "_tcp.mesos"}) {
    INFO(ent);
    const NameEntry* e = set->Lookup(N(ent));
    REQUIRE(e != nullptr);
    CHECK(e->rrsets.empty());
  }
  CHECK(set->Lookup(N("nothing.mesos")) == nullptr);
  size_t names = 0;
  size_t records = 0;
  set->ForEach([&](const NameEntry& e) {
    ++names;
    for (const RRset& rrset : e.rrsets) records += rrset.data.size();
  });
  CHECK(set->name_count() == names);
  CHECK(set->record_count() == records);
}

TEST_CASE("Builder: enumeration sees every task with its records, and the cluster's records") {
  auto b = MakeBuilder();
  b->Reset(SmallCluster());
  std::map<std::string, size_t> records_of;
  b->ForEachTask([&](const common::v1::Task& task, const std::string& framework,
                     const std::vector<Record>& records) {
    CHECK(framework == "marathon");
    records_of[task.task_id().value()] = records.size();
  });
  REQUIRE(records_of.size() == 3);
  CHECK(records_of["web.1"] == 8);  // 4 A + _web._tcp/_udp SRV, with and without .slave
  CHECK(records_of["web.2"] == 4);  // no ports: A records only
  CHECK(records_of["db.1"] == 0);   // STAGING
  std::set<std::string> cluster;
  for (const Record& r : b->ClusterRecords()) {
    cluster.insert(absl::StrCat(r.name.ToText(), " ", RRTypeName(r.type)));
  }
  CHECK(cluster.count("leader.mesos. A") == 1);
  CHECK(cluster.count("slave.mesos. A") == 1);
  CHECK(cluster.count("mesos. NS") == 1);
}

TEST_CASE("Builder: task RUNNING adds, terminal removes, with the empty non-terminals") {
  auto b = MakeBuilder();
  b->Reset(SmallCluster());
  std::shared_ptr<const RecordSet> before = b->Publish();
  const std::set<std::string> before_dump = Dump(*before);

  REQUIRE(b->UpdateTask("fw-1", MakeStatus("db.1", common::v1::TASK_RUNNING),
                        common::v1::TASK_RUNNING));
  std::shared_ptr<const RecordSet> running = b->Publish();
  CHECK(running->serial() == 2);
  CHECK(Addresses(*running, "db.marathon.mesos") == std::vector<std::string>{"10.0.3.1"});
  // The earlier snapshot is untouched.
  CHECK(before->Lookup(N("db.marathon.mesos")) == nullptr);
  CHECK(Dump(*before) == before_dump);

  REQUIRE(b->UpdateTask("fw-1", MakeStatus("web.1", common::v1::TASK_FINISHED),
                        common::v1::TASK_FINISHED));
  std::shared_ptr<const RecordSet> finished = b->Publish();
  CHECK(Addresses(*finished, "web.marathon.mesos") == std::vector<std::string>{"10.0.3.2"});
  // web.1 held the only ports: its SRV records and their empty non-terminals are gone.
  CHECK(finished->Lookup(N("_web._tcp.marathon.mesos")) == nullptr);
  CHECK(finished->Lookup(N("_tcp.marathon.mesos")) == nullptr);
  CHECK(finished->Lookup(N("_tcp.marathon.slave.mesos")) == nullptr);
  CHECK(finished->Lookup(N("marathon.mesos")) != nullptr);  // web.2 is still below it
  CHECK(b->task_count() == 2);

  CHECK_FALSE(b->UpdateTask("fw-1", MakeStatus("web.1", common::v1::TASK_RUNNING),
                            common::v1::TASK_RUNNING));  // gone for good
}

TEST_CASE("Builder: publishing without changes returns the same snapshot") {
  auto b = MakeBuilder();
  b->Reset(SmallCluster());
  std::shared_ptr<const RecordSet> first = b->Publish();
  CHECK(b->Publish() == first);
  // A resynchronisation that finds nothing new changes nothing.
  b->Reset(SmallCluster());
  CHECK_FALSE(b->dirty());
  CHECK(b->Publish() == first);
  // Neither does a health update with the same result.
  b->UpdateTask("fw-1", MakeStatus("web.2", common::v1::TASK_RUNNING), common::v1::TASK_RUNNING);
  CHECK(b->Publish() == first);
}

TEST_CASE("Builder: records held by several tasks stay until the last one goes") {
  auto b = MakeBuilder();
  master::v1::ClusterState state = SmallCluster();
  *state.add_tasks() = MakeTask(Spec("web.3", "web", "a-S1"));  // same app, same agent as web.1
  b->Reset(state);
  std::shared_ptr<const RecordSet> set = b->Publish();
  CHECK(Addresses(*set, "web.marathon.slave.mesos") ==
        std::vector<std::string>{"10.0.3.1", "10.0.3.2"});
  b->UpdateTask("fw-1", MakeStatus("web.1", common::v1::TASK_KILLED), common::v1::TASK_KILLED);
  set = b->Publish();
  CHECK(Addresses(*set, "web.marathon.slave.mesos") ==
        std::vector<std::string>{"10.0.3.1", "10.0.3.2"});
  b->UpdateTask("fw-1", MakeStatus("web.3", common::v1::TASK_KILLED), common::v1::TASK_KILLED);
  set = b->Publish();
  CHECK(Addresses(*set, "web.marathon.slave.mesos") == std::vector<std::string>{"10.0.3.2"});
}

TEST_CASE("Builder: agents — a new address moves its tasks, removal drops them") {
  auto b = MakeBuilder();
  b->Reset(SmallCluster());
  b->UpsertAgent(MakeAgent("a-S1", "10.0.9.9"));
  std::shared_ptr<const RecordSet> set = b->Publish();
  CHECK(Addresses(*set, "web.marathon.mesos") == std::vector<std::string>{"10.0.3.2", "10.0.9.9"});
  CHECK(Addresses(*set, "slave.mesos") == std::vector<std::string>{"10.0.3.2", "10.0.9.9"});

  b->RemoveAgent("a-S1");
  set = b->Publish();
  CHECK(Addresses(*set, "web.marathon.mesos") == std::vector<std::string>{"10.0.3.2"});
  CHECK(set->Lookup(N("_web._tcp.marathon.slave.mesos")) != nullptr);  // SRV stays, no address
  CHECK(Addresses(*set, "slave.mesos") == std::vector<std::string>{"10.0.3.2"});

  b->UpsertAgent(MakeAgent("a-S1", "10.0.3.1", 5051, master::v1::Agent::STATE_UNREACHABLE));
  CHECK(Addresses(*b->Publish(), "slave.mesos") == std::vector<std::string>{"10.0.3.2"});
  b->UpsertAgent(MakeAgent("a-S1", "10.0.3.1"));
  CHECK(Addresses(*b->Publish(), "web.marathon.mesos") ==
        std::vector<std::string>{"10.0.3.1", "10.0.3.2"});
}

TEST_CASE("Builder: tasks wait for their framework; renaming moves them") {
  auto b = MakeBuilder();
  master::v1::ClusterState state = SmallCluster();
  state.clear_frameworks();
  b->Reset(state);
  std::shared_ptr<const RecordSet> set = b->Publish();
  CHECK(set->Lookup(N("web.marathon.mesos")) == nullptr);
  b->UpsertFramework(MakeFramework("fw-1", "marathon").framework_info());
  set = b->Publish();
  CHECK(Addresses(*set, "web.marathon.mesos").size() == 2);
  b->UpsertFramework(MakeFramework("fw-1", "marathon-user", "10.1.0.7").framework_info());
  set = b->Publish();
  CHECK(set->Lookup(N("web.marathon.mesos")) == nullptr);
  CHECK(set->Lookup(N("marathon.mesos")) == nullptr);
  CHECK(Addresses(*set, "web.marathon-user.mesos").size() == 2);
  CHECK(Addresses(*set, "marathon-user.mesos") == std::vector<std::string>{"10.1.0.7"});
  b->RemoveFramework("fw-1");
  set = b->Publish();
  CHECK(set->Lookup(N("web.marathon-user.mesos")) == nullptr);
  CHECK(b->task_count() == 3);  // the tasks stay until their own updates end them
}

TEST_CASE("Builder: leader changes move leader.<domain>") {
  auto b = MakeBuilder();
  b->Reset(SmallCluster());
  common::v1::MasterInfo next = MakeLeader("10.1.0.3");
  b->SetLeader(&next);
  std::shared_ptr<const RecordSet> set = b->Publish();
  CHECK(Addresses(*set, "leader.mesos") == std::vector<std::string>{"10.1.0.3"});
  CHECK(Addresses(*set, "master.mesos") == std::vector<std::string>{"10.1.0.3"});
  b->SetLeader(nullptr);
  set = b->Publish();
  CHECK(set->Lookup(N("leader.mesos")) == nullptr);
  CHECK(set->Lookup(N("_leader._tcp.mesos")) == nullptr);
  CHECK(set->Lookup(N("_tcp.mesos")) != nullptr);  // _slave._tcp is still there
}

TEST_CASE("Builder: healthy_only follows health updates; statuses carry old details") {
  RecordConfig config;
  config.healthy_only = true;
  auto b = MakeBuilder(config);
  master::v1::ClusterState state = SmallCluster();
  TaskSpec checked = Spec("api.1", "api", "a-S2");
  checked.health_check = true;
  checked.container_ips = {"172.17.0.9"};
  *state.add_tasks() = MakeTask(checked);
  b->Reset(state);
  CHECK(b->Publish()->Lookup(N("api.marathon.mesos")) == nullptr);  // not yet healthy

  // A health update without container status keeps the container's address.
  b->UpdateTask("fw-1", MakeStatus("api.1", common::v1::TASK_RUNNING, true),
                common::v1::TASK_RUNNING);
  CHECK(Addresses(*b->Publish(), "api.marathon.mesos") ==
        std::vector<std::string>{"172.17.0.9"});
  b->UpdateTask("fw-1", MakeStatus("api.1", common::v1::TASK_RUNNING, false),
                common::v1::TASK_RUNNING);
  CHECK(b->Publish()->Lookup(N("api.marathon.mesos")) == nullptr);
  // A later status that does not mention health keeps the last verdict.
  b->UpdateTask("fw-1", MakeStatus("api.1", common::v1::TASK_RUNNING), common::v1::TASK_RUNNING);
  CHECK(b->Publish()->Lookup(N("api.marathon.mesos")) == nullptr);
  b->UpdateTask("fw-1", MakeStatus("api.1", common::v1::TASK_RUNNING, true),
                common::v1::TASK_RUNNING);
  CHECK(b->Publish()->Lookup(N("api.marathon.mesos")) != nullptr);
}

TEST_CASE("Builder: Apply dispatches every operator event") {
  auto b = MakeBuilder();
  master::v1::OperatorEvent e;
  *e.mutable_subscribed()->mutable_state() = SmallCluster();
  b->Apply(e);
  CHECK(b->task_count() == 3);

  e.Clear();
  *e.mutable_task_added()->mutable_task() = MakeTask(Spec("new.1", "new", "a-S2"));
  b->Apply(e);
  CHECK(Addresses(*b->Publish(), "new.marathon.mesos") == std::vector<std::string>{"10.0.3.2"});

  e.Clear();
  e.mutable_task_updated()->mutable_framework_id()->set_value("fw-1");
  *e.mutable_task_updated()->mutable_status() = MakeStatus("new.1", common::v1::TASK_FAILED);
  e.mutable_task_updated()->set_state(common::v1::TASK_FAILED);
  b->Apply(e);
  CHECK(b->Publish()->Lookup(N("new.marathon.mesos")) == nullptr);

  e.Clear();
  *e.mutable_agent_added()->mutable_agent() = MakeAgent("a-S3", "10.0.3.3");
  b->Apply(e);
  CHECK(Addresses(*b->Publish(), "slave.mesos").size() == 3);
  e.Clear();
  e.mutable_agent_removed()->mutable_agent_id()->set_value("a-S3");
  b->Apply(e);
  CHECK(Addresses(*b->Publish(), "slave.mesos").size() == 2);

  e.Clear();
  *e.mutable_framework_added()->mutable_framework() = MakeFramework("fw-2", "chronos", "10.1.0.5");
  b->Apply(e);
  CHECK(Addresses(*b->Publish(), "chronos.mesos") == std::vector<std::string>{"10.1.0.5"});
  e.Clear();
  *e.mutable_framework_updated()->mutable_framework() = MakeFramework("fw-2", "chronos", "10.1.0.6");
  b->Apply(e);
  CHECK(Addresses(*b->Publish(), "chronos.mesos") == std::vector<std::string>{"10.1.0.6"});
  e.Clear();
  *e.mutable_framework_removed()->mutable_framework_info() =
      MakeFramework("fw-2", "chronos").framework_info();
  b->Apply(e);
  CHECK(b->Publish()->Lookup(N("chronos.mesos")) == nullptr);

  std::shared_ptr<const RecordSet> now = b->Publish();
  e.Clear();
  e.mutable_heartbeat();
  b->Apply(e);
  CHECK(b->Publish() == now);
}

TEST_CASE("Builder: a resynchronisation removes what the new state no longer has") {
  auto b = MakeBuilder();
  b->Reset(SmallCluster());
  b->Publish();
  master::v1::ClusterState next = SmallCluster();
  next.mutable_tasks()->DeleteSubrange(0, 1);  // web.1 ended while we were disconnected
  next.mutable_agents()->DeleteSubrange(1, 1);  // a-S2 left
  b->Reset(next);
  std::shared_ptr<const RecordSet> set = b->Publish();
  CHECK(set->Lookup(N("web.marathon.mesos")) == nullptr);  // web.2's agent is gone too
  CHECK(Addresses(*set, "slave.mesos") == std::vector<std::string>{"10.0.3.1"});
  CHECK(b->task_count() == 2);
  CHECK(b->agent_count() == 1);
}

// ---- randomized: incremental == fresh -------------------------------------------------------

using ::dcos::testing::EnvOr;

// The test's own model of the cluster, changed by random events that are also fed to the
// builder; ToState() is what a fresh snapshot from the master would say.
struct Model {
  std::map<std::string, master::v1::Agent> agents;
  std::map<std::string, master::v1::Framework> frameworks;
  std::map<std::string, common::v1::Task> tasks;  // by "fw/task"
  std::optional<common::v1::MasterInfo> leader;

  master::v1::ClusterState ToState() const {
    master::v1::ClusterState s;
    if (leader) *s.mutable_leader() = *leader;
    for (const auto& [id, a] : agents) *s.add_agents() = a;
    for (const auto& [id, f] : frameworks) *s.add_frameworks() = f;
    for (const auto& [id, t] : tasks) *s.add_tasks() = t;
    return s;
  }
};

std::string RunSeed(uint64_t seed, int steps) {
  std::mt19937_64 rng(seed);
  auto pick = [&rng](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
  RecordConfig config;
  config.healthy_only = seed % 2 == 0;
  config.masters = {"10.1.0.1"};
  auto incremental = *RecordBuilder::Create(config);
  Model model;
  const char* names[] = {"web", "api", "db", "Web", "a.b", "cache"};
  const char* framework_names[] = {"marathon", "chronos", "Marathon"};
  for (int step = 0; step < steps; ++step) {
    const int what = pick(10);
    if (what == 0) {
      auto agent = MakeAgent(absl::StrCat("agent-S", pick(4)), absl::StrCat("10.0.3.", pick(3)),
                             5051, pick(5) == 0 ? master::v1::Agent::STATE_UNREACHABLE
                                                : master::v1::Agent::STATE_ACTIVE);
      model.agents[agent.agent_info().id().value()] = agent;
      incremental->UpsertAgent(agent);
    } else if (what == 1) {
      std::string id = absl::StrCat("agent-S", pick(4));
      model.agents.erase(id);
      incremental->RemoveAgent(id);
    } else if (what == 2) {
      auto f = MakeFramework(absl::StrCat("fw-", pick(2)), framework_names[pick(3)],
                             pick(2) ? "10.1.0.9" : "");
      model.frameworks[f.framework_info().id().value()] = f;
      incremental->UpsertFramework(f.framework_info());
    } else if (what == 3 && pick(3) == 0) {
      std::string id = absl::StrCat("fw-", pick(2));
      model.frameworks.erase(id);
      incremental->RemoveFramework(id);
    } else if (what == 4) {
      if (pick(3) == 0) {
        model.leader.reset();
        incremental->SetLeader(nullptr);
      } else {
        model.leader = MakeLeader(absl::StrCat("10.1.0.", pick(3)));
        incremental->SetLeader(&*model.leader);
      }
    } else if (what <= 7) {
      TaskSpec spec;
      spec.framework_id = absl::StrCat("fw-", pick(2));
      spec.id = absl::StrCat("t", pick(12));
      spec.name = names[pick(6)];
      spec.agent_id = absl::StrCat("agent-S", pick(4));
      spec.state = pick(4) == 0 ? common::v1::TASK_STAGING : common::v1::TASK_RUNNING;
      if (pick(2)) spec.port_ranges = {{31000u + pick(3), 31001u + pick(3)}};
      if (pick(3) == 0) spec.container_ips = {absl::StrCat("172.17.0.", pick(3))};
      spec.health_check = pick(2) == 0;
      if (pick(2)) spec.healthy = pick(2) == 0;
      if (pick(5) == 0) spec.discovery_ports = {{8080, pick(2) ? "http" : "", ""}};
      common::v1::Task task = MakeTask(spec);
      const std::string key = spec.framework_id + "/" + spec.id;
      // A task id is never reused on another agent; a re-add replaces the same task.
      if (model.tasks.count(key) &&
          model.tasks[key].agent_id().value() != spec.agent_id) {
        continue;
      }
      model.tasks[key] = task;
      incremental->UpsertTask(task);
    } else {
      if (model.tasks.empty()) continue;
      auto it = model.tasks.begin();
      std::advance(it, pick(static_cast<int>(model.tasks.size())));
      const common::v1::TaskState states[] = {common::v1::TASK_RUNNING,
                                              common::v1::TASK_RUNNING,
                                              common::v1::TASK_KILLING,
                                              common::v1::TASK_FINISHED,
                                              common::v1::TASK_UNREACHABLE};
      const common::v1::TaskState state = states[pick(5)];
      std::optional<bool> healthy;
      if (pick(2)) healthy = pick(2) == 0;
      std::vector<std::string> ips;
      if (pick(3) == 0) ips = {absl::StrCat("172.17.1.", pick(3))};
      common::v1::TaskStatus status = MakeStatus(it->second.task_id().value(), state, healthy, ips);
      incremental->UpdateTask(it->second.framework_id().value(), status, state);
      // The model applies the same merge rule by hand.
      common::v1::Task& t = it->second;
      const common::v1::TaskStatus previous = *t.statuses().rbegin();
      if (!status.has_container_status() && previous.has_container_status()) {
        *status.mutable_container_status() = previous.container_status();
      }
      if (!status.has_healthy() && previous.has_healthy()) status.set_healthy(previous.healthy());
      t.set_state(state);
      t.clear_statuses();
      *t.add_statuses() = status;
      if (state == common::v1::TASK_FINISHED) model.tasks.erase(it);
    }
    if (pick(4) == 0 || step == steps - 1) {
      auto fresh = *RecordBuilder::Create(config);
      fresh->Reset(model.ToState());
      std::set<std::string> want = Dump(*fresh->Publish());
      std::set<std::string> got = Dump(*incremental->Publish());
      if (want != got) {
        std::string diff;
        for (const std::string& line : want) {
          if (!got.count(line)) absl::StrAppend(&diff, "  missing: ", line, "\n");
        }
        for (const std::string& line : got) {
          if (!want.count(line)) absl::StrAppend(&diff, "  extra:   ", line, "\n");
        }
        return absl::StrCat("seed ", seed, " step ", step, ": incremental != fresh\n", diff);
      }
    }
  }
  return "";
}

TEST_CASE("Builder (randomized): incremental updates end where a fresh build from the state does") {
  const uint64_t one = EnvOr("DNS_BUILDER_SEED", 0);
  const uint64_t seeds = EnvOr("DNS_BUILDER_SEEDS", 200);
  const uint64_t first = one != 0 ? one : 1;
  const uint64_t last = one != 0 ? one : seeds;
  std::printf("record_builder_test: seeds %llu..%llu (DNS_BUILDER_SEED=<s> replays one)\n",
              static_cast<unsigned long long>(first), static_cast<unsigned long long>(last));
  for (uint64_t seed = first; seed <= last; ++seed) {
    std::string failure = RunSeed(seed, 150);
    if (!failure.empty()) FAIL(failure);
  }
}

}  // namespace
}  // namespace dcos::dns::core
