// ZooKeeper codes of client errors: names, and the three sources (detail, message, code).

#include "libs/zk/errors.h"

#include <catch2/catch.hpp>

#include "absl/strings/cord.h"
#include "protos/common/v1/errors.pb.h"

namespace dcos::zk::client {
namespace {

TEST_CASE("errors: names") {
  CHECK(ErrorCodeName(v1::ERROR_CODE_NO_NODE) == "NO_NODE");
  CHECK(ErrorCodeName(v1::ERROR_CODE_NO_CHILDREN_FOR_EPHEMERALS) == "NO_CHILDREN_FOR_EPHEMERALS");
  CHECK(ErrorCodeName(v1::ERROR_CODE_UNSPECIFIED) == "OK");
  CHECK(ErrorCodeName(static_cast<v1::ErrorCode>(999)) == "UNKNOWN");
}

TEST_CASE("errors: from the message prefix the server writes") {
  CHECK(ErrorCodeOf(absl::NotFoundError("NO_NODE /a: does not exist")) == v1::ERROR_CODE_NO_NODE);
  CHECK(ErrorCodeOf(absl::FailedPreconditionError("NOT_EMPTY /a: has children")) ==
        v1::ERROR_CODE_NOT_EMPTY);
  CHECK(ErrorCodeOf(absl::FailedPreconditionError("NO_CHILDREN_FOR_EPHEMERALS /e")) ==
        v1::ERROR_CODE_NO_CHILDREN_FOR_EPHEMERALS);
  CHECK(ErrorCodeOf(absl::InvalidArgumentError("BAD_ARGUMENTS: empty multi")) ==
        v1::ERROR_CODE_BAD_ARGUMENTS);
  // A prefix of a longer word is not a code name.
  CHECK(ErrorCodeOf(absl::FailedPreconditionError("NOT_EMPTYISH")) == v1::ERROR_CODE_SYSTEM_ERROR);
}

TEST_CASE("errors: from the canonical code") {
  CHECK(ErrorCodeOf(absl::OkStatus()) == v1::ERROR_CODE_UNSPECIFIED);
  CHECK(ErrorCodeOf(absl::NotFoundError("x")) == v1::ERROR_CODE_NO_NODE);
  CHECK(ErrorCodeOf(absl::AlreadyExistsError("x")) == v1::ERROR_CODE_NODE_EXISTS);
  CHECK(ErrorCodeOf(absl::AbortedError("x")) == v1::ERROR_CODE_BAD_VERSION);
  CHECK(ErrorCodeOf(absl::InvalidArgumentError("x")) == v1::ERROR_CODE_BAD_ARGUMENTS);
  CHECK(ErrorCodeOf(absl::UnavailableError("x")) == v1::ERROR_CODE_CONNECTION_LOSS);
  CHECK(ErrorCodeOf(absl::DeadlineExceededError("x")) == v1::ERROR_CODE_OPERATION_TIMEOUT);
  CHECK(ErrorCodeOf(absl::UnimplementedError("x")) == v1::ERROR_CODE_UNIMPLEMENTED);
  CHECK(ErrorCodeOf(absl::InternalError("x")) == v1::ERROR_CODE_SYSTEM_ERROR);
}

TEST_CASE("errors: the ZkError detail wins, and travels through FromGrpcStatus") {
  v1::ZkError detail;
  detail.set_code(v1::ERROR_CODE_SESSION_EXPIRED);
  detail.set_path("/a");
  common::v1::RpcStatus rpc_status;
  rpc_status.set_code(grpc::StatusCode::FAILED_PRECONDITION);
  google::protobuf::Any* any = rpc_status.add_details();
  any->set_type_url(kZkErrorTypeUrl);
  any->set_value(detail.SerializeAsString());
  grpc::Status received(grpc::StatusCode::FAILED_PRECONDITION, "NOT_EMPTY misleading",
                        rpc_status.SerializeAsString());
  absl::Status s = FromGrpcStatus(received);
  CHECK(s.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(s.message() == "NOT_EMPTY misleading");
  CHECK(ErrorCodeOf(s) == v1::ERROR_CODE_SESSION_EXPIRED);
  // Garbage details are ignored.
  absl::Status junk = FromGrpcStatus(grpc::Status(grpc::StatusCode::NOT_FOUND, "x", "\xff\xff"));
  CHECK(junk.code() == absl::StatusCode::kNotFound);
  CHECK(ErrorCodeOf(junk) == v1::ERROR_CODE_NO_NODE);
  CHECK(FromGrpcStatus(grpc::Status::OK).ok());
}

}  // namespace
}  // namespace dcos::zk::client
