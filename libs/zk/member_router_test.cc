// MemberRouter: where reads and writes go as members fail and redirect.

#include "libs/zk/member_router.h"

#include <catch2/catch.hpp>

namespace dcos::zk::client {
namespace {

TEST_CASE("router: starts at the chosen member; writes go there until a leader is known") {
  MemberRouter r({"a:1", "b:1", "c:1"}, 1);
  CHECK(r.size() == 3);
  CHECK(r.ReadTarget() == 1);
  CHECK(r.WriteTarget() == 1);
  CHECK_FALSE(r.leader().has_value());
}

TEST_CASE("router: duplicates are dropped, the first member kept") {
  MemberRouter r({"a:1", "b:1", "a:1", "c:1"}, 3);
  CHECK(r.size() == 3);
  CHECK(r.address(r.ReadTarget()) == "c:1");
}

TEST_CASE("router: a redirect sets the leader for writes; reads stay") {
  MemberRouter r({"a:1", "b:1", "c:1"}, 0);
  CHECK(r.OnRedirect(0, {true, 3, "c:1"}) == std::optional<size_t>(2));
  CHECK(r.WriteTarget() == 2);
  CHECK(r.ReadTarget() == 0);
}

TEST_CASE("router: a redirect to an unknown address adds it") {
  MemberRouter r({"a:1", "b:1"}, 0);
  CHECK(r.OnRedirect(1, {true, 4, "d:1"}) == std::optional<size_t>(2));
  CHECK(r.size() == 3);
  CHECK(r.address(2) == "d:1");
  CHECK(r.Find("d:1") == std::optional<size_t>(2));
  CHECK(r.WriteTarget() == 2);
  // Learned once only.
  r.OnRedirect(0, {true, 4, "d:1"});
  CHECK(r.size() == 3);
}

TEST_CASE("router: no leader known forgets the leader and moves on from that member") {
  MemberRouter r({"a:1", "b:1", "c:1"}, 0);
  r.OnWriteSuccess(2);
  CHECK(r.WriteTarget() == 2);
  CHECK_FALSE(r.OnRedirect(0, LeaderHint{}).has_value());
  CHECK_FALSE(r.leader().has_value());
  CHECK(r.ReadTarget() == 1);
  // From a member that is not the current one: the current member stays.
  CHECK_FALSE(r.OnRedirect(2, LeaderHint{}).has_value());
  CHECK(r.ReadTarget() == 1);
}

TEST_CASE("router: a failed leader is forgotten; a failed current member is replaced") {
  MemberRouter r({"a:1", "b:1", "c:1"}, 2);
  r.OnWriteSuccess(1);
  r.OnFailure(1);
  CHECK_FALSE(r.leader().has_value());
  CHECK(r.ReadTarget() == 2);
  CHECK(r.WriteTarget() == 2);
  r.OnFailure(2);
  CHECK(r.ReadTarget() == 0);  // wraps around
  r.OnFailure(1);              // neither leader nor current: nothing changes
  CHECK(r.ReadTarget() == 0);
}

}  // namespace
}  // namespace dcos::zk::client
