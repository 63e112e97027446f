// The operator API and the metrics of a real dcos-master over real gRPC, with simulated agents
// and a framework: GetFrameworks, the Subscribe stream's HEARTBEAT, the master's own series on
// /metrics, MarkAgentGone, and DrainAgent with a grace period and with mark_gone.

#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <optional>
#include <thread>

#include <catch2/catch.hpp>
#include <grpcpp/create_channel.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "libs/testing/harness.h"
#include "libs/testing/process.h"
#include "protos/master/v1/operator.grpc.pb.h"
#include "protos/master/v1/scheduler.grpc.pb.h"
#include "tests/master/sim_clients.h"

namespace dcos::testing {
namespace {

// One dcos-master alone (in-memory registry), with its metrics on a free port.
struct SoloMaster {
  std::string address;
  std::string metrics;
  std::unique_ptr<TestProcess> process;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<mv1::Operator::Stub> op;

  explicit SoloMaster(const std::string& name) {
    address = absl::StrCat("127.0.0.1:", FreePort());
    metrics = absl::StrCat("127.0.0.1:", FreePort());
    auto p = TestProcess::Start(
        {name, Runfile("services/master/dcos-master"),
         {"--grpc.listen=" + address, "--metrics.listen=" + metrics, "--shutdown.grace=1s",
          "--master.framework_heartbeat_interval=200ms", "--master.allocation_interval=100ms",
          "--master.agent_ping_timeout=1s", "--master.max_agent_ping_timeouts=5"},
         MakeTempDir(name)});
    REQUIRE(p.ok());
    process = *std::move(p);
    REQUIRE(WaitServing(address, grpc::InsecureChannelCredentials(), absl::Seconds(30)).ok());
    channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
    op = mv1::Operator::NewStub(channel);
  }

  // SIGTERM; it must exit cleanly.
  void Stop() {
    process->Signal(SIGTERM);
    absl::StatusOr<int> code = process->WaitExit(absl::Seconds(10));
    REQUIRE(code.ok());
    CHECK(*code == 0);
  }

  std::map<std::string, mv1::Agent> Agents() {
    grpc::ClientContext ctx;
    mv1::GetAgentsResponse resp;
    REQUIRE(op->GetAgents(&ctx, {}, &resp).ok());
    std::map<std::string, mv1::Agent> out;
    for (const mv1::Agent& a : resp.agents()) out[a.agent_info().id().value()] = a;
    return out;
  }
};

std::string RegisteredId(SimAgent& agent) {
  std::string id;
  REQUIRE(WaitFor([&] {
            auto m = agent.Find([](const auto& m) { return m.has_registered(); });
            if (m) id = m->registered().agent_id().value();
            return m.has_value();
          }, absl::Seconds(10), "Registered").ok());
  return id;
}

// A subscribed framework: its id, stream id, and the latest offer it got of each agent.
struct Subscribed {
  std::string fid, stream_id;
  std::map<std::string, cv1::Offer> offers;  // agent id -> offer
};

Subscribed WaitOffers(SimFramework& fw, const std::vector<std::string>& agents) {
  Subscribed s;
  REQUIRE(WaitFor([&] {
            for (const auto& e : fw.events()) {
              if (e.has_subscribed()) {
                s.fid = e.subscribed().framework_id().value();
                s.stream_id = e.subscribed().stream_id();
              }
              for (const auto& o : e.offers().offers()) s.offers[o.agent_id().value()] = o;
            }
            for (const std::string& a : agents) {
              if (s.offers.count(a) == 0) return false;
            }
            return true;
          }, absl::Seconds(10), "an offer of each agent").ok());
  return s;
}

// Launches `task` (1 cpu, 128 MiB) with the offer of `agent_id`, and waits for its RunTask.
void Launch(SimFramework& fw, const Subscribed& s, const std::string& agent_id, SimAgent& agent,
            const std::string& task) {
  grpc::ClientContext ctx;
  mv1::AcceptRequest req;
  req.mutable_framework_id()->set_value(s.fid);
  req.set_stream_id(s.stream_id);
  *req.add_offer_ids() = s.offers.at(agent_id).id();
  cv1::TaskInfo* t = req.add_operations()->mutable_launch()->add_task_infos();
  t->set_name(task);
  t->mutable_task_id()->set_value(task);
  t->mutable_command()->set_value("sleep 1000");
  *t->add_resources() = Scalar("cpus", 1);
  *t->add_resources() = Scalar("mem", 128);
  mv1::AcceptResponse resp;
  REQUIRE(fw.stub().Accept(&ctx, req, &resp).ok());
  REQUIRE(WaitFor([&] {
            return agent.Find([&](const auto& m) {
                       return m.has_run_task() && m.run_task().task().task_id().value() == task;
                     }).has_value();
          }, absl::Seconds(10), "RunTask " + task).ok());
}

// The agent reports `state` for `task` with update `uuid` (16 bytes).
void Report(SimAgent& agent, const std::string& fid, const std::string& task,
            cv1::TaskState state, const std::string& uuid) {
  mv1::AgentMessage m;
  m.mutable_status_update()->mutable_framework_id()->set_value(fid);
  cv1::TaskStatus* s = m.mutable_status_update()->mutable_status();
  s->mutable_task_id()->set_value(task);
  s->set_state(state);
  s->set_source(cv1::TaskStatus::SOURCE_EXECUTOR);
  s->set_uuid(uuid);
  m.mutable_status_update()->set_latest_state(state);
  agent.Send(m);
}

// The framework waits for `task`'s update to `state` and acknowledges it.
void AwaitAndAck(SimFramework& fw, const Subscribed& s, const std::string& agent_id,
                 const std::string& task, cv1::TaskState state) {
  std::optional<mv1::Event> update;
  REQUIRE(WaitFor([&] {
            update = fw.Find([&](const auto& e) {
              return e.has_update() && e.update().status().task_id().value() == task &&
                     e.update().status().state() == state;
            });
            return update.has_value();
          }, absl::Seconds(10), "the update of " + task).ok());
  grpc::ClientContext ctx;
  mv1::AcknowledgeRequest req;
  req.mutable_framework_id()->set_value(s.fid);
  req.set_stream_id(s.stream_id);
  req.mutable_agent_id()->set_value(agent_id);
  req.mutable_task_id()->set_value(task);
  req.set_uuid(update->update().status().uuid());
  mv1::AcknowledgeResponse resp;
  REQUIRE(fw.stub().Acknowledge(&ctx, req, &resp).ok());
}

// The value of the series written exactly as `series` (name and labels) on a Prometheus
// text page; nullopt if absent.
std::optional<double> Series(const std::string& page, const std::string& series) {
  const std::string line_start = series + " ";
  for (size_t at = 0; at < page.size();) {
    size_t end = page.find('\n', at);
    if (end == std::string::npos) end = page.size();
    if (page.compare(at, line_start.size(), line_start) == 0) {
      double v = 0;
      if (absl::SimpleAtod(page.substr(at + line_start.size(), end - at - line_start.size()),
                           &v)) {
        return v;
      }
      return std::nullopt;
    }
    at = end + 1;
  }
  return std::nullopt;
}

TEST_CASE("dcos-master operator API: GetFrameworks, Subscribe HEARTBEAT, the master's metrics") {
  SoloMaster master("master-ops");

  // An operator subscriber, idle: HEARTBEATs at the configured interval.
  grpc::ClientContext op_ctx;
  const absl::Time subscribed_at = absl::Now();
  auto op_stream = master.op->Subscribe(&op_ctx, {});
  absl::Mutex mu;
  std::vector<std::pair<absl::Time, mv1::OperatorEvent>> op_events;
  std::thread op_reader([&] {
    mv1::OperatorEvent e;
    while (op_stream->Read(&e)) {
      absl::MutexLock lock(&mu);
      op_events.emplace_back(absl::Now(), e);
    }
  });
  auto heartbeats = [&] {
    absl::MutexLock lock(&mu);
    std::vector<absl::Time> at;
    for (const auto& [t, e] : op_events) {
      if (e.has_heartbeat()) at.push_back(t);
    }
    return at;
  };
  REQUIRE(WaitFor([&] { return heartbeats().size() >= 3; }, absl::Seconds(10),
                  "three operator HEARTBEATs").ok());
  {
    absl::MutexLock lock(&mu);
    REQUIRE(op_events.front().second.has_subscribed());
    const auto& interval = op_events.front().second.subscribed().heartbeat_interval();
    CHECK(interval.seconds() == 0);
    CHECK(interval.nanos() == 200'000'000);
  }
  // Paced, not a burst: the master sends one per interval, so the third can come no sooner
  // than two intervals after the subscription (a slow reader only makes it later).
  const absl::Time third = heartbeats()[2];
  INFO("third HEARTBEAT " << absl::FormatDuration(third - subscribed_at) << " after subscribing");
  CHECK(third - subscribed_at >= absl::Milliseconds(400));
  op_ctx.TryCancel();
  op_reader.join();

  SimAgent agent(master.channel, RegisterMessage("agent-1"));
  const std::string agent_id = RegisteredId(agent);
  auto fw = std::make_unique<SimFramework>(master.channel, Framework("ops"));
  const Subscribed s = WaitOffers(*fw, {agent_id});

  {
    grpc::ClientContext ctx;
    mv1::GetFrameworksResponse resp;
    REQUIRE(master.op->GetFrameworks(&ctx, {}, &resp).ok());
    REQUIRE(resp.frameworks_size() == 1);
    const mv1::Framework& f = resp.frameworks(0);
    CHECK(f.framework_info().id().value() == s.fid);
    CHECK(f.framework_info().name() == "ops");
    CHECK(f.connected());
    CHECK(f.active());
    CHECK_FALSE(f.recovered());
    CHECK(f.has_registered_time());
    CHECK_FALSE(f.has_unregistered_time());
    CHECK(f.offers_size() >= 1);
    CHECK(resp.completed_frameworks_size() == 0);
  }

  // The master's own series, with the values of one agent (4 cpus, 4096 MiB) wholly offered
  // to one framework.
  std::string page;
  REQUIRE(WaitFor([&] {
            absl::StatusOr<std::string> got = HttpGet(master.metrics, "/metrics");
            if (!got.ok()) return false;
            page = *got;
            auto offers = Series(page, "dcos_master_outstanding_offers");
            auto runs = Series(page, "dcos_master_allocation_run_seconds_count");
            return offers.has_value() && *offers >= 1 && runs.has_value() && *runs >= 1;
          }, absl::Seconds(10), "outstanding offers and allocation runs on /metrics").ok());
  INFO(page);
  CHECK(Series(page, "dcos_master_outstanding_offers") == 1.0);
  std::optional<double> queued = Series(page, "dcos_master_event_queue_messages");
  REQUIRE(queued.has_value());
  CHECK(*queued >= 0);
  CHECK(*queued < 1000);  // an idle master keeps up
  CHECK(Series(page, "dcos_master_resources{kind=\"total\",resource=\"cpus\"}") == 4.0);
  CHECK(Series(page, "dcos_master_resources{kind=\"total\",resource=\"mem\"}") == 4096.0);
  CHECK(Series(page, "dcos_master_resources{kind=\"offered\",resource=\"cpus\"}") == 4.0);
  CHECK(Series(page, "dcos_master_resources{kind=\"offered\",resource=\"mem\"}") == 4096.0);
  CHECK(Series(page, "dcos_master_resources{kind=\"used\",resource=\"cpus\"}") == 0.0);
  const double runs = *Series(page, "dcos_master_allocation_run_seconds_count");
  const std::optional<double> sum = Series(page, "dcos_master_allocation_run_seconds_sum");
  REQUIRE(sum.has_value());
  CHECK(*sum >= 0);
  CHECK(*sum / runs < 0.1);  // one agent, one framework: well under the 100 ms interval
  // Every observation is under the top bucket, and the buckets are cumulative.
  CHECK(Series(page, "dcos_master_allocation_run_seconds_bucket{le=\"+Inf\"}") == runs);
  std::optional<double> fast = Series(page, "dcos_master_allocation_run_seconds_bucket{le=\"0.1\"}");
  REQUIRE(fast.has_value());
  CHECK(*fast <= runs);
  CHECK(Series(page, "dcos_master_frameworks{state=\"connected\"}") == 1.0);

  // The same figures under Mesos's names (GetMetrics), sorted.
  {
    std::map<std::string, double> mesos;
    REQUIRE(WaitFor([&] {
              grpc::ClientContext ctx;
              mv1::GetMetricsResponse resp;
              if (!master.op->GetMetrics(&ctx, {}, &resp).ok()) return false;
              std::vector<std::string> names;
              mesos.clear();
              for (const mv1::Metric& m : resp.metrics()) {
                names.push_back(m.name());
                mesos[m.name()] = m.value();
              }
              CHECK(std::is_sorted(names.begin(), names.end()));
              return mesos["master/outstanding_offers"] == 1;
            }, absl::Seconds(10), "GetMetrics with the outstanding offer").ok());
    CHECK(mesos["master/elected"] == 1);
    CHECK(mesos["master/uptime_secs"] > 0);
    CHECK(mesos["master/slaves_active"] == 1);
    CHECK(mesos["master/slaves_connected"] == 1);
    CHECK(mesos["master/slaves_unreachable"] == 0);
    CHECK(mesos["master/frameworks_active"] == 1);
    CHECK(mesos["master/tasks_running"] == 0);
    CHECK(mesos["master/cpus_total"] == 4);
    CHECK(mesos["master/mem_total"] == 4096);
    CHECK(mesos["master/cpus_percent"] == 0);
    CHECK(mesos["allocator/mesos/allocation_runs"] >= 1);
    CHECK(mesos.count("allocator/mesos/allocation_run_ms") == 1);
  }

  // Torn down: listed as completed; its offer is gone from the figures.
  {
    grpc::ClientContext ctx;
    mv1::TeardownRequest req;
    req.mutable_framework_id()->set_value(s.fid);
    req.set_stream_id(s.stream_id);
    mv1::TeardownResponse resp;
    REQUIRE(fw->stub().Teardown(&ctx, req, &resp).ok());
  }
  fw.reset();
  {
    grpc::ClientContext ctx;
    mv1::GetFrameworksResponse resp;
    REQUIRE(master.op->GetFrameworks(&ctx, {}, &resp).ok());
    CHECK(resp.frameworks_size() == 0);
    REQUIRE(resp.completed_frameworks_size() == 1);
    CHECK(resp.completed_frameworks(0).framework_info().id().value() == s.fid);
  }
  REQUIRE(WaitFor([&] {
            absl::StatusOr<std::string> got = HttpGet(master.metrics, "/metrics");
            return got.ok() && Series(*got, "dcos_master_outstanding_offers") == 0.0 &&
                   Series(*got, "dcos_master_resources{kind=\"offered\",resource=\"cpus\"}") ==
                       0.0 &&
                   Series(*got, "dcos_master_frameworks{state=\"completed\"}") == 1.0;
          }, absl::Seconds(10), "no offers outstanding after the teardown").ok());
  master.Stop();
}

TEST_CASE("dcos-master operator API: MarkAgentGone shuts the agent down and loses its tasks") {
  SoloMaster master("master-gone");
  auto agent = std::make_unique<SimAgent>(master.channel, RegisterMessage("agent-1"));
  const std::string agent_id = RegisteredId(*agent);
  SimFramework fw(master.channel, Framework("gone"));
  const Subscribed s = WaitOffers(fw, {agent_id});
  Launch(fw, s, agent_id, *agent, "t1");
  Report(*agent, s.fid, "t1", cv1::TASK_RUNNING, std::string(16, '\x01'));
  AwaitAndAck(fw, s, agent_id, "t1", cv1::TASK_RUNNING);

  mv1::MarkAgentGoneRequest req;
  req.mutable_agent_id()->set_value(agent_id);
  {
    grpc::ClientContext ctx;
    mv1::MarkAgentGoneResponse resp;
    REQUIRE(master.op->MarkAgentGone(&ctx, req, &resp).ok());
  }
  // The agent is told to shut down, and its stream ends.
  REQUIRE(WaitFor([&] { return agent->ended(); }, absl::Seconds(10), "the agent's stream to end")
              .ok());
  CHECK(agent->Find([](const auto& m) { return m.has_shutdown(); }).has_value());
  // Its task is lost to the framework (not partition-aware), with the reason.
  std::optional<mv1::Event> lost;
  REQUIRE(WaitFor([&] {
            lost = fw.Find([](const auto& e) {
              return e.has_update() && e.update().status().state() == cv1::TASK_LOST;
            });
            return lost.has_value();
          }, absl::Seconds(10), "TASK_LOST").ok());
  CHECK(lost->update().status().reason() == cv1::TaskStatus::REASON_AGENT_REMOVED_BY_OPERATOR);
  // In the state: gone, with its info; no task left on it.
  std::map<std::string, mv1::Agent> agents = master.Agents();
  REQUIRE(agents.count(agent_id) == 1);
  CHECK(agents[agent_id].state() == mv1::Agent::STATE_GONE);
  CHECK(agents[agent_id].agent_info().address().hostname() == "agent-1");
  {
    grpc::ClientContext ctx;
    mv1::GetTasksResponse resp;
    REQUIRE(master.op->GetTasks(&ctx, {}, &resp).ok());
    CHECK(resp.tasks_size() == 0);
    REQUIRE(resp.completed_tasks_size() == 1);
    CHECK(resp.completed_tasks(0).state() == cv1::TASK_LOST);
  }
  // Idempotent; an unknown agent is NOT_FOUND.
  {
    grpc::ClientContext ctx;
    mv1::MarkAgentGoneResponse resp;
    CHECK(master.op->MarkAgentGone(&ctx, req, &resp).ok());
  }
  {
    grpc::ClientContext ctx;
    mv1::MarkAgentGoneRequest unknown;
    unknown.mutable_agent_id()->set_value("no-such-agent");
    mv1::MarkAgentGoneResponse resp;
    CHECK(master.op->MarkAgentGone(&ctx, unknown, &resp).error_code() ==
          grpc::StatusCode::NOT_FOUND);
  }
  // The agent can never come back with that id: told to shut down again.
  agent.reset();
  mv1::AgentMessage rereg;
  *rereg.mutable_reregister_agent()->mutable_agent_info() =
      RegisterMessage("agent-1").register_agent().agent_info();
  rereg.mutable_reregister_agent()->mutable_agent_info()->mutable_id()->set_value(agent_id);
  SimAgent back(master.channel, rereg);
  REQUIRE(WaitFor([&] { return back.ended(); }, absl::Seconds(10), "the returning agent refused")
              .ok());
  CHECK(back.Find([](const auto& m) { return m.has_shutdown(); }).has_value());
  CHECK_FALSE(back.Find([](const auto& m) { return m.has_reregistered(); }).has_value());
  CHECK(master.Agents()[agent_id].state() == mv1::Agent::STATE_GONE);
  master.Stop();
}

TEST_CASE("dcos-master operator API: DrainAgent kills with the grace period; drained, or gone") {
  SoloMaster master("master-drain");
  SimAgent a1(master.channel, RegisterMessage("agent-1"));
  SimAgent a2(master.channel, RegisterMessage("agent-2"));
  const std::string id1 = RegisteredId(a1);
  const std::string id2 = RegisteredId(a2);
  SimFramework fw(master.channel, Framework("drain"));
  const Subscribed s = WaitOffers(fw, {id1, id2});
  Launch(fw, s, id1, a1, "t1");
  Launch(fw, s, id2, a2, "t2");
  Report(a1, s.fid, "t1", cv1::TASK_RUNNING, std::string(16, '\x01'));
  Report(a2, s.fid, "t2", cv1::TASK_RUNNING, std::string(16, '\x02'));
  AwaitAndAck(fw, s, id1, "t1", cv1::TASK_RUNNING);
  AwaitAndAck(fw, s, id2, "t2", cv1::TASK_RUNNING);

  // agent-1: drained with a 3 s cap on the grace period, and kept.
  {
    grpc::ClientContext ctx;
    mv1::DrainAgentRequest req;
    req.mutable_agent_id()->set_value(id1);
    req.mutable_max_grace_period()->set_seconds(3);
    mv1::DrainAgentResponse resp;
    REQUIRE(master.op->DrainAgent(&ctx, req, &resp).ok());
  }
  std::optional<mv1::MasterMessage> kill;
  REQUIRE(WaitFor([&] {
            kill = a1.Find([](const auto& m) { return m.has_kill_task(); });
            return kill.has_value();
          }, absl::Seconds(10), "KillTask at agent-1").ok());
  CHECK(kill->kill_task().task_id().value() == "t1");
  CHECK(kill->kill_task().framework_id().value() == s.fid);
  CHECK(kill->kill_task().kill_policy().grace_period().seconds() == 3);
  {
    mv1::Agent a = master.Agents()[id1];
    CHECK(a.state() == mv1::Agent::STATE_ACTIVE);
    CHECK(a.drain_state() == mv1::Agent::DRAIN_STATE_DRAINING);
    CHECK(a.deactivated());
    CHECK(a.drain_max_grace_period().seconds() == 3);
    CHECK(a.offered_resources_size() == 0);  // its offers were rescinded
  }
  Report(a1, s.fid, "t1", cv1::TASK_KILLED, std::string(16, '\x03'));
  AwaitAndAck(fw, s, id1, "t1", cv1::TASK_KILLED);
  REQUIRE(WaitFor([&] {
            return a1.Find([](const auto& m) {
                       return m.has_status_update_ack() &&
                              m.status_update_ack().uuid() == std::string(16, '\x03');
                     }).has_value();
          }, absl::Seconds(10), "the ack of TASK_KILLED at agent-1").ok());
  {
    mv1::Agent a = master.Agents()[id1];
    CHECK(a.state() == mv1::Agent::STATE_ACTIVE);
    CHECK(a.drain_state() == mv1::Agent::DRAIN_STATE_DRAINED);
    CHECK(a.deactivated());
    CHECK(a.allocated_resources_size() == 0);
  }
  CHECK_FALSE(a1.ended());

  // agent-2: drained without a cap (the task's own policy), then marked gone.
  {
    grpc::ClientContext ctx;
    mv1::DrainAgentRequest req;
    req.mutable_agent_id()->set_value(id2);
    req.set_mark_gone(true);
    mv1::DrainAgentResponse resp;
    REQUIRE(master.op->DrainAgent(&ctx, req, &resp).ok());
  }
  REQUIRE(WaitFor([&] {
            kill = a2.Find([](const auto& m) { return m.has_kill_task(); });
            return kill.has_value();
          }, absl::Seconds(10), "KillTask at agent-2").ok());
  CHECK(kill->kill_task().task_id().value() == "t2");
  CHECK_FALSE(kill->kill_task().has_kill_policy());
  Report(a2, s.fid, "t2", cv1::TASK_KILLED, std::string(16, '\x04'));
  AwaitAndAck(fw, s, id2, "t2", cv1::TASK_KILLED);
  REQUIRE(WaitFor([&] { return a2.ended(); }, absl::Seconds(10), "agent-2's stream to end").ok());
  CHECK(a2.Find([](const auto& m) { return m.has_shutdown(); }).has_value());
  CHECK(master.Agents()[id2].state() == mv1::Agent::STATE_GONE);
  // Draining a gone agent is refused; agent-1 is untouched.
  {
    grpc::ClientContext ctx;
    mv1::DrainAgentRequest req;
    req.mutable_agent_id()->set_value(id2);
    mv1::DrainAgentResponse resp;
    CHECK(master.op->DrainAgent(&ctx, req, &resp).error_code() ==
          grpc::StatusCode::FAILED_PRECONDITION);
  }
  CHECK(master.Agents()[id1].drain_state() == mv1::Agent::DRAIN_STATE_DRAINED);
  master.Stop();
}

}  // namespace
}  // namespace dcos::testing
