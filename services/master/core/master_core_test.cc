// The master core with the real DRF allocator and simulated agents and frameworks on a
// simulated clock: admission, offers, launch, status relay and acknowledgement, every
// rejection path of Accept, kill, reconciliation, agent loss (rate-limited) and return,
// framework failover timeout, teardown, decline filters, drain and gone.

#include "services/master/core/master_core_test_cluster.h"

namespace dcos::master {
namespace {

using common::v1::TaskStatus;
using testing::Cluster;
using testing::Scalar;
using testing::Uuid;

TEST_CASE("master core: an agent is admitted (registry first) and told its id") {
  Cluster c;
  std::string id = c.AddAgent("a1");
  CHECK(id == "m1-S0001");
  REQUIRE(c.registry.size() == 1);
  CHECK(c.registry[0].kind == RegistryOp::Kind::kAdmit);
  CHECK(c.registry[0].agent.id().value() == id);
  REQUIRE(c.agent_msgs[id].size() == 1);
  CHECK(c.agent_msgs[id][0].registered().agent_id().value() == id);
  CHECK(c.agent_msgs[id][0].registered().max_ping_timeouts() == 3);

  // Malformed registrations are refused and change nothing.
  v1::Register bad;
  bad.mutable_agent_info()->mutable_address()->set_hostname("a2");
  bad.mutable_agent_info()->mutable_address()->set_port(5051);
  *bad.mutable_agent_info()->add_resources() = Scalar("cpus", 1);
  absl::StatusOr<std::string> refused = c.core.RegisterAgent(bad, c.now);
  CHECK(refused.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(refused.status().message().find("mem") != std::string::npos);
  bad.mutable_agent_info()->mutable_id()->set_value("x");
  CHECK(c.core.RegisterAgent(bad, c.now).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(c.core.TakeOutbox().empty());
  CHECK(c.S().agents_size() == 1);
}

TEST_CASE("master core: offer, launch, status relay, acknowledgement, release") {
  Cluster c;
  std::string agent = c.AddAgent("a1");
  MasterCore::Subscription s = c.Subscribe("fw");
  CHECK(c.events[s.framework_id][0].subscribed().stream_id() == s.stream_id);
  c.Advance(absl::Seconds(1));
  std::vector<common::v1::Offer> offers = c.Offers(s.framework_id);
  REQUIRE(offers.size() == 1);
  CHECK(offers[0].agent_id().value() == agent);
  CHECK(offers[0].hostname() == "a1");

  REQUIRE(c.core.Accept(c.Launch(s, offers[0], "t1", 1, 512), c.now).ok());
  c.Drain();
  REQUIRE(c.agent_msgs[agent].back().has_run_task());
  CHECK(c.agent_msgs[agent].back().run_task().task().task_id().value() == "t1");
  CHECK(c.agent_msgs[agent].back().run_task().task().agent_id().value() == agent);
  CHECK(c.core.outstanding_offers() == 0);
  REQUIRE(c.S().tasks_size() == 1);
  CHECK(c.S().tasks(0).state() == common::v1::TASK_STAGING);
  MasterCore::Stats stats = c.core.GetStats();
  CHECK(stats.agents_active == 1);
  CHECK(stats.frameworks_connected == 1);
  CHECK(stats.tasks[common::v1::TASK_STAGING] == 1);
  CHECK(stats.cpus_total == Approx(4));
  CHECK(stats.cpus_used == Approx(1));
  CHECK(stats.mem_used == Approx(512));
  CHECK(stats.outstanding_offers == 0);

  // The unused part comes back (after the default 5 s refuse filter) without t1's share.
  c.events.clear();
  c.Advance(absl::Seconds(6));
  offers = c.Offers(s.framework_id);
  REQUIRE(offers.size() == 1);
  for (const auto& r : offers[0].resources()) {
    if (r.name() == "cpus") CHECK(r.scalar().value() == Approx(3));
  }

  c.Update(agent, s.framework_id, "t1", common::v1::TASK_RUNNING, Uuid('a'));
  std::vector<TaskStatus> updates = c.Updates(s.framework_id);
  REQUIRE(updates.size() == 1);
  CHECK(updates[0].state() == common::v1::TASK_RUNNING);
  CHECK(updates[0].agent_id().value() == agent);
  v1::AcknowledgeRequest ack;
  ack.mutable_framework_id()->set_value(s.framework_id);
  ack.set_stream_id(s.stream_id);
  ack.mutable_agent_id()->set_value(agent);
  ack.mutable_task_id()->set_value("t1");
  ack.set_uuid(Uuid('a'));
  REQUIRE(c.core.Acknowledge(ack, c.now).ok());
  c.Drain();
  REQUIRE(c.agent_msgs[agent].back().has_status_update_ack());
  CHECK(c.agent_msgs[agent].back().status_update_ack().uuid() == Uuid('a'));
  ack.set_uuid("short");
  CHECK(c.core.Acknowledge(ack, c.now).code() == absl::StatusCode::kInvalidArgument);

  // Finished: resources are released at once; the task completes on acknowledgement.
  CHECK(c.core.GetStats().tasks_ended.empty());
  c.Update(agent, s.framework_id, "t1", common::v1::TASK_FINISHED, Uuid('b'));
  CHECK(c.S().tasks_size() == 1);
  CHECK(c.core.GetStats().tasks_ended.at(common::v1::TASK_FINISHED) == 1);
  c.Update(agent, s.framework_id, "t1", common::v1::TASK_FINISHED, Uuid('b'));  // a retry
  CHECK(c.core.GetStats().tasks_ended.at(common::v1::TASK_FINISHED) == 1);  // counted once
  ack.set_uuid(Uuid('b'));
  REQUIRE(c.core.Acknowledge(ack, c.now).ok());
  c.Drain();
  CHECK(c.S().tasks_size() == 0);
  REQUIRE(c.S().completed_tasks_size() == 1);
  CHECK(c.S().completed_tasks(0).state() == common::v1::TASK_FINISHED);
  CHECK(c.port.errors() == 0);
}

TEST_CASE("master core: every rejection path of accept") {
  Cluster c;
  std::string agent = c.AddAgent("a1", 2, 1024);
  std::string other_agent = c.AddAgent("a2", 2, 1024);
  MasterCore::Subscription s = c.Subscribe("fw");
  MasterCore::Subscription s2 = c.Subscribe("other");
  c.Advance(absl::Seconds(1));
  std::vector<common::v1::Offer> offers = c.Offers(s.framework_id);
  REQUIRE(!offers.empty());
  common::v1::Offer offer = offers[0];

  // Synchronous errors: stream, framework, malformed calls. Nothing consumed.
  v1::AcceptRequest a = c.Launch(s, offer, "t", 1, 128);
  a.set_stream_id("wrong");
  CHECK(c.core.Accept(a, c.now).message().find("STREAM_ID_MISMATCH") != std::string::npos);
  a.mutable_framework_id()->set_value("nobody");
  CHECK(c.core.Accept(a, c.now).message().find("FRAMEWORK_NOT_SUBSCRIBED") != std::string::npos);
  v1::AcceptRequest empty = c.Launch(s, offer, "t", 1, 128);
  empty.clear_offer_ids();
  CHECK(c.core.Accept(empty, c.now).code() == absl::StatusCode::kInvalidArgument);
  v1::AcceptRequest reserve = c.Launch(s, offer, "t", 1, 128);
  reserve.add_operations()->mutable_reserve();
  CHECK(c.core.Accept(reserve, c.now).code() == absl::StatusCode::kInvalidArgument);
  CHECK(c.core.outstanding_offers() == offers.size() + c.Offers(s2.framework_id).size());

  // Task-level rejections: TASK_ERROR each, the valid one launches.
  v1::AcceptRequest mixed = c.Launch(s, offer, "ok", 1, 256);
  auto* launch = mixed.mutable_operations(0)->mutable_launch();
  auto add = [&](const std::string& id, double cpus, double mem, bool command = true) {
    common::v1::TaskInfo* t = launch->add_task_infos();
    t->mutable_task_id()->set_value(id);
    if (command) t->mutable_command()->set_value("true");
    if (cpus > 0) *t->add_resources() = Scalar("cpus", cpus);
    if (mem > 0) *t->add_resources() = Scalar("mem", mem);
  };
  add("ok", 0.1, 32);             // duplicate id within the call
  add("too-big", 1.5, 32);        // more than what is left (1 cpu)
  add("a/b", 0.1, 32);            // not a valid sandbox name
  add("no-command", 0.1, 32, false);
  add("no-resources", 0, 0);
  REQUIRE(c.core.Accept(mixed, c.now).ok());
  c.Drain();
  std::map<std::string, TaskStatus> by_id;
  for (const TaskStatus& u : c.Updates(s.framework_id)) by_id[u.task_id().value()] = u;
  for (const char* id : {"too-big", "a/b", "no-command", "no-resources"}) {
    INFO(id);
    REQUIRE(by_id.count(id) == 1);
    CHECK(by_id[id].state() == common::v1::TASK_ERROR);
    CHECK(by_id[id].reason() == TaskStatus::REASON_TASK_INVALID);
  }
  REQUIRE(by_id.count("ok") == 1);  // the duplicate's error
  CHECK(by_id["ok"].state() == common::v1::TASK_ERROR);
  CHECK(c.S().tasks_size() == 1);

  // A used offer again: the tasks are lost with REASON_INVALID_OFFERS.
  c.events.clear();
  REQUIRE(c.core.Accept(c.Launch(s, offer, "late", 0.1, 32), c.now).ok());
  c.Drain();
  std::vector<TaskStatus> late = c.Updates(s.framework_id);
  REQUIRE(late.size() == 1);
  CHECK(late[0].state() == common::v1::TASK_LOST);
  CHECK(late[0].reason() == TaskStatus::REASON_INVALID_OFFERS);

  // Another framework's offer (DRF gave each framework one of the two agents). From the
  // state: c.events was cleared above, so Offers() would find none and check nothing.
  std::vector<common::v1::Offer> theirs = c.Outstanding(s2.framework_id);
  REQUIRE(!theirs.empty());
  c.events.clear();
  REQUIRE(c.core.Accept(c.Launch(s, theirs[0], "stolen", 0.1, 32), c.now).ok());
  c.Drain();
  REQUIRE(c.Updates(s.framework_id).size() == 1);
  CHECK(c.Updates(s.framework_id)[0].state() == common::v1::TASK_LOST);
  CHECK(c.Updates(s.framework_id)[0].reason() == TaskStatus::REASON_INVALID_OFFERS);
  CHECK(c.Outstanding(s2.framework_id).size() == theirs.size());  // still theirs
  (void)agent;
  (void)other_agent;
  CHECK(c.port.errors() == 0);
}

TEST_CASE("master core: agents missing pings become unreachable, rate-limited, and return") {
  Cluster c;
  std::string a1 = c.AddAgent("a1");
  std::string a2 = c.AddAgent("a2");
  MasterCore::Subscription lost = c.Subscribe("plain");
  MasterCore::Subscription aware = c.Subscribe("aware", /*partition_aware=*/true);
  c.Advance(absl::Seconds(1));
  // Launch one task of each framework, wherever their offers are.
  for (const auto& s : {lost, aware}) {
    std::vector<common::v1::Offer> offers = c.Offers(s.framework_id);
    REQUIRE(!offers.empty());
    REQUIRE(c.core.Accept(c.Launch(s, offers[0], "t-" + s.framework_id, 1, 128), c.now).ok());
    c.Drain();
    c.Update(offers[0].agent_id().value(), s.framework_id, "t-" + s.framework_id,
             common::v1::TASK_RUNNING, Uuid('r'));
  }
  c.events.clear();
  c.auto_pong = false;
  // Neither agent answers pings: after 3 missed pings both are overdue, but the removal
  // rate limit (burst 1, then one per 10 s) lets only one go at a time.
  for (int i = 0; i < 5; ++i) c.Advance(absl::Seconds(1));
  auto unreachable = [&] {
    int n = 0;
    for (const auto& a : c.S().agents()) n += a.state() == v1::Agent::STATE_UNREACHABLE;
    return n;
  };
  CHECK(unreachable() == 1);
  c.Advance(absl::Seconds(10));
  CHECK(unreachable() == 2);
  // An unreachable agent cannot be drained (the operator API's FAILED_PRECONDITION).
  CHECK(c.core.DrainAgent(c.S().agents(0).agent_info().id().value(), std::nullopt, false, c.now)
            .code() == absl::StatusCode::kFailedPrecondition);
  int marks = 0;
  for (const RegistryOp& op : c.registry) marks += op.kind == RegistryOp::Kind::kMarkUnreachable;
  CHECK(marks == 2);
  std::vector<TaskStatus> plain = c.Updates(lost.framework_id);
  REQUIRE(plain.size() == 1);
  CHECK(plain[0].state() == common::v1::TASK_LOST);
  CHECK(plain[0].reason() == TaskStatus::REASON_AGENT_REMOVED);
  std::vector<TaskStatus> partition = c.Updates(aware.framework_id);
  REQUIRE(partition.size() == 1);
  CHECK(partition[0].state() == common::v1::TASK_UNREACHABLE);
  CHECK(partition[0].has_unreachable_time());
  bool failure = false;
  for (const v1::Event& e : c.events[aware.framework_id]) failure |= e.has_failure();
  CHECK(failure);
  CHECK(c.core.outstanding_offers() == 0);

  // The agent of the partition-aware task comes back with it still running.
  std::string back = partition[0].agent_id().value();
  c.events.clear();
  v1::Reregister rr;
  *rr.mutable_agent_info() = c.infos[back];
  common::v1::Task* t = rr.add_tasks();
  t->mutable_task_id()->set_value("t-" + aware.framework_id);
  t->mutable_framework_id()->set_value(aware.framework_id);
  t->mutable_agent_id()->set_value(back);
  t->set_state(common::v1::TASK_RUNNING);
  *t->add_resources() = Scalar("cpus", 1);
  *t->add_resources() = Scalar("mem", 128);
  REQUIRE(c.core.ReregisterAgent(rr, c.now).ok());
  c.Drain();
  CHECK(c.registry.back().kind == RegistryOp::Kind::kAdmit);
  bool reachable = false;
  for (const RegistryOp& op : c.registry) reachable |= op.kind == RegistryOp::Kind::kMarkReachable;
  CHECK(reachable);
  std::vector<TaskStatus> again = c.Updates(aware.framework_id);
  REQUIRE(again.size() == 1);
  CHECK(again[0].state() == common::v1::TASK_RUNNING);
  CHECK(again[0].reason() == TaskStatus::REASON_AGENT_REREGISTERED);
  CHECK(c.agent_msgs[back].back().has_reregistered());
  CHECK(unreachable() == 1);
  CHECK(c.port.errors() == 0);
}

TEST_CASE("master core: a disconnected framework keeps its tasks until failover_timeout") {
  Cluster c;
  std::string agent = c.AddAgent("a1");
  MasterCore::Subscription s = c.Subscribe("fw", false, absl::Seconds(30));
  c.Advance(absl::Seconds(1));
  std::vector<common::v1::Offer> offers = c.Offers(s.framework_id);
  REQUIRE(c.core.Accept(c.Launch(s, offers[0], "t1", 1, 128), c.now).ok());
  c.Drain();
  c.Advance(absl::Seconds(6));  // the rest is offered again
  REQUIRE(c.core.outstanding_offers() == 1);

  c.core.FrameworkDisconnected(s.framework_id, s.stream_id, c.now);
  c.Drain();
  CHECK(c.core.outstanding_offers() == 0);
  c.Advance(absl::Seconds(20));
  CHECK(c.S().tasks_size() == 1);

  // Back in time: same id, new stream; the old stream id no longer works.
  common::v1::FrameworkInfo info = c.S().frameworks(0).framework_info();
  absl::StatusOr<MasterCore::Subscription> again = c.core.Subscribe(info, c.now);
  REQUIRE(again.ok());
  CHECK(again->framework_id == s.framework_id);
  CHECK(again->stream_id != s.stream_id);
  v1::ReviveRequest revive;
  revive.mutable_framework_id()->set_value(s.framework_id);
  revive.set_stream_id(s.stream_id);
  CHECK(c.core.Revive(revive, c.now).message().find("STREAM_ID_MISMATCH") != std::string::npos);
  c.Drain();
  CHECK(c.S().tasks_size() == 1);

  // A second subscription replaces the first, which gets an ERROR and is closed.
  c.events.clear();
  absl::StatusOr<MasterCore::Subscription> third = c.core.Subscribe(info, c.now);
  REQUIRE(third.ok());
  c.Drain();
  CHECK(c.events[s.framework_id].front().has_error());
  REQUIRE(!c.closed_frameworks.empty());
  CHECK(c.closed_frameworks.back() == s.framework_id + "/" + again->stream_id);

  // Gone for longer than failover_timeout: removed, tasks killed, id refused forever.
  c.core.FrameworkDisconnected(s.framework_id, third->stream_id, c.now);
  c.Advance(absl::Seconds(31));
  CHECK(c.S().frameworks_size() == 0);
  CHECK(c.S().completed_frameworks_size() == 1);
  CHECK(c.S().tasks_size() == 0);
  bool shutdown = false;
  for (const auto& m : c.agent_msgs[agent]) shutdown |= m.has_shutdown_framework();
  CHECK(shutdown);
  CHECK(c.core.Subscribe(info, c.now).status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(c.port.errors() == 0);
}

TEST_CASE("master core: decline filters, suppress and revive") {
  Cluster c;
  c.AddAgent("a1");
  MasterCore::Subscription s = c.Subscribe("fw");
  c.Advance(absl::Seconds(1));
  std::vector<common::v1::Offer> offers = c.Offers(s.framework_id);
  REQUIRE(offers.size() == 1);
  v1::DeclineRequest d;
  d.mutable_framework_id()->set_value(s.framework_id);
  d.set_stream_id(s.stream_id);
  *d.add_offer_ids() = offers[0].id();
  ToProto(absl::Seconds(30), d.mutable_filters()->mutable_refuse());
  REQUIRE(c.core.Decline(d, c.now).ok());
  c.events.clear();
  c.Advance(absl::Seconds(10));
  CHECK(c.Offers(s.framework_id).empty());  // refused for 30 s
  c.Advance(absl::Seconds(21));
  REQUIRE(c.Offers(s.framework_id).size() == 1);

  // Suppressed: nothing; revived: offers again, filters cleared.
  offers = c.Offers(s.framework_id);
  *d.mutable_offer_ids(0) = offers[0].id();
  REQUIRE(c.core.Decline(d, c.now).ok());
  v1::SuppressRequest sup;
  sup.mutable_framework_id()->set_value(s.framework_id);
  sup.set_stream_id(s.stream_id);
  REQUIRE(c.core.Suppress(sup, c.now).ok());
  c.events.clear();
  c.Advance(absl::Seconds(40));
  CHECK(c.Offers(s.framework_id).empty());
  v1::ReviveRequest rev;
  rev.mutable_framework_id()->set_value(s.framework_id);
  rev.set_stream_id(s.stream_id);
  REQUIRE(c.core.Revive(rev, c.now).ok());
  c.Advance(absl::Seconds(1));
  CHECK(c.Offers(s.framework_id).size() == 1);
  CHECK(c.port.errors() == 0);
}

TEST_CASE("master core: kill, reconcile, teardown") {
  Cluster c;
  std::string agent = c.AddAgent("a1");
  MasterCore::Subscription s = c.Subscribe("fw");
  c.RunTask(s, agent, "t1");
  c.events.clear();

  v1::KillRequest kill;
  kill.mutable_framework_id()->set_value(s.framework_id);
  kill.set_stream_id(s.stream_id);
  kill.mutable_task_id()->set_value("t1");
  ToProto(absl::Seconds(7), kill.mutable_kill_policy()->mutable_grace_period());
  REQUIRE(c.core.Kill(kill, c.now).ok());
  c.Drain();
  REQUIRE(c.agent_msgs[agent].back().has_kill_task());
  CHECK(c.agent_msgs[agent].back().kill_task().kill_policy().grace_period().seconds() == 7);
  kill.mutable_task_id()->set_value("nope");
  REQUIRE(c.core.Kill(kill, c.now).ok());
  c.Drain();
  REQUIRE(c.Updates(s.framework_id).size() == 1);
  CHECK(c.Updates(s.framework_id)[0].state() == common::v1::TASK_LOST);
  CHECK(c.Updates(s.framework_id)[0].reason() == TaskStatus::REASON_TASK_UNKNOWN);

  // Explicit: known and unknown tasks; implicit: every known task.
  c.events.clear();
  v1::ReconcileRequest rec;
  rec.mutable_framework_id()->set_value(s.framework_id);
  rec.set_stream_id(s.stream_id);
  rec.add_tasks()->mutable_task_id()->set_value("t1");
  rec.add_tasks()->mutable_task_id()->set_value("ghost");
  REQUIRE(c.core.Reconcile(rec, c.now).ok());
  c.Drain();
  std::vector<TaskStatus> answers = c.Updates(s.framework_id);
  REQUIRE(answers.size() == 2);
  CHECK(answers[0].state() == common::v1::TASK_RUNNING);
  CHECK(answers[0].reason() == TaskStatus::REASON_RECONCILIATION);
  CHECK(answers[0].uuid().empty());
  CHECK(answers[1].state() == common::v1::TASK_LOST);
  c.events.clear();
  rec.clear_tasks();
  REQUIRE(c.core.Reconcile(rec, c.now).ok());
  c.Drain();
  CHECK(c.Updates(s.framework_id).size() == 1);

  v1::TeardownRequest down;
  down.mutable_framework_id()->set_value(s.framework_id);
  down.set_stream_id(s.stream_id);
  REQUIRE(c.core.Teardown(down, c.now).ok());
  c.Drain();
  CHECK(c.events[s.framework_id].back().has_error());
  CHECK(c.agent_msgs[agent].back().has_shutdown_framework());
  CHECK(c.S().tasks_size() == 0);
  CHECK(c.core.Teardown(down, c.now).message().find("FRAMEWORK_NOT_SUBSCRIBED") !=
        std::string::npos);
  CHECK(c.port.errors() == 0);
}

TEST_CASE("master core: drain kills with the grace period, then marks the agent gone") {
  Cluster c;
  std::string agent = c.AddAgent("a1");
  MasterCore::Subscription s = c.Subscribe("fw");
  c.RunTask(s, agent, "t1");
  REQUIRE(c.core.DrainAgent(agent, absl::Seconds(2), /*mark_gone=*/true, c.now).ok());
  c.Drain();
  REQUIRE(c.agent_msgs[agent].back().has_kill_task());
  CHECK(c.agent_msgs[agent].back().kill_task().kill_policy().grace_period().seconds() == 2);
  CHECK(c.core.outstanding_offers() == 0);
  c.events.clear();
  c.Advance(absl::Seconds(10));
  CHECK(c.Offers(s.framework_id).empty());  // no offers from a draining agent
  CHECK(c.S().agents(0).drain_state() == v1::Agent::DRAIN_STATE_DRAINING);
  CHECK(c.core.GetStats().agents_deactivated == 1);

  c.Update(agent, s.framework_id, "t1", common::v1::TASK_KILLED, Uuid('k'));
  // Drained once the framework acknowledged the end of the agent's last task (the agent
  // holds that update until then: marking it gone earlier could lose it).
  CHECK(c.S().agents(0).state() == v1::Agent::STATE_ACTIVE);
  CHECK(c.S().agents(0).drain_state() == v1::Agent::DRAIN_STATE_DRAINING);
  c.Ack(s, agent, "t1");
  REQUIRE(c.S().agents_size() == 1);  // drained and gone: listed as gone, with its info
  CHECK(c.S().agents(0).state() == v1::Agent::STATE_GONE);
  CHECK(c.S().agents(0).agent_info().id().value() == agent);
  CHECK(c.S().agents(0).agent_info().address().hostname() == "a1");
  CHECK(c.registry.back().kind == RegistryOp::Kind::kMarkGone);
  CHECK(c.agent_msgs[agent].back().has_shutdown());
  // A gone agent that comes back is told to shut down.
  v1::Reregister rr;
  *rr.mutable_agent_info() = c.infos[agent];
  CHECK(c.core.ReregisterAgent(rr, c.now).code() == absl::StatusCode::kFailedPrecondition);
  CHECK(c.core.MarkAgentGone("unknown", c.now).code() == absl::StatusCode::kNotFound);
  // Draining it again is refused as the operator API says (gone: FAILED_PRECONDITION).
  CHECK(c.core.DrainAgent(agent, std::nullopt, false, c.now).code() ==
        absl::StatusCode::kFailedPrecondition);
  CHECK(c.core.DrainAgent("unknown", std::nullopt, false, c.now).code() ==
        absl::StatusCode::kNotFound);
  CHECK(c.port.errors() == 0);
}

TEST_CASE("master core: a new leader waits for registry agents, then marks the silent ones") {
  MasterCoreConfig config = Cluster::Defaults();
  config.agent_reregister_timeout = absl::Seconds(20);
  config.agent_removal_burst = 10;
  Cluster c(config);
  common::v1::AgentInfo a, b, d;
  for (auto* info : {&a, &b, &d}) {
    info->mutable_address()->set_hostname(info == &a ? "a" : info == &b ? "b" : "d");
    info->mutable_address()->set_port(5051);
    *info->add_resources() = Scalar("cpus", 2);
    *info->add_resources() = Scalar("mem", 512);
  }
  a.mutable_id()->set_value("old-S1");
  b.mutable_id()->set_value("old-S2");
  d.mutable_id()->set_value("old-S3");
  c.core.RecoverRegistry({a, b, d}, {}, {}, {}, c.now);
  v1::Reregister rr;
  *rr.mutable_agent_info() = a;
  common::v1::FrameworkInfo fw;
  fw.set_user("root");
  fw.set_name("fw");
  fw.mutable_id()->set_value("old-F1");
  ToProto(absl::Minutes(5), fw.mutable_failover_timeout());
  *rr.add_frameworks() = fw;
  common::v1::Task* t = rr.add_tasks();
  t->mutable_task_id()->set_value("t1");
  t->mutable_framework_id()->set_value("old-F1");
  t->set_state(common::v1::TASK_RUNNING);
  *t->add_resources() = Scalar("cpus", 1);
  *t->add_resources() = Scalar("mem", 64);
  const size_t registry_ops = c.registry.size();
  REQUIRE(c.core.ReregisterAgent(rr, c.now).ok());
  c.Drain();
  // The registry holds it as it is: a failover writes nothing per returning agent.
  CHECK(c.registry.size() == registry_ops);
  CHECK(c.S().tasks_size() == 1);
  REQUIRE(c.S().frameworks_size() == 1);
  CHECK(c.S().frameworks(0).recovered());
  c.Advance(absl::Seconds(10));
  // One that returns with other resources is written again.
  v1::Reregister changed;
  *changed.mutable_agent_info() = d;
  *changed.mutable_agent_info()->add_resources() = Scalar("disk", 1024);
  REQUIRE(c.core.ReregisterAgent(changed, c.now).ok());
  c.Drain();
  REQUIRE(c.registry.size() == registry_ops + 1);
  CHECK(c.registry.back().kind == RegistryOp::Kind::kAdmit);
  CHECK(c.registry.back().agent.resources_size() == 3);
  c.Advance(absl::Seconds(11));
  for (const auto& agent : c.S().agents()) {
    INFO(agent.agent_info().id().value());
    CHECK(agent.state() == (agent.agent_info().id().value() == "old-S2"
                                ? v1::Agent::STATE_UNREACHABLE
                                : v1::Agent::STATE_ACTIVE));
  }
  // The recovered framework re-subscribes with its id and keeps its task.
  absl::StatusOr<MasterCore::Subscription> s = c.core.Subscribe(fw, c.now);
  REQUIRE(s.ok());
  CHECK(s->framework_id == "old-F1");
  CHECK(c.S().tasks_size() == 1);
  CHECK(c.port.errors() == 0);
}

TEST_CASE("master core: a re-registered task with bad resources is left out of the allocation") {
  Cluster c;
  common::v1::AgentInfo a;
  a.mutable_id()->set_value("old-S1");
  a.mutable_address()->set_hostname("a");
  a.mutable_address()->set_port(5051);
  *a.add_resources() = Scalar("cpus", 8);
  *a.add_resources() = Scalar("mem", 4096);
  c.core.RecoverRegistry({a}, {}, {}, {}, c.now);
  v1::Reregister rr;
  *rr.mutable_agent_info() = a;
  common::v1::FrameworkInfo* fw = rr.add_frameworks();
  fw->set_user("root");
  fw->set_name("fw");
  fw->mutable_id()->set_value("F1");
  for (const char* id : {"good-1", "bad", "good-2"}) {
    common::v1::Task* t = rr.add_tasks();
    t->mutable_task_id()->set_value(id);
    t->mutable_framework_id()->set_value("F1");
    t->set_state(common::v1::TASK_RUNNING);
    *t->add_resources() = Scalar("cpus", std::string(id) == "bad" ? -1 : 1.5);
    *t->add_resources() = Scalar("mem", 100);
  }
  REQUIRE(c.core.ReregisterAgent(rr, c.now).ok());
  c.Drain();
  CHECK(c.port.errors() == 1);
  CHECK(c.port.last_error().message() == "resources[0].scalar.value: must be >= 0, got -1");
  double cpus = 0, mem = 0;
  for (const v1::Role& role : c.S().roles()) {
    for (const common::v1::Resource& r : role.allocated()) {
      if (r.name() == "cpus") cpus += r.scalar().value();
      if (r.name() == "mem") mem += r.scalar().value();
    }
  }
  CHECK(cpus == 3);
  CHECK(mem == 200);
}

}  // namespace
}  // namespace dcos::master
