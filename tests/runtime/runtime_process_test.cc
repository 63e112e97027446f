// Multi-process tests of the service runtime: a real server binary (dcos-echo-server, built on
// libs/runtime exactly like the real services) checked from outside over loopback.

#include <signal.h>

#include <cstdlib>
#include <fstream>
#include <future>
#include <set>

#include <catch2/catch.hpp>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "libs/testing/harness.h"
#include "libs/testing/process.h"
#include "tests/runtime/echo.grpc.pb.h"

namespace dcos::testing {
namespace {

using dcos::testing::v1::Echo;
using dcos::testing::v1::EchoReply;
using dcos::testing::v1::EchoRequest;
using dcos::testing::v1::HoldReply;
using dcos::testing::v1::HoldRequest;

constexpr absl::Duration kStartTimeout = absl::Seconds(30);

struct Server {
  std::unique_ptr<TestProcess> process;
  std::string grpc;
  std::string metrics;
};

// Starts dcos-echo-server on free loopback ports with extra flags.
Server StartServer(const std::string& dir, const std::string& name,
                   std::vector<std::string> flags) {
  Server s;
  s.grpc = absl::StrCat("127.0.0.1:", FreePort());
  s.metrics = absl::StrCat("127.0.0.1:", FreePort());
  flags.push_back("--grpc.listen=" + s.grpc);
  flags.push_back("--metrics.listen=" + s.metrics);
  auto p = TestProcess::Start({name, Runfile("tests/runtime/dcos-echo-server"), flags, dir});
  REQUIRE(p.ok());
  s.process = std::move(*p);
  return s;
}

absl::StatusOr<std::string> Call(const std::string& target,
                                 std::shared_ptr<grpc::ChannelCredentials> creds,
                                 const std::string& message,
                                 grpc::ChannelArguments args = grpc::ChannelArguments()) {
  auto stub = Echo::NewStub(grpc::CreateCustomChannel(target, creds, args));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  EchoRequest request;
  request.set_message(message);
  EchoReply reply;
  grpc::Status status = stub->Echo(&context, request, &reply);
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                        status.error_message());
  }
  return reply.message();
}

std::set<std::string> ReflectedServices(const std::string& target) {
  auto stub = grpc::reflection::v1alpha::ServerReflection::NewStub(
      grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  auto stream = stub->ServerReflectionInfo(&context);
  grpc::reflection::v1alpha::ServerReflectionRequest request;
  request.set_list_services("*");
  REQUIRE(stream->Write(request));
  stream->WritesDone();
  grpc::reflection::v1alpha::ServerReflectionResponse response;
  std::set<std::string> names;
  while (stream->Read(&response)) {
    for (const auto& s : response.list_services_response().service()) names.insert(s.name());
  }
  REQUIRE(stream->Finish().ok());
  return names;
}

// The value of the sample of `metric` whose line contains every one of `labels`; 0 if absent.
double MetricValue(const std::string& text, const std::string& metric,
                   const std::vector<std::string>& labels) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!absl::StartsWith(line, metric + "{") && !absl::StartsWith(line, metric + " ")) continue;
    bool all = true;
    for (const std::string& l : labels) all = all && absl::StrContains(line, l);
    if (all) return std::stod(line.substr(line.rfind(' ') + 1));
  }
  return 0;
}

TEST_CASE("health is NOT_SERVING until ready, reflection lists the services, metrics count RPCs") {
  std::string dir = MakeTempDir("runtime");
  std::string ready_file = dir + "/ready";
  Server s = StartServer(dir, "echo", {"--echo.ready_file=" + ready_file});
  auto insecure = grpc::InsecureChannelCredentials();

  // Listening, but not ready.
  REQUIRE(WaitFor([&] { return HealthStatus(s.grpc, insecure).ok(); }, kStartTimeout,
                  "the health service to answer")
              .ok());
  REQUIRE(*HealthStatus(s.grpc, insecure) == "NOT_SERVING");
  REQUIRE(*HealthStatus(s.grpc, insecure, "dcos.testing.v1.Echo") == "NOT_SERVING");
  REQUIRE(HealthStatus(s.grpc, insecure, "no.such.Service").status().code() ==
          absl::StatusCode::kNotFound);

  std::ofstream(ready_file) << "go";
  REQUIRE(WaitServing(s.grpc, insecure, kStartTimeout).ok());
  REQUIRE(*HealthStatus(s.grpc, insecure, "dcos.testing.v1.Echo") == "SERVING");

  std::set<std::string> services = ReflectedServices(s.grpc);
  REQUIRE(services.count("dcos.testing.v1.Echo") == 1);
  REQUIRE(services.count("grpc.health.v1.Health") == 1);
  REQUIRE(services.count("grpc.reflection.v1alpha.ServerReflection") == 1);

  const std::vector<std::string> ok_labels = {"grpc_service=\"dcos.testing.v1.Echo\"",
                                              "grpc_method=\"Echo\"", "grpc_code=\"OK\""};
  const std::vector<std::string> bad_labels = {"grpc_method=\"Echo\"",
                                               "grpc_code=\"INVALID_ARGUMENT\""};
  auto before = HttpGet(s.metrics, "/metrics");
  REQUIRE(before.ok());
  double ok_before = MetricValue(*before, "grpc_server_handled_total", ok_labels);
  for (int i = 0; i < 5; ++i) REQUIRE(*Call(s.grpc, insecure, "hi") == "hi");
  REQUIRE(Call(s.grpc, insecure, "bad").status().code() == absl::StatusCode::kInvalidArgument);
  auto after = HttpGet(s.metrics, "/metrics");
  REQUIRE(after.ok());
  REQUIRE(MetricValue(*after, "grpc_server_handled_total", ok_labels) == ok_before + 5);
  REQUIRE(MetricValue(*after, "grpc_server_handled_total", bad_labels) == 1);
  REQUIRE(MetricValue(*after, "grpc_server_handling_seconds_count",
                      {"grpc_method=\"Echo\""}) >= 6);
  REQUIRE(MetricValue(*after, "process_resident_memory_bytes", {}) > 0);
  REQUIRE(MetricValue(*after, "process_open_fds", {}) > 0);
  REQUIRE(MetricValue(*after, "process_start_time_seconds", {}) > 1.7e9);
  REQUIRE(MetricValue(*after, "dcos_build_info", {"component=\"dcos-echo-server\""}) == 1);

  s.process->Signal(SIGTERM);
  auto code = s.process->WaitExit(absl::Seconds(20));
  REQUIRE(code.ok());
  REQUIRE(*code == 0);
}

TEST_CASE("an oversized request is refused with RESOURCE_EXHAUSTED and the server lives on") {
  std::string dir = MakeTempDir("runtime");
  Server s = StartServer(dir, "echo", {"--grpc.max_receive_message_bytes=4096"});
  auto insecure = grpc::InsecureChannelCredentials();
  REQUIRE(WaitServing(s.grpc, insecure, kStartTimeout).ok());
  REQUIRE(Call(s.grpc, insecure, std::string(8192, 'x')).status().code() ==
          absl::StatusCode::kResourceExhausted);
  REQUIRE(*Call(s.grpc, insecure, "still here") == "still here");
}

// Runs the openssl command line; REQUIREs success.
void Openssl(const std::string& dir, const std::string& args) {
  std::string cmd = absl::StrCat("cd ", dir, " && openssl ", args, " >>openssl.log 2>&1");
  INFO(cmd);
  REQUIRE(std::system(cmd.c_str()) == 0);
}

// A CA, a server certificate for 127.0.0.1/localhost and a client certificate, all signed by
// the CA; plus a second CA that signed nothing the server trusts.
void MakeCertificates(const std::string& dir) {
  const std::string key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  Openssl(dir, "req -x509 " + key + " -keyout ca.key -out ca.pem -days 2 -subj /CN=test-ca");
  Openssl(dir, "req -x509 " + key + " -keyout other-ca.key -out other-ca.pem -days 2 " +
                   "-subj /CN=other-ca");
  std::ofstream(dir + "/server.ext") << "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
  Openssl(dir, "req " + key + " -keyout server.key -out server.csr -subj /CN=localhost");
  Openssl(dir, "x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
               "-out server.pem -days 2 -extfile server.ext");
  Openssl(dir, "req " + key + " -keyout client.key -out client.csr -subj /CN=client");
  Openssl(dir, "x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
               "-out client.pem -days 2");
  Openssl(dir, "req " + key + " -keyout rogue.key -out rogue.csr -subj /CN=rogue");
  Openssl(dir, "x509 -req -in rogue.csr -CA other-ca.pem -CAkey other-ca.key -CAcreateserial "
               "-out rogue.pem -days 2");
}

std::shared_ptr<grpc::ChannelCredentials> TlsCredentials(const std::string& dir,
                                                         const std::string& client) {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = *ReadFile(dir + "/ca.pem");
  if (!client.empty()) {
    options.pem_cert_chain = *ReadFile(dir + "/" + client + ".pem");
    options.pem_private_key = *ReadFile(dir + "/" + client + ".key");
  }
  return grpc::SslCredentials(options);
}

TEST_CASE("TLS: a client that trusts the CA connects; a plaintext client does not") {
  std::string dir = MakeTempDir("runtime_tls");
  MakeCertificates(dir);
  Server s = StartServer(dir, "echo-tls",
                         {"--tls.cert_file=" + dir + "/server.pem",
                          "--tls.key_file=" + dir + "/server.key"});
  auto tls = TlsCredentials(dir, "");
  REQUIRE(WaitServing(s.grpc, tls, kStartTimeout).ok());
  REQUIRE(*Call(s.grpc, tls, "secret") == "secret");
  REQUIRE(!Call(s.grpc, grpc::InsecureChannelCredentials(), "plain").ok());
}

TEST_CASE("mutual TLS: only clients with a certificate from the configured CA are served") {
  std::string dir = MakeTempDir("runtime_mtls");
  MakeCertificates(dir);
  Server s = StartServer(dir, "echo-mtls",
                         {"--tls.cert_file=" + dir + "/server.pem",
                          "--tls.key_file=" + dir + "/server.key",
                          "--tls.client_ca_file=" + dir + "/ca.pem"});
  auto with_cert = TlsCredentials(dir, "client");
  REQUIRE(WaitServing(s.grpc, with_cert, kStartTimeout).ok());
  REQUIRE(*Call(s.grpc, with_cert, "mutual") == "mutual");
  absl::StatusOr<std::string> no_cert = Call(s.grpc, TlsCredentials(dir, ""), "anonymous");
  REQUIRE(no_cert.status().code() == absl::StatusCode::kUnavailable);
  REQUIRE(!Call(s.grpc, TlsCredentials(dir, "rogue"), "rogue").ok());
  REQUIRE(!Call(s.grpc, grpc::InsecureChannelCredentials(), "plain").ok());
}

// Runs the server with `flags` and expects it to exit 2 with every string of `expect` in its log.
void ExpectBadConfig(const std::vector<std::string>& flags, const std::vector<std::string>& expect) {
  std::string dir = MakeTempDir("runtime_badconfig");
  auto p = TestProcess::Start({"badconfig", Runfile("tests/runtime/dcos-echo-server"), flags, dir});
  REQUIRE(p.ok());
  auto code = (*p)->WaitExit(absl::Seconds(20));
  REQUIRE(code.ok());
  CHECK(*code == 2);
  std::string log = (*p)->Log();
  for (const std::string& e : expect) {
    INFO("log: " << log);
    CHECK(absl::StrContains(log, e));
  }
}

TEST_CASE("a bad config file or flag stops start-up with the field and the file named") {
  std::string dir = MakeTempDir("runtime_config");
  std::string unknown = dir + "/unknown.yaml";
  std::ofstream(unknown) << "grpc:\n  lisen: 127.0.0.1:1\n";
  ExpectBadConfig({"--config=" + unknown}, {"grpc.lisen", unknown});

  std::string range = dir + "/range.yaml";
  std::ofstream(range) << "grpc:\n  max_receive_message_bytes: 5\n";
  ExpectBadConfig({"--config", range}, {"grpc.max_receive_message_bytes", range});

  std::string type = dir + "/type.yaml";
  std::ofstream(type) << "shutdown:\n  grace: [1, 2]\n";
  ExpectBadConfig({"--config=" + type}, {"shutdown.grace", type});

  ExpectBadConfig({"--grpc.max_send_message_bytes=lots"}, {"grpc.max_send_message_bytes"});
  ExpectBadConfig({"--log.level=loud"}, {"log.level"});
  ExpectBadConfig({"--grpc.listen=nonsense"}, {"grpc.listen"});
  ExpectBadConfig({"--config=" + dir + "/missing.yaml"}, {dir + "/missing.yaml"});
}

TEST_CASE("a TLS key without a certificate is a config error naming the field") {
  std::string dir = MakeTempDir("runtime_tlsconfig");
  auto p = TestProcess::Start({"tlsconfig", Runfile("tests/runtime/dcos-echo-server"),
                               {"--grpc.listen=127.0.0.1:0", "--tls.key_file=/nonexistent.key"},
                               dir});
  REQUIRE(p.ok());
  auto code = (*p)->WaitExit(absl::Seconds(20));
  REQUIRE(code.ok());
  CHECK(*code == 1);
  CHECK(absl::StrContains((*p)->Log(), "tls.cert_file"));
}

// Starts Hold(millis) on another thread and waits until the server logs that it holds it.
std::future<grpc::Status> StartHold(Server& s, int64_t millis, HoldReply* reply) {
  auto future = std::async(std::launch::async, [&s, millis, reply] {
    auto stub = Echo::NewStub(grpc::CreateChannel(s.grpc, grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    HoldRequest request;
    request.set_millis(millis);
    return stub->Hold(&context, request, reply);
  });
  REQUIRE(WaitFor([&] { return absl::StrContains(s.process->Log(), "hold started"); },
                  absl::Seconds(20), "the server to hold the call")
              .ok());
  return future;
}

TEST_CASE("SIGTERM lets an in-flight call finish, then the server exits 0") {
  std::string dir = MakeTempDir("runtime_sigterm");
  Server s = StartServer(dir, "echo-sigterm", {"--shutdown.grace=30s"});
  REQUIRE(WaitServing(s.grpc, grpc::InsecureChannelCredentials(), kStartTimeout).ok());
  HoldReply reply;
  std::future<grpc::Status> hold = StartHold(s, 1500, &reply);
  s.process->Signal(SIGTERM);
  grpc::Status status = hold.get();
  INFO(status.error_message());
  REQUIRE(status.ok());
  REQUIRE(reply.completed());
  auto code = s.process->WaitExit(absl::Seconds(20));
  REQUIRE(code.ok());
  REQUIRE(*code == 0);
  REQUIRE(absl::StrContains(s.process->Log(), "hold completed"));
}

TEST_CASE("the shutdown grace bounds how long an in-flight call may delay exit") {
  std::string dir = MakeTempDir("runtime_grace");
  Server s = StartServer(dir, "echo-grace", {"--shutdown.grace=300ms"});
  REQUIRE(WaitServing(s.grpc, grpc::InsecureChannelCredentials(), kStartTimeout).ok());
  HoldReply reply;
  std::future<grpc::Status> hold = StartHold(s, 50000, &reply);
  absl::Time signalled = absl::Now();
  s.process->Signal(SIGTERM);
  grpc::Status status = hold.get();
  REQUIRE(!status.ok());
  REQUIRE(!reply.completed());
  auto code = s.process->WaitExit(absl::Seconds(20));
  REQUIRE(code.ok());
  REQUIRE(*code == 0);
  REQUIRE(absl::Now() - signalled < absl::Seconds(15));
}

}  // namespace
}  // namespace dcos::testing
