#pragma once

// The settings every service binary shares: where it listens, gRPC limits and keepalives, TLS,
// shutdown, logging. Each is a config field (YAML file or flag) registered by
// RegisterServerOptions; services add their own fields to the same Schema.

#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "libs/config/config.h"

namespace dcos::runtime {

struct ServerOptions {
  // gRPC listen address, "host:port"; port 0 picks a free port (logged at start).
  std::string grpc_listen;
  // Prometheus /metrics HTTP listen address, "host:port"; empty disables the endpoint.
  std::string metrics_listen;
  // Largest request a client may send, bytes. Default 4 MiB.
  int64_t max_receive_message_bytes = 4 << 20;
  // Largest response the server will send, bytes. Default 16 MiB.
  int64_t max_send_message_bytes = 16 << 20;
  // Concurrent streams per HTTP/2 connection. Default 1000.
  int64_t max_concurrent_streams = 1000;
  // The server pings an idle connection after this long; default 30s.
  absl::Duration keepalive_time = absl::Seconds(30);
  // ...and closes it when the ping is unanswered for this long; default 10s.
  absl::Duration keepalive_timeout = absl::Seconds(10);
  // Clients may ping no more often than this; default 10s.
  absl::Duration keepalive_min_client_ping_interval = absl::Seconds(10);
  // PEM certificate chain and private key; both set = TLS, both empty = plaintext.
  std::string tls_cert_file;
  std::string tls_key_file;
  // PEM CA bundle; when set, clients must present a certificate signed by it (mutual TLS).
  std::string tls_client_ca_file;
  // On SIGTERM/SIGINT: stop accepting calls, let in-flight calls finish for at most this long,
  // then cancel them. Default 10s.
  absl::Duration shutdown_grace = absl::Seconds(10);
  // Logging: level (debug, info, warning, error) and format (text, json).
  std::string log_level = "info";
  std::string log_format = "text";
};

// Registers the fields above in `schema`, writing into `options` (which holds the defaults,
// e.g. a service's own default listen address).
void RegisterServerOptions(config::Schema& schema, ServerOptions* options);

}  // namespace dcos::runtime
