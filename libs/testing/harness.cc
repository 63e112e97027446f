#include "libs/testing/harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <grpcpp/create_channel.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace dcos::testing {

int FreePort() {
  static std::mutex mu;
  static std::set<int> handed_out;
  std::lock_guard<std::mutex> lock(mu);
  for (int attempt = 0; attempt < 100; ++attempt) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) continue;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof(addr);
    int port = 0;
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port = ntohs(addr.sin_port);
    }
    close(fd);
    if (port != 0 && handed_out.insert(port).second) return port;
  }
  std::fprintf(stderr, "FreePort: no free port found\n");
  std::abort();
}

std::string Runfile(const std::string& workspace_path) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir == nullptr) return workspace_path;
  return absl::StrCat(srcdir, "/", workspace == nullptr ? "dcos" : workspace, "/",
                      workspace_path);
}

std::string MakeTempDir(const std::string& prefix) {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string templ = absl::StrCat(base == nullptr ? "/tmp" : base, "/", prefix, ".XXXXXX");
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) {
    std::fprintf(stderr, "mkdtemp %s: %s\n", templ.c_str(), std::strerror(errno));
    std::abort();
  }
  return std::string(buf.data());
}

absl::Status WaitFor(const std::function<bool()>& condition, absl::Duration timeout,
                     const std::string& what) {
  absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (condition()) return absl::OkStatus();
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("timed out after ", absl::FormatDuration(timeout), " waiting for ", what));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

absl::StatusOr<std::string> HealthStatus(
    const std::string& target, const std::shared_ptr<grpc::ChannelCredentials>& credentials,
    const std::string& service) {
  auto channel = grpc::CreateChannel(target, credentials);
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = stub->Check(&context, request, &response);
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                        status.error_message());
  }
  return grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status());
}

absl::Status WaitServing(const std::string& target,
                         const std::shared_ptr<grpc::ChannelCredentials>& credentials,
                         absl::Duration timeout) {
  absl::StatusOr<std::string> last;
  absl::Status waited = WaitFor(
      [&] {
        last = HealthStatus(target, credentials);
        return last.ok() && *last == "SERVING";
      },
      timeout, absl::StrCat(target, " to be SERVING"));
  if (!waited.ok()) {
    return absl::DeadlineExceededError(absl::StrCat(
        waited.message(), "; last answer: ", last.ok() ? *last : last.status().ToString()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> HttpGet(const std::string& host_port, const std::string& path) {
  std::vector<std::string> parts = absl::StrSplit(host_port, ':');
  int port = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[1], &port)) {
    return absl::InvalidArgumentError(absl::StrCat("bad host:port ", host_port));
  }
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, parts[0].c_str(), &addr.sin_addr) != 1) {
    close(fd);
    return absl::InvalidArgumentError(absl::StrCat("bad IPv4 address ", parts[0]));
  }
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return absl::UnavailableError(absl::StrCat("connect ", host_port, ": ", std::strerror(errno)));
  }
  std::string request = absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: ", host_port,
                                     "\r\nConnection: close\r\n\r\n");
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = write(fd, request.data() + sent, request.size() - sent);
    if (n <= 0) {
      close(fd);
      return absl::UnavailableError("write failed");
    }
    sent += static_cast<size_t>(n);
  }
  std::string response;
  char buf[65536];
  while (true) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0) {
      close(fd);
      return absl::UnavailableError("read failed");
    }
    if (n == 0) break;
    response.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  size_t header_end = response.find("\r\n\r\n");
  if (header_end == std::string::npos) return absl::DataLossError("no HTTP header end");
  std::string head = response.substr(0, header_end);
  std::string body = response.substr(header_end + 4);
  if (!absl::StartsWith(head, "HTTP/1.1 200") && !absl::StartsWith(head, "HTTP/1.0 200")) {
    return absl::UnavailableError(absl::StrCat("HTTP answer: ", head.substr(0, head.find('\r'))));
  }
  if (absl::StrContains(absl::AsciiStrToLower(head), "transfer-encoding: chunked")) {
    // Decode chunked transfer encoding.
    std::string decoded;
    size_t pos = 0;
    while (pos < body.size()) {
      size_t line_end = body.find("\r\n", pos);
      if (line_end == std::string::npos) break;
      size_t chunk = 0;
      std::string size_hex = body.substr(pos, line_end - pos);
      if (!absl::SimpleHexAtoi(size_hex, &chunk) || chunk == 0) break;
      decoded += body.substr(line_end + 2, chunk);
      pos = line_end + 2 + chunk + 2;
    }
    return decoded;
  }
  return body;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace dcos::testing
