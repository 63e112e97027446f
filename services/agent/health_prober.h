#pragma once

// HealthProber: runs health check probes for the agent's core — a command in the task's
// sandbox and environment (exit 0 is healthy), an HTTP GET (a status in 200..399, or one of
// the listed ones), a TCP connect — each within its timeout. PosixHealthProber runs them on a
// few worker threads of its own; results come back through a callback on those threads.

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "protos/common/v1/health.pb.h"

namespace dcos::agent {

struct ProbeRequest {
  std::string container_id;
  uint64_t sequence = 0;
  common::v1::HealthCheck check;
  // Where HTTP and TCP checks connect (the agent's address: tasks share its network).
  std::string host;
  // Command checks run here, with this environment.
  std::string sandbox_dir;
  std::vector<std::pair<std::string, std::string>> environment;
  absl::Duration timeout = absl::Seconds(20);
};

struct ProbeResult {
  bool healthy = false;
  std::string message;  // why not, e.g. "HTTP 503", "connection refused", "timed out after 2s"
};

// Runs one probe to its end (at most its timeout), on the calling thread.
ProbeResult RunProbe(const ProbeRequest& request);

class HealthProber {
 public:
  using Done = std::function<void(const ProbeRequest&, const ProbeResult&)>;
  virtual ~HealthProber() = default;
  // Starts a probe; its result comes through the done callback.
  virtual void Probe(ProbeRequest request) = 0;
};

class PosixHealthProber final : public HealthProber {
 public:
  PosixHealthProber(int threads, Done done);
  // Waits for running probes (each bounded by its timeout); queued ones are dropped.
  ~PosixHealthProber() override;

  void Probe(ProbeRequest request) override;

 private:
  void Work();

  Done done_;
  absl::Mutex mu_;
  std::deque<ProbeRequest> queue_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;
};

}  // namespace dcos::agent
