#include "services/agent/fetcher/test_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace dcos::agent::fetcher {

int LoopbackSocket(bool listening, int* port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      (listening && listen(fd, 16) != 0) ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::perror("LoopbackSocket");
    std::abort();
  }
  *port = ntohs(addr.sin_port);
  return fd;
}

TestHttpServer::TestHttpServer() {
  listen_fd_ = LoopbackSocket(/*listening=*/true, &port_);
  thread_ = std::thread([this] { Serve(); });
}

TestHttpServer::~TestHttpServer() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  thread_.join();
  close(listen_fd_);
}

std::string TestHttpServer::Url(const std::string& path) const {
  return absl::StrCat("http://127.0.0.1:", port_, path);
}

void TestHttpServer::Set(const std::string& path, Response response) {
  absl::MutexLock lock(&mu_);
  routes_[path] = std::move(response);
}

int TestHttpServer::requests() const {
  absl::MutexLock lock(&mu_);
  return requests_;
}

void TestHttpServer::Serve() {
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      if (stop_) return;
    }
    pollfd p{listen_fd_, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;  // wakes to check stop_
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::string request;
    char buf[4096];
    while (request.find("\r\n\r\n") == std::string::npos) {
      pollfd r{fd, POLLIN, 0};
      if (poll(&r, 1, 2000) <= 0) break;
      ssize_t n = read(fd, buf, sizeof(buf));
      if (n <= 0) break;
      request.append(buf, static_cast<size_t>(n));
    }
    size_t start = request.find(' ');
    size_t end = start == std::string::npos ? start : request.find(' ', start + 1);
    std::string path = end == std::string::npos ? "" : request.substr(start + 1, end - start - 1);
    Response response{404, "not found\n", false, ""};
    {
      absl::MutexLock lock(&mu_);
      ++requests_;
      auto it = routes_.find(path);
      if (it != routes_.end()) response = it->second;
    }
    std::string out = absl::StrCat("HTTP/1.1 ", response.status, " ",
                                   response.status == 200   ? "OK"
                                   : response.status == 404 ? "Not Found"
                                                            : "Status",
                                   "\r\nConnection: close\r\n");
    if (!response.location.empty()) absl::StrAppend(&out, "Location: ", response.location, "\r\n");
    if (response.chunked) {
      absl::StrAppend(&out, "Transfer-Encoding: chunked\r\n\r\n");
      for (size_t i = 0; i < response.body.size(); i += 7) {
        std::string piece = response.body.substr(i, 7);
        char size[16];
        std::snprintf(size, sizeof(size), "%zx", piece.size());
        absl::StrAppend(&out, size, "\r\n", piece, "\r\n");
      }
      absl::StrAppend(&out, "0\r\n\r\n");
    } else {
      absl::StrAppend(&out, "Content-Length: ", response.body.size(), "\r\n\r\n", response.body);
    }
    for (size_t sent = 0; sent < out.size();) {
      ssize_t n = write(fd, out.data() + sent, out.size() - sent);
      if (n <= 0) break;
      sent += static_cast<size_t>(n);
    }
    close(fd);
  }
}

}  // namespace dcos::agent::fetcher
