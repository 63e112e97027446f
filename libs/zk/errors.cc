#include "libs/zk/errors.h"

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "protos/common/v1/errors.pb.h"

namespace dcos::zk::client {
namespace {

constexpr absl::string_view kEnumPrefix = "ERROR_CODE_";

// The code whose name starts `message`, followed by a space, a colon or the end.
v1::ErrorCode CodeFromMessage(absl::string_view message) {
  for (int c = v1::ErrorCode_MIN + 1; c <= v1::ErrorCode_MAX; ++c) {
    if (!v1::ErrorCode_IsValid(c)) continue;
    std::string name = ErrorCodeName(static_cast<v1::ErrorCode>(c));
    if (!absl::StartsWith(message, name)) continue;
    absl::string_view rest = message.substr(name.size());
    if (rest.empty() || rest[0] == ' ' || rest[0] == ':') return static_cast<v1::ErrorCode>(c);
  }
  return v1::ERROR_CODE_UNSPECIFIED;
}

v1::ErrorCode CodeFromCanonical(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk: return v1::ERROR_CODE_UNSPECIFIED;
    case absl::StatusCode::kNotFound: return v1::ERROR_CODE_NO_NODE;
    case absl::StatusCode::kAlreadyExists: return v1::ERROR_CODE_NODE_EXISTS;
    case absl::StatusCode::kAborted: return v1::ERROR_CODE_BAD_VERSION;
    case absl::StatusCode::kInvalidArgument: return v1::ERROR_CODE_BAD_ARGUMENTS;
    case absl::StatusCode::kUnavailable: return v1::ERROR_CODE_CONNECTION_LOSS;
    case absl::StatusCode::kDeadlineExceeded: return v1::ERROR_CODE_OPERATION_TIMEOUT;
    case absl::StatusCode::kUnimplemented: return v1::ERROR_CODE_UNIMPLEMENTED;
    default: return v1::ERROR_CODE_SYSTEM_ERROR;
  }
}

}  // namespace

std::string ErrorCodeName(v1::ErrorCode code) {
  if (code == v1::ERROR_CODE_UNSPECIFIED) return "OK";
  if (!v1::ErrorCode_IsValid(code)) return "UNKNOWN";
  std::string name = v1::ErrorCode_Name(code);
  if (absl::StartsWith(name, kEnumPrefix)) name.erase(0, kEnumPrefix.size());
  return name;
}

v1::ErrorCode ErrorCodeOf(const absl::Status& status) {
  if (status.ok()) return v1::ERROR_CODE_UNSPECIFIED;
  if (auto payload = status.GetPayload(kZkErrorTypeUrl)) {
    v1::ZkError error;
    if (error.ParseFromString(std::string(*payload)) &&
        error.code() != v1::ERROR_CODE_UNSPECIFIED && v1::ErrorCode_IsValid(error.code())) {
      return error.code();
    }
  }
  v1::ErrorCode from_message = CodeFromMessage(status.message());
  if (from_message != v1::ERROR_CODE_UNSPECIFIED) return from_message;
  return CodeFromCanonical(status.code());
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  absl::Status out(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  if (out.ok()) return absl::UnknownError(status.error_message());  // defensive: never OK
  if (!status.error_details().empty()) {
    common::v1::RpcStatus details;
    if (details.ParseFromString(status.error_details())) {
      for (const google::protobuf::Any& detail : details.details()) {
        out.SetPayload(detail.type_url(), absl::Cord(detail.value()));
      }
    }
  }
  return out;
}

}  // namespace dcos::zk::client
