#pragma once

// Cluster: a MasterCore with the real DRF allocator (through DrfPort), simulated agents and
// frameworks and a simulated clock, and everything the core sent, split by destination. The
// tests of the core drive it; Drain() also checks the kept task figures against a walk.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"
#include "services/master/core/drf_port.h"
#include "services/master/core/master_core.h"
#include "services/master/core/proto_time.h"

namespace dcos::master::testing {

using common::v1::TaskState;
using common::v1::TaskStatus;

inline std::string Uuid(char c) { return std::string(16, c); }

inline common::v1::Resource Scalar(const std::string& name, double value) {
  common::v1::Resource r;
  r.set_name(name);
  r.set_type(common::v1::Value::TYPE_SCALAR);
  r.mutable_scalar()->set_value(value);
  return r;
}

inline allocator::AllocatorOptions Options() {
  allocator::AllocatorOptions o;
  o.shuffle_agents = false;
  return o;
}

// The DRF port with a fault to inject: it can miss the core's agent deactivations, as an
// allocator that lags behind the core would (it then offers an agent the core cannot reach).
class FaultPort final : public AllocatorPort {
 public:
  explicit FaultPort(DrfPort* drf) : drf_(drf) {}
  bool miss_deactivations = false;

  void AddAgent(const std::string& agent_id, const common::v1::AgentInfo& info,
                const std::vector<RoleResources>& used) override {
    drf_->AddAgent(agent_id, info, used);
  }
  void RemoveAgent(const std::string& agent_id) override { drf_->RemoveAgent(agent_id); }
  void SetAgentActive(const std::string& agent_id, bool active) override {
    if (active || !miss_deactivations) drf_->SetAgentActive(agent_id, active);
  }
  void AddFramework(const std::string& framework_id, const common::v1::FrameworkInfo& info,
                    bool active) override {
    drf_->AddFramework(framework_id, info, active);
  }
  void RemoveFramework(const std::string& framework_id) override {
    drf_->RemoveFramework(framework_id);
  }
  void SetFrameworkActive(const std::string& framework_id, bool active) override {
    drf_->SetFrameworkActive(framework_id, active);
  }
  void Suppress(const std::string& framework_id, const std::vector<std::string>& roles) override {
    drf_->Suppress(framework_id, roles);
  }
  void Revive(const std::string& framework_id, const std::vector<std::string>& roles) override {
    drf_->Revive(framework_id, roles);
  }
  void Recover(const std::string& framework_id, const std::string& agent_id,
               const std::string& role, const ResourceList& resources,
               std::optional<absl::Duration> refuse, absl::Time now) override {
    drf_->Recover(framework_id, agent_id, role, resources, refuse, now);
  }
  void SetWeight(const std::string& role, double weight) override {
    drf_->SetWeight(role, weight);
  }
  void SetQuota(const std::string& role, const ResourceList& guarantee) override {
    drf_->SetQuota(role, guarantee);
  }
  std::vector<Allocation> Allocate(absl::Time now) override { return drf_->Allocate(now); }
  std::vector<v1::Role> Roles() const override { return drf_->Roles(); }

 private:
  DrfPort* const drf_;
};

// A master core plus everything it sent, split by destination.
struct Cluster {
  explicit Cluster(MasterCoreConfig config = Defaults())
      : port(Options()), faults(&port), core(config, &faults, now) {}

  static MasterCoreConfig Defaults() {
    MasterCoreConfig c;
    c.master_info.set_id("m1");
    c.agent_ping_timeout = absl::Seconds(1);
    c.max_agent_ping_timeouts = 3;
    c.agent_removal_interval = absl::Seconds(10);
    c.agent_removal_burst = 1;
    c.allocation_interval = absl::Seconds(1);
    return c;
  }

  void Drain() {
    Outbox o = core.TakeOutbox();
    for (auto& op : o.registry) registry.push_back(op);
    for (auto& [id, m] : o.to_agents) agent_msgs[id].push_back(m);
    for (auto& [key, e] : o.to_frameworks) events[key.substr(0, key.find('/'))].push_back(e);
    for (auto& e : o.to_operators) operator_events.push_back(e);
    for (auto& c : o.close_frameworks) closed_frameworks.push_back(c);
    for (auto& c : o.close_agents) closed_agents.push_back(c);
    // The task figures the core keeps as it goes equal a walk of every task.
    MasterCore::Stats kept = core.GetStats();
    MasterCore::Stats walked = core.CountStats();
    REQUIRE(kept.tasks == walked.tasks);
    REQUIRE(kept.cpus_used == walked.cpus_used);
    REQUIRE(kept.mem_used == walked.mem_used);
    REQUIRE(kept.disk_used == walked.disk_used);
  }

  // Healthy agents answer every ping (unless a test turns that off, or silences one).
  void Advance(absl::Duration d) {
    if (auto_pong) {
      for (const auto& [id, msgs] : agent_msgs) {
        if (silent.count(id) == 0) Pong(id);
      }
    }
    now += d;
    core.Tick(now);
    Drain();
  }

  std::string AddAgent(const std::string& host, double cpus = 4, double mem = 4096) {
    v1::Register r;
    r.mutable_agent_info()->mutable_address()->set_hostname(host);
    r.mutable_agent_info()->mutable_address()->set_port(5051);
    *r.mutable_agent_info()->add_resources() = Scalar("cpus", cpus);
    *r.mutable_agent_info()->add_resources() = Scalar("mem", mem);
    absl::StatusOr<std::string> id = core.RegisterAgent(r, now);
    REQUIRE(id.ok());
    infos[*id] = r.agent_info();
    infos[*id].mutable_id()->set_value(*id);
    Drain();
    return *id;
  }

  MasterCore::Subscription Subscribe(const std::string& name, bool partition_aware = false,
                                     absl::Duration failover = absl::Seconds(10)) {
    common::v1::FrameworkInfo info;
    info.set_user("root");
    info.set_name(name);
    ToProto(failover, info.mutable_failover_timeout());
    if (partition_aware) {
      info.add_capabilities()->set_type(common::v1::FrameworkInfo::Capability::TYPE_PARTITION_AWARE);
    }
    absl::StatusOr<MasterCore::Subscription> s = core.Subscribe(info, now);
    REQUIRE(s.ok());
    Drain();
    return *s;
  }

  // Offers the framework has received and not yet used.
  std::vector<common::v1::Offer> Offers(const std::string& fid) {
    std::vector<common::v1::Offer> out;
    for (const v1::Event& e : events[fid]) {
      if (e.has_offers()) {
        for (const auto& o : e.offers().offers()) out.push_back(o);
      }
    }
    return out;
  }

  std::vector<TaskStatus> Updates(const std::string& fid) {
    std::vector<TaskStatus> out;
    for (const v1::Event& e : events[fid]) {
      if (e.has_update()) out.push_back(e.update().status());
    }
    return out;
  }

  v1::AcceptRequest Launch(const MasterCore::Subscription& s, const common::v1::Offer& offer,
                           const std::string& task_id, double cpus, double mem) {
    v1::AcceptRequest a;
    a.mutable_framework_id()->set_value(s.framework_id);
    a.set_stream_id(s.stream_id);
    *a.add_offer_ids() = offer.id();
    common::v1::TaskInfo* t = a.add_operations()->mutable_launch()->add_task_infos();
    t->set_name(task_id);
    t->mutable_task_id()->set_value(task_id);
    t->mutable_command()->set_value("sleep 100");
    *t->add_resources() = Scalar("cpus", cpus);
    *t->add_resources() = Scalar("mem", mem);
    return a;
  }

  void Update(const std::string& agent, const std::string& fid, const std::string& task,
              TaskState state, const std::string& uuid) {
    v1::StatusUpdate u;
    u.mutable_framework_id()->set_value(fid);
    u.mutable_status()->mutable_task_id()->set_value(task);
    u.mutable_status()->set_state(state);
    u.mutable_status()->set_uuid(uuid);
    u.mutable_status()->set_source(TaskStatus::SOURCE_EXECUTOR);
    u.set_latest_state(state);
    core.StatusUpdate(agent, u, now);
    Drain();
  }

  // The framework acknowledges the latest update it received for `task` (on `agent`).
  void Ack(const MasterCore::Subscription& s, const std::string& agent, const std::string& task) {
    std::vector<TaskStatus> updates = Updates(s.framework_id, task);
    REQUIRE(!updates.empty());
    v1::AcknowledgeRequest ack;
    ack.mutable_framework_id()->set_value(s.framework_id);
    ack.set_stream_id(s.stream_id);
    ack.mutable_agent_id()->set_value(agent);
    ack.mutable_task_id()->set_value(task);
    ack.set_uuid(updates.back().uuid());
    REQUIRE(core.Acknowledge(ack, now).ok());
    Drain();
  }

  // Launches `task` on the framework's first offer and reports it RUNNING from `agent`.
  void RunTask(const MasterCore::Subscription& s, const std::string& agent,
               const std::string& task) {
    Advance(absl::Seconds(1));
    REQUIRE(core.Accept(Launch(s, Offers(s.framework_id)[0], task, 1, 128), now).ok());
    Drain();
    Update(agent, s.framework_id, task, common::v1::TASK_RUNNING, std::string(16, 'r'));
  }

  // One agent ("a1") running `task` of framework "fw" (partition-aware if asked).
  struct OneTask {
    std::string agent;
    MasterCore::Subscription fw;
  };
  OneTask StartOne(const std::string& task, bool partition_aware = false) {
    OneTask out{AddAgent("a1"), Subscribe("fw", partition_aware)};
    REQUIRE(Start(out.fw, task) == out.agent);
    return out;
  }

  // Offers the framework holds now (received and not yet used, declined or rescinded).
  std::vector<common::v1::Offer> Outstanding(const std::string& fid) {
    for (const v1::Framework& f : S().frameworks()) {
      if (f.framework_info().id().value() == fid) return {f.offers().begin(), f.offers().end()};
    }
    return {};
  }

  // Waits (up to 10 s) for an offer to the framework, launches `task` (1 cpu, 128 MiB) on it
  // and reports it RUNNING from the offer's agent, which it returns.
  std::string Start(const MasterCore::Subscription& s, const std::string& task) {
    for (int i = 0; i < 10 && Outstanding(s.framework_id).empty(); ++i) {
      Advance(absl::Seconds(1));
    }
    std::vector<common::v1::Offer> offers = Outstanding(s.framework_id);
    REQUIRE(!offers.empty());
    REQUIRE(core.Accept(Launch(s, offers[0], task, 1, 128), now).ok());
    Drain();
    const std::string agent = offers[0].agent_id().value();
    Update(agent, s.framework_id, task, common::v1::TASK_RUNNING, Uuid('r'));
    return agent;
  }

  // A new leader's registry: admitted agents `ids` (host = id, 4 cpus, 1024 MiB), expected to
  // re-register (Report builds their re-registration).
  void RecoverAgents(const std::vector<std::string>& ids) {
    std::vector<common::v1::AgentInfo> admitted;
    for (const std::string& id : ids) {
      common::v1::AgentInfo& a = infos[id];
      a.mutable_id()->set_value(id);
      a.mutable_address()->set_hostname(id);
      a.mutable_address()->set_port(5051);
      *a.add_resources() = Scalar("cpus", 4);
      *a.add_resources() = Scalar("mem", 1024);
      admitted.push_back(a);
    }
    core.RecoverRegistry(std::move(admitted), {}, {}, {}, now);
    Drain();
  }

  // A framework from before a failover: its id set, a 5 minute failover_timeout.
  static common::v1::FrameworkInfo KnownFramework(const std::string& id) {
    common::v1::FrameworkInfo fw;
    fw.set_user("root");
    fw.set_name("fw");
    fw.mutable_id()->set_value(id);
    ToProto(absl::Minutes(5), fw.mutable_failover_timeout());
    return fw;
  }

  // Two frameworks with a task each on `agent`: "plain" runs p1, "aware" (partition-aware)
  // runs w1. The agent is the only one, so both tasks land there (REQUIREd).
  struct PlainAndAware {
    MasterCore::Subscription plain, aware;
  };
  PlainAndAware StartPlainAndAware(const std::string& agent) {
    PlainAndAware out;
    out.plain = Subscribe("plain");
    REQUIRE(Start(out.plain, "p1") == agent);
    out.aware = Subscribe("aware", /*partition_aware=*/true);
    REQUIRE(Start(out.aware, "w1") == agent);
    return out;
  }

  // The agent's re-registration, reporting each (framework, task) of `tasks` in `state` with
  // 1 cpu and 128 MiB.
  v1::Reregister Report(const std::string& agent,
                        const std::vector<std::pair<std::string, std::string>>& tasks,
                        TaskState state = common::v1::TASK_RUNNING) {
    v1::Reregister r;
    *r.mutable_agent_info() = infos[agent];
    for (const auto& [fid, tid] : tasks) {
      common::v1::Task* t = r.add_tasks();
      t->mutable_task_id()->set_value(tid);
      t->mutable_framework_id()->set_value(fid);
      t->mutable_agent_id()->set_value(agent);
      t->set_state(state);
      *t->add_resources() = Scalar("cpus", 1);
      *t->add_resources() = Scalar("mem", 128);
    }
    return r;
  }

  // Stops the agent's pongs and advances until the master marks it unreachable (REQUIREd).
  void Partition(const std::string& agent) {
    silent.insert(agent);
    for (int i = 0; i < 30 && AgentState(agent) != v1::Agent::STATE_UNREACHABLE; ++i) {
      Advance(absl::Seconds(1));
    }
    REQUIRE(AgentState(agent) == v1::Agent::STATE_UNREACHABLE);
    silent.erase(agent);
  }

  v1::Agent::State AgentState(const std::string& agent) {
    for (const v1::Agent& a : S().agents()) {
      if (a.agent_info().id().value() == agent) return a.state();
    }
    return v1::Agent::STATE_UNSPECIFIED;
  }

  // The statuses the framework received for one task, in order.
  std::vector<TaskStatus> Updates(const std::string& fid, const std::string& task) {
    std::vector<TaskStatus> out;
    for (const TaskStatus& s : Updates(fid)) {
      if (s.task_id().value() == task) out.push_back(s);
    }
    return out;
  }

  // The kills the agent was sent, from its message `from` on.
  std::vector<v1::KillTask> Kills(const std::string& agent, size_t from = 0) {
    std::vector<v1::KillTask> out;
    const std::vector<v1::MasterMessage>& msgs = agent_msgs[agent];
    for (size_t i = from; i < msgs.size(); ++i) {
      if (msgs[i].has_kill_task()) out.push_back(msgs[i].kill_task());
    }
    return out;
  }

  // Re-registers the agent with `report` and REQUIREs that Reregistered went first: the kills
  // after it are this master's. Returns the index of the agent's first message after it.
  size_t Reregister(v1::Reregister report) {
    const std::string agent = report.agent_info().id().value();
    const size_t before = agent_msgs[agent].size();
    REQUIRE(core.ReregisterAgent(std::move(report), now).ok());
    Drain();
    REQUIRE(agent_msgs[agent].size() > before);
    REQUIRE(agent_msgs[agent][before].has_reregistered());
    return before + 1;
  }

  void Pong(const std::string& agent) {
    for (const v1::MasterMessage& m : agent_msgs[agent]) {
      if (m.has_ping()) core.AgentPong(agent, m.ping().sequence(), now);
    }
  }

  // The state, kept in a member (GCC warns about accessors on temporary messages).
  const v1::ClusterState& S() {
    state = core.State();
    return state;
  }

  absl::Time now = absl::FromUnixSeconds(1000000);
  bool auto_pong = true;
  std::set<std::string> silent;  // agents that do not answer pings
  v1::ClusterState state;
  DrfPort port;
  FaultPort faults;
  MasterCore core;
  std::map<std::string, common::v1::AgentInfo> infos;
  std::vector<RegistryOp> registry;
  std::map<std::string, std::vector<v1::MasterMessage>> agent_msgs;
  std::map<std::string, std::vector<v1::Event>> events;
  std::vector<v1::OperatorEvent> operator_events;
  std::vector<std::string> closed_frameworks, closed_agents;
};

}  // namespace dcos::master::testing
