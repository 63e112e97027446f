#pragma once

// AresForwarder: forwards queries for names outside the domain to upstream resolvers with
// c-ares (Mesos-DNS's `resolvers`, `timeout`, `externalon`). Resolvers are tried in the order
// given: a resolver that times out, or answers SERVFAIL, REFUSED or NOTIMP, hands the query to
// the next one; when every one failed the caller gets an error (the server answers SERVFAIL).
//
// One thread owns the c-ares channel (c-ares 1.18 channels are not thread-safe): Forward()
// queues the query and wakes it through an eventfd; answers are reported from that thread.
//
// Lifetime: the destructor ends the thread after failing every query still pending
// (callbacks run with CANCELLED). Thread-safe.

#include <ares.h>

#include <atomic>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/mesos-dns/server/forwarder.h"

namespace dcos::dns::server {

struct AresForwarderOptions {
  // "ip", "ip:port" or "[ipv6]:port"; port 53 when not given. At least one.
  std::vector<std::string> resolvers;
  // How long one resolver gets before the next is asked.
  absl::Duration timeout_per_resolver = absl::Seconds(2);
  // Queries waiting for an answer at most; more fail at once (UNAVAILABLE).
  int max_pending = 10000;
};

class AresForwarder final : public Forwarder {
 public:
  // InvalidArgument for an empty or malformed resolver list; Internal if c-ares fails to start.
  static absl::StatusOr<std::unique_ptr<AresForwarder>> Create(
      const AresForwarderOptions& options);
  ~AresForwarder() override;

  void Forward(std::vector<uint8_t> query, Done done) override;

 private:
  struct Request {
    std::vector<uint8_t> query;
    Done done;
  };

  explicit AresForwarder(const AresForwarderOptions& options) : options_(options) {}
  void Run();
  void StartQueued();
  static void OnAnswer(void* arg, int status, int timeouts, unsigned char* answer, int length);

  const AresForwarderOptions options_;
  ares_channel channel_ = nullptr;
  int wake_fd_ = -1;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> pending_{0};

  absl::Mutex mu_;
  std::deque<Request> queued_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dcos::dns::server
