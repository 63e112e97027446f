#include "services/zk-ensemble/ensemble_status.h"

#include <catch2/catch.hpp>

namespace dcos::zk {
namespace {

raft::CoreStatus Core(uint64_t id, raft::Role role, uint64_t leader, uint64_t term,
                      uint64_t commit, uint64_t applied) {
  raft::CoreStatus s;
  s.id = id;
  s.role = role;
  s.leader = leader;
  s.term = term;
  s.commit = commit;
  s.applied = applied;
  s.conf.add_voters(1);
  s.conf.add_voters(2);
  s.conf.add_voters(3);
  return s;
}

EnsembleFacts Facts() {
  EnsembleFacts f;
  f.answered_by = 2;
  f.cluster_id = 7;
  f.conf.add_voters(1);
  f.conf.add_voters(2);
  f.conf.add_voters(3);
  f.addresses = {{1, "127.0.1.1:2181"}, {2, "127.0.1.2:2181"}, {3, "127.0.1.3:2181"}};
  f.healthy_max_lag = 100;
  return f;
}

SelfFacts At(const std::string& address) {
  SelfFacts f;
  f.address = address;
  return f;
}

TEST_CASE("a member reports its role, indexes and counters") {
  SelfFacts facts = At("127.0.1.1:2181");
  facts.sessions = 4;
  facts.znodes = 10;
  facts.watches = 3;
  v1::Member m = SelfReport(Core(1, raft::Role::kLeader, 1, 5, 100, 99), facts);
  CHECK(m.id() == 1);
  CHECK(m.role() == v1::Member::ROLE_LEADER);
  CHECK(m.serving_state() == v1::Member::SERVING_STATE_SERVING);
  CHECK(m.term() == 5);
  CHECK(m.commit_index() == 100);
  CHECK(m.applied_index() == 99);
  CHECK(m.sessions() == 4);
  CHECK(m.znode_count() == 10);
  CHECK(m.watch_count() == 3);
  CHECK(m.client_address().ip() == "127.0.1.1");
  CHECK(m.client_address().port() == 2181);
}

TEST_CASE("a member without a leader or with a failed disk is not serving") {
  v1::Member candidate = SelfReport(Core(2, raft::Role::kPreCandidate, 0, 5, 10, 10), At("h:1"));
  CHECK(candidate.role() == v1::Member::ROLE_CANDIDATE);
  CHECK(candidate.serving_state() == v1::Member::SERVING_STATE_NOT_SERVING);
  SelfFacts failed = At("h:1");
  failed.fatal = absl::InternalError("fdatasync: EIO");
  v1::Member broken = SelfReport(Core(2, raft::Role::kFollower, 1, 5, 10, 10), failed);
  CHECK(broken.serving_state() == v1::Member::SERVING_STATE_NOT_SERVING);
  CHECK(broken.description().find("EIO") != std::string::npos);
}

TEST_CASE("a learner is reported as such") {
  raft::CoreStatus s = Core(4, raft::Role::kFollower, 1, 5, 10, 10);
  s.conf.add_learners(4);
  CHECK(SelfReport(s, At("h:1")).role() == v1::Member::ROLE_LEARNER);
}

TEST_CASE("the aggregate computes lag, health and quorum") {
  std::map<uint64_t, v1::Member> reports;
  reports[1] = SelfReport(Core(1, raft::Role::kLeader, 1, 5, 1000, 1000), At("127.0.1.1:2181"));
  reports[2] = SelfReport(Core(2, raft::Role::kFollower, 1, 5, 1000, 990), At("127.0.1.2:2181"));
  reports[3] = SelfReport(Core(3, raft::Role::kFollower, 1, 5, 500, 500), At("127.0.1.3:2181"));
  v1::StatusResponse r = AggregateStatus(Facts(), reports);
  REQUIRE(r.members_size() == 3);
  CHECK(r.answered_by() == 2);
  CHECK(r.cluster_id() == 7);
  CHECK(r.leader().known());
  CHECK(r.leader().leader_id() == "1");
  CHECK(r.leader().address().port() == 2181);
  CHECK(r.members(0).lag() == 0);
  CHECK(r.members(0).healthy());
  CHECK(r.members(1).lag() == 10);
  CHECK(r.members(1).healthy());
  CHECK(r.members(2).lag() == 500);
  CHECK_FALSE(r.members(2).healthy());
  CHECK(r.members(2).description() == "catching up: 500 entries behind");
  CHECK(r.has_quorum());  // 2 of 3 voters healthy
}

TEST_CASE("unreachable members are listed and count against the quorum") {
  std::map<uint64_t, v1::Member> reports;
  reports[2] = SelfReport(Core(2, raft::Role::kFollower, 1, 5, 1000, 1000), At("127.0.1.2:2181"));
  v1::StatusResponse r = AggregateStatus(Facts(), reports);
  REQUIRE(r.members_size() == 3);
  CHECK(r.members(0).role() == v1::Member::ROLE_UNREACHABLE);
  CHECK(r.members(0).serving_state() == v1::Member::SERVING_STATE_DOWN);
  CHECK(r.members(0).client_address().ip() == "127.0.1.1");
  // The only leader claim would come from member 1, which did not answer.
  CHECK_FALSE(r.leader().known());
  CHECK_FALSE(r.members(1).healthy());
  CHECK_FALSE(r.has_quorum());
}

TEST_CASE("of two leader claims the higher term wins") {
  std::map<uint64_t, v1::Member> reports;
  reports[1] = SelfReport(Core(1, raft::Role::kLeader, 1, 4, 10, 10), At("127.0.1.1:2181"));
  reports[3] = SelfReport(Core(3, raft::Role::kLeader, 3, 5, 12, 12), At("127.0.1.3:2181"));
  v1::StatusResponse r = AggregateStatus(Facts(), reports);
  CHECK(r.leader().leader_id() == "3");
}

TEST_CASE("without a known configuration every addressed member is listed") {
  EnsembleFacts f = Facts();
  f.conf.Clear();
  v1::StatusResponse r = AggregateStatus(f, {});
  CHECK(r.members_size() == 3);
  CHECK_FALSE(r.has_quorum());
}

TEST_CASE("a member awaiting a restore is alone, not serving, and says so") {
  SelfFacts waiting = At("127.0.1.9:2181");
  waiting.waiting = "awaiting a restore";
  raft::CoreStatus none;
  none.id = 9;
  v1::Member self = SelfReport(none, waiting);
  CHECK(self.serving_state() == v1::Member::SERVING_STATE_NOT_SERVING);
  CHECK(self.description() == "awaiting a restore");

  v1::StatusResponse r = AwaitingRestoreStatus(self, 7, /*receiving=*/false);
  CHECK(r.awaiting_restore());
  CHECK(r.answered_by() == 9);
  CHECK(r.cluster_id() == 7);
  CHECK_FALSE(r.has_quorum());
  CHECK_FALSE(r.leader().known());
  REQUIRE(r.members_size() == 1);
  CHECK(r.members(0).id() == 9);
  CHECK(r.members(0).role() == v1::Member::ROLE_UNSPECIFIED);
  CHECK_FALSE(r.members(0).healthy());
  CHECK(r.members(0).description() == "awaiting a restore");
  CHECK(AwaitingRestoreStatus(self, 7, /*receiving=*/true).members(0).description().find(
            "receiving") != std::string::npos);
}

}  // namespace
}  // namespace dcos::zk
