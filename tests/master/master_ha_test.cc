// Two dcos-master processes over three real dcos-zk members: one leads, the standby redirects;
// kill -9 of the leader; the standby takes over, recovers the registry (the agents it has not
// heard from are RECOVERED, then UNREACHABLE when they stay away), the agent and the framework
// reconnect to it, and no task is forgotten.

#include <signal.h>

#include <catch2/catch.hpp>
#include <grpcpp/create_channel.h>

#include "absl/strings/str_cat.h"
#include "libs/status/grpc_status.h"
#include "libs/testing/harness.h"
#include "libs/testing/process.h"
#include "protos/common/v1/errors.pb.h"
#include "protos/master/v1/operator.grpc.pb.h"
#include "tests/master/master_cluster.h"
#include "tests/master/sim_clients.h"
#include "tests/zk/zk_ensemble.h"

namespace dcos::testing {
namespace {

TEST_CASE("dcos-master HA: the standby redirects, takes over from a killed leader, forgets no task") {
  ZkTestEnsemble zk({"--zk.min_session_timeout=500ms"});
  REQUIRE(zk.StartAll().ok());
  std::string dir = MakeTempDir("masters");
  Master a = StartMaster("master-a", zk, dir);
  Master b = StartMaster("master-b", zk, dir);
  Master* leader = nullptr;
  Master* standby = nullptr;
  REQUIRE(WaitFor([&] {
            bool ea = Elected(a.address), eb = Elected(b.address);
            if (ea == eb) return false;
            leader = ea ? &a : &b;
            standby = ea ? &b : &a;
            return true;
          }, absl::Seconds(20), "exactly one elected master").ok());

  // The standby refuses and names the leader, in the message and as LeaderInfo.
  auto standby_op = mv1::Operator::NewStub(
      grpc::CreateChannel(standby->address, grpc::InsecureChannelCredentials()));
  REQUIRE(WaitFor([&] {
            grpc::ClientContext ctx;
            mv1::GetStateResponse resp;
            grpc::Status s = standby_op->GetState(&ctx, {}, &resp);
            return s.error_code() == grpc::StatusCode::UNAVAILABLE &&
                   s.error_message().find(leader->address.substr(leader->address.find(':'))) !=
                       std::string::npos;
          }, absl::Seconds(10), "the standby to name the leader").ok());
  {
    grpc::ClientContext ctx;
    mv1::GetStateResponse resp;
    absl::Status s = status::FromGrpc(standby_op->GetState(&ctx, {}, &resp));
    auto payload = s.GetPayload(status::TypeUrl("dcos.common.v1.LeaderInfo"));
    REQUIRE(payload.has_value());
    cv1::LeaderInfo info;
    REQUIRE(info.ParseFromString(std::string(*payload)));
    CHECK(info.known());
    CHECK(absl::StrCat(info.address().ip(), ":", info.address().port()) == leader->address);
  }

  // Two agents and a framework with a running task on the first.
  auto channel = grpc::CreateChannel(leader->address, grpc::InsecureChannelCredentials());
  auto agent1 = std::make_unique<SimAgent>(channel, RegisterMessage("agent-1"));
  auto agent2 = std::make_unique<SimAgent>(channel, RegisterMessage("agent-2"));
  std::string id1, id2;
  REQUIRE(WaitFor([&] {
            auto r1 = agent1->Find([](const auto& m) { return m.has_registered(); });
            auto r2 = agent2->Find([](const auto& m) { return m.has_registered(); });
            if (r1) id1 = r1->registered().agent_id().value();
            if (r2) id2 = r2->registered().agent_id().value();
            return r1.has_value() && r2.has_value();
          }, absl::Seconds(10), "both agents registered").ok());
  auto fw = std::make_unique<SimFramework>(channel, Framework("ha"));
  std::string fid, stream_id;
  cv1::Offer offer;
  REQUIRE(WaitFor([&] {
            for (const auto& e : fw->events()) {
              if (e.has_subscribed()) {
                fid = e.subscribed().framework_id().value();
                stream_id = e.subscribed().stream_id();
              }
              if (e.has_offers()) {
                for (const auto& o : e.offers().offers()) {
                  if (o.agent_id().value() == id1) offer = o;
                }
              }
            }
            return !offer.id().value().empty();
          }, absl::Seconds(10), "an offer of agent 1").ok());
  {
    grpc::ClientContext ctx;
    mv1::AcceptRequest req;
    req.mutable_framework_id()->set_value(fid);
    req.set_stream_id(stream_id);
    *req.add_offer_ids() = offer.id();
    cv1::TaskInfo* t = req.add_operations()->mutable_launch()->add_task_infos();
    t->set_name("web");
    t->mutable_task_id()->set_value("web-1");
    t->mutable_command()->set_value("serve");
    *t->add_resources() = Scalar("cpus", 1);
    *t->add_resources() = Scalar("mem", 128);
    mv1::AcceptResponse resp;
    REQUIRE(fw->stub().Accept(&ctx, req, &resp).ok());
  }
  REQUIRE(WaitFor([&] {
            return agent1->Find([](const auto& m) { return m.has_run_task(); }).has_value();
          }, absl::Seconds(10), "RunTask").ok());

  // kill -9 of the leader.
  absl::Time killed = absl::Now();
  leader->process->Signal(SIGKILL);
  REQUIRE(leader->process->WaitExit(absl::Seconds(10)).ok());
  agent1.reset();
  agent2.reset();
  fw.reset();
  REQUIRE(WaitFor([&] { return Elected(standby->address); }, absl::Seconds(20),
                  "the standby to lead").ok());
  INFO("took over after " << absl::FormatDuration(absl::Now() - killed));

  // It recovered both agents from the registry and waits for them.
  std::vector<mv1::Agent> recovered = Agents(standby->address);
  REQUIRE(recovered.size() == 2);
  for (const auto& agent : recovered) CHECK(agent.state() == mv1::Agent::STATE_RECOVERED);

  // Agent 1 comes back with its task; the framework re-subscribes with its id.
  auto channel2 = grpc::CreateChannel(standby->address, grpc::InsecureChannelCredentials());
  SimAgent back(channel2, Reregister("agent-1", id1, fid, "web-1"));
  REQUIRE(WaitFor([&] {
            return back.Find([](const auto& m) { return m.has_reregistered(); }).has_value();
          }, absl::Seconds(10), "Reregistered by the new leader").ok());
  cv1::FrameworkInfo info = Framework("ha");
  info.mutable_id()->set_value(fid);
  SimFramework again(channel2, info);
  REQUIRE(WaitFor([&] {
            return again.Find([&](const auto& e) {
                       return e.has_subscribed() && e.subscribed().framework_id().value() == fid;
                     }).has_value();
          }, absl::Seconds(10), "the framework re-subscribed with its id").ok());
  {
    grpc::ClientContext ctx;
    mv1::GetTasksResponse resp;
    auto op = mv1::Operator::NewStub(channel2);
    REQUIRE(op->GetTasks(&ctx, {}, &resp).ok());
    REQUIRE(resp.tasks_size() == 1);
    CHECK(resp.tasks(0).task_id().value() == "web-1");
    CHECK(resp.tasks(0).state() == cv1::TASK_RUNNING);
  }
  // Agent 2 stays away: after the re-registration window it is unreachable.
  REQUIRE(WaitFor([&] {
            for (const auto& agent : Agents(standby->address)) {
              if (agent.agent_info().id().value() == id2 &&
                  agent.state() == mv1::Agent::STATE_UNREACHABLE) {
                return true;
              }
            }
            return false;
          }, absl::Seconds(15), "agent 2 unreachable").ok());

  standby->process->Signal(SIGTERM);
  absl::StatusOr<int> code = standby->process->WaitExit(absl::Seconds(10));
  REQUIRE(code.ok());
  CHECK(*code == 0);
}

}  // namespace
}  // namespace dcos::testing
