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
  l.Observed(Master("other", 2));
  CHECK(l.Check().error_code() == grpc::StatusCode::UNAVAILABLE);
  CHECK(l.CheckStream().error_code() == grpc::StatusCode::UNAVAILABLE);
  CHECK(l.CheckStream().error_message().find("127.0.0.1:2") != std::string::npos);
  CHECK_FALSE(l.elected());
}

TEST_CASE("Leadership: while recovering only agents' streams and subscriptions are taken") {
  Leadership l(Master("self", 1));
  l.Observed(Master("self", 1));  // our own node first in line: nobody leads yet
  CHECK_FALSE(l.Info().known());
  l.Recover();
  CHECK(l.recovering());
  CHECK(l.CheckStream().ok());
  CHECK(l.Check().error_code() == grpc::StatusCode::UNAVAILABLE);
  CHECK_FALSE(l.elected());

  // Leading: everyone, and the agents and frameworks never see a gap.
  l.Lead(absl::UnixEpoch() + absl::Seconds(3));
  CHECK_FALSE(l.recovering());
  CHECK(l.Check().ok());
  CHECK(l.CheckStream().ok());
  CHECK(l.elected());
  CHECK(l.elected_time() == absl::UnixEpoch() + absl::Seconds(3));
}

// The observer's callback runs on the zk client's thread and the takeover on another: what it
// reports after this master leads (its own node, nobody while the registry loaded, even a
// stale view of the old leader) must not unseat it. CI once caught a leader announcing "no
// leader is elected yet" for good after exactly this interleaving.
TEST_CASE("Leadership: nothing observed after leading takes the lead away") {
  Leadership l(Master("self", 1));
  l.Observed(Master("old", 2));
  l.Recover();
  l.Lead(absl::UnixEpoch());
  for (const std::optional<common::v1::MasterInfo>& seen :
       {std::optional<common::v1::MasterInfo>(Master("self", 1)),
        std::optional<common::v1::MasterInfo>(), std::optional(Master("old", 2))}) {
    l.Observed(seen);
    CHECK(l.elected());
    CHECK(l.Check().ok());
    CHECK(l.Info().leader_id() == "self");
  }
}

TEST_CASE("Leadership: a stopping master announces nobody and never leads again") {
  Leadership l(Master("self", 1));
  l.Recover();
  l.Stop();
  l.Lead(absl::UnixEpoch());
  l.Observed(Master("other", 2));
  CHECK_FALSE(l.elected());
  CHECK_FALSE(l.Info().known());
  CHECK(l.Check().error_code() == grpc::StatusCode::UNAVAILABLE);
}

}  // namespace
}  // namespace dcos::master
