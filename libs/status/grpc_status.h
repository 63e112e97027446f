#pragma once

// The one place where absl::Status and grpc::Status are converted. The canonical codes are
// the same numbers in both; messages are carried over unchanged. Every payload of an
// absl::Status (type URL -> serialized message, e.g. "type.googleapis.com/dcos.zk.v1.ZkError")
// travels as a google.protobuf.Any in a dcos.common.v1.RpcStatus in the standard
// grpc-status-details-bin trailer (the same wire format as google.rpc.Status, which grpcurl
// and other clients decode), and comes back as payloads on the client side.

#include <string>

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace dcos::status {

// Converts an absl::Status to the grpc::Status a handler returns.
grpc::Status ToGrpc(const absl::Status& status);

// Converts a grpc::Status received by a client to an absl::Status.
absl::Status FromGrpc(const grpc::Status& status);

// The type URL under which a message of `full_name` travels ("type.googleapis.com/<name>").
std::string TypeUrl(const std::string& full_name);

}  // namespace dcos::status
