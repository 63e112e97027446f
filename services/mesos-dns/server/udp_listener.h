#pragma once

// UdpListener: DNS over UDP. `threads` threads, each with its own socket bound to the same
// address with SO_REUSEPORT (the kernel spreads clients over them), each reading and answering
// in batches (recvmmsg / sendmmsg) from the current RecordSet. Queries for names outside the
// domain go to the Forwarder; its answers are relayed (RelayUpstreamAnswer) from the thread
// that reports them.
//
// Lifetime: Stop() (or the destructor) stops the threads and then waits for forwarded queries
// still in flight before closing the sockets. `records`, `forwarder` and `stats` must outlive
// the listener. Thread-safe.

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "libs/clock/clock.h"
#include "services/mesos-dns/core/responder.h"
#include "services/mesos-dns/server/forwarder.h"
#include "services/mesos-dns/server/server_stats.h"
#include "services/mesos-dns/server/snapshot_holder.h"
#include "services/mesos-dns/server/socket_util.h"

namespace dcos::dns::server {

class UdpListener {
 public:
  // Binds (port 0 picks a free one, shared by all threads) and starts the threads.
  // `forwarder` may be null when options.forwarding_enabled is false. `clock` times answers.
  static absl::StatusOr<std::unique_ptr<UdpListener>> Start(
      const SocketAddress& address, int threads, const SnapshotHolder* records,
      Forwarder* forwarder, const core::ResponderOptions& options, ServerStats* stats,
      const clock::Clock* clock);
  ~UdpListener();

  uint16_t port() const { return port_; }
  void Stop();

 private:
  UdpListener(const SnapshotHolder* records, Forwarder* forwarder,
              const core::ResponderOptions& options, ServerStats* stats,
              const clock::Clock* clock)
      : records_(records), forwarder_(forwarder), options_(options), stats_(stats),
        clock_(clock) {}
  void Run(int fd);
  void Forward(int fd, const sockaddr_storage& from, socklen_t from_length,
               std::vector<uint8_t> query);

  const SnapshotHolder* records_;
  Forwarder* forwarder_;
  const core::ResponderOptions options_;
  ServerStats* stats_;
  const clock::Clock* clock_;
  uint16_t port_ = 0;
  std::vector<int> fds_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
  absl::Mutex mu_;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace dcos::dns::server
