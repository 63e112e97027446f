#pragma once

// Cluster: a MasterCore with the real DRF allocator (through DrfPort), simulated agents and
// frameworks and a simulated clock, and everything the core sent, split by destination. The
// tests of the core drive it; Drain() also checks the kept task figures against a walk.

#include <map>
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

// A master core plus everything it sent, split by destination.
struct Cluster {
  explicit Cluster(MasterCoreConfig config = Defaults())
      : port(Options()), core(config, &port, now) {}

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

  // Healthy agents answer every ping (unless a test turns that off).
  void Advance(absl::Duration d) {
    if (auto_pong) {
      for (const auto& [id, msgs] : agent_msgs) Pong(id);
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

  // Launches `task` on the framework's first offer and reports it RUNNING from `agent`.
  void RunTask(const MasterCore::Subscription& s, const std::string& agent,
               const std::string& task) {
    Advance(absl::Seconds(1));
    REQUIRE(core.Accept(Launch(s, Offers(s.framework_id)[0], task, 1, 128), now).ok());
    Drain();
    Update(agent, s.framework_id, task, common::v1::TASK_RUNNING, std::string(16, 'r'));
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
  v1::ClusterState state;
  DrfPort port;
  MasterCore core;
  std::map<std::string, common::v1::AgentInfo> infos;
  std::vector<RegistryOp> registry;
  std::map<std::string, std::vector<v1::MasterMessage>> agent_msgs;
  std::map<std::string, std::vector<v1::Event>> events;
  std::vector<v1::OperatorEvent> operator_events;
  std::vector<std::string> closed_frameworks, closed_agents;
};

inline std::string Uuid(char c) { return std::string(16, c); }

}  // namespace dcos::master::testing
