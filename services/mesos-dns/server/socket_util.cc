#include "services/mesos-dns/server/socket_util.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace dcos::dns::server {

absl::Status ErrnoStatus(const std::string& what) {
  const int e = errno;
  return absl::ErrnoToStatus(e, what);
}

std::string SocketAddress::ToString() const {
  char text[INET6_ADDRSTRLEN] = {};
  if (family() == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&storage);
    inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
    return absl::StrCat(text, ":", ntohs(in->sin_port));
  }
  const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&storage);
  inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
  return absl::StrCat("[", text, "]:", ntohs(in6->sin6_port));
}

SocketAddress SocketAddress::WithPort(uint16_t port) const {
  SocketAddress a = *this;
  if (family() == AF_INET) {
    reinterpret_cast<sockaddr_in*>(&a.storage)->sin_port = htons(port);
  } else {
    reinterpret_cast<sockaddr_in6*>(&a.storage)->sin6_port = htons(port);
  }
  return a;
}

absl::StatusOr<SocketAddress> MakeSocketAddress(const std::string& ip, uint16_t port) {
  SocketAddress a;
  auto* in = reinterpret_cast<sockaddr_in*>(&a.storage);
  if (inet_pton(AF_INET, ip.c_str(), &in->sin_addr) == 1) {
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    a.length = sizeof(sockaddr_in);
    return a;
  }
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
  if (inet_pton(AF_INET6, ip.c_str(), &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    a.length = sizeof(sockaddr_in6);
    return a;
  }
  return absl::InvalidArgumentError(absl::StrCat("\"", ip, "\" is not an IP address"));
}

uint16_t LocalPort(int fd) {
  sockaddr_storage s{};
  socklen_t len = sizeof(s);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&s), &len) != 0) return 0;
  if (s.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&s)->sin_port);
  return ntohs(reinterpret_cast<sockaddr_in6*>(&s)->sin6_port);
}

absl::StatusOr<int> BoundSocket(const SocketAddress& address, int type, bool reuse_port,
                                bool non_blocking) {
  const int fd = socket(address.family(), type | SOCK_CLOEXEC | (non_blocking ? SOCK_NONBLOCK : 0),
                        0);
  if (fd < 0) return ErrnoStatus("socket");
  const int one = 1;
  if (type == SOCK_STREAM) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) {
    absl::Status s = ErrnoStatus("SO_REUSEPORT");
    close(fd);
    return s;
  }
  if (bind(fd, address.get(), address.length) != 0) {
    absl::Status s = ErrnoStatus(absl::StrCat("bind ", address.ToString()));
    close(fd);
    return s;
  }
  return fd;
}

absl::StatusOr<uint16_t> ClaimFreePort(const SocketAddress& address, int type) {
  const int fd = socket(address.family(), type | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoStatus("socket");
  if (bind(fd, address.get(), address.length) != 0) {
    absl::Status s = ErrnoStatus(absl::StrCat("bind ", address.ToString()));
    close(fd);
    return s;
  }
  const uint16_t port = LocalPort(fd);
  close(fd);
  return port;
}

}  // namespace dcos::dns::server
