#pragma once

// Helpers for multi-process tests of dcos-master in HA mode: a real dcos-master over a
// ZkTestEnsemble with short timeouts, who is elected, the agents a master reports, an agent's
// re-registration message, and the registry as dcos-zk holds it. Test-only.

#include <algorithm>
#include <map>
#include <memory>
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

// The agents the master at `address` reports; empty if it does not answer.
inline std::vector<mv1::Agent> Agents(const std::string& address) {
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  mv1::GetAgentsResponse resp;
  if (!OperatorAt(address)->GetAgents(&ctx, {}, &resp).ok()) return {};
  return {resp.agents().begin(), resp.agents().end()};
}

// An agent's re-registration as `host` with id `id`, running `task` of `framework` (none if
// `task` is empty).
inline mv1::AgentMessage Reregister(const std::string& host, const std::string& id,
                                    const std::string& framework, const std::string& task) {
  mv1::AgentMessage m;
  *m.mutable_reregister_agent()->mutable_agent_info() =
      RegisterMessage(host).register_agent().agent_info();
  m.mutable_reregister_agent()->mutable_agent_info()->mutable_id()->set_value(id);
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
