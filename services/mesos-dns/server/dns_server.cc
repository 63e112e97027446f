#include "services/mesos-dns/server/dns_server.h"

#include "libs/status/status_macros.h"

namespace dcos::dns::server {

absl::StatusOr<std::unique_ptr<DnsServer>> DnsServer::Start(DnsServerOptions options,
                                                            const SnapshotHolder* records,
                                                            Forwarder* forwarder,
                                                            const clock::Clock* clock) {
  if (forwarder == nullptr) options.responder.forwarding_enabled = false;
  DCOS_ASSIGN_OR_RETURN(SocketAddress address, MakeSocketAddress(options.ip, options.port));
  std::unique_ptr<DnsServer> server(new DnsServer());
  // With port 0 the UDP port picked may be taken for TCP; try a few times.
  absl::Status last;
  for (int attempt = 0; attempt < 5; ++attempt) {
    DCOS_ASSIGN_OR_RETURN(server->udp_,
                          UdpListener::Start(address, options.udp_threads, records, forwarder,
                                             options.responder, &server->stats_, clock));
    absl::StatusOr<std::unique_ptr<TcpListener>> tcp =
        TcpListener::Start(address.WithPort(server->udp_->port()), options.tcp, records,
                           forwarder, options.responder, &server->stats_, clock);
    if (tcp.ok()) {
      server->tcp_ = *std::move(tcp);
      return server;
    }
    last = tcp.status();
    server->udp_.reset();
    if (options.port != 0) break;
  }
  return last;
}

void DnsServer::Stop() {
  if (udp_ != nullptr) udp_->Stop();
  if (tcp_ != nullptr) tcp_->Stop();
}

}  // namespace dcos::dns::server
