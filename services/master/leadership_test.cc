// Leadership: who may call a master while it stands by, recovers its registry and leads.

#include "services/master/leadership.h"

#include <catch2/catch.hpp>

namespace dcos::master {
namespace {

common::v1::MasterInfo Master(const std::string& id, uint32_t port) {
  common::v1::MasterInfo info;
  info.set_id(id);
  info.mutable_address()->set_ip("127.0.0.1");
  info.mutable_address()->set_port(port);
  return info;
}

TEST_CASE("Leadership: a standby redirects everyone to the leader") {
  Leadership l(Master("self", 1));
  l.SetLeader(Master("other", 2), absl::UnixEpoch());
  CHECK(l.Check().error_code() == grpc::StatusCode::UNAVAILABLE);
  CHECK(l.CheckStream().error_code() == grpc::StatusCode::UNAVAILABLE);
  CHECK(l.CheckStream().error_message().find("127.0.0.1:2") != std::string::npos);
  CHECK_FALSE(l.elected());
}

TEST_CASE("Leadership: while recovering only agents' streams and subscriptions are taken") {
  Leadership l(Master("self", 1));
  l.SetLeader(std::nullopt, absl::UnixEpoch());  // our own node first in line
  l.SetRecovering(true);
  CHECK(l.recovering());
  CHECK(l.CheckStream().ok());
  CHECK(l.Check().error_code() == grpc::StatusCode::UNAVAILABLE);
  CHECK_FALSE(l.elected());

  // Leading: everyone, and the agents and frameworks never see a gap.
  l.SetLeader(Master("self", 1), absl::UnixEpoch() + absl::Seconds(3));
  CHECK(l.CheckStream().ok());
  l.SetRecovering(false);
  CHECK(l.Check().ok());
  CHECK(l.CheckStream().ok());
  CHECK(l.elected());
  CHECK(l.elected_time() == absl::UnixEpoch() + absl::Seconds(3));
}

}  // namespace
}  // namespace dcos::master
