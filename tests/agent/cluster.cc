#include "tests/agent/cluster.h"

#include <signal.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "libs/resources/resources.h"
#include "libs/testing/harness.h"
#include "services/agent/supervisor_files.h"

namespace dcos::testing {
namespace {

namespace mv1 = master::v1;
namespace cv1 = common::v1;

constexpr absl::Duration kStartTimeout = absl::Seconds(30);

}  // namespace

TaskReaper::~TaskReaper() {
  for (const std::string& dir : work_dirs_) {
    std::error_code error;
    for (auto it = std::filesystem::recursive_directory_iterator(dir + "/meta", error);
         !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
      if (it->path().filename() != "pids") continue;
      std::ifstream in(it->path());
      int version = 0, supervisor = 0, task = 0;
      unsigned long long supervisor_start = 0, task_start = 0;
      if (!(in >> version >> supervisor >> supervisor_start >> task >> task_start)) continue;
      if (agent::supervisor::ReadStartTime(task) == task_start) kill(-task, SIGKILL);
      if (agent::supervisor::ReadStartTime(supervisor) == supervisor_start) {
        kill(supervisor, SIGKILL);
      }
    }
  }
}

absl::StatusOr<MasterProcess> MasterProcess::Start(const std::string& dir, int port,
                                                   std::vector<std::string> extra) {
  MasterProcess m;
  m.address = absl::StrCat("127.0.0.1:", port != 0 ? port : FreePort());
  m.args = {"--grpc.listen=" + m.address, "--metrics.listen=", "--shutdown.grace=1s",
            "--master.allocation_interval=100ms", "--master.agent_ping_timeout=1s",
            "--master.max_agent_ping_timeouts=10"};
  for (std::string& e : extra) m.args.push_back(std::move(e));
  absl::Status started = m.Restart(dir);
  if (!started.ok()) return started;
  return m;
}

absl::Status MasterProcess::Restart(const std::string& dir) {
  process.reset();
  // Named by address: two masters in one directory each keep a log of their own.
  const std::string name = absl::StrCat("master-", address.substr(address.rfind(':') + 1));
  auto p = TestProcess::Start({name, Runfile("services/master/dcos-master"), args, dir});
  if (!p.ok()) return p.status();
  process = *std::move(p);
  return WaitServing(address, grpc::InsecureChannelCredentials(), kStartTimeout);
}


namespace {

// One unary Operator call to the master at `address`.
template <typename Response, typename Request>
absl::StatusOr<Response> OperatorCall(
    const std::string& address,
    grpc::Status (master::v1::Operator::Stub::*method)(grpc::ClientContext*, const Request&,
                                                      Response*)) {
  auto stub = master::v1::Operator::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  Response resp;
  grpc::Status s = (stub.get()->*method)(&ctx, Request(), &resp);
  if (!s.ok()) return absl::UnavailableError(s.error_message());
  return resp;
}

}  // namespace

absl::StatusOr<master::v1::GetTasksResponse> MasterProcess::Tasks() const {
  return OperatorCall(address, &master::v1::Operator::Stub::GetTasks);
}

absl::StatusOr<master::v1::GetAgentsResponse> MasterProcess::Agents() const {
  return OperatorCall(address, &master::v1::Operator::Stub::GetAgents);
}

bool MasterProcess::Leading() const {
  auto leader = OperatorCall(address, &master::v1::Operator::Stub::GetLeader);
  return leader.ok() && leader->elected();
}

absl::StatusOr<AgentProcess> AgentProcess::Start(const std::string& dir, const std::string& name,
                                                 const std::string& master,
                                                 std::vector<std::string> extra) {
  AgentProcess a;
  a.name = name;
  a.address = absl::StrCat("127.0.0.1:", FreePort());
  a.work_dir = absl::StrCat(dir, "/", name);
  a.args = {"--grpc.listen=" + a.address,
            "--metrics.listen=",
            "--shutdown.grace=1s",
            "--agent.work_dir=" + a.work_dir,
            "--agent.supervisor=" + Runfile("services/agent/dcos-task-supervisor"),
            "--agent.resources=cpus:2;mem:1024;disk:1024;ports:[31000-31100]",
            "--agent.attributes=rack:r1",
            "--agent.registration_backoff_factor=100ms",
            "--agent.tick=20ms"};
  if (!master.empty()) a.args.push_back("--agent.master=" + master);
  for (std::string& e : extra) a.args.push_back(std::move(e));
  absl::Status started = a.Restart(dir);
  if (!started.ok()) return started;
  return a;
}

absl::Status AgentProcess::Restart(const std::string& dir) {
  process.reset();
  auto p = TestProcess::Start({name, Runfile("services/agent/dcos-agent"), args, dir});
  if (!p.ok()) return p.status();
  process = *std::move(p);
  return WaitServing(address, grpc::InsecureChannelCredentials(), kStartTimeout);
}

absl::StatusOr<agent::v1::GetStateResponse> AgentProcess::State() {
  auto stub = agent::v1::Agent::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  agent::v1::GetStateResponse state;
  grpc::Status s = stub->GetState(&ctx, {}, &state);
  if (!s.ok()) return absl::UnavailableError(s.error_message());
  return state;
}

std::string AgentProcess::Sandbox(const std::string& agent_id, const std::string& task_id) {
  auto state = State();
  if (!state.ok()) return "";
  for (const auto& f : state->frameworks()) {
    for (const auto* list : {&f.executors(), &f.completed_executors()}) {
      for (const auto& e : *list) {
        if (e.executor_info().executor_id().value() == task_id) {
          return absl::StrCat(work_dir, "/agents/", agent_id, e.sandbox_path());
        }
      }
    }
  }
  return "";
}

absl::StatusOr<std::string> AgentProcess::WaitRegistered(absl::Duration timeout) {
  std::string id;
  absl::Status waited = WaitFor(
      [&] {
        auto state = State();
        if (!state.ok() || !state->connected()) return false;
        id = state->agent_info().id().value();
        return true;
      },
      timeout, name + " registered");
  if (!waited.ok()) return waited;
  return id;
}

absl::StatusOr<MasterAndAgent> MasterAndAgent::Start(const std::string& dir, TaskReaper& reaper,
                                                     std::vector<std::string> agent_flags) {
  MasterAndAgent c;
  absl::StatusOr<MasterProcess> master = MasterProcess::Start(dir);
  if (!master.ok()) return master.status();
  c.master = *std::move(master);
  absl::StatusOr<AgentProcess> agent =
      AgentProcess::Start(dir, "agent-1", c.master.address, std::move(agent_flags));
  if (!agent.ok()) return agent.status();
  c.agent = *std::move(agent);
  reaper.Add(c.agent.work_dir);
  absl::StatusOr<std::string> id = c.agent.WaitRegistered(kStartTimeout);
  if (!id.ok()) return id.status();
  c.agent_id = *id;
  return c;
}

TestFramework::TestFramework(const std::string& master, const std::string& name,
                             const std::string& framework_id,
                             std::vector<cv1::FrameworkInfo::Capability::Type> capabilities)
    : channel_(grpc::CreateChannel(master, grpc::InsecureChannelCredentials())),
      stub_(mv1::Scheduler::NewStub(channel_)) {
  mv1::SubscribeRequest req;
  cv1::FrameworkInfo* info = req.mutable_framework_info();
  info->set_user("root");
  info->set_name(name);
  info->set_checkpoint(true);
  info->mutable_failover_timeout()->set_seconds(3600);
  if (!framework_id.empty()) info->mutable_id()->set_value(framework_id);
  for (auto type : capabilities) info->add_capabilities()->set_type(type);
  stream_ = stub_->Subscribe(&context_, req);
  reader_ = std::thread([this] { ReadLoop(); });
}

TestFramework::~TestFramework() {
  context_.TryCancel();
  reader_.join();
}

void TestFramework::ReadLoop() {
  mv1::Event e;
  while (stream_->Read(&e)) {
    {
      absl::MutexLock lock(&mu_);
      if (e.has_subscribed()) {
        framework_id_ = e.subscribed().framework_id().value();
        stream_id_ = e.subscribed().stream_id();
      }
      events_.push_back(e);
    }
    if (e.has_update() && !e.update().status().uuid().empty()) Acknowledge(e.update().status());
  }
}

void TestFramework::Acknowledge(const cv1::TaskStatus& status) {
  mv1::AcknowledgeRequest req;
  {
    absl::MutexLock lock(&mu_);
    req.mutable_framework_id()->set_value(framework_id_);
    req.set_stream_id(stream_id_);
  }
  *req.mutable_agent_id() = status.agent_id();
  *req.mutable_task_id() = status.task_id();
  req.set_uuid(status.uuid());
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  mv1::AcknowledgeResponse resp;
  stub_->Acknowledge(&ctx, req, &resp);
}

absl::StatusOr<std::string> TestFramework::WaitSubscribed(absl::Duration timeout) {
  std::string id;
  absl::Status waited = WaitFor(
      [&] {
        absl::MutexLock lock(&mu_);
        id = framework_id_;
        return !id.empty();
      },
      timeout, "SUBSCRIBED");
  if (!waited.ok()) return waited;
  return id;
}

absl::StatusOr<std::string> TestFramework::Launch(cv1::TaskInfo task, absl::Duration timeout,
                                                  const std::string& agent_id) {
  absl::StatusOr<resources::Resources> wanted = resources::Resources::FromProto(task.resources());
  if (!wanted.ok()) return wanted.status();
  cv1::Offer offer;
  absl::Status found = WaitFor(
      [&] {
        absl::MutexLock lock(&mu_);
        std::vector<std::string> rescinded;
        for (const mv1::Event& e : events_) {
          if (e.has_rescind()) rescinded.push_back(e.rescind().offer_id().value());
        }
        for (auto e = events_.rbegin(); e != events_.rend(); ++e) {
          if (!e->has_offers()) continue;
          for (const cv1::Offer& o : e->offers().offers()) {
            auto unusable = [&](const std::vector<std::string>& ids) {
              return std::find(ids.begin(), ids.end(), o.id().value()) != ids.end();
            };
            if (unusable(used_offers_) || unusable(rescinded)) continue;
            if (!agent_id.empty() && o.agent_id().value() != agent_id) continue;
            auto has = resources::Resources::FromProto(o.resources());
            if (!has.ok() || !has->Contains(*wanted)) continue;
            offer = o;
            used_offers_.push_back(o.id().value());
            return true;
          }
        }
        return false;
      },
      timeout, "an offer for task " + task.task_id().value());
  if (!found.ok()) return found;
  *task.mutable_agent_id() = offer.agent_id();
  mv1::AcceptRequest req;
  {
    absl::MutexLock lock(&mu_);
    req.mutable_framework_id()->set_value(framework_id_);
    req.set_stream_id(stream_id_);
  }
  *req.add_offer_ids() = offer.id();
  *req.add_operations()->mutable_launch()->add_task_infos() = task;
  req.mutable_filters()->mutable_refuse()->set_seconds(0);
  grpc::ClientContext ctx;
  mv1::AcceptResponse resp;
  grpc::Status s = stub_->Accept(&ctx, req, &resp);
  if (!s.ok()) return absl::InternalError("Accept: " + s.error_message());
  return offer.agent_id().value();
}

absl::Status TestFramework::Kill(const std::string& task_id, std::optional<absl::Duration> grace) {
  mv1::KillRequest req;
  {
    absl::MutexLock lock(&mu_);
    req.mutable_framework_id()->set_value(framework_id_);
    req.set_stream_id(stream_id_);
  }
  req.mutable_task_id()->set_value(task_id);
  if (grace.has_value()) {
    int64_t nanos = absl::ToInt64Nanoseconds(*grace);
    req.mutable_kill_policy()->mutable_grace_period()->set_seconds(nanos / 1000000000);
    req.mutable_kill_policy()->mutable_grace_period()->set_nanos(
        static_cast<int32_t>(nanos % 1000000000));
  }
  grpc::ClientContext ctx;
  mv1::KillResponse resp;
  grpc::Status s = stub_->Kill(&ctx, req, &resp);
  if (!s.ok()) return absl::InternalError("Kill: " + s.error_message());
  return absl::OkStatus();
}

std::vector<cv1::TaskStatus> TestFramework::Updates(const std::string& task_id) {
  absl::MutexLock lock(&mu_);
  std::vector<cv1::TaskStatus> out;
  for (const mv1::Event& e : events_) {
    if (e.has_update() && e.update().status().task_id().value() == task_id) {
      out.push_back(e.update().status());
    }
  }
  return out;
}

absl::StatusOr<cv1::TaskStatus> TestFramework::WaitForState(const std::string& task_id,
                                                            cv1::TaskState state,
                                                            absl::Duration timeout) {
  cv1::TaskStatus found;
  absl::Status waited = WaitFor(
      [&] {
        for (const cv1::TaskStatus& s : Updates(task_id)) {
          if (s.state() == state) {
            found = s;
            return true;
          }
        }
        return false;
      },
      timeout, absl::StrCat(task_id, " ", StateName(state), " (seen: ", States(task_id), ")"));
  if (!waited.ok()) {
    return absl::DeadlineExceededError(
        absl::StrCat(waited.message(), "; seen: ", States(task_id)));
  }
  return found;
}

std::string TestFramework::States(const std::string& task_id) {
  std::vector<std::string> names;
  for (const cv1::TaskStatus& s : Updates(task_id)) names.push_back(StateName(s.state()));
  return absl::StrJoin(names, ",");
}

cv1::TaskInfo ShellTask(const std::string& id, const std::string& command, double cpus,
                        double mem) {
  cv1::TaskInfo t;
  t.set_name(id);
  t.mutable_task_id()->set_value(id);
  t.mutable_command()->set_value(command);
  for (auto [name, value] : {std::pair<const char*, double>{"cpus", cpus}, {"mem", mem}}) {
    cv1::Resource* r = t.add_resources();
    r->set_name(name);
    r->set_type(cv1::Value::TYPE_SCALAR);
    r->mutable_scalar()->set_value(value);
  }
  return t;
}

std::string StateName(cv1::TaskState state) {
  return std::string(absl::StripPrefix(cv1::TaskState_Name(state), "TASK_"));
}

absl::StatusOr<std::pair<int, std::string>> RunDcos(const std::string& dir,
                                                    const std::string& name,
                                                    std::vector<std::string> args,
                                                    absl::Duration timeout) {
  auto p = TestProcess::Start({name, Runfile("tools/dcos/dcos"), std::move(args), dir});
  if (!p.ok()) return p.status();
  absl::StatusOr<int> code = (*p)->WaitExit(timeout);
  if (!code.ok()) return code.status();
  return std::make_pair(*code, (*p)->Log());
}

}  // namespace dcos::testing
