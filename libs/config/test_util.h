#pragma once

// A typical service configuration shared by the config tests.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "libs/config/host_port.h"
#include "libs/config/schema.h"

namespace dcos::config::testing {

struct MasterConfig {
  std::string listen = "0.0.0.0:5050";
  int64_t port = 5050;
  double sample = 0.5;
  bool tls = false;
  std::string cert = "";
  absl::Duration timeout = absl::Seconds(10);
  std::vector<std::string> peers = {"a:1", "b:2"};
  std::string level = "info";
  int64_t workers = 4;

  explicit MasterConfig(Schema& s) {
    s.String("grpc.listen", &listen, "gRPC listen address").Check(ValidateHostPort);
    s.Int("grpc.port", &port, "gRPC port").Range(1, 65535);
    s.Double("trace.sample", &sample, "fraction of requests traced").Range(0.0, 1.0);
    s.Bool("tls.enabled", &tls, "serve TLS");
    s.String("tls.cert_file", &cert, "PEM certificate");
    s.Duration("grpc.timeout", &timeout, "per-call deadline")
        .DurationRange(absl::Milliseconds(1), absl::Hours(1));
    s.StringList("peers", &peers, "other masters");
    s.String("log.level", &level, "log level").OneOf({"debug", "info", "warning", "error"});
    s.Int("workers", &workers, "worker threads");
  }
};

// A path in the test's private temporary directory.
inline std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

}  // namespace dcos::config::testing
