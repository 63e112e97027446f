// The leader-redirect parser: the messages dcos-zk writes today, their variations, malformed
// ones (never a garbage address), and the LeaderInfo detail.

#include "libs/zk/redirect.h"

#include <catch2/catch.hpp>

#include "absl/strings/cord.h"
#include "libs/zk/errors.h"
#include "protos/common/v1/errors.pb.h"

namespace dcos::zk::client {
namespace {

LeaderHint Known(uint64_t id, const std::string& address) { return {true, id, address}; }

TEST_CASE("redirect: the server's messages") {
  CHECK(ParseLeaderRedirect("not the leader: leader is member 2 at 127.0.1.2:2181") ==
        Known(2, "127.0.1.2:2181"));
  CHECK(ParseLeaderRedirect("not the leader: leader is member 17 at zk-3.example.com:2181") ==
        Known(17, "zk-3.example.com:2181"));
  CHECK(ParseLeaderRedirect("not the leader: leader is member 3 at [fd00::3]:2181") ==
        Known(3, "[fd00::3]:2181"));
  CHECK(ParseLeaderRedirect(
            "not the leader: no leader is known (election in progress); retry shortly") ==
        LeaderHint{});
}

TEST_CASE("redirect: trailing prose around the address") {
  CHECK(ParseLeaderRedirect("not the leader: leader is member 2 at 10.0.0.2:2181.") ==
        Known(2, "10.0.0.2:2181"));
  CHECK(ParseLeaderRedirect("not the leader: leader is member 2 at 10.0.0.2:2181; retry") ==
        Known(2, "10.0.0.2:2181"));
  CHECK(ParseLeaderRedirect("Create: not the leader: leader is member 2 at h:1 (term 5)") ==
        Known(2, "h:1"));
}

TEST_CASE("redirect: anything else is not a redirect") {
  CHECK_FALSE(ParseLeaderRedirect("").has_value());
  CHECK_FALSE(ParseLeaderRedirect("failed to connect to all addresses").has_value());
  CHECK_FALSE(ParseLeaderRedirect("Socket closed").has_value());
  CHECK_FALSE(ParseLeaderRedirect("leader is member 2 at h:1").has_value());  // no "not the leader"
}

TEST_CASE("redirect: a malformed leader is unknown, never a garbage address") {
  for (const char* m : {
           "not the leader: leader is member x at h:1",
           "not the leader: leader is member 0 at h:1",
           "not the leader: leader is member 99999999999999999999999 at h:1",
           "not the leader: leader is member 2",
           "not the leader: leader is member 2 at ",
           "not the leader: leader is member 2 at host",
           "not the leader: leader is member 2 at host:",
           "not the leader: leader is member 2 at host:0",
           "not the leader: leader is member 2 at host:65536",
           "not the leader: leader is member 2 at host:80x",
           "not the leader: leader is member 2 at :80",
           "not the leader: leader is member 2 at fd00::3:80",
           "not the leader: leader is member 2 at [fd00::3:80",
           "not the leader: leader is member 2 in h:1",
       }) {
    INFO(m);
    CHECK(ParseLeaderRedirect(m) == LeaderHint{});
  }
}

TEST_CASE("redirect: IsHostPort") {
  CHECK(IsHostPort("127.0.0.1:1"));
  CHECK(IsHostPort("a:65535"));
  CHECK(IsHostPort("[::1]:2181"));
  CHECK_FALSE(IsHostPort("a"));
  CHECK_FALSE(IsHostPort("a:"));
  CHECK_FALSE(IsHostPort(":1"));
  CHECK_FALSE(IsHostPort("a b:1"));
  CHECK_FALSE(IsHostPort("a:-1"));
  CHECK_FALSE(IsHostPort("a:123456"));
}

absl::Status WithLeaderInfo(const std::string& message, const common::v1::LeaderInfo& info) {
  absl::Status s = absl::UnavailableError(message);
  s.SetPayload(kLeaderInfoTypeUrl, absl::Cord(info.SerializeAsString()));
  return s;
}

TEST_CASE("redirect: LeaderHintOf prefers the LeaderInfo detail") {
  common::v1::LeaderInfo info;
  info.set_known(true);
  info.set_leader_id("3");
  info.mutable_address()->set_hostname("zk-3");
  info.mutable_address()->set_ip("10.0.0.3");
  info.mutable_address()->set_port(2181);
  CHECK(LeaderHintOf(WithLeaderInfo("not the leader: leader is member 2 at old:1", info)) ==
        Known(3, "zk-3:2181"));
  info.mutable_address()->clear_hostname();
  CHECK(LeaderHintOf(WithLeaderInfo("x", info)) == Known(3, "10.0.0.3:2181"));
  info.mutable_address()->set_ip("fd00::3");
  CHECK(LeaderHintOf(WithLeaderInfo("x", info)) == Known(3, "[fd00::3]:2181"));
  common::v1::LeaderInfo unknown;
  CHECK(LeaderHintOf(WithLeaderInfo("x", unknown)) == LeaderHint{});
}

TEST_CASE("redirect: LeaderHintOf falls back to the message") {
  CHECK(LeaderHintOf(absl::UnavailableError("not the leader: leader is member 2 at h:1")) ==
        Known(2, "h:1"));
  common::v1::LeaderInfo bad;  // known but no address: malformed
  bad.set_known(true);
  CHECK(LeaderHintOf(WithLeaderInfo("not the leader: leader is member 2 at h:1", bad)) ==
        Known(2, "h:1"));
  CHECK_FALSE(LeaderHintOf(absl::UnavailableError("Socket closed")).has_value());
  // Only UNAVAILABLE carries a redirect.
  CHECK_FALSE(LeaderHintOf(absl::NotFoundError("not the leader: leader is member 2 at h:1"))
                  .has_value());
}

}  // namespace
}  // namespace dcos::zk::client
