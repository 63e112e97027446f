// Accept's rejection paths that master_core_test's walk-through does not take: malformed
// operations, offers that cannot be used together (named twice, two agents, two roles),
// an agent that went away under its offer, and tasks that fail alone (agent_id, resources,
// a duplicate of a running task). (Another framework's offer: master_core_test.) Each checks what the framework is told and that the
// offers' resources go back.

#include <string>
#include <vector>

#include "services/master/core/master_core_test_cluster.h"

namespace dcos::master {
namespace {

using common::v1::TaskStatus;
using testing::Cluster;
using testing::Scalar;

// Accept `offers` with one task using `cpus` and 32 MiB.
v1::AcceptRequest AcceptOffers(const MasterCore::Subscription& s,
                               const std::vector<common::v1::Offer>& offers,
                               const std::string& task, double cpus) {
  v1::AcceptRequest a;
  a.mutable_framework_id()->set_value(s.framework_id);
  a.set_stream_id(s.stream_id);
  for (const common::v1::Offer& o : offers) *a.add_offer_ids() = o.id();
  common::v1::TaskInfo* t = a.add_operations()->mutable_launch()->add_task_infos();
  t->mutable_task_id()->set_value(task);
  t->mutable_command()->set_value("sleep 1");
  *t->add_resources() = Scalar("cpus", cpus);
  *t->add_resources() = Scalar("mem", 32);
  return a;
}

// Accepts, then REQUIREs that the one task was refused with `state` and `reason`, that
// nothing was launched, and returns the status.
TaskStatus Refused(Cluster& c, const MasterCore::Subscription& s, const v1::AcceptRequest& a,
                   common::v1::TaskState state, TaskStatus::Reason reason) {
  const std::string task = a.operations(0).launch().task_infos(0).task_id().value();
  const int tasks = c.S().tasks_size();
  REQUIRE(c.core.Accept(a, c.now).ok());
  c.Drain();
  std::vector<TaskStatus> updates = c.Updates(s.framework_id, task);
  REQUIRE(updates.size() == 1);
  CHECK(common::v1::TaskState_Name(updates[0].state()) == common::v1::TaskState_Name(state));
  CHECK(TaskStatus::Reason_Name(updates[0].reason()) == TaskStatus::Reason_Name(reason));
  CHECK(updates[0].source() == TaskStatus::SOURCE_MASTER);
  CHECK(c.S().tasks_size() == tasks);
  for (const auto& [agent, msgs] : c.agent_msgs) {
    for (const v1::MasterMessage& m : msgs) {
      CHECK_FALSE((m.has_run_task() && m.run_task().task().task_id().value() == task));
    }
  }
  return updates[0];
}

// The offers of the first allocation cycle, REQUIREd to be `n`.
std::vector<common::v1::Offer> FirstOffers(Cluster& c, const std::string& fid, size_t n) {
  c.Advance(absl::Seconds(1));
  std::vector<common::v1::Offer> offers = c.Outstanding(fid);
  REQUIRE(offers.size() == n);
  return offers;
}

double OfferedCpus(const std::vector<common::v1::Offer>& offers) {
  double cpus = 0;
  for (const common::v1::Offer& o : offers) {
    for (const common::v1::Resource& r : o.resources()) {
      if (r.name() == "cpus") cpus += r.scalar().value();
    }
  }
  return cpus;
}

TEST_CASE("accept: an empty or unknown operation is refused and consumes nothing") {
  Cluster c;
  c.AddAgent("a1");
  MasterCore::Subscription s = c.Subscribe("fw");
  std::vector<common::v1::Offer> offers = FirstOffers(c, s.framework_id, 1);

  v1::AcceptRequest empty = AcceptOffers(s, offers, "t1", 1);
  empty.add_operations();  // no operation set
  absl::Status refused = c.core.Accept(empty, c.now);
  CHECK(refused.code() == absl::StatusCode::kInvalidArgument);
  CHECK(refused.message() == "operations[1]: empty operation");

  // An operation this master does not know (a newer client's field) is not silently dropped.
  v1::AcceptRequest unknown = AcceptOffers(s, offers, "t1", 1);
  v1::Operation* op = unknown.add_operations();
  op->GetReflection()->MutableUnknownFields(op)->AddLengthDelimited(9, "x");
  refused = c.core.Accept(unknown, c.now);
  CHECK(refused.code() == absl::StatusCode::kInvalidArgument);
  CHECK(refused.message() == "operations[1]: empty operation");

  c.Drain();
  CHECK(c.Outstanding(s.framework_id).size() == 1);
  CHECK(c.Updates(s.framework_id).empty());
  CHECK(c.port.errors() == 0);
}

TEST_CASE("accept: an offer named twice fails the call, and its resources come back") {
  Cluster c;
  c.AddAgent("a1", 2, 1024);
  MasterCore::Subscription s = c.Subscribe("fw");
  std::vector<common::v1::Offer> offers = FirstOffers(c, s.framework_id, 1);
  TaskStatus st = Refused(c, s, AcceptOffers(s, {offers[0], offers[0]}, "t1", 1),
                          common::v1::TASK_LOST, TaskStatus::REASON_INVALID_OFFERS);
  CHECK(st.message().find("named twice") != std::string::npos);
  CHECK(c.core.outstanding_offers() == 0);
  // Given back with the call's refuse filter (5 s by default), then offered whole again.
  c.Advance(absl::Seconds(6));
  CHECK(OfferedCpus(c.Outstanding(s.framework_id)) == 2);
  CHECK(c.port.errors() == 0);
}

TEST_CASE("accept: offers of two agents fail the call; a partition-aware task is DROPPED") {
  Cluster c;
  c.AddAgent("a1", 2, 1024);
  c.AddAgent("a2", 2, 1024);
  MasterCore::Subscription s = c.Subscribe("aware", /*partition_aware=*/true);
  std::vector<common::v1::Offer> offers = FirstOffers(c, s.framework_id, 2);
  REQUIRE(offers[0].agent_id().value() != offers[1].agent_id().value());
  TaskStatus st = Refused(c, s, AcceptOffers(s, offers, "t1", 1), common::v1::TASK_DROPPED,
                          TaskStatus::REASON_INVALID_OFFERS);
  CHECK(st.message() == "the offers are of different agents");
  CHECK(c.core.outstanding_offers() == 0);
  c.Advance(absl::Seconds(6));
  CHECK(OfferedCpus(c.Outstanding(s.framework_id)) == 4);
  CHECK(c.port.errors() == 0);
}

TEST_CASE("accept: offers of two roles on one agent fail the call") {
  Cluster c;
  // 2 unreserved cpus and 1 reserved for r2: role r1 is offered the first, r2 the second.
  v1::Register r;
  r.mutable_agent_info()->mutable_address()->set_hostname("a1");
  r.mutable_agent_info()->mutable_address()->set_port(5051);
  *r.mutable_agent_info()->add_resources() = Scalar("cpus", 2);
  *r.mutable_agent_info()->add_resources() = Scalar("mem", 1024);
  for (common::v1::Resource res : {Scalar("cpus", 1), Scalar("mem", 256)}) {
    res.set_role("r2");
    res.mutable_reservation()->set_type(common::v1::ReservationInfo::TYPE_STATIC);
    res.mutable_reservation()->set_role("r2");
    *r.mutable_agent_info()->add_resources() = res;
  }
  REQUIRE(c.core.RegisterAgent(r, c.now).ok());
  c.Drain();
  common::v1::FrameworkInfo info;
  info.set_user("root");
  info.set_name("multi");
  info.add_roles("r1");
  info.add_roles("r2");
  info.add_capabilities()->set_type(common::v1::FrameworkInfo::Capability::TYPE_MULTI_ROLE);
  absl::StatusOr<MasterCore::Subscription> s = c.core.Subscribe(info, c.now);
  REQUIRE(s.ok());
  c.Drain();
  std::vector<common::v1::Offer> offers = FirstOffers(c, s->framework_id, 2);
  REQUIRE(offers[0].agent_id().value() == offers[1].agent_id().value());
  REQUIRE(offers[0].allocation_role() != offers[1].allocation_role());
  TaskStatus st = Refused(c, *s, AcceptOffers(*s, offers, "t1", 1), common::v1::TASK_LOST,
                          TaskStatus::REASON_INVALID_OFFERS);
  CHECK(st.message() == "the offers are for different roles");
  c.Advance(absl::Seconds(6));
  CHECK(OfferedCpus(c.Outstanding(s->framework_id)) == 3);
  CHECK(c.port.errors() == 0);
}

TEST_CASE("accept: an offer whose agent is gone from under it fails the call") {
  // Offers are rescinded when their agent disconnects; an allocator that lags behind the
  // core (it misses the deactivation) can still offer the agent's resources.
  Cluster c;
  std::string agent = c.AddAgent("a1", 2, 1024);
  MasterCore::Subscription s = c.Subscribe("fw");
  c.faults.miss_deactivations = true;
  c.core.AgentDisconnected(agent, c.now);
  std::vector<common::v1::Offer> offers = FirstOffers(c, s.framework_id, 1);
  TaskStatus st = Refused(c, s, AcceptOffers(s, offers, "t1", 1), common::v1::TASK_LOST,
                          TaskStatus::REASON_INVALID_OFFERS);
  CHECK(st.message() == "the agent of the offers is no longer available");
  CHECK(c.core.outstanding_offers() == 0);
  CHECK(c.port.errors() == 0);
}

TEST_CASE("accept: tasks that fail alone — agent_id, resources, a running task's id") {
  Cluster c;
  std::string agent = c.AddAgent("a1", 4, 1024);
  MasterCore::Subscription s = c.Subscribe("fw");
  REQUIRE(c.Start(s, "running") == agent);
  c.Advance(absl::Seconds(6));  // the rest of the agent, offered again
  std::vector<common::v1::Offer> offers = c.Outstanding(s.framework_id);
  REQUIRE(offers.size() == 1);

  v1::AcceptRequest a = AcceptOffers(s, offers, "ok", 0.5);
  auto* launch = a.mutable_operations(0)->mutable_launch();
  auto add = [&](const std::string& id) {
    common::v1::TaskInfo* t = launch->add_task_infos();
    t->mutable_task_id()->set_value(id);
    t->mutable_command()->set_value("true");
    *t->add_resources() = Scalar("cpus", 0.1);
    *t->add_resources() = Scalar("mem", 16);
    return t;
  };
  add("other-agent")->mutable_agent_id()->set_value("m1-S9999");
  add("negative")->mutable_resources(0)->mutable_scalar()->set_value(-1);
  add("unparsable")->mutable_resources(1)->set_type(common::v1::Value::TYPE_TEXT);
  *add("not-offered")->add_resources() = Scalar("gpus", 1);
  add("running");  // the id of a task the framework runs
  REQUIRE(c.core.Accept(a, c.now).ok());
  c.Drain();

  std::map<std::string, TaskStatus> by_id;
  for (const TaskStatus& u : c.Updates(s.framework_id)) by_id[u.task_id().value()] = u;
  auto error = [&](const std::string& id) {
    INFO(id);
    REQUIRE(by_id.count(id) == 1);
    CHECK(by_id[id].state() == common::v1::TASK_ERROR);
    CHECK(by_id[id].reason() == TaskStatus::REASON_TASK_INVALID);
    return by_id[id].message();
  };
  CHECK(error("other-agent") == "agent_id: not the agent of the offers");
  CHECK(error("negative") == "resources[0].scalar.value: must be >= 0, got -1");
  CHECK(error("unparsable").find("resources[1]") != std::string::npos);
  CHECK(error("not-offered").find("not within what is left") != std::string::npos);
  CHECK(error("running") == "task_id: a task with this id is already running in the framework");
  // The running task is untouched; "ok" was launched.
  CHECK(by_id.count("ok") == 0);
  int launched = 0;
  for (const v1::MasterMessage& m : c.agent_msgs[agent]) {
    launched += m.has_run_task();
  }
  CHECK(launched == 2);  // "running", then "ok"
  const v1::ClusterState& state = c.S();
  REQUIRE(state.tasks_size() == 2);
  for (const common::v1::Task& t : state.tasks()) {
    INFO(t.task_id().value());
    CHECK(t.state() == (t.task_id().value() == "running" ? common::v1::TASK_RUNNING
                                                          : common::v1::TASK_STAGING));
  }
  CHECK(c.port.errors() == 0);
}

}  // namespace
}  // namespace dcos::master
