#pragma once

// How dcos-zk errors look to users of the client library.
//
// Every failure the client returns is an absl::Status with the gRPC canonical code of
// protos/zk/v1/errors.proto's table (NOT_FOUND = NO_NODE, ABORTED = BAD_VERSION, ...). The
// precise ZooKeeper code is read with ErrorCodeOf(): from the dcos.zk.v1.ZkError detail when
// the server sent one, else from the message prefix the server writes today ("NO_NODE /a: ..."),
// else from the canonical code.

#include <string>

#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "protos/zk/v1/errors.pb.h"

namespace dcos::zk::client {

// Type URL of a dcos.zk.v1.ZkError payload on an absl::Status (and of the Any in the
// grpc-status-details-bin trailer).
inline constexpr char kZkErrorTypeUrl[] = "type.googleapis.com/dcos.zk.v1.ZkError";
// Type URL of a dcos.common.v1.LeaderInfo (the leader redirect detail).
inline constexpr char kLeaderInfoTypeUrl[] = "type.googleapis.com/dcos.common.v1.LeaderInfo";

// "NO_NODE", "BAD_VERSION", ... (the enum name without ERROR_CODE_); "OK" for
// ERROR_CODE_UNSPECIFIED; "UNKNOWN" for a number outside the enum.
std::string ErrorCodeName(v1::ErrorCode code);

// The ZooKeeper code of `status`; ERROR_CODE_UNSPECIFIED iff status is OK. Order of evidence:
// the ZkError payload, then a leading code name in the message, then the canonical code
// (NOT_FOUND -> NO_NODE, ALREADY_EXISTS -> NODE_EXISTS, ABORTED -> BAD_VERSION,
// INVALID_ARGUMENT -> BAD_ARGUMENTS, UNAVAILABLE -> CONNECTION_LOSS, DEADLINE_EXCEEDED ->
// OPERATION_TIMEOUT, UNIMPLEMENTED -> UNIMPLEMENTED, anything else -> SYSTEM_ERROR).
v1::ErrorCode ErrorCodeOf(const absl::Status& status);

// Converts a status received from a dcos-zk member: same code and message, and every Any in
// the grpc-status-details-bin trailer (a dcos.common.v1.RpcStatus) becomes a payload under
// its type URL (so a ZkError detail is found by ErrorCodeOf, a LeaderInfo by the redirect
// parser). Details that do not parse are ignored.
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace dcos::zk::client
