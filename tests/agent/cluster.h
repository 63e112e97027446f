#pragma once

// Test helpers for multi-process tests of dcos-agent: a real dcos-master and real dcos-agent
// processes on loopback, and a framework driven over the real Scheduler API.
//
// Tasks outlive their agent by design, so every test holds a TaskReaper that kills whatever
// the agents' work dirs say still runs when the test ends.

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/testing/process.h"
#include "protos/agent/v1/agent.grpc.pb.h"
#include "protos/master/v1/operator.grpc.pb.h"
#include "protos/master/v1/scheduler.grpc.pb.h"

namespace dcos::testing {

// Kills (SIGKILL) the supervisors and task process groups recorded under `work_dir` on
// destruction.
class TaskReaper {
 public:
  void Add(const std::string& work_dir) { work_dirs_.push_back(work_dir); }
  ~TaskReaper();

 private:
  std::vector<std::string> work_dirs_;
};

// A dcos-master on a free loopback port, with fast allocation and agent health checking.
struct MasterProcess {
  std::string address;
  std::vector<std::string> args;
  std::unique_ptr<TestProcess> process;

  // `extra` flags are appended (later flags win), e.g. a shorter agent ping timeout.
  static absl::StatusOr<MasterProcess> Start(const std::string& dir, int port = 0,
                                             std::vector<std::string> extra = {});
  // Starts it again (same port) after it was killed.
  absl::Status Restart(const std::string& dir);
  // True when it answers GetLeader as the elected leader (masters started with --master.zk).
  bool Leading() const;
  // Operator.GetTasks and GetAgents.
  absl::StatusOr<master::v1::GetTasksResponse> Tasks() const;
  absl::StatusOr<master::v1::GetAgentsResponse> Agents() const;
};

// A dcos-agent on a free loopback port, registered with `master`.
struct AgentProcess {
  std::string name;
  std::string address;
  std::string work_dir;
  std::vector<std::string> args;
  std::unique_ptr<TestProcess> process;

  // `extra` flags are appended (e.g. --agent.status_update_retry_interval=500ms). An empty
  // `master` gives no --agent.master (then `extra` says --agent.zk).
  static absl::StatusOr<AgentProcess> Start(const std::string& dir, const std::string& name,
                                            const std::string& master,
                                            std::vector<std::string> extra = {});
  // Starts it again with the same flags and work dir (after kill -9, say).
  absl::Status Restart(const std::string& dir);
  // Waits until the agent says it is registered; its agent id.
  absl::StatusOr<std::string> WaitRegistered(absl::Duration timeout);
  absl::StatusOr<agent::v1::GetStateResponse> State();
  // The sandbox directory of `task_id` (running or ended), from the agent's state; "" if none.
  std::string Sandbox(const std::string& agent_id, const std::string& task_id);
};

// A master and one registered agent ("agent-1", its work dir handed to `reaper`).
struct MasterAndAgent {
  MasterProcess master;
  AgentProcess agent;
  std::string agent_id;

  static absl::StatusOr<MasterAndAgent> Start(const std::string& dir, TaskReaper& reaper,
                                              std::vector<std::string> agent_flags = {});
};

// A framework on the Scheduler API: subscribes, records every event, acknowledges updates
// (unless told not to), launches tasks on offers.
class TestFramework {
 public:
  // `framework_id`: re-subscribe with this id (after a master restart).
  TestFramework(const std::string& master, const std::string& name,
                const std::string& framework_id = "",
                std::vector<common::v1::FrameworkInfo::Capability::Type> capabilities = {});
  ~TestFramework();

  // Waits for SUBSCRIBED; the framework id.
  absl::StatusOr<std::string> WaitSubscribed(absl::Duration timeout);

  // Waits for an offer (of `agent_id` if not empty) that holds the task's resources and
  // launches the task on it (agent_id is filled in). Returns the agent id used.
  absl::StatusOr<std::string> Launch(common::v1::TaskInfo task, absl::Duration timeout,
                                     const std::string& agent_id = "");
  absl::Status Kill(const std::string& task_id, std::optional<absl::Duration> grace = std::nullopt);

  // Every UPDATE of `task_id` so far, oldest first.
  std::vector<common::v1::TaskStatus> Updates(const std::string& task_id);
  // Waits for an update of `task_id` to `state`; returns it.
  absl::StatusOr<common::v1::TaskStatus> WaitForState(const std::string& task_id,
                                                      common::v1::TaskState state,
                                                      absl::Duration timeout);
  // The states of `task_id`'s updates, e.g. "STARTING,RUNNING,FINISHED".
  std::string States(const std::string& task_id);

 private:
  void ReadLoop();
  void Acknowledge(const common::v1::TaskStatus& status);

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<master::v1::Scheduler::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<master::v1::Event>> stream_;
  absl::Mutex mu_;
  std::string framework_id_ ABSL_GUARDED_BY(mu_);
  std::string stream_id_ ABSL_GUARDED_BY(mu_);
  std::vector<master::v1::Event> events_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> used_offers_ ABSL_GUARDED_BY(mu_);
  std::thread reader_;
};

// A task with a shell command and the given resources.
common::v1::TaskInfo ShellTask(const std::string& id, const std::string& command,
                               double cpus = 0.1, double mem = 32);

// Short names for states ("RUNNING").
std::string StateName(common::v1::TaskState state);

// Runs the dcos CLI (the test lists //tools/dcos:dcos in `data`) to its end, at most `timeout`:
// its exit code and its output (stdout and stderr together). Errors if it does not end.
absl::StatusOr<std::pair<int, std::string>> RunDcos(const std::string& dir,
                                                    const std::string& name,
                                                    std::vector<std::string> args,
                                                    absl::Duration timeout);

}  // namespace dcos::testing
