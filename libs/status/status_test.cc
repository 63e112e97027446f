#include <catch2/catch.hpp>

#include "libs/status/grpc_status.h"
#include "libs/status/status_macros.h"

namespace dcos::status {
namespace {

absl::StatusOr<int> Half(int x) {
  if (x % 2 != 0) return absl::InvalidArgumentError("odd");
  return x / 2;
}

absl::StatusOr<int> Quarter(int x) {
  DCOS_ASSIGN_OR_RETURN(int half, Half(x));
  DCOS_ASSIGN_OR_RETURN(int quarter, Half(half));
  return quarter;
}

absl::Status CheckEven(int x) {
  DCOS_RETURN_IF_ERROR(Half(x).status());
  return absl::OkStatus();
}

TEST_CASE("assign-or-return passes values and returns the first error") {
  REQUIRE(Quarter(8).value() == 2);
  REQUIRE(Quarter(6).status().code() == absl::StatusCode::kInvalidArgument);
  REQUIRE(Quarter(3).status().message() == "odd");
}

TEST_CASE("return-if-error returns the error and passes OK") {
  REQUIRE(CheckEven(4).ok());
  REQUIRE(CheckEven(5).code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("absl and grpc statuses convert both ways with the same code and message") {
  for (int code = 0; code <= 16; ++code) {
    absl::Status s(static_cast<absl::StatusCode>(code), code == 0 ? "" : "why");
    grpc::Status g = ToGrpc(s);
    REQUIRE(static_cast<int>(g.error_code()) == code);
    absl::Status back = FromGrpc(g);
    REQUIRE(back == s);
  }
  REQUIRE(ToGrpc(absl::NotFoundError("no znode /a")).error_message() == "no znode /a");
}

TEST_CASE("payloads travel as details in the grpc-status-details-bin trailer and come back") {
  absl::Status s = absl::NotFoundError("NO_NODE /a");
  s.SetPayload(TypeUrl("dcos.zk.v1.ZkError"), absl::Cord("\x08\x65"));
  grpc::Status g = ToGrpc(s);
  REQUIRE(g.error_code() == grpc::StatusCode::NOT_FOUND);
  REQUIRE_FALSE(g.error_details().empty());
  absl::Status back = FromGrpc(g);
  REQUIRE(back.code() == absl::StatusCode::kNotFound);
  REQUIRE(back.message() == "NO_NODE /a");
  auto payload = back.GetPayload("type.googleapis.com/dcos.zk.v1.ZkError");
  REQUIRE(payload.has_value());
  REQUIRE(std::string(*payload) == "\x08\x65");
  // Garbage details are ignored, never a crash.
  absl::Status odd = FromGrpc(grpc::Status(grpc::StatusCode::INTERNAL, "x", "\xff\xff"));
  REQUIRE(odd.code() == absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace dcos::status
