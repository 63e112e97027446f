#include "libs/masters/master_address.h"

#include <catch2/catch.hpp>

#include "libs/status/grpc_status.h"
#include "protos/common/v1/errors.pb.h"

namespace dcos::masters {
namespace {

common::v1::Address Addr(const std::string& ip, const std::string& hostname, uint32_t port) {
  common::v1::Address a;
  a.set_ip(ip);
  a.set_hostname(hostname);
  a.set_port(port);
  return a;
}

TEST_CASE("HostPort prefers the ip, brackets IPv6, needs a host and a port") {
  CHECK(HostPort(Addr("127.0.2.1", "m1", 5050)) == "127.0.2.1:5050");
  CHECK(HostPort(Addr("", "m1", 5050)) == "m1:5050");
  CHECK(HostPort(Addr("::1", "", 5050)) == "[::1]:5050");
  CHECK(HostPort(Addr("", "", 5050)).empty());
  CHECK(HostPort(Addr("127.0.2.1", "", 0)).empty());
}

TEST_CASE("RedirectTarget reads the LeaderInfo of an UNAVAILABLE answer") {
  common::v1::LeaderInfo info;
  info.set_known(true);
  *info.mutable_address() = Addr("127.0.2.2", "", 5050);
  absl::Status refused = absl::UnavailableError("not the leader");
  refused.SetPayload(status::TypeUrl("dcos.common.v1.LeaderInfo"),
                     absl::Cord(info.SerializeAsString()));
  CHECK(RedirectTarget(refused) == "127.0.2.2:5050");

  absl::Status other = absl::InternalError("boom");
  other.SetPayload(status::TypeUrl("dcos.common.v1.LeaderInfo"),
                   absl::Cord(info.SerializeAsString()));
  CHECK(RedirectTarget(other).empty());
  CHECK(RedirectTarget(absl::UnavailableError("no leader")).empty());

  info.set_known(false);
  absl::Status unknown = absl::UnavailableError("no leader is known");
  unknown.SetPayload(status::TypeUrl("dcos.common.v1.LeaderInfo"),
                     absl::Cord(info.SerializeAsString()));
  CHECK(RedirectTarget(unknown).empty());
}

TEST_CASE("ParseElectionData reads a master's JSON MasterInfo and refuses anything else") {
  auto info = ParseElectionData(
      R"({"id":"m-1","address":{"ip":"127.0.2.1","port":5050}})");
  REQUIRE(info.has_value());
  CHECK(info->id() == "m-1");
  CHECK(MasterAddress(*info) == "127.0.2.1:5050");
  CHECK_FALSE(ParseElectionData("not json").has_value());
  CHECK_FALSE(ParseElectionData(R"({"id":7,"nonsense":true})").has_value());
}

}  // namespace
}  // namespace dcos::masters
