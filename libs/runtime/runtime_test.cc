// Unit tests of the runtime's pure parts. The server itself is tested from outside, as a real
// process, in tests/runtime.

#include <catch2/catch.hpp>

#include "libs/runtime/grpc_metrics.h"
#include "libs/runtime/health_service.h"
#include "libs/runtime/process_metrics.h"
#include "libs/runtime/service_runtime.h"
#include "libs/runtime/tls.h"

namespace dcos::runtime {
namespace {

TEST_CASE("ParseProcStat reads CPU, memory, threads and start time") {
  // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
  // utime stime cutime cstime priority nice threads itrealvalue starttime vsize rss ...
  std::string text =
      "42 (my (odd) name) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 7 0 1000 "
      "123456789 300 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
  ProcStat stat;
  REQUIRE(ParseProcStat(text, 100, 4096, 1700000000, &stat));
  REQUIRE(stat.cpu_seconds == Approx(3.0));
  REQUIRE(stat.threads == 7);
  REQUIRE(stat.start_time_seconds == Approx(1700000010));
  REQUIRE(stat.virtual_bytes == 123456789);
  REQUIRE(stat.resident_bytes == 300 * 4096);
}

TEST_CASE("ParseProcStat rejects text of the wrong shape") {
  ProcStat stat;
  REQUIRE_FALSE(ParseProcStat("", 100, 4096, 0, &stat));
  REQUIRE_FALSE(ParseProcStat("1 (x) S 1 2 3", 100, 4096, 0, &stat));
  REQUIRE_FALSE(ParseProcStat("1 (x) S 1 1 1 0 -1 0 0 0 0 0 zz 50 0 0 20 0 7 0 1 2 3", 100,
                              4096, 0, &stat));
}

TEST_CASE("the process collector reports this process") {
  ProcessCollector collector("dcos-test", "1.2.3");
  auto families = collector.Collect();
  bool rss = false, build = false;
  for (const auto& f : families) {
    if (f.name == "process_resident_memory_bytes") rss = f.metric.at(0).gauge.value > 0;
    if (f.name == "dcos_build_info") {
      build = f.metric.at(0).label.size() == 2 && f.metric.at(0).label[1].value == "1.2.3";
    }
  }
  REQUIRE(rss);
  REQUIRE(build);
}

TEST_CASE("status codes have their canonical names") {
  REQUIRE(std::string(GrpcCodeName(grpc::StatusCode::OK)) == "OK");
  REQUIRE(std::string(GrpcCodeName(grpc::StatusCode::FAILED_PRECONDITION)) ==
          "FAILED_PRECONDITION");
  REQUIRE(std::string(GrpcCodeName(grpc::StatusCode::UNAUTHENTICATED)) == "UNAUTHENTICATED");
}

TEST_CASE("WithPort fills in the bound port") {
  REQUIRE(WithPort("127.0.0.1:0", 4242) == "127.0.0.1:4242");
  REQUIRE(WithPort("[::1]:0", 80) == "[::1]:80");
}

TEST_CASE("TLS options are checked and errors name the field") {
  ServerOptions o;
  REQUIRE(MakeServerCredentials(o).ok());  // plaintext
  o.tls_key_file = "/k.pem";
  auto only_key = MakeServerCredentials(o);
  REQUIRE(only_key.status().code() == absl::StatusCode::kInvalidArgument);
  REQUIRE(only_key.status().message().find("tls.cert_file") != std::string::npos);
  o.tls_cert_file = "/nonexistent/cert.pem";
  auto missing = MakeServerCredentials(o);
  REQUIRE(missing.status().message().find("tls.cert_file") != std::string::npos);
  REQUIRE(missing.status().message().find("/nonexistent/cert.pem") != std::string::npos);
  ServerOptions ca_only;
  ca_only.tls_client_ca_file = "/ca.pem";
  REQUIRE(MakeServerCredentials(ca_only).status().message().find("tls.client_ca_file") !=
          std::string::npos);
}

TEST_CASE("the health service is NOT_SERVING until set, knows its names, and ends on shutdown") {
  HealthService health;
  grpc::ServerContext context;
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  REQUIRE(health.Check(&context, &request, &response).ok());
  REQUIRE(response.status() == grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  health.AddServiceName("dcos.x.v1.X");
  health.SetServing(true);
  request.set_service("dcos.x.v1.X");
  REQUIRE(health.Check(&context, &request, &response).ok());
  REQUIRE(response.status() == grpc::health::v1::HealthCheckResponse::SERVING);
  request.set_service("dcos.y.v1.Y");
  REQUIRE(health.Check(&context, &request, &response).error_code() ==
          grpc::StatusCode::NOT_FOUND);
  health.Shutdown();
  health.SetServing(true);  // ignored after shutdown
  request.set_service("");
  REQUIRE(health.Check(&context, &request, &response).ok());
  REQUIRE(response.status() == grpc::health::v1::HealthCheckResponse::NOT_SERVING);
}

}  // namespace
}  // namespace dcos::runtime
