#include "services/zk-ensemble/membership_rules.h"

#include <catch2/catch.hpp>

namespace dcos::zk {
namespace {

// The leader (1) of voters 1..n (and learners), each peer heard from with `match`.
raft::CoreStatus Leader(std::vector<uint64_t> voters, std::vector<uint64_t> learners = {}) {
  raft::CoreStatus s;
  s.id = 1;
  s.role = raft::Role::kLeader;
  s.commit = 100;
  for (uint64_t v : voters) s.conf.add_voters(v);
  for (uint64_t l : learners) s.conf.add_learners(l);
  for (uint64_t v : voters) {
    raft::PeerProgress p;
    p.match = 100;
    p.recent_active = true;
    s.progress[v] = p;
  }
  return s;
}

common::v1::Address Addr(std::string ip, uint32_t port) {
  common::v1::Address a;
  a.set_ip(std::move(ip));
  a.set_port(port);
  return a;
}

TEST_CASE("HostPortOf: ip, hostname and IPv6 forms; bad ones name the field") {
  REQUIRE(*HostPortOf(Addr("127.0.1.4", 2181), "peer_address") == "127.0.1.4:2181");
  REQUIRE(*HostPortOf(Addr("::1", 2181), "peer_address") == "[::1]:2181");
  common::v1::Address named;
  named.set_hostname("zk-4.example.com");
  named.set_port(2181);
  REQUIRE(*HostPortOf(named, "peer_address") == "zk-4.example.com:2181");
  for (const auto& bad : {Addr("", 2181), Addr("127.0.0.1", 0), Addr("127.0.0.1", 70000),
                          Addr("bad host", 1)}) {
    auto r = HostPortOf(bad, "peer_address");
    REQUIRE(r.status().code() == absl::StatusCode::kInvalidArgument);
    REQUIRE(r.status().message().find("peer_address") != std::string::npos);
  }
}

TEST_CASE("HealthyVoters: the voters the ensemble view calls healthy") {
  raft::CoreStatus s = Leader({1, 2, 3}, {4});
  v1::StatusResponse view;
  for (uint64_t id : {1, 2, 3, 4}) {
    v1::Member* m = view.add_members();
    m->set_id(id);
    m->set_healthy(id != 3);
  }
  REQUIRE(HealthyVoters(view, s.conf) == std::set<uint64_t>{1, 2});  // 4 is a learner
}

TEST_CASE("CheckAdd: duplicate id or address, and a majority that is not healthy") {
  raft::CoreStatus s = Leader({1, 2, 3}, {5});
  std::map<uint64_t, std::string> addresses = {{1, "a:1"}, {2, "b:1"}, {3, "c:1"}, {5, "e:1"}};
  REQUIRE(CheckAdd(s, 4, "d:1", addresses, {1, 2, 3}).ok());
  REQUIRE(CheckAdd(s, 4, "d:1", addresses, {1, 2}).ok());
  REQUIRE(CheckAdd(s, 2, "d:1", addresses, {1, 2, 3}).code() == absl::StatusCode::kAlreadyExists);
  REQUIRE(CheckAdd(s, 5, "d:1", addresses, {1, 2, 3}).code() == absl::StatusCode::kAlreadyExists);
  REQUIRE(CheckAdd(s, 4, "b:1", addresses, {1, 2, 3}).code() == absl::StatusCode::kAlreadyExists);
  absl::Status minority = CheckAdd(s, 4, "d:1", addresses, {1});
  REQUIRE(minority.code() == absl::StatusCode::kFailedPrecondition);
  REQUIRE(minority.message().find("NEW_CONFIG_NO_QUORUM") != std::string::npos);
}

TEST_CASE("CheckRemove: unknown, last voter, and the quorum of what is left") {
  REQUIRE(CheckRemove(Leader({1, 2, 3}), 9, {1, 2, 3}).code() == absl::StatusCode::kNotFound);
  REQUIRE(CheckRemove(Leader({1}), 1, {1}).code() == absl::StatusCode::kFailedPrecondition);
  // 3 voters, all healthy: removing any leaves 2 of 2.
  REQUIRE(CheckRemove(Leader({1, 2, 3}), 2, {1, 2, 3}).ok());
  // 3 voters, 3 down: removing 2 leaves {1,3} with only 1 healthy: refused.
  REQUIRE(CheckRemove(Leader({1, 2, 3}), 2, {1, 2}).code() ==
          absl::StatusCode::kFailedPrecondition);
  // ...but removing the dead one is what repairs it.
  REQUIRE(CheckRemove(Leader({1, 2, 3}), 3, {1, 2}).ok());
  // 4 voters, one down: removing a healthy one leaves 2 healthy of 3 — fine.
  REQUIRE(CheckRemove(Leader({1, 2, 3, 4}), 2, {1, 2, 3}).ok());
  // A learner can always go.
  REQUIRE(CheckRemove(Leader({1, 2, 3}, {7}), 7, {1}).ok());
}

}  // namespace
}  // namespace dcos::zk
