#pragma once

// An in-process gRPC server on a free loopback port, for tests of the client against fake
// members (client_test, session_test).

#include <memory>
#include <string>

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include "absl/strings/str_cat.h"

namespace dcos::zk::client {

// Serves `service` (not owned; must outlive the server) on 127.0.0.1:<a free port>.
// Sets *address to "127.0.0.1:<port>".
inline std::unique_ptr<grpc::Server> ServeOnLoopback(grpc::Service* service,
                                                     std::string* address) {
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  *address = absl::StrCat("127.0.0.1:", port);
  return server;
}

}  // namespace dcos::zk::client
