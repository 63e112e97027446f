// A real dcos-master process on loopback with a simulated agent and a framework speaking the
// real gRPC APIs: registration, offers, launch, status relay and acknowledgement, operator
// state, agent loss (missed pings) and re-registration, bad input refused, clean shutdown.

#include <signal.h>

#include <atomic>
#include <sstream>
#include <map>
#include <optional>
#include <thread>

#include <catch2/catch.hpp>
#include <grpcpp/create_channel.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "libs/testing/harness.h"
#include "libs/testing/process.h"
#include "protos/common/v1/errors.pb.h"
#include "protos/master/v1/agent_channel.grpc.pb.h"
#include "protos/master/v1/operator.grpc.pb.h"
#include "protos/master/v1/scheduler.grpc.pb.h"
#include "tests/master/sim_clients.h"
#include "tools/dcos/cli.h"

namespace dcos::testing {
namespace {

TEST_CASE("dcos-master: an agent and a framework run a task through a real master") {
  std::string dir = MakeTempDir("master");
  std::string address = absl::StrCat("127.0.0.1:", FreePort());
  std::string metrics = absl::StrCat("127.0.0.1:", FreePort());
  auto master = TestProcess::Start(
      {"master", Runfile("services/master/dcos-master"),
       {"--grpc.listen=" + address, "--metrics.listen=" + metrics, "--shutdown.grace=1s",
        "--master.agent_ping_timeout=200ms", "--master.max_agent_ping_timeouts=3",
        "--master.allocation_interval=100ms", "--master.agent_removal_interval=100ms"},
       dir});
  REQUIRE(master.ok());
  REQUIRE(WaitServing(address, grpc::InsecureChannelCredentials(), absl::Seconds(30)).ok());
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());

  // Bad input is refused with the field named.
  {
    cv1::FrameworkInfo no_user = Framework("x");
    no_user.clear_user();
    grpc::ClientContext ctx;
    mv1::SubscribeRequest req;
    *req.mutable_framework_info() = no_user;
    auto reader = mv1::Scheduler::NewStub(channel)->Subscribe(&ctx, req);
    mv1::Event e;
    CHECK_FALSE(reader->Read(&e));
    grpc::Status s = reader->Finish();
    CHECK(s.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK(s.error_message().find("framework_info.user") != std::string::npos);
  }

  // An operator subscriber: the state first, then every change.
  grpc::ClientContext op_ctx;
  auto op_stream = mv1::Operator::NewStub(channel)->Subscribe(&op_ctx, {});
  absl::Mutex op_mu;
  std::vector<mv1::OperatorEvent> op_events;
  std::thread op_reader([&] {
    mv1::OperatorEvent e;
    while (op_stream->Read(&e)) {
      absl::MutexLock lock(&op_mu);
      op_events.push_back(e);
    }
  });
  auto op_saw = [&](auto pred) {
    absl::MutexLock lock(&op_mu);
    for (const auto& e : op_events) {
      if (pred(e)) return true;
    }
    return false;
  };
  REQUIRE(WaitFor([&] { return op_saw([](const auto& e) { return e.has_subscribed(); }); },
                  absl::Seconds(10), "the operator snapshot").ok());

  auto agent = std::make_unique<SimAgent>(channel, RegisterMessage());
  std::string agent_id;
  REQUIRE(WaitFor([&] {
            auto m = agent->Find([](const auto& m) { return m.has_registered(); });
            if (m) agent_id = m->registered().agent_id().value();
            return m.has_value();
          }, absl::Seconds(10), "Registered").ok());

  SimFramework fw(channel, Framework("test"));
  std::string fid, stream_id;
  cv1::Offer offer;
  REQUIRE(WaitFor([&] {
            for (const auto& e : fw.events()) {
              if (e.has_subscribed()) {
                fid = e.subscribed().framework_id().value();
                stream_id = e.subscribed().stream_id();
              }
              if (e.has_offers() && e.offers().offers_size() > 0) offer = e.offers().offers(0);
            }
            return !offer.id().value().empty();
          }, absl::Seconds(10), "an offer").ok());
  CHECK(offer.agent_id().value() == agent_id);

  // A call with another stream id is refused with the reason as an ErrorInfo detail.
  {
    grpc::ClientContext ctx;
    mv1::ReviveRequest req;
    req.mutable_framework_id()->set_value(fid);
    req.set_stream_id("not-mine");
    mv1::ReviveResponse resp;
    grpc::Status s = fw.stub().Revive(&ctx, req, &resp);
    CHECK(s.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
    CHECK(s.error_message().find("STREAM_ID_MISMATCH") != std::string::npos);
  }

  // Launch.
  {
    grpc::ClientContext ctx;
    mv1::AcceptRequest req;
    req.mutable_framework_id()->set_value(fid);
    req.set_stream_id(stream_id);
    *req.add_offer_ids() = offer.id();
    cv1::TaskInfo* t = req.add_operations()->mutable_launch()->add_task_infos();
    t->set_name("sleeper");
    t->mutable_task_id()->set_value("sleeper-1");
    t->mutable_command()->set_value("sleep 1000");
    *t->add_resources() = Scalar("cpus", 1);
    *t->add_resources() = Scalar("mem", 128);
    mv1::AcceptResponse resp;
    REQUIRE(fw.stub().Accept(&ctx, req, &resp).ok());
  }
  REQUIRE(WaitFor([&] {
            return agent->Find([](const auto& m) { return m.has_run_task(); }).has_value();
          }, absl::Seconds(10), "RunTask").ok());

  // The agent reports RUNNING; the framework sees it and acknowledges; the agent gets the ack.
  const std::string uuid(16, '\x07');
  {
    mv1::AgentMessage m;
    m.mutable_status_update()->mutable_framework_id()->set_value(fid);
    cv1::TaskStatus* s = m.mutable_status_update()->mutable_status();
    s->mutable_task_id()->set_value("sleeper-1");
    s->set_state(cv1::TASK_RUNNING);
    s->set_source(cv1::TaskStatus::SOURCE_EXECUTOR);
    s->set_uuid(uuid);
    m.mutable_status_update()->set_latest_state(cv1::TASK_RUNNING);
    agent->Send(m);
  }
  REQUIRE(WaitFor([&] {
            return fw.Find([](const auto& e) {
                       return e.has_update() && e.update().status().state() == cv1::TASK_RUNNING;
                     }).has_value();
          }, absl::Seconds(10), "the RUNNING update").ok());
  {
    grpc::ClientContext ctx;
    mv1::AcknowledgeRequest req;
    req.mutable_framework_id()->set_value(fid);
    req.set_stream_id(stream_id);
    req.mutable_agent_id()->set_value(agent_id);
    req.mutable_task_id()->set_value("sleeper-1");
    req.set_uuid(uuid);
    mv1::AcknowledgeResponse resp;
    REQUIRE(fw.stub().Acknowledge(&ctx, req, &resp).ok());
  }
  REQUIRE(WaitFor([&] {
            return agent->Find([&](const auto& m) {
                       return m.has_status_update_ack() && m.status_update_ack().uuid() == uuid;
                     }).has_value();
          }, absl::Seconds(10), "the acknowledgement at the agent").ok());

  // The operator sees it, on the stream and in the state.
  REQUIRE(WaitFor([&] {
            return op_saw([](const auto& e) { return e.has_agent_added(); }) &&
                   op_saw([](const auto& e) {
                     return e.has_task_added() && e.task_added().task().task_id().value() ==
                                                      "sleeper-1";
                   }) &&
                   op_saw([](const auto& e) {
                     return e.has_task_updated() && e.task_updated().state() == cv1::TASK_RUNNING;
                   });
          }, absl::Seconds(10), "operator events").ok());
  op_ctx.TryCancel();
  op_reader.join();
  auto op = mv1::Operator::NewStub(channel);
  {
    grpc::ClientContext ctx;
    mv1::GetTasksResponse resp;
    REQUIRE(op->GetTasks(&ctx, {}, &resp).ok());
    REQUIRE(resp.tasks_size() == 1);
    CHECK(resp.tasks(0).state() == cv1::TASK_RUNNING);
    CHECK(resp.tasks(0).agent_id().value() == agent_id);
  }
  {
    grpc::ClientContext ctx;
    mv1::GetLeaderResponse resp;
    REQUIRE(op->GetLeader(&ctx, {}, &resp).ok());
    CHECK(resp.elected());
    CHECK(resp.leader().known());
  }

  // The CLI shows the same.
  auto dcos = [&](std::vector<std::string> args, std::string* out) {
    args.insert(args.begin(), "--master=" + address);
    std::ostringstream o, e;
    int code = cli::Run(args, [](const char*) -> const char* { return nullptr; }, o, e);
    *out = o.str() + e.str();
    return code;
  };
  std::string out;
  CHECK(dcos({"node", "list"}, &out) == 0);
  CHECK(out.find(agent_id) != std::string::npos);
  CHECK(out.find("active") != std::string::npos);
  CHECK(out.find("1/4") != std::string::npos);  // cpus used of total
  CHECK(dcos({"framework", "list"}, &out) == 0);
  CHECK(out.find(fid) != std::string::npos);
  CHECK(out.find("test") != std::string::npos);
  CHECK(dcos({"master", "state"}, &out) == 0);
  CHECK(out.find("\"sleeper-1\"") != std::string::npos);
  CHECK(dcos({"task", "list"}, &out) == 0);
  CHECK(out.find("sleeper-1") != std::string::npos);
  CHECK(out.find("running") != std::string::npos);
  CHECK(dcos({"node", "frobnicate"}, &out) == 2);

  // Mesos's master metrics, by state, within a second.
  REQUIRE(WaitFor([&] {
            absl::StatusOr<std::string> page = HttpGet(metrics, "/metrics");
            return page.ok() &&
                   page->find("dcos_master_agents{state=\"active\"} 1") != std::string::npos &&
                   page->find("dcos_master_tasks{state=\"running\"} 1") != std::string::npos &&
                   page->find("dcos_master_elected 1") != std::string::npos &&
                   page->find("dcos_master_resources{kind=\"used\",resource=\"cpus\"} 1") !=
                       std::string::npos;
          }, absl::Seconds(10), "the master's metrics").ok());

  // The agent goes silent: after 3 missed pings it is unreachable and the task lost.
  agent->SetHealthy(false);
  REQUIRE(WaitFor([&] {
            return fw.Find([](const auto& e) {
                       return e.has_update() && e.update().status().state() == cv1::TASK_LOST;
                     }).has_value();
          }, absl::Seconds(10), "TASK_LOST").ok());
  CHECK(WaitFor([&] { return fw.Find([](const auto& e) { return e.has_failure(); }).has_value(); },
                absl::Seconds(10), "FAILURE").ok());
  agent.reset();

  // It comes back with the task still running: re-admitted.
  mv1::AgentMessage rereg;
  *rereg.mutable_reregister_agent()->mutable_agent_info() =
      RegisterMessage().register_agent().agent_info();
  rereg.mutable_reregister_agent()->mutable_agent_info()->mutable_id()->set_value(agent_id);
  cv1::Task* task = rereg.mutable_reregister_agent()->add_tasks();
  task->mutable_task_id()->set_value("sleeper-1");
  task->mutable_framework_id()->set_value(fid);
  task->set_state(cv1::TASK_RUNNING);
  *task->add_resources() = Scalar("cpus", 1);
  *task->add_resources() = Scalar("mem", 128);
  SimAgent back(channel, rereg);
  REQUIRE(WaitFor([&] {
            return back.Find([](const auto& m) { return m.has_reregistered(); }).has_value();
          }, absl::Seconds(10), "Reregistered").ok());
  REQUIRE(WaitFor([&] {
            grpc::ClientContext ctx;
            mv1::GetAgentsResponse resp;
            return op->GetAgents(&ctx, {}, &resp).ok() && resp.agents_size() == 1 &&
                   resp.agents(0).state() == mv1::Agent::STATE_ACTIVE;
          }, absl::Seconds(10), "the agent active again").ok());

  (*master)->Signal(SIGTERM);
  absl::StatusOr<int> code = (*master)->WaitExit(absl::Seconds(10));
  REQUIRE(code.ok());
  CHECK(*code == 0);
}

}  // namespace
}  // namespace dcos::testing

namespace dcos::testing {
namespace {

TEST_CASE("dcos-master: role weights and quota from config; bad config names the field") {
  std::string dir = MakeTempDir("master-roles");
  std::string address = absl::StrCat("127.0.0.1:", FreePort());
  auto master = TestProcess::Start(
      {"master-roles", Runfile("services/master/dcos-master"),
       {"--grpc.listen=" + address, "--metrics.listen=", "--shutdown.grace=1s",
        "--master.weights=dev=2,ads=0.5", "--master.quotas=dev=cpus:1;mem:64"},
       dir});
  REQUIRE(master.ok());
  REQUIRE(WaitServing(address, grpc::InsecureChannelCredentials(), absl::Seconds(30)).ok());
  auto op = mv1::Operator::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  mv1::GetRolesResponse roles;
  REQUIRE(op->GetRoles(&ctx, {}, &roles).ok());
  std::map<std::string, mv1::Role> by_name;
  for (const auto& r : roles.roles()) by_name[r.name()] = r;
  REQUIRE(by_name.count("dev") == 1);
  CHECK(by_name["dev"].weight() == Approx(2));
  CHECK(by_name["dev"].quota_guarantee_size() == 2);
  REQUIRE(by_name.count("ads") == 1);
  CHECK(by_name["ads"].weight() == Approx(0.5));

  for (const char* bad : {"--master.weights=dev=zero", "--master.weights=dev",
                          "--master.quotas=dev=cpus:lots"}) {
    INFO(bad);
    auto p = TestProcess::Start({"master-bad", Runfile("services/master/dcos-master"),
                                 {"--grpc.listen=127.0.0.1:0", "--metrics.listen=", bad},
                                 dir});
    REQUIRE(p.ok());
    absl::StatusOr<int> code = (*p)->WaitExit(absl::Seconds(20));
    REQUIRE(code.ok());
    CHECK(*code != 0);
    std::string field = std::string(bad).substr(2, std::string(bad).find('=') - 2);
    CHECK((*p)->Log().find(field) != std::string::npos);
  }
}

}  // namespace
}  // namespace dcos::testing
