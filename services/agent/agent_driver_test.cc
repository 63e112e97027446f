// AgentDriver with a FakeLauncher and an in-process fake master (a real gRPC AgentChannel on
// loopback): registration, every update checkpointed before the master sees it, launches and
// exits carried to the core, and a restart that recovers from the checkpoint and re-registers
// with the running task.

#include <signal.h>

#include <deque>

#include <catch2/catch.hpp>
#include <grpcpp/grpcpp.h>

#include "absl/synchronization/mutex.h"
#include "libs/clock/clock.h"
#include "libs/raft/env.h"
#include "libs/testing/harness.h"
#include "protos/master/v1/agent_channel.grpc.pb.h"
#include "services/agent/agent_driver.h"
#include "services/agent/fake_launcher.h"
#include "services/agent/proto_time.h"

namespace dcos::agent {
namespace {

using master::v1::AgentMessage;
using master::v1::MasterMessage;

// A master that admits every agent as "S1", records what it gets, and sends what it is told.
// For each status update it also records whether the task was already on disk.
class FakeMaster final : public master::v1::AgentChannel::Service {
 public:
  explicit FakeMaster(std::string work_dir) : checkpoint_(raft::Env::Default(), Layout(work_dir)) {}

  grpc::Status Connect(grpc::ServerContext* ctx,
                       grpc::ServerReaderWriter<MasterMessage, AgentMessage>* stream) override {
    AgentMessage m;
    if (!stream->Read(&m)) return grpc::Status::OK;
    Record(m);
    MasterMessage answer;
    auto fill = [](auto* r) {
      r->mutable_agent_id()->set_value("S1");
      *r->mutable_ping_timeout() = DurationProtoOf(absl::Seconds(15));
      r->set_max_ping_timeouts(5);
    };
    if (m.has_register_agent()) {
      fill(answer.mutable_registered());
    } else {
      fill(answer.mutable_reregistered());
    }
    stream->Write(answer);
    std::thread writer([&] {
      for (;;) {
        MasterMessage out;
        {
          absl::MutexLock lock(&mu_);
          auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
            return !outgoing_.empty() || ctx->IsCancelled() || done_;
          };
          mu_.AwaitWithTimeout(absl::Condition(&ready), absl::Milliseconds(50));
          if (ctx->IsCancelled() || done_) return;
          if (outgoing_.empty()) continue;
          out = outgoing_.front();
          outgoing_.pop_front();
        }
        stream->Write(out);
      }
    });
    while (stream->Read(&m)) Record(m);
    {
      absl::MutexLock lock(&mu_);
      done_ = true;
    }
    writer.join();
    absl::MutexLock lock(&mu_);
    done_ = false;
    return grpc::Status::OK;
  }

  void Send(MasterMessage m) {
    absl::MutexLock lock(&mu_);
    outgoing_.push_back(std::move(m));
  }
  std::vector<AgentMessage> received() {
    absl::MutexLock lock(&mu_);
    return received_;
  }
  std::vector<bool> on_disk_when_sent() {
    absl::MutexLock lock(&mu_);
    return on_disk_;
  }
  // The status updates received, in order.
  std::vector<common::v1::TaskStatus> updates() {
    std::vector<common::v1::TaskStatus> out;
    for (const AgentMessage& m : received()) {
      if (m.has_status_update()) out.push_back(m.status_update().status());
    }
    return out;
  }

 private:
  void Record(const AgentMessage& m) {
    bool on_disk = false;
    if (m.has_status_update()) {
      auto state = checkpoint_.Load();
      for (const auto& t : state.ok() ? state->tasks : std::vector<checkpoint::TaskCheckpoint>{}) {
        for (const auto& u : t.pending_updates()) on_disk |= u.uuid() == m.status_update().status().uuid();
      }
    }
    absl::MutexLock lock(&mu_);
    received_.push_back(m);
    if (m.has_status_update()) on_disk_.push_back(on_disk);
  }

  Checkpointer checkpoint_;
  absl::Mutex mu_;
  std::vector<AgentMessage> received_ ABSL_GUARDED_BY(mu_);
  std::vector<bool> on_disk_ ABSL_GUARDED_BY(mu_);
  std::deque<MasterMessage> outgoing_ ABSL_GUARDED_BY(mu_);
  bool done_ ABSL_GUARDED_BY(mu_) = false;
};

// A driver with its fake launcher, checkpoint and detector.
struct Agent {
  Agent(const std::string& work_dir, const std::string& master,
        std::function<void(FakeLauncher&)> prepare = nullptr)
      : checkpointer(raft::Env::Default(), Layout(work_dir)), detector(master) {
    DriverOptions o;
    o.core.info.mutable_address()->set_hostname("agent-1");
    o.core.info.mutable_address()->set_port(5051);
    common::v1::Resource* r = o.core.info.add_resources();
    r->set_name("cpus");
    r->set_type(common::v1::Value::TYPE_SCALAR);
    r->mutable_scalar()->set_value(2);
    o.core.work_dir = work_dir;
    o.core.boot_id = "boot";
    o.core.seed = 7;
    o.tick = absl::Milliseconds(10);
    o.backoff_factor = absl::Milliseconds(10);
    o.on_fatal = [](const absl::Status& s) { FAIL("fatal: " << s.ToString()); };
    o.on_shutdown = [](const std::string&) {};
    driver = std::make_unique<AgentDriver>(o, &checkpointer, &detector, clock::RealClock::Default());
    launcher = std::make_unique<FakeLauncher>(driver->ExitCallback(), driver->LaunchCallback());
    if (prepare) prepare(*launcher);
    driver->SetLauncher(launcher.get());
  }
  ~Agent() { driver->Stop(); }

  Checkpointer checkpointer;
  StaticMasterDetector detector;
  std::unique_ptr<AgentDriver> driver;
  std::unique_ptr<FakeLauncher> launcher;
};

MasterMessage Ack(const common::v1::TaskStatus& s) {
  MasterMessage m;
  m.mutable_status_update_ack()->mutable_framework_id()->set_value("F1");
  *m.mutable_status_update_ack()->mutable_task_id() = s.task_id();
  m.mutable_status_update_ack()->set_uuid(s.uuid());
  return m;
}

TEST_CASE("the driver checkpoints before sending, launches, and recovers", "[driver]") {
  std::string work = testing::MakeTempDir("driver");
  FakeMaster master(work);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&master);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  const std::string address = "127.0.0.1:" + std::to_string(port);
  auto wait = [](const std::function<bool()>& f, const std::string& what) {
    REQUIRE(testing::WaitFor(f, absl::Seconds(10), what).ok());
  };
  std::string container;
  {
    Agent agent(work, address);
    REQUIRE(agent.driver->Recover().ok());
    agent.driver->Start();
    wait([&] { return !master.received().empty(); }, "Register");
    CHECK(master.received()[0].has_register_agent());

    MasterMessage run;
    run.mutable_run_task()->mutable_framework_info()->mutable_id()->set_value("F1");
    run.mutable_run_task()->mutable_framework_info()->set_user("root");
    common::v1::TaskInfo* t = run.mutable_run_task()->mutable_task();
    t->set_name("t1");
    t->mutable_task_id()->set_value("t1");
    t->mutable_command()->set_value("sleep 10");
    common::v1::Resource* cpus = t->add_resources();
    cpus->set_name("cpus");
    cpus->set_type(common::v1::Value::TYPE_SCALAR);
    cpus->mutable_scalar()->set_value(1);
    master.Send(run);
    wait([&] { return master.updates().size() == 1; }, "STARTING");
    REQUIRE(agent.launcher->launches().size() == 1);
    container = agent.launcher->launches()[0].container_id;
    CHECK(agent.launcher->running(container));
    master.Send(Ack(master.updates()[0]));
    wait([&] { return master.updates().size() == 2; }, "RUNNING");
    CHECK(master.updates()[1].state() == common::v1::TASK_RUNNING);
    CHECK(master.updates()[1].container_status().executor_pid() > 0);
    master.Send(Ack(master.updates()[1]));
    // A kill reaches the launcher as SIGTERM.
    MasterMessage kill;
    kill.mutable_kill_task()->mutable_framework_id()->set_value("F1");
    kill.mutable_kill_task()->mutable_task_id()->set_value("t1");
    kill.mutable_kill_task()->mutable_kill_policy()->mutable_grace_period()->set_seconds(30);
    master.Send(kill);
    wait([&] { return !agent.launcher->signals().empty(); }, "SIGTERM");
    CHECK(agent.launcher->signals()[0] == std::make_pair(container, SIGTERM));
  }  // the agent stops; the (fake) task keeps running

  // A new agent process: recovers the task as running and re-registers with it.
  Agent again(work, address, [&](FakeLauncher& l) {
    l.SetRecovered(container, {RecoveredContainer::State::kRunning, {100, 1, 101, 2}, {}});
  });
  REQUIRE(again.driver->Recover().ok());
  again.driver->Start();
  wait([&] {
    for (const AgentMessage& m : master.received()) {
      if (m.has_reregister_agent()) return true;
    }
    return false;
  }, "Reregister");
  for (const AgentMessage& m : master.received()) {
    if (!m.has_reregister_agent()) continue;
    REQUIRE(m.reregister_agent().tasks_size() == 1);
    CHECK(m.reregister_agent().tasks(0).state() == common::v1::TASK_RUNNING);
    CHECK(m.reregister_agent().agent_info().id().value() == "S1");
  }
  // The kill was checkpointed: its SIGKILL comes when the grace period ends, and the end is
  // TASK_KILLED once the container exits.
  ExitInfo killed;
  killed.wait_status = SIGKILL;
  REQUIRE(again.launcher->Exit(container, killed));
  wait([&] { return master.updates().back().state() == common::v1::TASK_KILLED; }, "KILLED");
  // Every update was on disk before the master got it.
  for (bool on_disk : master.on_disk_when_sent()) CHECK(on_disk);
  again.driver->Stop();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
}

}  // namespace
}  // namespace dcos::agent
