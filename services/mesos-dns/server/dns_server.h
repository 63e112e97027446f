#pragma once

// DnsServer: dcos-dns's DNS service — a UdpListener and a TcpListener on one address and port,
// answering from a SnapshotHolder, forwarding names outside the domain to a Forwarder.
//
// Lifetime: Start() binds and starts serving; Stop() (or the destructor) stops both listeners
// and waits for their forwarded queries. `records`, `forwarder` and `clock` must outlive it.
// Thread-safe.

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "libs/clock/clock.h"
#include "services/mesos-dns/core/responder.h"
#include "services/mesos-dns/server/forwarder.h"
#include "services/mesos-dns/server/server_stats.h"
#include "services/mesos-dns/server/snapshot_holder.h"
#include "services/mesos-dns/server/tcp_listener.h"
#include "services/mesos-dns/server/udp_listener.h"

namespace dcos::dns::server {

struct DnsServerOptions {
  // IPv4 or IPv6 literal.
  std::string ip = "127.0.0.1";
  // 0 picks a free port (the same for UDP and TCP).
  uint16_t port = 8053;
  // UDP threads (sockets with SO_REUSEPORT).
  int udp_threads = 2;
  TcpOptions tcp;
  core::ResponderOptions responder;
};

class DnsServer {
 public:
  // `forwarder` may be null: then names outside the domain are REFUSED whatever
  // options.responder.forwarding_enabled says.
  static absl::StatusOr<std::unique_ptr<DnsServer>> Start(DnsServerOptions options,
                                                          const SnapshotHolder* records,
                                                          Forwarder* forwarder,
                                                          const clock::Clock* clock);
  ~DnsServer() { Stop(); }

  uint16_t port() const { return udp_->port(); }
  const ServerStats& stats() const { return stats_; }
  void Stop();

 private:
  DnsServer() = default;

  ServerStats stats_;
  std::unique_ptr<UdpListener> udp_;
  std::unique_ptr<TcpListener> tcp_;
};

}  // namespace dcos::dns::server
