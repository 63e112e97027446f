#include "libs/testing/tcp_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace dcos::testing {
namespace {

// An echo server on a free loopback port; one thread per connection.
class EchoServer {
 public:
  EchoServer() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
    REQUIRE(listen(fd_, 16) == 0);
    REQUIRE(getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] {
      for (;;) {
        int c = accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        std::thread([c] {
          char buf[256];
          ssize_t n;
          while ((n = read(c, buf, sizeof(buf))) > 0) {
            if (write(c, buf, static_cast<size_t>(n)) != n) break;
          }
          close(c);
        }).detach();
      }
    });
  }
  ~EchoServer() {
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
  }
  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }

 private:
  int fd_;
  int port_ = 0;
  std::thread thread_;
};

int Connect(const std::string& address) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  int port = 0;
  REQUIRE(absl::SimpleAtoi(address.substr(address.rfind(':') + 1), &port));
  a.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
  timeval tv{5, 0};  // a broken relay fails the test instead of hanging it
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return fd;
}

// Sends `text` and reads it back; "" if the connection failed.
std::string RoundTrip(int fd, const std::string& text) {
  if (send(fd, text.data(), text.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(text.size())) return "";
  std::string got;
  char buf[256];
  while (got.size() < text.size()) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) return "";
    got.append(buf, static_cast<size_t>(n));
  }
  return got;
}

TEST_CASE("tcp proxy: relays both ways, cuts open and new connections, restores") {
  EchoServer echo;
  auto proxy = TcpProxy::Start(echo.address());
  REQUIRE(proxy.ok());
  int a = Connect((*proxy)->address());
  CHECK(RoundTrip(a, "hello") == "hello");
  std::string big(100000, 'x');  // more than one read's worth, both ways
  CHECK(RoundTrip(a, big) == big);

  (*proxy)->Cut();
  char c;
  CHECK(read(a, &c, 1) <= 0);  // the open connection is reset
  close(a);
  int b = Connect((*proxy)->address());  // accepted, then closed at once
  CHECK(RoundTrip(b, "x").empty());
  close(b);

  (*proxy)->Restore();
  int d = Connect((*proxy)->address());
  CHECK(RoundTrip(d, "again") == "again");
  close(d);
}

// Reads `n` bytes; fewer if the connection ends (or 5 s pass: Connect's receive timeout).
std::string ReadN(int fd, size_t n) {
  std::string got;
  char buf[256];
  while (got.size() < n) {
    ssize_t r = read(fd, buf, std::min(sizeof(buf), n - got.size()));
    if (r <= 0) break;
    got.append(buf, static_cast<size_t>(r));
  }
  return got;
}

// Nothing arrives on `fd` (neither data nor a reset) within `within`: proving an absence
// takes a bound.
bool Silent(int fd, int within_ms) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, within_ms) == 0;
}

TEST_CASE("tcp proxy: a blackhole drops everything silently; Restore delivers what waited") {
  EchoServer echo;
  auto proxy = TcpProxy::Start(echo.address());
  REQUIRE(proxy.ok());
  int a = Connect((*proxy)->address());
  CHECK(RoundTrip(a, "hello") == "hello");

  (*proxy)->Blackhole();
  CHECK((*proxy)->blackholed());
  REQUIRE(send(a, "ping", 4, MSG_NOSIGNAL) == 4);
  CHECK(Silent(a, 300));  // no echo, and no reset either
  int b = Connect((*proxy)->address());  // accepted, but never relayed
  REQUIRE(send(b, "held", 4, MSG_NOSIGNAL) == 4);
  CHECK(Silent(b, 300));

  (*proxy)->Restore();
  CHECK_FALSE((*proxy)->blackholed());
  CHECK(ReadN(a, 4) == "ping");
  CHECK(ReadN(b, 4) == "held");
  CHECK(RoundTrip(b, "after") == "after");
  close(a);
  close(b);
}

TEST_CASE("tcp proxy: a bad target is an error; a target that is down fails each connection") {
  CHECK_FALSE(TcpProxy::Start("nonsense").ok());
  CHECK_FALSE(TcpProxy::Start("127.0.0.1:0").ok());
  int port;
  {
    EchoServer gone;
    port = std::stoi(gone.address().substr(10));
  }
  auto proxy = TcpProxy::Start(absl::StrCat("127.0.0.1:", port));
  REQUIRE(proxy.ok());
  int fd = Connect((*proxy)->address());
  CHECK(RoundTrip(fd, "x").empty());
  close(fd);
}

}  // namespace
}  // namespace dcos::testing
