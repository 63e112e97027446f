#pragma once

// ZooKeeper error codes for the dcos-zk core, and how they travel inside absl::Status.
//
// Convention (one for the whole service): every failure of the core is an absl::Status whose
// canonical code is the gRPC code of protos/zk/v1/errors.proto's table, and which carries the
// ZooKeeper code as a payload under kZkErrorPayloadUrl. The payload's bytes are a serialized
// dcos.zk.v1.ZkError message {code, path}, so a gRPC handler can put it into the
// `grpc-status-details-bin` trailer as an Any {type_url = kZkErrorPayloadUrl, value = payload}
// without re-encoding. Callers read it back with ZkCodeOf() / ZkPathOf().
//
//   absl::Status s = ZkStatus(ZkCode::kNoNode, "/a/b", "parent does not exist");
//   s.code() == absl::StatusCode::kNotFound; ZkCodeOf(s) == ZkCode::kNoNode;
//   ZkPathOf(s) == "/a/b"; s.message() == "NO_NODE /a/b: parent does not exist"
//
// The core does not link protobuf: the two-field message is encoded here by hand and
// errors_test.cc checks the bytes against the generated dcos::zk::v1::ZkError.

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"

namespace dcos::zk {

// dcos.zk.v1.ErrorCode, same numbers (kOk is ERROR_CODE_UNSPECIFIED: no error).
enum class ZkCode : int {
  kOk = 0,
  kSystemError = 1,
  kRuntimeInconsistency = 2,  // only in Multi results: not applied because another op failed
  kConnectionLoss = 3,
  kUnimplemented = 4,
  kOperationTimeout = 5,
  kBadArguments = 6,
  kNoNode = 7,
  kBadVersion = 8,
  kNoChildrenForEphemerals = 9,
  kNodeExists = 10,
  kNotEmpty = 11,
  kSessionExpired = 12,
  kSessionMoved = 13,
  kNoWatcher = 14,
  kReconfigInProgress = 15,
  kNewConfigNoQuorum = 16,
};

// Type URL of the payload that holds a serialized dcos.zk.v1.ZkError.
inline constexpr char kZkErrorPayloadUrl[] = "type.googleapis.com/dcos.zk.v1.ZkError";

// "NO_NODE", "BAD_VERSION", ... (the proto name without ERROR_CODE_); "OK" for kOk;
// "UNKNOWN" for a value outside the enum.
const char* ZkCodeName(ZkCode code);

// The canonical (gRPC) code of errors.proto's table. kOk -> kOk. kRuntimeInconsistency,
// which never is a call's status, maps to kAborted.
absl::StatusCode CanonicalCodeOf(ZkCode code);

// An error with CanonicalCodeOf(code), message "<NAME> <path>: <detail>" (or "<NAME>:
// <detail>" without a path) and the ZkError payload. Requires code != kOk.
absl::Status ZkStatus(ZkCode code, absl::string_view path, absl::string_view detail);

// The ZooKeeper code of `status`: kOk if OK; the payload's code if present and well formed;
// otherwise kSystemError (an error that did not come from the zk core).
ZkCode ZkCodeOf(const absl::Status& status);

// The path in the payload of `status`, or "" if none.
std::string ZkPathOf(const absl::Status& status);

// The payload bytes for {code, path}: the proto3 encoding of dcos.zk.v1.ZkError.
std::string EncodeZkErrorPayload(ZkCode code, absl::string_view path);

// Parses payload bytes; false if they are not a well-formed ZkError encoding.
bool DecodeZkErrorPayload(absl::string_view bytes, ZkCode* code, std::string* path);

}  // namespace dcos::zk
