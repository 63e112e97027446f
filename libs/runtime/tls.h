#pragma once

// Server credentials from the configured certificate files.

#include <memory>

#include <grpcpp/security/server_credentials.h>

#include "absl/status/statusor.h"
#include "libs/runtime/server_options.h"

namespace dcos::runtime {

// Plaintext when no certificate is configured; TLS with tls.cert_file + tls.key_file; mutual
// TLS (client certificate required and verified) when tls.client_ca_file is also set.
// Errors name the config field: a key without a certificate, an unreadable or non-PEM file.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const ServerOptions& options);

// Reads a whole file; the error names `field` and the path.
absl::StatusOr<std::string> ReadPemFile(const std::string& field, const std::string& path);

}  // namespace dcos::runtime
