#include "libs/testing/tcp_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace dcos::testing {
namespace {

// One relayed connection: bytes read from one side wait in `pending` until the other side
// takes them (no reads from a side while its bytes wait: backpressure).
struct Link {
  int fd[2];               // client, upstream (-1: accepted while blackholed, not yet relayed)
  std::string pending[2];  // bytes read from fd[i], not yet written to fd[1 - i]
  bool open = true;
};

void Reset(int fd) {
  // An RST, as a dropped link looks to a peer that notices it.
  linger l{1, 0};
  (void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
  close(fd);
}

void CloseLink(Link& link) {
  if (!link.open) return;
  Reset(link.fd[0]);
  if (link.fd[1] >= 0) Reset(link.fd[1]);
  link.open = false;
}

int ConnectTo(const std::string& host, int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host.c_str(), &addr.sin_addr) != 1 ||
      connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  int one = 1;
  (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  (void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TcpProxy>> TcpProxy::Start(const std::string& target) {
  size_t colon = target.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(target.substr(colon + 1), &port) ||
      port <= 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("TcpProxy target: not host:port: ", target));
  }
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd, 64) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::string why = std::strerror(errno);
    close(fd);
    return absl::InternalError(absl::StrCat("TcpProxy listen: ", why));
  }
  int wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake < 0) {
    close(fd);
    return absl::InternalError(absl::StrCat("eventfd: ", std::strerror(errno)));
  }
  std::unique_ptr<TcpProxy> proxy(new TcpProxy(fd, wake, absl::StrCat("127.0.0.1:", ntohs(addr.sin_port)),
                                               target.substr(0, colon), port));
  proxy->thread_ = std::thread([p = proxy.get()] { p->Run(); });
  return proxy;
}

TcpProxy::TcpProxy(int listen_fd, int wake_fd, std::string address, std::string target_host,
                   int target_port)
    : listen_fd_(listen_fd),
      wake_fd_(wake_fd),
      address_(std::move(address)),
      target_host_(std::move(target_host)),
      target_port_(target_port) {}

TcpProxy::~TcpProxy() {
  stop_.store(true);
  Wake();
  if (thread_.joinable()) thread_.join();
  close(listen_fd_);
  close(wake_fd_);
}

void TcpProxy::Wake() {
  uint64_t one = 1;
  (void)write(wake_fd_, &one, sizeof(one));
}

void TcpProxy::Cut() {
  cut_.store(true);
  Wake();
}

void TcpProxy::Blackhole() {
  blackhole_.store(true);
  Wake();
}

void TcpProxy::Restore() {
  cut_.store(false);
  blackhole_.store(false);
  Wake();
}

void TcpProxy::Run() {
  std::vector<Link> links;
  std::vector<pollfd> fds;
  std::vector<std::pair<size_t, int>> owners;  // fds[k] (k >= 2) -> (link, side)
  char buf[64 << 10];
  while (!stop_.load()) {
    const bool blackhole = blackhole_.load();
    if (cut_.load()) {
      for (Link& l : links) CloseLink(l);
    } else if (!blackhole) {
      // Connections accepted while blackholed are relayed from now on.
      for (Link& l : links) {
        if (l.open && l.fd[1] < 0) {
          l.fd[1] = ConnectTo(target_host_, target_port_);
          if (l.fd[1] < 0) CloseLink(l);
        }
      }
    }
    std::erase_if(links, [](const Link& l) { return !l.open; });
    fds.assign({{listen_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}});
    owners.clear();
    // Blackholed: no link is read or written (their bytes wait in the kernel's buffers).
    for (size_t i = 0; i < links.size() && !blackhole; ++i) {
      for (int side = 0; side < 2; ++side) {
        short events = 0;
        if (links[i].pending[side].empty()) events |= POLLIN;       // read more from it
        if (!links[i].pending[1 - side].empty()) events |= POLLOUT;  // owe it bytes
        fds.push_back({links[i].fd[side], events, 0});
        owners.emplace_back(i, side);
      }
    }
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[1].revents & POLLIN) {
      uint64_t n;
      (void)read(wake_fd_, &n, sizeof(n));
    }
    if (fds[0].revents & POLLIN) {
      for (;;) {
        int client = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (client < 0) break;
        // Cut, or the target is down: the connection fails at once. Blackholed: held.
        int upstream = -1;
        if (cut_.load() || (!blackhole && (upstream = ConnectTo(target_host_, target_port_)) < 0)) {
          Reset(client);
          continue;
        }
        int one = 1;
        (void)setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        Link l;
        l.fd[0] = client;
        l.fd[1] = upstream;
        links.push_back(std::move(l));
      }
    }
    for (size_t k = 2; k < fds.size(); ++k) {
      auto [i, side] = owners[k - 2];
      Link& l = links[i];
      if (!l.open || fds[k].revents == 0) continue;
      if (fds[k].revents & POLLOUT) {
        std::string& out = l.pending[1 - side];
        ssize_t n = write(l.fd[side], out.data(), out.size());
        if (n > 0) out.erase(0, static_cast<size_t>(n));
        if (n < 0 && errno != EAGAIN && errno != EINTR) CloseLink(l);
      }
      if (l.open && (fds[k].revents & (POLLIN | POLLHUP | POLLERR))) {
        ssize_t n = read(l.fd[side], buf, sizeof(buf));
        if (n > 0) {
          l.pending[side].append(buf, static_cast<size_t>(n));
        } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
          CloseLink(l);  // one side closed: close both (no half-close relaying)
        }
      }
    }
  }
  for (Link& l : links) CloseLink(l);
}

}  // namespace dcos::testing
