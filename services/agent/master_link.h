#pragma once

// MasterLink: the agent's one AgentChannel.Connect stream to the leading master, opened again
// whenever it breaks, after a random backoff in [0, b] where b starts at the registration
// backoff factor (1 s) and doubles up to 1 min (reset once the agent is registered). Each
// stream has a generation number: events and sends name it, so nothing meant for an old
// stream reaches a new one.
//
// Where the master is comes from a MasterDetector: fixed addresses (--agent.master,
// StaticMasterDetector) or dcos-zk's election (--agent.zk, ZkMasterDetector). A master that
// answers UNAVAILABLE with a LeaderInfo detail redirects the next attempt to the leader. While
// the detector knows no leader the link waits (the same backoff); a detector that reports a new
// leader wakes it at once and ends a stream to another master.
//
// Threads: one that connects and reads, one per stream that writes (a slow master never
// blocks the caller of Send). Callbacks run on the reading thread and must only hand the event
// over. Thread-safety: every method from any thread.

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "protos/master/v1/agent_channel.grpc.pb.h"

namespace dcos::agent {

// Finds the master to connect to.
class MasterDetector {
 public:
  virtual ~MasterDetector() = default;
  // "host:port" of the master to try next; "" while none is known.
  virtual std::string Leader() = 0;
  // A master said another one (`address`) leads: try that one next.
  virtual void Redirect(const std::string& address) = 0;
  // `on_change` is called with the new leader ("" = none known) whenever the detector learns
  // of one by itself (not after Redirect); null stops the calls. It runs under the detector's
  // lock: it must not call the detector, and is never called after SetOnChange returned.
  // Detectors that learn nothing by themselves ignore it.
  virtual void SetOnChange(std::function<void(const std::string& leader)> on_change) {}
};

// Masters at fixed addresses (--agent.master, "host:port[,host:port...]"). A redirect is
// followed once; otherwise each attempt tries the next configured master in turn, so the
// agent finds whichever of them leads after a failover.
class StaticMasterDetector final : public MasterDetector {
 public:
  // `addresses`: one or more "host:port", comma-separated.
  explicit StaticMasterDetector(const std::string& addresses);
  std::string Leader() override;
  void Redirect(const std::string& address) override;

 private:
  absl::Mutex mu_;
  std::vector<std::string> addresses_;
  size_t next_ ABSL_GUARDED_BY(mu_) = 0;
  std::string redirect_ ABSL_GUARDED_BY(mu_);
};

class MasterLink {
 public:
  struct Callbacks {
    // A new stream is open (generation); the receiver sends its first message with Send.
    std::function<void(uint64_t)> connected;
    std::function<void(uint64_t, const master::v1::MasterMessage&)> received;
    // The stream ended; a new one follows after the backoff.
    std::function<void(uint64_t, const grpc::Status&)> disconnected;
  };

  MasterLink(MasterDetector* detector, absl::Duration backoff_factor, Callbacks callbacks,
             uint64_t seed);
  ~MasterLink();

  // Starts connecting (and listening to the detector's changes).
  void Start();
  // Ends the stream and stops reconnecting. Idempotent.
  void Stop();

  // Queues `message` on the stream of `generation`; dropped if that stream is gone.
  void Send(uint64_t generation, master::v1::AgentMessage message);
  // Ends the stream of `generation` (if it is the current one); a new one follows.
  void Reconnect(uint64_t generation);
  // The agent registered: the next reconnection starts from the initial backoff again.
  void ResetBackoff();

 private:
  struct Stream;
  void Loop();
  // Runs one stream to its end.
  grpc::Status RunStream(const std::string& address, uint64_t generation);
  absl::Duration NextBackoff() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The detector names a new leader: wake the loop, end a stream to another master.
  void LeaderChanged(const std::string& leader);

  MasterDetector* detector_;
  const absl::Duration backoff_factor_;
  Callbacks callbacks_;
  absl::Mutex mu_;
  std::mt19937_64 rng_ ABSL_GUARDED_BY(mu_);
  absl::Duration backoff_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool woken_ ABSL_GUARDED_BY(mu_) = false;  // a new leader: skip the backoff once
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  std::shared_ptr<Stream> current_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace dcos::agent
