#include <catch2/catch.hpp>

#include "protos/zk/v1/errors.pb.h"
#include "services/zk-ensemble/core/errors.h"

namespace dcos::zk {
namespace {

TEST_CASE("every ZooKeeper code maps to the gRPC code of errors.proto's table") {
  using C = absl::StatusCode;
  CHECK(CanonicalCodeOf(ZkCode::kNoNode) == C::kNotFound);
  CHECK(CanonicalCodeOf(ZkCode::kNodeExists) == C::kAlreadyExists);
  CHECK(CanonicalCodeOf(ZkCode::kBadVersion) == C::kAborted);
  CHECK(CanonicalCodeOf(ZkCode::kNotEmpty) == C::kFailedPrecondition);
  CHECK(CanonicalCodeOf(ZkCode::kNoChildrenForEphemerals) == C::kFailedPrecondition);
  CHECK(CanonicalCodeOf(ZkCode::kSessionExpired) == C::kFailedPrecondition);
  CHECK(CanonicalCodeOf(ZkCode::kSessionMoved) == C::kFailedPrecondition);
  CHECK(CanonicalCodeOf(ZkCode::kBadArguments) == C::kInvalidArgument);
  CHECK(CanonicalCodeOf(ZkCode::kNoWatcher) == C::kNotFound);
  CHECK(CanonicalCodeOf(ZkCode::kConnectionLoss) == C::kUnavailable);
  CHECK(CanonicalCodeOf(ZkCode::kOperationTimeout) == C::kDeadlineExceeded);
  CHECK(CanonicalCodeOf(ZkCode::kReconfigInProgress) == C::kFailedPrecondition);
  CHECK(CanonicalCodeOf(ZkCode::kNewConfigNoQuorum) == C::kFailedPrecondition);
  CHECK(CanonicalCodeOf(ZkCode::kUnimplemented) == C::kUnimplemented);
  CHECK(CanonicalCodeOf(ZkCode::kSystemError) == C::kInternal);
  CHECK(CanonicalCodeOf(ZkCode::kOk) == C::kOk);
}

TEST_CASE("ZkCode numbers and names equal the proto's ErrorCode") {
  for (int i = 0; i <= 16; ++i) {
    auto code = static_cast<v1::ErrorCode>(i);
    REQUIRE(v1::ErrorCode_IsValid(i));
    std::string proto_name = v1::ErrorCode_Name(code);
    std::string expected = i == 0 ? "OK" : proto_name.substr(std::string("ERROR_CODE_").size());
    CHECK(ZkCodeName(static_cast<ZkCode>(i)) == expected);
  }
  CHECK_FALSE(v1::ErrorCode_IsValid(17));
}

TEST_CASE("ZkStatus carries code, path and message; ZkCodeOf and ZkPathOf read them back") {
  absl::Status s = ZkStatus(ZkCode::kNoNode, "/a/b", "node does not exist");
  CHECK(s.code() == absl::StatusCode::kNotFound);
  CHECK(s.message() == "NO_NODE /a/b: node does not exist");
  CHECK(ZkCodeOf(s) == ZkCode::kNoNode);
  CHECK(ZkPathOf(s) == "/a/b");

  absl::Status no_path = ZkStatus(ZkCode::kBadArguments, "", "bad");
  CHECK(no_path.message() == "BAD_ARGUMENTS: bad");
  CHECK(ZkPathOf(no_path).empty());

  CHECK(ZkCodeOf(absl::OkStatus()) == ZkCode::kOk);
  CHECK(ZkCodeOf(absl::InternalError("not from the core")) == ZkCode::kSystemError);
  CHECK(ZkPathOf(absl::InternalError("x")).empty());
}

TEST_CASE("the payload is the proto encoding of dcos.zk.v1.ZkError") {
  absl::Status s = ZkStatus(ZkCode::kNodeExists, "/lock-0000000001", "exists");
  auto payload = s.GetPayload(kZkErrorPayloadUrl);
  REQUIRE(payload.has_value());
  v1::ZkError parsed;
  REQUIRE(parsed.ParseFromString(std::string(*payload)));
  CHECK(parsed.code() == v1::ERROR_CODE_NODE_EXISTS);
  CHECK(parsed.path() == "/lock-0000000001");

  v1::ZkError proto;
  proto.set_code(v1::ERROR_CODE_BAD_VERSION);
  proto.set_path(std::string(300, 'x'));  // a length that needs a two-byte varint
  CHECK(EncodeZkErrorPayload(ZkCode::kBadVersion, proto.path()) == proto.SerializeAsString());

  ZkCode code;
  std::string path;
  REQUIRE(DecodeZkErrorPayload(proto.SerializeAsString(), &code, &path));
  CHECK(code == ZkCode::kBadVersion);
  CHECK(path == proto.path());
}

TEST_CASE("malformed payloads are rejected, not trusted") {
  ZkCode code;
  std::string path;
  CHECK_FALSE(DecodeZkErrorPayload("\x08", &code, &path));          // truncated varint
  CHECK_FALSE(DecodeZkErrorPayload("\x12\x05" "ab", &code, &path));  // length past the end
  CHECK_FALSE(DecodeZkErrorPayload("\x0b", &code, &path));           // wire type 3
  CHECK(DecodeZkErrorPayload("", &code, &path));
  CHECK(code == ZkCode::kOk);

  absl::Status s = absl::NotFoundError("x");
  s.SetPayload(kZkErrorPayloadUrl, absl::Cord("\xff"));
  CHECK(ZkCodeOf(s) == ZkCode::kSystemError);
}

}  // namespace
}  // namespace dcos::zk
