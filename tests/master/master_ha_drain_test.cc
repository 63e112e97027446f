// A drain survives a failover: two dcos-master processes over three real dcos-zk members; an
// operator drains an agent (3 s grace, gone when drained) at the leader; kill -9 of the
// leader; the standby leads, knows the drain from the registry, offers the agent to no one,
// tells it to kill its task when it re-registers, and marks it gone once the
// framework has acknowledged the task's end.

#include <signal.h>

#include <catch2/catch.hpp>
#include <grpcpp/create_channel.h>

#include "libs/testing/harness.h"
#include "protos/master/v1/operator.grpc.pb.h"
#include "tests/master/master_cluster.h"
#include "tests/master/sim_clients.h"
#include "tests/zk/zk_ensemble.h"

namespace dcos::testing {
namespace {

// Whether the framework was ever offered resources of agent `id`.
bool EverOffered(SimFramework& fw, const std::string& id) {
  return fw.Find([&](const mv1::Event& e) {
               if (!e.has_offers()) return false;
               for (const cv1::Offer& o : e.offers().offers()) {
                 if (o.agent_id().value() == id) return true;
               }
               return false;
             }).has_value();
}

// A KillTask of `task` among the agent's messages after Reregistered.
std::optional<mv1::KillTask> KillAfterReregistered(SimAgent& agent, const std::string& task) {
  bool reregistered = false;
  for (const mv1::MasterMessage& m : agent.received()) {
    if (m.has_reregistered()) reregistered = true;
    if (reregistered && m.has_kill_task() && m.kill_task().task_id().value() == task) {
      return m.kill_task();
    }
  }
  return std::nullopt;
}

TEST_CASE("dcos-master HA: a drain survives kill -9 of the leader") {
  TwoMasters masters;
  Master* leader = masters.leader;
  Master* standby = masters.standby;

  // Agent 1 runs the framework's task; agent 2 is idle.
  TwoAgentsOneTask cluster = StartTwoAgentsOneTask(leader->address, "drain");
  const std::string id1 = cluster.id1, id2 = cluster.id2;
  const cv1::FrameworkInfo info = cluster.framework;
  const std::string fid = info.id().value();

  // The operator drains agent 1 at the leader: acknowledged once it is in the registry.
  {
    grpc::ClientContext ctx;
    mv1::DrainAgentRequest req;
    req.mutable_agent_id()->set_value(id1);
    req.mutable_max_grace_period()->set_seconds(3);
    req.set_mark_gone(true);
    mv1::DrainAgentResponse resp;
    grpc::Status s = OperatorAt(leader->address)->DrainAgent(&ctx, req, &resp);
    INFO(s.error_message());
    REQUIRE(s.ok());
  }
  REQUIRE(WaitFor([&] {
            return cluster.agent1->Find([](const auto& m) {
                     return m.has_kill_task();
                   }).has_value();
          }, absl::Seconds(10), "the old leader's kill").ok());

  // kill -9 of the leader before the task is killed; everyone goes to the standby.
  leader->process->Signal(SIGKILL);
  REQUIRE(leader->process->WaitExit(absl::Seconds(10)).ok());
  cluster = {};  // the streams to the dead leader end
  REQUIRE(WaitFor([&] { return Elected(standby->address); }, absl::Seconds(20),
                  "the standby to lead").ok());

  // The new leader knows the drain from the registry before agent 1 is back.
  std::optional<mv1::Agent> recovered = AgentNamed(standby->address, id1);
  REQUIRE(recovered.has_value());
  CHECK(recovered->state() == mv1::Agent::STATE_RECOVERED);
  CHECK(recovered->drain_state() == mv1::Agent::DRAIN_STATE_DRAINING);
  CHECK(recovered->deactivated());
  CHECK(recovered->drain_max_grace_period().seconds() == 3);

  // Both agents re-register, agent 1 still running web-1: it is told to kill it, 3 s grace.
  auto channel2 = grpc::CreateChannel(standby->address, grpc::InsecureChannelCredentials());
  SimAgent back1(channel2, Reregister("agent-1", id1, fid, "web-1", &info));
  SimAgent back2(channel2, Reregister("agent-2", id2, "", ""));
  REQUIRE(WaitFor([&] {
            return back1.Find([](const auto& m) { return m.has_reregistered(); }) &&
                   back2.Find([](const auto& m) { return m.has_reregistered(); });
          }, absl::Seconds(10), "both agents re-registered").ok());
  std::optional<mv1::KillTask> kill;
  REQUIRE(WaitFor([&] { return (kill = KillAfterReregistered(back1, "web-1")).has_value(); },
                  absl::Seconds(10), "the new leader's kill of web-1").ok());
  CHECK(kill->kill_policy().grace_period().seconds() == 3);

  // The framework is offered agent 2 and never agent 1 (both were back before it subscribed,
  // so an allocation that offers agent 2 would have offered agent 1 with it).
  SimFramework again(channel2, info);
  REQUIRE(WaitFor([&] { return EverOffered(again, id2); }, absl::Seconds(10),
                  "an offer of agent 2").ok());
  CHECK(!EverOffered(again, id1));
  std::optional<mv1::Agent> draining = AgentNamed(standby->address, id1);
  REQUIRE(draining.has_value());
  CHECK(draining->state() == mv1::Agent::STATE_ACTIVE);
  CHECK(draining->drain_state() == mv1::Agent::DRAIN_STATE_DRAINING);
  CHECK(draining->offered_resources_size() == 0);

  // web-1 is killed: agent 1 is drained, and gone as the operator asked.
  {
    mv1::AgentMessage m;
    m.mutable_status_update()->mutable_framework_id()->set_value(fid);
    cv1::TaskStatus* s = m.mutable_status_update()->mutable_status();
    s->mutable_task_id()->set_value("web-1");
    s->set_state(cv1::TASK_KILLED);
    s->set_source(cv1::TaskStatus::SOURCE_EXECUTOR);
    s->set_uuid(std::string(16, '\x09'));
    m.mutable_status_update()->set_latest_state(cv1::TASK_KILLED);
    back1.Send(m);
  }
  REQUIRE(WaitFor([&] {
            return again.Find([](const mv1::Event& e) {
                         return e.has_update() &&
                                e.update().status().state() == cv1::TASK_KILLED &&
                                e.update().status().reason() ==
                                    cv1::TaskStatus::REASON_AGENT_DRAINING;
                       }).has_value();
          }, absl::Seconds(10), "the framework's KILLED (REASON_AGENT_DRAINING)").ok());
  // Drained, so gone, once the framework acknowledged web-1's end (the agent holds that update
  // until then).
  {
    std::optional<mv1::Event> subscribed =
        again.Find([](const mv1::Event& e) { return e.has_subscribed(); });
    REQUIRE(subscribed.has_value());
    grpc::ClientContext ctx;
    mv1::AcknowledgeRequest ack;
    ack.mutable_framework_id()->set_value(fid);
    ack.set_stream_id(subscribed->subscribed().stream_id());
    ack.mutable_agent_id()->set_value(id1);
    ack.mutable_task_id()->set_value("web-1");
    ack.set_uuid(std::string(16, '\x09'));
    mv1::AcknowledgeResponse acked;
    REQUIRE(again.stub().Acknowledge(&ctx, ack, &acked).ok());
  }
  REQUIRE(WaitFor([&] {
            return back1.Find([](const auto& m) { return m.has_shutdown(); }).has_value();
          }, absl::Seconds(10), "agent 1 shut down (gone)").ok());
  std::optional<mv1::Agent> gone = AgentNamed(standby->address, id1);
  REQUIRE(gone.has_value());
  CHECK(gone->state() == mv1::Agent::STATE_GONE);

  Terminate(*standby);
}

}  // namespace
}  // namespace dcos::testing
