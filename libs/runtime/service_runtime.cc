#include "libs/runtime/service_runtime.h"

#include <chrono>
#include <thread>

#include <grpc/grpc.h>

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/server_builder.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "libs/log/log.h"
#include "libs/runtime/grpc_metrics.h"
#include "libs/runtime/tls.h"
#include "libs/status/status_macros.h"

namespace dcos::runtime {

std::string WithPort(const std::string& listen, int port) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return listen;
  return absl::StrCat(listen.substr(0, colon), ":", port);
}

absl::StatusOr<std::unique_ptr<ServiceRuntime>> ServiceRuntime::Create(
    std::string component, std::string version, const ServerOptions& options) {
  DCOS_ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> credentials,
                        MakeServerCredentials(options));
  return std::unique_ptr<ServiceRuntime>(new ServiceRuntime(
      std::move(component), std::move(version), options, std::move(credentials)));
}

ServiceRuntime::ServiceRuntime(std::string component, std::string version, ServerOptions options,
                               std::shared_ptr<grpc::ServerCredentials> credentials)
    : component_(std::move(component)),
      version_(std::move(version)),
      options_(std::move(options)),
      credentials_(std::move(credentials)),
      registry_(std::make_shared<prometheus::Registry>()),
      process_collector_(std::make_shared<ProcessCollector>(component_, version_)) {}

ServiceRuntime::~ServiceRuntime() { Shutdown(); }

void ServiceRuntime::AddService(grpc::Service* service, const std::string& full_name) {
  services_.push_back(service);
  health_.AddServiceName(full_name);
}

absl::Status ServiceRuntime::Start() {
  static const bool reflection_registered = [] {
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
    return true;
  }();
  (void)reflection_registered;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options_.grpc_listen, credentials_, &port);
  builder.SetMaxReceiveMessageSize(static_cast<int>(options_.max_receive_message_bytes));
  builder.SetMaxSendMessageSize(static_cast<int>(options_.max_send_message_bytes));
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                             static_cast<int>(options_.max_concurrent_streams));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS,
                             static_cast<int>(absl::ToInt64Milliseconds(options_.keepalive_time)));
  builder.AddChannelArgument(
      GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
      static_cast<int>(absl::ToInt64Milliseconds(options_.keepalive_timeout)));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(
      GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
      static_cast<int>(absl::ToInt64Milliseconds(options_.keepalive_min_client_ping_interval)));
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 2);
  builder.RegisterService(&health_);
  for (grpc::Service* service : services_) builder.RegisterService(service);

  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> creators;
  auto interceptors = std::make_unique<GrpcMetricsInterceptorFactory>(*registry_);
  interceptors_ = interceptors.get();
  creators.push_back(std::move(interceptors));
  builder.experimental().SetInterceptorCreators(std::move(creators));

  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port == 0) {
    server_.reset();
    return absl::UnavailableError(
        absl::StrCat("field \"grpc.listen\": cannot listen on ", options_.grpc_listen));
  }
  grpc_address_ = WithPort(options_.grpc_listen, port);

  if (!options_.metrics_listen.empty()) {
    // prometheus-cpp (civetweb) reports a failed bind by throwing: this is that boundary.
    try {
      exposer_ = std::make_unique<prometheus::Exposer>(options_.metrics_listen);
    } catch (const std::exception& e) {
      server_->Shutdown(std::chrono::system_clock::now());
      server_.reset();
      return absl::UnavailableError(absl::StrCat("field \"metrics.listen\": cannot listen on ",
                                                 options_.metrics_listen, ": ", e.what()));
    }
    exposer_->RegisterCollectable(registry_);
    exposer_->RegisterCollectable(process_collector_);
    for (const auto& c : collectables_) exposer_->RegisterCollectable(c);
    std::vector<int> ports = exposer_->GetListeningPorts();
    metrics_address_ =
        ports.empty() ? options_.metrics_listen : WithPort(options_.metrics_listen, ports[0]);
  }
  log::Info("listening")
      .Field("grpc", grpc_address_)
      .Field("metrics", metrics_address_.empty() ? "off" : metrics_address_)
      .Field("tls", options_.tls_cert_file.empty()            ? "off"
                    : options_.tls_client_ca_file.empty() ? "on"
                                                          : "mutual");
  return absl::OkStatus();
}

void ServiceRuntime::SetReady(bool ready) {
  if (shut_down_.load()) return;
  if (ready != health_.serving()) log::Info(ready ? "ready" : "not ready");
  health_.SetServing(ready);
}

int64_t ServiceRuntime::calls_in_flight() const {
  return interceptors_ == nullptr ? 0 : interceptors_->calls_in_flight();
}

void ServiceRuntime::Shutdown() {
  if (shut_down_.exchange(true)) return;
  health_.Shutdown();
  if (server_ != nullptr) {
    auto deadline = std::chrono::system_clock::now() +
                    std::chrono::milliseconds(absl::ToInt64Milliseconds(options_.shutdown_grace));
    // Server::Shutdown blocks until every call is done and every connection closed (or the
    // grace ends): this thread closes the connections once no call is left in flight (see
    // the header). Closing them cancels what is still open: bidi streams the component has
    // already ended. Checked every 20 ms; a call counts as gone once it has been gone at two
    // checks in a row, so that the transport has written the last answer before its
    // connection is closed.
    absl::Notification done;
    std::thread closer([this, &done] {
      constexpr absl::Duration kCheck = absl::Milliseconds(20);
      int idle_checks = 0;
      while (!done.WaitForNotificationWithTimeout(kCheck)) {
        idle_checks = calls_in_flight() == 0 ? idle_checks + 1 : 0;
        if (idle_checks >= 2) grpc_server_cancel_all_calls(server_->c_server());
      }
    });
    server_->Shutdown(deadline);
    done.Notify();
    closer.join();
    server_->Wait();
    server_.reset();
    interceptors_ = nullptr;
  }
  exposer_.reset();
}

}  // namespace dcos::runtime
