// dcos-echo-server: a test-only service built on the runtime exactly as the real services are,
// so tests/runtime can check the runtime from outside. Readiness follows a file: the server is
// SERVING once `echo.ready_file` exists (or at once when the field is empty).

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "libs/log/log.h"
#include "libs/runtime/main.h"
#include "tests/runtime/echo.grpc.pb.h"

namespace {

using dcos::testing::v1::EchoReply;
using dcos::testing::v1::EchoRequest;
using dcos::testing::v1::HoldReply;
using dcos::testing::v1::HoldRequest;

class EchoService final : public dcos::testing::v1::Echo::Service {
 public:
  grpc::Status Echo(grpc::ServerContext*, const EchoRequest* request, EchoReply* reply) override {
    if (request->message() == "bad") {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "message \"bad\" is refused");
    }
    reply->set_message(request->message());
    return grpc::Status::OK;
  }

  grpc::Status Hold(grpc::ServerContext* context, const HoldRequest* request,
                    HoldReply* reply) override {
    dcos::log::Info("hold started").Field("millis", request->millis());
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(request->millis());
    while (std::chrono::steady_clock::now() < until) {
      if (context->IsCancelled()) {
        dcos::log::Info("hold cancelled");
        return grpc::Status::CANCELLED;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    reply->set_completed(true);
    dcos::log::Info("hold completed");
    return grpc::Status::OK;
  }
};

class EchoComponent final : public dcos::runtime::Component {
 public:
  explicit EchoComponent(std::string ready_file) : ready_file_(std::move(ready_file)) {}

  ~EchoComponent() override {
    stop_ = true;
    if (watcher_.joinable()) watcher_.join();
  }

  EchoService& service() { return service_; }

  absl::Status Start(dcos::runtime::ServiceRuntime& runtime) override {
    if (ready_file_.empty()) {
      runtime.SetReady(true);
      return absl::OkStatus();
    }
    watcher_ = std::thread([this, &runtime] {
      while (!stop_ && !std::filesystem::exists(ready_file_)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      if (!stop_) runtime.SetReady(true);
    });
    return absl::OkStatus();
  }

  void BeginShutdown() override { stop_ = true; }

 private:
  std::string ready_file_;
  EchoService service_;
  std::atomic<bool> stop_{false};
  std::thread watcher_;
};

}  // namespace

int main(int argc, char** argv) {
  std::string ready_file;
  dcos::runtime::MainSpec spec;
  spec.component = "dcos-echo-server";
  spec.description = "test-only echo service on the dcos runtime";
  spec.default_grpc_listen = "127.0.0.1:0";
  spec.default_metrics_listen = "127.0.0.1:0";
  spec.add_config = [&](dcos::config::Schema& schema) {
    schema.String("echo.ready_file", &ready_file, "become SERVING once this file exists");
  };
  spec.build = [&](dcos::runtime::ServiceRuntime& runtime)
      -> absl::StatusOr<std::unique_ptr<dcos::runtime::Component>> {
    auto component = std::make_unique<EchoComponent>(ready_file);
    runtime.AddService(&component->service(), "dcos.testing.v1.Echo");
    return component;
  };
  return dcos::runtime::RunMain(argc, argv, spec);
}
