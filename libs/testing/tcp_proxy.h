#pragma once

// TcpProxy: a TCP relay between a local port and a target, for partition tests of real
// processes on loopback. Point one process at the proxy's address instead of the other's; Cut()
// makes the link fail like a partition that both sides notice (open connections are reset, new
// ones are accepted and closed at once) and Restore() brings it back (peers reconnect).
// Blackhole() makes it fail like a partition that drops packets: nothing is reset, open
// connections stay open but carry nothing either way, new ones are accepted but never relayed,
// so a peer notices only by its own timeouts; Restore() then relays again, what was sent
// meanwhile included (as TCP would retransmit it). One thread, poll(2), no fixed sleeps; the
// destructor closes everything and joins.
//
// Thread-safe: Cut/Blackhole/Restore from any thread.

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"

namespace dcos::testing {

class TcpProxy {
 public:
  // Listens on 127.0.0.1:<free port> and relays every connection to `target` ("host:port",
  // IPv4 literal or "localhost").
  static absl::StatusOr<std::unique_ptr<TcpProxy>> Start(const std::string& target);
  ~TcpProxy();

  // "127.0.0.1:<port>" to give to the process that should go through the proxy.
  const std::string& address() const { return address_; }

  void Cut();
  void Blackhole();
  // Ends a Cut or a Blackhole.
  void Restore();
  bool cut() const { return cut_.load(); }
  bool blackholed() const { return blackhole_.load(); }

 private:
  TcpProxy(int listen_fd, int wake_fd, std::string address, std::string target_host,
           int target_port);
  void Run();
  void Wake();

  const int listen_fd_;
  const int wake_fd_;  // eventfd: Cut/Restore/stop wake the loop
  const std::string address_;
  const std::string target_host_;
  const int target_port_;
  std::atomic<bool> cut_{false};
  std::atomic<bool> blackhole_{false};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace dcos::testing
