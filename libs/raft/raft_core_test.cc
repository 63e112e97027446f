// Tests of the Raft core, each tied to a rule of the Raft paper (Ongaro & Ousterhout, "In
// Search of an Understandable Consensus Algorithm", extended version) or of Ongaro's thesis
// (PreVote, CheckQuorum, ReadIndex, leadership transfer, membership changes).

#include <catch2/catch.hpp>

#include "libs/raft/raft_core.h"
#include "libs/raft/sim/sim_cluster.h"

namespace dcos::raft {
namespace {

using sim::SimCluster;
using sim::SimOptions;
using ::dcos::raft::v1::CONF_CHANGE_TYPE_ADD_LEARNER_NODE;
using ::dcos::raft::v1::CONF_CHANGE_TYPE_ADD_NODE;
using ::dcos::raft::v1::CONF_CHANGE_TYPE_REMOVE_NODE;
using ::dcos::raft::v1::ENTRY_TYPE_NOOP;
using ::dcos::raft::v1::ENTRY_TYPE_NORMAL;
using ::dcos::raft::v1::MESSAGE_TYPE_APP;
using ::dcos::raft::v1::MESSAGE_TYPE_APP_RESP;
using ::dcos::raft::v1::MESSAGE_TYPE_VOTE;
using ::dcos::raft::v1::MESSAGE_TYPE_VOTE_RESP;

Entry MakeEntry(uint64_t index, uint64_t term, std::string data = "") {
  Entry e;
  e.set_index(index);
  e.set_term(term);
  e.set_type(ENTRY_TYPE_NORMAL);
  e.set_data(std::move(data));
  return e;
}

// A member restored from `entries` at `term`, in a 3-voter cluster (bootstrap entry 1).
RaftCore MakeCore(uint64_t id, uint64_t term, std::vector<Entry> rest, uint64_t commit = 1) {
  RaftConfig config;
  config.id = id;
  config.initial_voters = {1, 2, 3};
  // Build the bootstrap entry exactly as the core does, from an empty member.
  RaftCore fresh(config, PersistentState{});
  PersistentState state;
  state.entries = fresh.GetReady().entries;
  for (Entry& e : rest) state.entries.push_back(std::move(e));
  state.hard_state.set_term(term);
  state.hard_state.set_commit(commit);
  return RaftCore(config, state);
}

Message Msg(v1::MessageType type, uint64_t from, uint64_t to, uint64_t term) {
  Message m;
  m.set_type(type);
  m.set_from(from);
  m.set_to(to);
  m.set_term(term);
  return m;
}

std::vector<Message> Drain(RaftCore& core) {
  std::vector<Message> out;
  while (core.HasReady()) {
    Ready rd = core.GetReady();
    for (Message& m : rd.messages) out.push_back(std::move(m));
    core.Advance(rd);
  }
  return out;
}

TEST_CASE("§5.2 election safety: three members elect exactly one leader, who appends a no-op") {
  SimCluster c(SimOptions{});
  uint64_t leader = c.ElectLeader();
  REQUIRE(leader != 0);
  int leaders = 0;
  for (uint64_t id : c.ids()) leaders += c.core(id).role() == Role::kLeader;
  REQUIRE(leaders == 1);
  const RaftLog& log = c.core(leader).log();
  REQUIRE(log.Slice(log.last_index(), log.last_index() + 1, 0)[0].type() == ENTRY_TYPE_NOOP);
  REQUIRE(c.CheckInvariants().empty());
}

TEST_CASE("a single member elects itself and commits once its own write is durable") {
  SimOptions o;
  o.voters = 1;
  SimCluster c(o);
  uint64_t leader = c.ElectLeader();
  REQUIRE(leader == 1);
  auto index = c.Propose(1, "x");
  REQUIRE(index.ok());
  REQUIRE(c.core(1).log().committed() < *index);  // not before the Ready is persisted
  c.Stabilize();
  REQUIRE(c.core(1).log().committed() == *index);
  REQUIRE(c.node(1).applied.back().second == "x");
}

TEST_CASE("§5.4.1 vote restriction: a candidate with a less up-to-date log is refused") {
  RaftCore voter = MakeCore(1, 2, {MakeEntry(2, 2)});
  Message vote = Msg(MESSAGE_TYPE_VOTE, 2, 1, 3);
  vote.set_index(5);
  vote.set_log_term(1);  // longer log, but an older last term
  voter.Step(vote);
  auto out = Drain(voter);
  REQUIRE(out.size() == 1);
  REQUIRE(out[0].type() == MESSAGE_TYPE_VOTE_RESP);
  REQUIRE(out[0].reject());
  REQUIRE(voter.Status().vote == 0);
}

TEST_CASE("§5.2 each member grants at most one vote per term") {
  RaftCore voter = MakeCore(1, 2, {});
  Message a = Msg(MESSAGE_TYPE_VOTE, 2, 1, 3);
  a.set_index(1);
  a.set_log_term(1);
  Message b = Msg(MESSAGE_TYPE_VOTE, 3, 1, 3);
  b.set_index(1);
  b.set_log_term(1);
  voter.Step(a);
  voter.Step(b);
  auto out = Drain(voter);
  REQUIRE(out.size() == 2);
  REQUIRE_FALSE(out[0].reject());
  REQUIRE(out[1].reject());
  REQUIRE(voter.Status().vote == 2);
  // Asking again (a retransmission) is answered the same way.
  voter.Step(a);
  REQUIRE_FALSE(Drain(voter)[0].reject());
}

TEST_CASE("§5.3 log matching: an append with a mismatched previous entry is rejected") {
  RaftCore follower = MakeCore(2, 2, {MakeEntry(2, 1)});
  Message app = Msg(MESSAGE_TYPE_APP, 1, 2, 2);
  app.set_index(2);
  app.set_log_term(2);  // we have term 1 at index 2
  *app.add_entries() = MakeEntry(3, 2);
  follower.Step(app);
  auto out = Drain(follower);
  REQUIRE(out.size() == 1);
  REQUIRE(out[0].type() == MESSAGE_TYPE_APP_RESP);
  REQUIRE(out[0].reject());
  REQUIRE(follower.log().last_index() == 2);
}

TEST_CASE("§5.3 conflicting uncommitted entries are replaced by the leader's") {
  RaftCore follower = MakeCore(2, 2, {MakeEntry(2, 1, "a"), MakeEntry(3, 1, "b")});
  Message app = Msg(MESSAGE_TYPE_APP, 1, 2, 3);
  app.set_index(1);
  app.set_log_term(1);
  *app.add_entries() = MakeEntry(2, 3, "c");
  follower.Step(app);
  auto out = Drain(follower);
  REQUIRE_FALSE(out.back().reject());
  REQUIRE(follower.log().last_index() == 2);
  REQUIRE(*follower.log().Term(2) == 3);
}

TEST_CASE("§5.4.2 a leader never commits an entry of an earlier term by counting replicas") {
  // Member 1 holds (2, term 2), not committed; it wins term 3 and appends its no-op at 3.
  RaftCore leader = MakeCore(1, 2, {MakeEntry(2, 2)});
  leader.Step([] {
    Message m = Msg(MESSAGE_TYPE_VOTE, 2, 1, 3);  // makes 1 a follower at term 3 first
    m.set_index(0);
    return m;
  }());
  Drain(leader);
  // Campaign: tick until it becomes a (pre-)candidate, then grant votes.
  for (int i = 0; i < 40 && leader.role() == Role::kFollower; ++i) leader.Tick();
  auto votes = Drain(leader);
  for (const Message& req : votes) {
    Message resp = Msg(req.type() == MESSAGE_TYPE_VOTE ? MESSAGE_TYPE_VOTE_RESP
                                                       : v1::MESSAGE_TYPE_PRE_VOTE_RESP,
                       req.to(), 1, req.term());
    leader.Step(resp);
  }
  for (const Message& req : Drain(leader)) {  // the real vote after the pre-vote
    if (req.type() != MESSAGE_TYPE_VOTE) continue;
    leader.Step(Msg(MESSAGE_TYPE_VOTE_RESP, req.to(), 1, req.term()));
  }
  REQUIRE(leader.role() == Role::kLeader);
  uint64_t term = leader.term();
  Drain(leader);
  REQUIRE(leader.log().last_index() == 3);
  // A follower acknowledges index 2 only: a majority holds it, but it is of term 2.
  Message ack = Msg(MESSAGE_TYPE_APP_RESP, 2, 1, term);
  ack.set_index(2);
  leader.Step(ack);
  Drain(leader);
  REQUIRE(leader.log().committed() == 1);
  // Once the no-op of the current term is on a majority, both commit.
  ack.set_index(3);
  leader.Step(ack);
  Drain(leader);
  REQUIRE(leader.log().committed() == 3);
}

TEST_CASE("PreVote: an isolated member does not raise its term and does not depose the leader") {
  SimCluster c(SimOptions{});
  uint64_t leader = c.ElectLeader();
  uint64_t term = c.core(leader).term();
  uint64_t other = leader == 3 ? 2 : 3;
  c.Isolate(other);
  for (int i = 0; i < 200; ++i) {
    c.TickAll();
    c.Stabilize();
  }
  REQUIRE(c.core(other).term() == term);  // pre-votes failed; the term never moved
  c.Heal();
  for (int i = 0; i < 30; ++i) {
    c.TickAll();
    c.Stabilize();
  }
  REQUIRE(c.Leader() == leader);
  REQUIRE(c.core(leader).term() == term);
}

TEST_CASE("CheckQuorum: a leader cut off from its quorum steps down within an election timeout") {
  SimCluster c(SimOptions{});
  uint64_t leader = c.ElectLeader();
  c.Isolate(leader);
  for (int i = 0; i < 2 * 10 + 1; ++i) {
    c.TickAll();
    c.Stabilize();
  }
  REQUIRE(c.core(leader).role() != Role::kLeader);
  // The others elect a new leader.
  REQUIRE(c.ElectLeader() != 0);
  REQUIRE(c.ElectLeader() != leader);
}

TEST_CASE("a follower told its leader is unreachable campaigns early; a live leader stays") {
  SimOptions o;
  o.seed = 7;
  o.election_ticks = 30;
  SimCluster c(o);
  uint64_t leader = c.ElectLeader();
  uint64_t term = c.core(leader).term();
  // The leader is alive and heard: the report alone deposes nobody.
  for (uint64_t id : c.ids()) {
    if (id != leader) c.core(id).ReportUnreachable(leader);
  }
  for (int i = 0; i < 100; ++i) {
    c.TickAll();
    c.Stabilize();
  }
  REQUIRE(c.Leader() == leader);
  REQUIRE(c.core(leader).term() == term);
  // The leader dies; its followers hear of it from their transport at once and elect a new
  // leader before one election timeout (30 ticks) of silence, let alone the 30-60 drawn.
  c.Crash(leader);
  for (uint64_t id : c.ids()) {
    if (id != leader) c.core(id).ReportUnreachable(leader);
  }
  int ticks = 0;
  while (ticks < 100) {
    for (uint64_t id : c.ids()) {
      if (id != leader) c.Tick(id);
    }
    c.Stabilize();
    ++ticks;
    uint64_t now = c.Leader();
    if (now != 0 && now != leader) break;
  }
  INFO("ticks to a new leader: " << ticks);
  REQUIRE(ticks < 28);
}

TEST_CASE("quorum contact: members between leaders hear a quorum; a cut-off member hears none") {
  // dcos-zk tells a member cut off from the others (its clients should move) from one in an
  // election (its clients should wait) by quorum_silent_ticks, not by the time without a leader.
  SimOptions o;
  o.seed = 7;
  INFO("seed " << o.seed);
  SimCluster c(o);
  uint64_t leader = c.ElectLeader();
  uint64_t cut = leader == 3 ? 1 : 3;
  uint64_t other = 6 - leader - cut;
  c.Isolate(cut);
  for (int i = 0; i < 4 * o.election_ticks; ++i) {
    c.TickAll();
    c.Stabilize();
  }
  REQUIRE(c.core(cut).Status().leader == 0);
  REQUIRE(c.core(cut).Status().quorum_silent_ticks >= 4 * o.election_ticks);
  REQUIRE(c.core(other).Status().quorum_silent_ticks <= 1);  // the leader's heartbeats
  // Healed, it hears the leader again.
  c.Heal();
  for (int i = 0; i < 4 * o.election_ticks && c.core(cut).Status().leader == 0; ++i) {
    c.TickAll();
    c.Stabilize();
  }
  REQUIRE(c.core(cut).Status().leader != 0);
  REQUIRE(c.core(cut).Status().quorum_silent_ticks <= 1);

  // The leader dies. Until a new one is known, each survivor keeps hearing the other: their
  // campaigns are at most one randomized election timeout (< 2 x election_ticks) apart.
  leader = c.Leader();
  REQUIRE(leader != 0);
  c.Crash(leader);
  std::vector<uint64_t> survivors;
  for (uint64_t id : c.ids()) {
    if (id != leader) survivors.push_back(id);
  }
  int64_t loudest_silence = 0;
  int ticks = 0;
  while (ticks < 20 * o.election_ticks && (c.Leader() == 0 || c.Leader() == leader)) {
    for (uint64_t id : survivors) c.Tick(id);
    c.Stabilize();
    ++ticks;
    for (uint64_t id : survivors) {
      loudest_silence = std::max(loudest_silence, c.core(id).Status().quorum_silent_ticks);
    }
  }
  INFO("ticks to a new leader " << ticks << ", longest silence " << loudest_silence);
  REQUIRE(c.Leader() != 0);
  REQUIRE(c.Leader() != leader);
  REQUIRE(loudest_silence <= 2 * o.election_ticks);
}

TEST_CASE("ReadIndex: a read point after a heartbeat round; none from a deposed leader") {
  SimCluster c(SimOptions{});
  uint64_t leader = c.ElectLeader();
  REQUIRE(c.Propose(leader, "w").ok());
  c.Stabilize();
  REQUIRE(c.ReadIndex(leader, "r1").ok());
  c.Stabilize();
  REQUIRE(c.node(leader).reads.size() == 1);
  REQUIRE(c.node(leader).reads[0].index == c.core(leader).log().committed());
  // From a follower: forwarded to the leader and answered.
  uint64_t follower = leader == 1 ? 2 : 1;
  REQUIRE(c.ReadIndex(follower, "r2").ok());
  c.Stabilize();
  REQUIRE(c.node(follower).reads.size() == 1);
  // An isolated leader cannot confirm its leadership: no read point.
  c.Isolate(leader);
  REQUIRE(c.ReadIndex(leader, "r3").ok());
  c.Stabilize();
  REQUIRE(c.node(leader).reads.size() == 1);
  REQUIRE(c.CheckInvariants().empty());
}

TEST_CASE("leadership transfer: the target takes over at once, in a new term") {
  SimCluster c(SimOptions{});
  uint64_t leader = c.ElectLeader();
  uint64_t target = leader == 3 ? 1 : 3;
  uint64_t term = c.core(leader).term();
  REQUIRE(c.core(leader).TransferLeadership(target).ok());
  c.Stabilize();
  REQUIRE(c.Leader() == target);
  REQUIRE(c.core(target).term() == term + 1);
  REQUIRE(c.core(target).TransferLeadership(99).code() == absl::StatusCode::kInvalidArgument);
}

ConfChange Change(v1::ConfChangeType type, uint64_t node) {
  ConfChange cc;
  auto* c = cc.add_changes();
  c->set_type(type);
  c->set_node_id(node);
  return cc;
}

TEST_CASE("membership: a learner catches up without voting, is promoted, and a voter is removed") {
  SimOptions o;
  o.spares = 1;
  SimCluster c(o);
  uint64_t leader = c.ElectLeader();
  for (int i = 0; i < 5; ++i) REQUIRE(c.Propose(leader, "x").ok());
  c.Stabilize();
  REQUIRE(c.core(leader).ProposeConfChange(Change(CONF_CHANGE_TYPE_ADD_LEARNER_NODE, 4)).ok());
  // One change at a time.
  REQUIRE(c.core(leader).ProposeConfChange(Change(CONF_CHANGE_TYPE_ADD_NODE, 4)).status().code() ==
          absl::StatusCode::kFailedPrecondition);
  c.Stabilize();
  c.TickAll();
  c.Stabilize();
  REQUIRE(c.core(4).log().last_index() == c.core(leader).log().last_index());
  REQUIRE(c.core(leader).conf().voters_size() == 3);
  REQUIRE(c.core(leader).conf().learners_size() == 1);
  REQUIRE(c.core(leader).ProposeConfChange(Change(CONF_CHANGE_TYPE_ADD_NODE, 4)).ok());
  c.Stabilize();
  REQUIRE(c.core(leader).conf().voters_size() == 4);
  uint64_t removed = leader == 1 ? 2 : 1;
  REQUIRE(c.core(leader).ProposeConfChange(Change(CONF_CHANGE_TYPE_REMOVE_NODE, removed)).ok());
  c.Stabilize();
  REQUIRE(c.core(leader).conf().voters_size() == 3);
  // With the removed member down, the remaining three still commit.
  c.Crash(removed);
  auto index = c.Propose(leader, "after");
  REQUIRE(index.ok());
  c.Stabilize();
  REQUIRE(c.core(leader).log().committed() >= *index);
  REQUIRE(c.core(leader).ProposeConfChange(Change(CONF_CHANGE_TYPE_REMOVE_NODE, 42)).status().code() ==
          absl::StatusCode::kInvalidArgument);
}

ConfChange ChangeWithAddress(v1::ConfChangeType type, uint64_t node, const std::string& address) {
  ConfChange cc = Change(type, node);
  cc.mutable_changes(0)->set_address(address);
  return cc;
}

TEST_CASE("membership: addresses travel in the changes, in snapshots, and survive restarts") {
  SimOptions o;
  o.spares = 1;
  SimCluster c(o);
  uint64_t leader = c.ElectLeader();
  // The founders' addresses are in the bootstrap entry.
  REQUIRE(c.core(leader).conf().addresses().at(2) == sim::SimAddress(2));
  REQUIRE(c.core(leader)
              .ProposeConfChange(ChangeWithAddress(CONF_CHANGE_TYPE_ADD_LEARNER_NODE, 4, "sim-4"))
              .ok());
  c.Stabilize();
  c.TickAll();
  c.Stabilize();
  // The promotion names no address: the learner's is kept.
  REQUIRE(c.core(leader).ProposeConfChange(Change(CONF_CHANGE_TYPE_ADD_NODE, 4)).ok());
  c.Stabilize();
  for (uint64_t id : c.ids()) {
    INFO("member " << id);
    REQUIRE(c.core(id).conf().voters_size() == 4);
    REQUIRE(c.core(id).conf().addresses().size() == 4);
    REQUIRE(c.core(id).conf().addresses().at(4) == "sim-4");
  }
  // From a snapshot: member 4 snapshots, crashes, and comes back knowing everyone's address.
  for (int i = 0; i < 5; ++i) REQUIRE(c.Propose(leader, "x").ok());
  c.Stabilize();
  c.Snapshot(4);
  REQUIRE(c.node(4).disk->snapshot().conf_state().addresses().size() == 4);
  c.Crash(4);
  c.Restart(4);
  REQUIRE(c.core(4).conf().addresses().at(1) == sim::SimAddress(1));
  REQUIRE(c.core(4).conf().addresses().at(4) == "sim-4");
  // From the log alone (no snapshot): a member that never compacted.
  uint64_t other = leader == 1 ? 2 : 1;
  REQUIRE(c.node(other).disk->snapshot().index() == 0);
  c.Crash(other);
  c.Restart(other);
  REQUIRE(c.core(other).conf().addresses().at(4) == "sim-4");
  // A removal forgets the address.
  c.TickAll();
  c.Stabilize();
  uint64_t removed = leader == 3 ? 2 : 3;
  REQUIRE(c.core(leader).ProposeConfChange(Change(CONF_CHANGE_TYPE_REMOVE_NODE, removed)).ok());
  c.Stabilize();
  REQUIRE(c.core(leader).conf().addresses().count(removed) == 0);
  REQUIRE(c.core(leader).conf().addresses().size() == 3);
  REQUIRE(c.CheckInvariants().empty());
}

TEST_CASE("snapshots: a follower behind the compacted log catches up with InstallSnapshot") {
  SimCluster c(SimOptions{});
  uint64_t leader = c.ElectLeader();
  uint64_t lagging = leader == 3 ? 2 : 3;
  c.Isolate(lagging);
  for (int i = 0; i < 30; ++i) REQUIRE(c.Propose(leader, "v" + std::to_string(i)).ok());
  c.Stabilize();
  c.Snapshot(leader);
  REQUIRE(c.core(leader).log().snapshot_index() > 10);
  c.Heal();
  for (int i = 0; i < 5; ++i) {
    c.TickAll();
    c.Stabilize();
  }
  REQUIRE(c.node(lagging).disk->snapshot().index() > 10);
  REQUIRE(c.node(lagging).applied == c.node(leader).applied);
  REQUIRE(c.CheckInvariants().empty());
  REQUIRE(c.CheckLogMatching().empty());
}

TEST_CASE("a restarted member recovers its term, vote, log and state from its storage") {
  SimCluster c(SimOptions{});
  uint64_t leader = c.ElectLeader();
  for (int i = 0; i < 10; ++i) REQUIRE(c.Propose(leader, "v").ok());
  c.Stabilize();
  uint64_t member = leader == 1 ? 2 : 1;
  uint64_t term = c.core(member).term();
  uint64_t vote = c.core(member).Status().vote;
  uint64_t last = c.core(member).log().last_index();
  auto applied = c.node(member).applied;
  c.Crash(member);
  c.Restart(member);
  REQUIRE(c.core(member).term() == term);
  REQUIRE(c.core(member).Status().vote == vote);
  REQUIRE(c.core(member).log().last_index() == last);
  c.Stabilize();
  c.TickAll();
  c.Stabilize();
  REQUIRE(c.node(member).applied == applied);
}

TEST_CASE("proposals on a follower are refused with the leader named") {
  SimCluster c(SimOptions{});
  uint64_t leader = c.ElectLeader();
  uint64_t follower = leader == 1 ? 2 : 1;
  auto r = c.Propose(follower, "x");
  REQUIRE(r.status().code() == absl::StatusCode::kUnavailable);
  REQUIRE(r.status().message().find(std::to_string(leader)) != std::string::npos);
}

}  // namespace
}  // namespace dcos::raft
