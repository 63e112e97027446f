#pragma once

// LaunchFramework: the framework side of launch_bench — a scheduler on the real Scheduler API
// (dcos.master.v1.Scheduler) that launches many identical tasks as fast as offers allow, several
// per Accept, acknowledges every update at once (an agent sends a task's next update only after
// the previous one is acknowledged), records when each task was accepted and when it became
// RUNNING, and kills them all at the end.
//
// Thread-safety: one owner thread calls the methods; events are read on a thread of its own and
// acknowledgements sent by a few more.

#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "protos/master/v1/scheduler.grpc.pb.h"

namespace dcos::bench {

struct LaunchOptions {
  int tasks = 1000;
  // At most this many tasks per Accept (0: as many as the offer holds).
  int tasks_per_accept = 0;
  double task_cpus = 0.1;
  double task_mem = 32;
  std::string command = "sleep 3600";
  absl::Duration timeout = absl::Minutes(5);
};

// What a launch wave measured.
struct LaunchResult {
  int launched = 0;  // tasks sent in Accepts
  int running = 0;   // tasks that reached TASK_RUNNING
  int failed = 0;    // tasks that ended before RUNNING
  int accepts = 0;   // Accept calls
  std::string first_failure;
  absl::Time first_accept;
  absl::Time last_running;
  std::vector<double> accept_to_running_us;  // one per RUNNING task
  absl::flat_hash_map<std::string, absl::Time> running_at;  // task id -> when RUNNING came
};

class LaunchFramework {
 public:
  explicit LaunchFramework(const std::string& master);
  // Tears the framework down (the master kills what is left) and stops the threads.
  ~LaunchFramework();

  // Subscribes; waits for SUBSCRIBED.
  absl::Status Subscribe(absl::Duration timeout);

  // Launches options.tasks tasks (ids "bench-<n>") and waits until each is RUNNING or ended.
  absl::StatusOr<LaunchResult> LaunchAll(const LaunchOptions& options);

  // Kills every task launched and waits until all ended (and their updates are acknowledged).
  // Returns how long that took.
  absl::StatusOr<absl::Duration> KillAll(absl::Duration timeout);

  // Removes the framework from the master.
  void Teardown();

 private:
  struct TaskTimes {
    absl::Time accepted;
    absl::Time running;  // InfinitePast until RUNNING
    bool ended = false;
    std::string agent_id;
  };

  void ReadLoop();
  void AckLoop();
  void Accept(const common::v1::Offer& offer, const LaunchOptions& options, int count);
  void Decline(const common::v1::Offer& offer);
  template <typename Request>
  void Identify(Request* r);

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<master::v1::Scheduler::Stub> stub_;
  grpc::ClientContext subscribe_context_;
  std::unique_ptr<grpc::ClientReader<master::v1::Event>> stream_;
  std::thread reader_;
  std::vector<std::thread> ackers_;

  absl::Mutex mu_;
  std::string framework_id_ ABSL_GUARDED_BY(mu_);
  std::string stream_id_ ABSL_GUARDED_BY(mu_);
  bool stream_ended_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::deque<common::v1::Offer> offers_ ABSL_GUARDED_BY(mu_);
  std::deque<master::v1::AcknowledgeRequest> acks_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, TaskTimes> tasks_ ABSL_GUARDED_BY(mu_);
  int running_ ABSL_GUARDED_BY(mu_) = 0;
  int ended_ ABSL_GUARDED_BY(mu_) = 0;
  int failed_before_running_ ABSL_GUARDED_BY(mu_) = 0;
  std::string first_failure_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dcos::bench
