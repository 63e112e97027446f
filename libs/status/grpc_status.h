#pragma once

// The one place where absl::Status and grpc::Status are converted. The canonical codes are
// the same numbers in both; messages are carried over unchanged.

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace dcos::status {

// Converts an absl::Status to the grpc::Status a handler returns.
grpc::Status ToGrpc(const absl::Status& status);

// Converts a grpc::Status received by a client to an absl::Status.
absl::Status FromGrpc(const grpc::Status& status);

}  // namespace dcos::status
