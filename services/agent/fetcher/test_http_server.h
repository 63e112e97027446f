#pragma once

// TestHttpServer: a tiny HTTP/1.1 server on 127.0.0.1 (a port the kernel picks) for tests of
// the fetcher: each request path is answered from a table (status, body, chunked or not, a
// Location); unknown paths are 404. One thread; one connection at a time, closed after the
// response. Stops (and joins) on destruction.

#include <map>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"

namespace dcos::agent::fetcher {

// A TCP socket bound to 127.0.0.1 on a port the kernel picks (*port), listening if asked (a
// listener nobody accepts from is a server that never answers; a bound socket that never
// listens refuses connections). Aborts the test binary when the kernel says no.
int LoopbackSocket(bool listening, int* port);

class TestHttpServer {
 public:
  struct Response {
    int status = 200;
    std::string body;
    bool chunked = false;
    std::string location;
  };

  TestHttpServer();
  ~TestHttpServer();

  int port() const { return port_; }
  // "http://127.0.0.1:<port><path>".
  std::string Url(const std::string& path) const;
  void Set(const std::string& path, Response response);
  int requests() const;

 private:
  void Serve();

  int listen_fd_ = -1;
  int port_ = 0;
  mutable absl::Mutex mu_;
  std::map<std::string, Response> routes_ ABSL_GUARDED_BY(mu_);
  int requests_ ABSL_GUARDED_BY(mu_) = 0;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace dcos::agent::fetcher
