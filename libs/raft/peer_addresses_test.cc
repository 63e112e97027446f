#include "libs/raft/peer_addresses.h"

#include <catch2/catch.hpp>

namespace dcos::raft {
namespace {

ConfState Conf(std::vector<uint64_t> voters, std::vector<uint64_t> learners,
               std::map<uint64_t, std::string> addresses) {
  ConfState c;
  for (uint64_t v : voters) c.add_voters(v);
  for (uint64_t l : learners) c.add_learners(l);
  for (auto& [id, a] : addresses) (*c.mutable_addresses())[id] = a;
  return c;
}

TEST_CASE("the configuration's addresses win over stale hints; removed members are dropped") {
  // Started with flags naming 1..3 (3 at an old address); the log says 3 moved, 2 was removed
  // and 4 was added.
  std::map<uint64_t, std::string> hints = {{1, "h1:1"}, {2, "h2:1"}, {3, "old3:1"}};
  ConfState conf = Conf({1, 3}, {4}, {{1, "a1:1"}, {3, "a3:1"}, {4, "a4:1"}});
  auto got = MemberAddresses(conf, hints);
  REQUIRE(got == std::map<uint64_t, std::string>{{1, "a1:1"}, {3, "a3:1"}, {4, "a4:1"}});
}

TEST_CASE("hints fill members whose change named no address, and stand in for no configuration") {
  std::map<uint64_t, std::string> hints = {{1, "h1:1"}, {2, "h2:1"}};
  REQUIRE(MemberAddresses(Conf({1, 2, 3}, {}, {}), hints) ==
          std::map<uint64_t, std::string>{{1, "h1:1"}, {2, "h2:1"}});
  // A member waiting to be added knows no configuration: it talks to the members it was given.
  REQUIRE(MemberAddresses(ConfState{}, hints) == hints);
}

TEST_CASE("DiffPeers: new and moved peers are set, gone ones removed, self never") {
  std::map<uint64_t, std::string> before = {{1, "a:1"}, {2, "b:1"}, {3, "c:1"}};
  std::map<uint64_t, std::string> after = {{1, "a:1"}, {3, "c:2"}, {4, "d:1"}, {5, "self:1"}};
  PeerChanges d = DiffPeers(before, after, /*self=*/5);
  REQUIRE(d.set == std::map<uint64_t, std::string>{{3, "c:2"}, {4, "d:1"}});
  REQUIRE(d.removed == std::vector<uint64_t>{2});
  REQUIRE(DiffPeers(after, after, 5).set.empty());
}

TEST_CASE("AddressBook: Replace returns the previous map; readers get copies") {
  AddressBook book({{1, "a:1"}});
  REQUIRE(book.Get(1) == std::optional<std::string>("a:1"));
  REQUIRE(!book.Get(2).has_value());
  auto old = book.Replace({{2, "b:1"}});
  REQUIRE(old == std::map<uint64_t, std::string>{{1, "a:1"}});
  REQUIRE(!book.Contains(1));
  REQUIRE(book.All() == std::map<uint64_t, std::string>{{2, "b:1"}});
}

}  // namespace
}  // namespace dcos::raft
