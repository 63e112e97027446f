#pragma once

// TcpListener: DNS over TCP (RFC 1035 §4.2.2, RFC 7766). One thread with epoll serves every
// connection: messages are read with their 2-byte length prefix, pipelined queries are answered
// as they arrive (forwarded ones when their upstream answers, so possibly out of order, which
// RFC 7766 §6.2.1.1 allows), answers are complete up to 65,535 bytes.
//
// Limits: at most `max_connections` open (further ones are closed at once); a connection idle
// for `idle_timeout` is closed; a zero-length message, or a client that lets more than 1 MiB
// of answers pile up unread, gets its connection closed.
//
// Lifetime: Stop() (or the destructor) ends the thread, waits for forwarded queries still in
// flight (their answers are discarded) and closes every socket. Thread-safe. `records`, `forwarder`,
// `clock` and `stats` must outlive the listener.

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/clock/clock.h"
#include "services/mesos-dns/core/responder.h"
#include "services/mesos-dns/server/forwarder.h"
#include "services/mesos-dns/server/server_stats.h"
#include "services/mesos-dns/server/snapshot_holder.h"
#include "services/mesos-dns/server/socket_util.h"

namespace dcos::dns::server {

struct TcpOptions {
  int max_connections = 1024;
  absl::Duration idle_timeout = absl::Seconds(10);
};

class TcpListener {
 public:
  static absl::StatusOr<std::unique_ptr<TcpListener>> Start(
      const SocketAddress& address, const TcpOptions& tcp, const SnapshotHolder* records,
      Forwarder* forwarder, const core::ResponderOptions& options, ServerStats* stats,
      const clock::Clock* clock);
  ~TcpListener();

  uint16_t port() const { return port_; }
  void Stop();

 private:
  struct Connection {
    int fd = -1;
    std::vector<uint8_t> in;
    std::vector<uint8_t> out;
    size_t out_offset = 0;
    absl::Time last_active;
    bool want_write = false;
    bool peer_closed = false;
  };

  TcpListener(const TcpOptions& tcp, const SnapshotHolder* records, Forwarder* forwarder,
              const core::ResponderOptions& options, ServerStats* stats,
              const clock::Clock* clock)
      : tcp_(tcp),
        records_(records),
        forwarder_(forwarder),
        options_(options),
        stats_(stats),
        clock_(clock) {}

  void Run();
  void Accept();
  void Read(uint64_t id, Connection& c);
  // Answers every complete message in c.in.
  void Answer(uint64_t id, Connection& c);
  void Queue(Connection& c, const std::vector<uint8_t>& message);
  // Writes what it can; false if the connection broke.
  bool Flush(Connection& c);
  void UpdateInterest(uint64_t id, Connection& c);
  void Close(uint64_t id);
  void DeliverForwarded();
  void SweepIdle();

  const TcpOptions tcp_;
  const SnapshotHolder* records_;
  Forwarder* forwarder_;
  const core::ResponderOptions options_;
  ServerStats* stats_;
  const clock::Clock* clock_;
  uint16_t port_ = 0;
  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: forwarded answers ready, or Stop()
  std::thread thread_;
  std::atomic<bool> stopping_{false};

  // Owned by the thread.
  absl::flat_hash_map<uint64_t, Connection> connections_;
  uint64_t next_id_ = 16;  // ids below are the listening socket and the eventfd
  absl::Time last_sweep_;
  uint32_t counter_ = 0;
  std::unique_ptr<core::Responder> responder_;
  std::unique_ptr<SnapshotReader> reader_;

  // Answers of forwarded queries, from the forwarder's threads.
  absl::Mutex mu_;
  std::vector<std::pair<uint64_t, std::vector<uint8_t>>> forwarded_ ABSL_GUARDED_BY(mu_);
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;  // forwarded queries not yet answered
};

}  // namespace dcos::dns::server
