#include "libs/runtime/server_options.h"

namespace dcos::runtime {

void RegisterServerOptions(config::Schema& schema, ServerOptions* o) {
  schema.String("grpc.listen", &o->grpc_listen, "gRPC listen address host:port (port 0: any free port)")
      .Required()
      .Check(config::ValidateHostPort);
  schema.String("metrics.listen", &o->metrics_listen,
                "Prometheus /metrics listen address host:port; empty disables it")
      .Check([](absl::string_view v) {
        return v.empty() ? absl::OkStatus() : config::ValidateHostPort(v);
      });
  schema.Int("grpc.max_receive_message_bytes", &o->max_receive_message_bytes,
             "largest request accepted, bytes")
      .Range(int64_t{1024}, int64_t{1} << 30);
  schema.Int("grpc.max_send_message_bytes", &o->max_send_message_bytes,
             "largest response sent, bytes")
      .Range(int64_t{1024}, int64_t{1} << 30);
  schema.Int("grpc.max_concurrent_streams", &o->max_concurrent_streams,
             "concurrent streams per HTTP/2 connection")
      .Range(int64_t{1}, int64_t{1000000});
  schema.Duration("grpc.keepalive.time", &o->keepalive_time,
                  "ping an idle connection after this long")
      .DurationRange(absl::Seconds(1), absl::Hours(24));
  schema.Duration("grpc.keepalive.timeout", &o->keepalive_timeout,
                  "close a connection whose ping is unanswered this long")
      .DurationRange(absl::Milliseconds(100), absl::Hours(1));
  schema.Duration("grpc.keepalive.min_client_ping_interval", &o->keepalive_min_client_ping_interval,
                  "shortest interval between client pings the server tolerates")
      .DurationRange(absl::Milliseconds(100), absl::Hours(24));
  schema.String("tls.cert_file", &o->tls_cert_file, "PEM certificate chain; enables TLS with tls.key_file");
  schema.String("tls.key_file", &o->tls_key_file, "PEM private key of tls.cert_file");
  schema.String("tls.client_ca_file", &o->tls_client_ca_file,
                "PEM CA bundle; when set, clients must present a certificate it signed (mTLS)");
  schema.Duration("shutdown.grace", &o->shutdown_grace,
                  "how long in-flight calls may finish after SIGTERM before they are cancelled")
      .DurationRange(absl::ZeroDuration(), absl::Hours(1));
  schema.String("log.level", &o->log_level, "log level").OneOf({"debug", "info", "warning", "error"});
  schema.String("log.format", &o->log_format, "log format: text or json (JSON lines)")
      .OneOf({"text", "json"});
}

}  // namespace dcos::runtime
