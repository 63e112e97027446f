// Two dcos-master processes over three real dcos-zk members: one leads, the standby redirects;
// kill -9 of the leader; the standby takes over, recovers the registry (the agents it has not
// heard from are RECOVERED, then UNREACHABLE when they stay away), the agent and the framework
// reconnect to it, and no task is forgotten.

#include <signal.h>

#include <fstream>
#include <iterator>

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
  TwoMasters masters;
  Master* leader = masters.leader;
  Master* standby = masters.standby;

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
  TwoAgentsOneTask cluster = StartTwoAgentsOneTask(leader->address, "ha");
  const std::string id1 = cluster.id1, id2 = cluster.id2;
  const std::string fid = cluster.framework.id().value();

  // The standby has a warm copy of the registry with both agents (it looks every second).
  auto log_of = [](Master* m) {
    std::ifstream in(m->process->log_path());
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  };
  REQUIRE(WaitFor([&] {
            return log_of(standby).find("registry prefetched dir=admitted entries=2 ") !=
                   std::string::npos;
          }, absl::Seconds(20), "the standby to prefetch the registry").ok());

  // kill -9 of the leader.
  absl::Time killed = absl::Now();
  leader->process->Signal(SIGKILL);
  REQUIRE(leader->process->WaitExit(absl::Seconds(10)).ok());
  cluster = {};  // the streams to the dead leader end
  REQUIRE(WaitFor([&] { return Elected(standby->address); }, absl::Seconds(20),
                  "the standby to lead").ok());
  INFO("took over after " << absl::FormatDuration(absl::Now() - killed));

  // It recovered both agents from the registry (the warm copy: nothing changed since) and
  // waits for them.
  CHECK(log_of(standby).find("registry directory read dir=admitted entries=2 warm=true") !=
        std::string::npos);
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
            std::optional<mv1::Agent> agent2 = AgentNamed(standby->address, id2);
            return agent2.has_value() && agent2->state() == mv1::Agent::STATE_UNREACHABLE;
          }, absl::Seconds(15), "agent 2 unreachable").ok());

  Terminate(*standby);
}

}  // namespace
}  // namespace dcos::testing
