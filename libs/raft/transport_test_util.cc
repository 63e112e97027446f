#include "libs/raft/transport_test_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include "absl/strings/str_cat.h"

namespace dcos::raft {

uint64_t TestClusterId() { return 1000 + static_cast<uint64_t>(getpid()); }

void Require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "test setup failed: %s\n", what);
  std::abort();
}

Member::Member(uint64_t id, int port, uint64_t cluster, uint64_t max_snapshot_bytes)
      : id_(id),
        service_(RaftTransportService::Options{ReceiverIdentity{cluster, id, nullptr}, &sink_,
                                               max_snapshot_bytes}) {
    grpc::ServerBuilder builder;
    int selected = 0;
    builder.AddListeningPort(absl::StrCat("127.0.0.1:", port), grpc::InsecureServerCredentials(),
                             &selected);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    Require(server_ != nullptr);
    Require(selected != 0);
    address_ = absl::StrCat("127.0.0.1:", selected);
  }

void Member::Shutdown() {
    if (server_ == nullptr) return;
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(100));
    server_->Wait();
    server_.reset();
  }


Message App(uint64_t from, uint64_t to, uint64_t index, size_t payload) {
  Message m;
  m.set_type(::dcos::raft::v1::MESSAGE_TYPE_APP);
  m.set_from(from);
  m.set_to(to);
  m.set_term(1);
  m.set_index(index);
  if (payload > 0) {
    ::dcos::raft::v1::Entry* e = m.add_entries();
    e->set_index(index + 1);
    e->set_data(std::string(payload, 'x'));
  }
  return m;
}

std::unique_ptr<GrpcTransport> NewTransport(uint64_t self, MessageSink* sink,
                                            std::map<uint64_t, std::string> peers,
                                            uint64_t cluster) {
  GrpcTransport::Options options;
  options.self = self;
  options.cluster_id = cluster;
  options.sink = sink;
  options.peers = std::move(peers);
  options.seed = 1;
  auto transport = GrpcTransport::Create(std::move(options));
  Require(transport.ok());
  return std::move(transport).value();
}

void ReservedPort::Release() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

void ReservedPort::Bind(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    Require(fd_ >= 0);
    int one = 1;  // the port's old connections may linger in TIME_WAIT
    Require(setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    Require(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    socklen_t len = sizeof(addr);
    Require(getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port_ = ntohs(addr.sin_port);
  }


BlackHole::BlackHole() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    Require(fd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    Require(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    Require(listen(fd_, 16) == 0);
    socklen_t len = sizeof(addr);
    Require(getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    address_ = absl::StrCat("127.0.0.1:", ntohs(addr.sin_port));
  }
BlackHole::~BlackHole() { close(fd_); }

}  // namespace dcos::raft
