#include "libs/runtime/tls.h"

#include <fstream>
#include <sstream>

#include <grpcpp/security/server_credentials.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/status/status_macros.h"

namespace dcos::runtime {

absl::StatusOr<std::string> ReadPemFile(const std::string& field, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("field \"", field, "\": cannot read ", path));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string pem = ss.str();
  if (!absl::StrContains(pem, "-----BEGIN ")) {
    return absl::InvalidArgumentError(
        absl::StrCat("field \"", field, "\": ", path, " is not a PEM file"));
  }
  return pem;
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const ServerOptions& o) {
  bool has_cert = !o.tls_cert_file.empty();
  bool has_key = !o.tls_key_file.empty();
  if (!has_cert && !has_key) {
    if (!o.tls_client_ca_file.empty()) {
      return absl::InvalidArgumentError(
          "field \"tls.client_ca_file\": mutual TLS needs tls.cert_file and tls.key_file too");
    }
    return grpc::InsecureServerCredentials();
  }
  if (has_cert != has_key) {
    return absl::InvalidArgumentError(has_cert
                                          ? "field \"tls.key_file\": required with tls.cert_file"
                                          : "field \"tls.cert_file\": required with tls.key_file");
  }
  grpc::SslServerCredentialsOptions ssl;
  DCOS_ASSIGN_OR_RETURN(std::string cert, ReadPemFile("tls.cert_file", o.tls_cert_file));
  DCOS_ASSIGN_OR_RETURN(std::string key, ReadPemFile("tls.key_file", o.tls_key_file));
  ssl.pem_key_cert_pairs.push_back({key, cert});
  if (!o.tls_client_ca_file.empty()) {
    DCOS_ASSIGN_OR_RETURN(ssl.pem_root_certs,
                          ReadPemFile("tls.client_ca_file", o.tls_client_ca_file));
    ssl.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  } else {
    ssl.client_certificate_request = GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE;
  }
  return grpc::SslServerCredentials(ssl);
}

}  // namespace dcos::runtime
