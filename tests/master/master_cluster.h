#pragma once

// Helpers for multi-process tests of dcos-master in HA mode: a real dcos-master over a
// ZkTestEnsemble with short timeouts, two of them with one elected, who is elected, the agents
// a master reports, two agents and a task on the leader, an agent's re-registration message,
// and the registry as dcos-zk holds it. Test-only.

#include <signal.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <grpcpp/create_channel.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/testing/harness.h"
#include "libs/testing/process.h"
#include "libs/zk/client.h"
#include "protos/master/v1/operator.grpc.pb.h"
#include "tests/master/sim_clients.h"
#include "tests/zk/zk_ensemble.h"

namespace dcos::testing {

struct Master {
  std::string address;
  std::unique_ptr<TestProcess> process;
};

// Starts a dcos-master on a free port contending through `zk_members` ("host:port,..."), with
// a 1 s dcos-zk session and short agent timeouts; each of `extra_flags` ("--name=value")
// replaces the default of the same name. Waits until it serves (as a standby or the leader).
inline Master StartMaster(const std::string& name, const std::string& zk_members,
                          const std::string& dir, std::vector<std::string> extra_flags = {}) {
  Master m;
  m.address = absl::StrCat("127.0.0.1:", FreePort());
  std::vector<std::string> flags = {
      "--grpc.listen=" + m.address, "--metrics.listen=", "--shutdown.grace=1s",
      "--master.zk=" + zk_members, "--master.zk_session_timeout=1s",
      "--master.agent_ping_timeout=300ms", "--master.max_agent_ping_timeouts=5",
      "--master.allocation_interval=100ms", "--master.agent_reregister_timeout=3s",
      "--master.agent_removal_interval=100ms"};
  for (const std::string& extra : extra_flags) {
    const std::string name_eq = extra.substr(0, extra.find('=') + 1);
    std::erase_if(flags, [&](const std::string& f) { return absl::StartsWith(f, name_eq); });
    flags.push_back(extra);
  }
  auto p = TestProcess::Start({name, Runfile("services/master/dcos-master"), flags, dir});
  REQUIRE(p.ok());
  m.process = *std::move(p);
  REQUIRE(WaitServing(m.address, grpc::InsecureChannelCredentials(), absl::Seconds(30)).ok());
  return m;
}

inline Master StartMaster(const std::string& name, const ZkTestEnsemble& zk,
                          const std::string& dir, std::vector<std::string> extra_flags = {}) {
  return StartMaster(name, zk.Joined(), dir, std::move(extra_flags));
}

inline std::unique_ptr<mv1::Operator::Stub> OperatorAt(const std::string& address) {
  return mv1::Operator::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
}

// The master at `address` answers that it leads.
inline bool Elected(const std::string& address) {
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
  mv1::GetLeaderResponse resp;
  return OperatorAt(address)->GetLeader(&ctx, {}, &resp).ok() && resp.elected();
}

// SIGTERM, and the master exits 0 within 10 s (REQUIREd).
inline void Terminate(Master& m) {
  m.process->Signal(SIGTERM);
  absl::StatusOr<int> code = m.process->WaitExit(absl::Seconds(10));
  REQUIRE(code.ok());
  CHECK(*code == 0);
}

// Three dcos-zk members (500 ms minimum session) and two masters over them (each with its
// extra flags, as StartMaster), one of them elected (REQUIREd within 20 s). Destroyed masters
// first (kill -9 of those still running), then the members.
struct TwoMasters {
  explicit TwoMasters(std::vector<std::string> a_flags = {}, std::vector<std::string> b_flags = {})
      : zk({"--zk.min_session_timeout=500ms"}) {
    REQUIRE(zk.StartAll().ok());
    const std::string dir = MakeTempDir("masters");
    a = StartMaster("master-a", zk, dir, std::move(a_flags));
    b = StartMaster("master-b", zk, dir, std::move(b_flags));
    REQUIRE(WaitFor([&] {
              bool ea = Elected(a.address), eb = Elected(b.address);
              if (ea == eb) return false;
              leader = ea ? &a : &b;
              standby = ea ? &b : &a;
              return true;
            }, absl::Seconds(20), "exactly one elected master").ok());
  }
  ZkTestEnsemble zk;
  Master a, b;
  Master* leader = nullptr;
  Master* standby = nullptr;
};

// The agents the master at `address` reports; empty if it does not answer.
inline std::vector<mv1::Agent> Agents(const std::string& address) {
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  mv1::GetAgentsResponse resp;
  if (!OperatorAt(address)->GetAgents(&ctx, {}, &resp).ok()) return {};
  return {resp.agents().begin(), resp.agents().end()};
}

// The agent `id` as the master at `address` reports it; nullopt if it is not listed.
inline std::optional<mv1::Agent> AgentNamed(const std::string& address, const std::string& id) {
  for (const mv1::Agent& a : Agents(address)) {
    if (a.agent_info().id().value() == id) return a;
  }
  return std::nullopt;
}

// On the leader at `address`: agents "agent-1" and "agent-2" registered, and a framework
// `name` whose task "web-1" (1 cpu, 128 MiB) was launched on agent 1 (RunTask received).
struct TwoAgentsOneTask {
  std::unique_ptr<SimAgent> agent1, agent2;
  std::unique_ptr<SimFramework> fw;
  std::string id1, id2;
  cv1::FrameworkInfo framework;  // its id set
};
inline TwoAgentsOneTask StartTwoAgentsOneTask(const std::string& address,
                                              const std::string& name) {
  TwoAgentsOneTask out;
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  out.agent1 = std::make_unique<SimAgent>(channel, RegisterMessage("agent-1"));
  out.agent2 = std::make_unique<SimAgent>(channel, RegisterMessage("agent-2"));
  REQUIRE(WaitFor([&] {
            auto r1 = out.agent1->Find([](const auto& m) { return m.has_registered(); });
            auto r2 = out.agent2->Find([](const auto& m) { return m.has_registered(); });
            if (r1) out.id1 = r1->registered().agent_id().value();
            if (r2) out.id2 = r2->registered().agent_id().value();
            return r1.has_value() && r2.has_value();
          }, absl::Seconds(10), "both agents registered").ok());
  out.framework = Framework(name);
  out.fw = std::make_unique<SimFramework>(channel, out.framework);
  std::string stream_id;
  cv1::Offer offer;
  REQUIRE(WaitFor([&] {
            for (const auto& e : out.fw->events()) {
              if (e.has_subscribed()) {
                *out.framework.mutable_id() = e.subscribed().framework_id();
                stream_id = e.subscribed().stream_id();
              }
              if (!e.has_offers()) continue;
              for (const auto& o : e.offers().offers()) {
                if (o.agent_id().value() == out.id1) offer = o;
              }
            }
            return !offer.id().value().empty();
          }, absl::Seconds(10), "an offer of agent 1").ok());
  grpc::ClientContext ctx;
  mv1::AcceptRequest req;
  *req.mutable_framework_id() = out.framework.id();
  req.set_stream_id(stream_id);
  *req.add_offer_ids() = offer.id();
  cv1::TaskInfo* t = req.add_operations()->mutable_launch()->add_task_infos();
  t->set_name("web");
  t->mutable_task_id()->set_value("web-1");
  t->mutable_command()->set_value("serve");
  *t->add_resources() = Scalar("cpus", 1);
  *t->add_resources() = Scalar("mem", 128);
  mv1::AcceptResponse resp;
  REQUIRE(out.fw->stub().Accept(&ctx, req, &resp).ok());
  REQUIRE(WaitFor([&] {
            return out.agent1->Find([](const auto& m) { return m.has_run_task(); }).has_value();
          }, absl::Seconds(10), "RunTask").ok());
  return out;
}

// An agent's re-registration as `host` with id `id`, running `task` of `framework` (none if
// `task` is empty); `framework_info`, if given, is reported with it (as an agent reports the
// frameworks of its tasks).
inline mv1::AgentMessage Reregister(const std::string& host, const std::string& id,
                                    const std::string& framework, const std::string& task,
                                    const cv1::FrameworkInfo* framework_info = nullptr) {
  mv1::AgentMessage m;
  *m.mutable_reregister_agent()->mutable_agent_info() =
      RegisterMessage(host).register_agent().agent_info();
  m.mutable_reregister_agent()->mutable_agent_info()->mutable_id()->set_value(id);
  if (framework_info != nullptr) *m.mutable_reregister_agent()->add_frameworks() = *framework_info;
  if (!task.empty()) {
    cv1::Task* t = m.mutable_reregister_agent()->add_tasks();
    t->mutable_task_id()->set_value(task);
    t->mutable_framework_id()->set_value(framework);
    t->set_state(cv1::TASK_RUNNING);
    *t->add_resources() = Scalar("cpus", 1);
    *t->add_resources() = Scalar("mem", 128);
  }
  return m;
}

// The registry as dcos-zk holds it (services/master/zk_registry.h): directory ("admitted",
// "unreachable", "gone") -> agent ids, sorted; read linearizably, without a session.
inline std::map<std::string, std::vector<std::string>> ReadRegistry(
    const ZkTestEnsemble& zk, const std::string& root = "/mesos/registry") {
  zk::client::ZkClient::Options o;
  o.ensemble = zk.addresses();
  absl::StatusOr<std::unique_ptr<zk::client::ZkClient>> client = zk::client::ZkClient::Connect(o);
  INFO(client.status().ToString());
  REQUIRE(client.ok());
  std::map<std::string, std::vector<std::string>> out;
  for (const char* dir : {"admitted", "unreachable", "gone"}) {
    absl::StatusOr<std::vector<std::string>> ids =
        (*client)->GetChildren(absl::StrCat(root, "/", dir), /*linearizable=*/true);
    INFO(dir << ": " << ids.status().ToString());
    REQUIRE(ids.ok());
    out[dir] = *ids;
  }
  return out;
}

}  // namespace dcos::testing
