#pragma once

// Small POSIX socket helpers shared by the UDP and TCP listeners.

#include <sys/socket.h>

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace dcos::dns::server {

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;

  int family() const { return storage.ss_family; }
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
  // "ip:port" ("[v6]:port").
  std::string ToString() const;
  // The same address with another port.
  SocketAddress WithPort(uint16_t port) const;
};

// An IPv4 or IPv6 literal and a port. InvalidArgument otherwise.
absl::StatusOr<SocketAddress> MakeSocketAddress(const std::string& ip, uint16_t port);

// The local port a socket is bound to (0 on error).
uint16_t LocalPort(int fd);

// A socket of `type` (SOCK_DGRAM / SOCK_STREAM, non-blocking if asked) bound to `address`,
// with SO_REUSEADDR for TCP (a restart need not wait out TIME_WAIT; UDP gets none: it would
// let others bind the port too) and, when `reuse_port`, SO_REUSEPORT. Returns the fd.
absl::StatusOr<int> BoundSocket(const SocketAddress& address, int type, bool reuse_port,
                                bool non_blocking);

// A port of `address`'s IP that nothing is bound to for `type`: `address`'s own port if it is
// free (the bind error otherwise: FAILED_PRECONDITION "Address already in use"), or a free
// one the kernel picks for port 0.
// Checked with a plain socket (no SO_REUSE*), then released. SO_REUSEPORT sockets of one user
// can join any port that user's other SO_REUSEPORT sockets hold (even one the kernel picks
// for port 0), so listeners that use it claim their port this way first.
absl::StatusOr<uint16_t> ClaimFreePort(const SocketAddress& address, int type);

// errno as a Status: "<what>: <strerror>" with the canonical code of the errno.
absl::Status ErrnoStatus(const std::string& what);

}  // namespace dcos::dns::server
