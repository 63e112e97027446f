// RaftCore: roles, elections (PreVote, CheckQuorum), ticks, message dispatch and Ready.
// Replication, reads and snapshots: raft_replication.cc. Membership: raft_membership.cc.

#include "libs/raft/raft_core.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace dcos::raft {

using ::dcos::raft::v1::ENTRY_TYPE_CONF_CHANGE;
using ::dcos::raft::v1::ENTRY_TYPE_NOOP;
using ::dcos::raft::v1::MESSAGE_TYPE_APP;
using ::dcos::raft::v1::MESSAGE_TYPE_APP_RESP;
using ::dcos::raft::v1::MESSAGE_TYPE_HEARTBEAT;
using ::dcos::raft::v1::MESSAGE_TYPE_HEARTBEAT_RESP;
using ::dcos::raft::v1::MESSAGE_TYPE_PRE_VOTE;
using ::dcos::raft::v1::MESSAGE_TYPE_PRE_VOTE_RESP;
using ::dcos::raft::v1::MESSAGE_TYPE_READ_INDEX;
using ::dcos::raft::v1::MESSAGE_TYPE_READ_INDEX_RESP;
using ::dcos::raft::v1::MESSAGE_TYPE_SNAP;
using ::dcos::raft::v1::MESSAGE_TYPE_TIMEOUT_NOW;
using ::dcos::raft::v1::MESSAGE_TYPE_VOTE;
using ::dcos::raft::v1::MESSAGE_TYPE_VOTE_RESP;

namespace {
constexpr char kTransferContext[] = "transfer";
}  // namespace

const char* RoleName(Role role) {
  switch (role) {
    case Role::kFollower: return "follower";
    case Role::kPreCandidate: return "pre-candidate";
    case Role::kCandidate: return "candidate";
    case Role::kLeader: return "leader";
  }
  return "unknown";
}

bool SendableBeforePersist(const Message& m) {
  return m.type() == MESSAGE_TYPE_APP || m.type() == MESSAGE_TYPE_HEARTBEAT ||
         m.type() == MESSAGE_TYPE_SNAP || m.type() == MESSAGE_TYPE_TIMEOUT_NOW;
}

RaftCore::RaftCore(const RaftConfig& config, const PersistentState& state)
    : config_(config),
      id_(config.id),
      log_(state),
      rng_(config.seed * 0x9E3779B97F4A7C15ull + config.id) {
  term_ = state.hard_state.term();
  vote_ = state.hard_state.vote();
  prev_hard_state_ = state.hard_state;
  conf_ = state.snapshot.conf_state();
  snapshot_conf_ = conf_;
  conf_applied_index_ = log_.snapshot_index();
  bool empty = state.snapshot.index() == 0 && state.entries.empty();
  if (empty && !config.initial_voters.empty()) {
    // A new cluster: entry 1 (term 1) adds the initial voters. Every founding member creates
    // the same entry, so their logs agree; members that join later receive it from the leader.
    ConfChange bootstrap;
    std::vector<uint64_t> voters = config.initial_voters;
    std::sort(voters.begin(), voters.end());
    for (uint64_t v : voters) {
      auto* c = bootstrap.add_changes();
      c->set_type(::dcos::raft::v1::CONF_CHANGE_TYPE_ADD_NODE);
      c->set_node_id(v);
      auto address = config.initial_addresses.find(v);
      if (address != config.initial_addresses.end()) c->set_address(address->second);
    }
    Entry e;
    e.set_term(1);
    e.set_type(ENTRY_TYPE_CONF_CHANGE);
    e.set_data(bootstrap.SerializeAsString());
    log_.Append({e});
    log_.CommitTo(1);
    if (term_ < 1) term_ = 1;
  }
  ApplyConfChangesUpTo(log_.committed());
  role_ = Role::kFollower;
  leader_ = 0;
  ResetElectionTimeout();
}

// ---- roles ------------------------------------------------------------------------------

void RaftCore::ResetElectionTimeout() {
  randomized_election_timeout_ =
      config_.election_ticks + static_cast<int>(rng_() % static_cast<uint64_t>(config_.election_ticks));
}

void RaftCore::ResetTerm(uint64_t term) {
  if (term != term_) {
    term_ = term;
    vote_ = 0;
  }
  leader_ = 0;
  election_elapsed_ = 0;
  heartbeat_elapsed_ = 0;
  ResetElectionTimeout();
  votes_.clear();
  transferee_ = 0;
  transfer_elapsed_ = 0;
  pending_reads_.clear();
  reads_before_commit_.clear();
  round_acks_.clear();
  need_broadcast_ = false;
}

void RaftCore::BecomeFollower(uint64_t term, uint64_t leader) {
  ResetTerm(term);
  role_ = Role::kFollower;
  leader_ = leader;
}

void RaftCore::BecomePreCandidate() {
  // Term and vote stay as they are: a pre-election changes nothing durable.
  role_ = Role::kPreCandidate;
  leader_ = 0;
  votes_.clear();
  votes_[id_] = true;
}

void RaftCore::BecomeCandidate() {
  ResetTerm(term_ + 1);
  vote_ = id_;
  role_ = Role::kCandidate;
  votes_[id_] = true;
}

void RaftCore::BecomeLeader() {
  role_ = Role::kLeader;
  leader_ = id_;
  ResetProgress();
  Entry noop;
  noop.set_term(term_);
  noop.set_type(ENTRY_TYPE_NOOP);
  log_.Append({noop});
  // Any membership change still in the log must be applied before a new one is accepted.
  pending_conf_index_ = log_.last_index();
  need_broadcast_ = true;
}

void RaftCore::Campaign(bool pre_vote, bool transfer) {
  if (!IsVoter(id_)) return;
  uint64_t vote_term;
  if (pre_vote) {
    BecomePreCandidate();
    vote_term = term_ + 1;
  } else {
    BecomeCandidate();
    vote_term = term_;
  }
  if (votes_.size() >= Quorum()) {  // a single voter wins at once
    if (pre_vote) {
      Campaign(false, transfer);
    } else {
      BecomeLeader();
    }
    return;
  }
  for (uint64_t v : conf_.voters()) {
    if (v == id_) continue;
    Message m;
    m.set_type(pre_vote ? MESSAGE_TYPE_PRE_VOTE : MESSAGE_TYPE_VOTE);
    m.set_to(v);
    m.set_term(vote_term);
    m.set_index(log_.last_index());
    m.set_log_term(log_.last_term());
    if (transfer) m.set_context(kTransferContext);
    Send(std::move(m));
  }
}

// ---- time ------------------------------------------------------------------------------

void RaftCore::Tick() {
  ++ticks_;
  if (role_ != Role::kLeader) {
    ++election_elapsed_;
    if (IsVoter(id_) && election_elapsed_ >= randomized_election_timeout_) {
      election_elapsed_ = 0;
      Campaign(config_.pre_vote, false);
    }
    return;
  }
  ++heartbeat_elapsed_;
  ++election_elapsed_;
  if (transferee_ != 0 && ++transfer_elapsed_ >= config_.election_ticks) {
    transferee_ = 0;  // the target did not take over in time: abort
  }
  if (election_elapsed_ >= config_.election_ticks) {
    election_elapsed_ = 0;
    if (config_.check_quorum) {
      size_t active = 0;
      for (auto& [peer, pr] : progress_) {
        if (!IsVoter(peer)) continue;
        if (peer == id_ || pr.recent_active) ++active;
        if (peer != id_) pr.recent_active = false;
      }
      if (active < Quorum()) {
        BecomeFollower(term_, 0);  // cut off from the quorum: step down
        return;
      }
    }
  }
  if (heartbeat_elapsed_ >= config_.heartbeat_ticks) {
    heartbeat_elapsed_ = 0;
    BroadcastHeartbeat("");
  }
}

// ---- messages --------------------------------------------------------------------------

void RaftCore::Send(Message m) {
  m.set_from(id_);
  if (m.term() == 0) m.set_term(term_);
  msgs_.push_back(std::move(m));
}

void RaftCore::Step(const Message& m) {
  if (m.to() != id_ || m.from() == id_ || m.from() == 0) return;
  if (IsVoter(m.from())) heard_[m.from()] = ticks_;  // whatever it says, it reaches us
  bool is_vote_request = m.type() == MESSAGE_TYPE_VOTE || m.type() == MESSAGE_TYPE_PRE_VOTE;
  if (m.term() > term_) {
    if (is_vote_request) {
      bool forced = m.context() == kTransferContext;
      bool in_lease = config_.check_quorum && leader_ != 0 &&
                      election_elapsed_ < config_.election_ticks;
      if (!forced && in_lease) return;  // we hear from a live leader: not deposed by a stray
    }
    if (m.type() == MESSAGE_TYPE_PRE_VOTE) {
      // Answered below without changing our term.
    } else if (m.type() == MESSAGE_TYPE_PRE_VOTE_RESP && !m.reject()) {
      // A granted pre-vote carries the term we would campaign at.
    } else if (m.type() == MESSAGE_TYPE_APP || m.type() == MESSAGE_TYPE_HEARTBEAT ||
               m.type() == MESSAGE_TYPE_SNAP) {
      BecomeFollower(m.term(), m.from());
    } else {
      BecomeFollower(m.term(), 0);
    }
  } else if (m.term() < term_) {
    if ((config_.check_quorum || config_.pre_vote) &&
        (m.type() == MESSAGE_TYPE_APP || m.type() == MESSAGE_TYPE_HEARTBEAT)) {
      // A deposed leader (e.g. after a partition): tell it our term so it steps down.
      Message r;
      r.set_type(MESSAGE_TYPE_APP_RESP);
      r.set_to(m.from());
      Send(std::move(r));
    } else if (m.type() == MESSAGE_TYPE_PRE_VOTE) {
      Message r;
      r.set_type(MESSAGE_TYPE_PRE_VOTE_RESP);
      r.set_to(m.from());
      r.set_reject(true);
      Send(std::move(r));
    }
    return;
  }

  if (is_vote_request) {
    HandleVoteRequest(m);
    return;
  }
  switch (role_) {
    case Role::kLeader: StepLeader(m); break;
    case Role::kCandidate:
    case Role::kPreCandidate: StepCandidate(m); break;
    case Role::kFollower: StepFollower(m); break;
  }
}

void RaftCore::HandleVoteRequest(const Message& m) {
  bool pre = m.type() == MESSAGE_TYPE_PRE_VOTE;
  bool can_vote = vote_ == m.from() || (vote_ == 0 && leader_ == 0) || (pre && m.term() > term_);
  Message r;
  r.set_type(pre ? MESSAGE_TYPE_PRE_VOTE_RESP : MESSAGE_TYPE_VOTE_RESP);
  r.set_to(m.from());
  if (can_vote && log_.IsUpToDate(m.index(), m.log_term())) {
    r.set_term(m.term());
    if (!pre) {
      election_elapsed_ = 0;
      vote_ = m.from();
    }
  } else {
    r.set_term(term_);
    r.set_reject(true);
  }
  Send(std::move(r));
}

void RaftCore::StepCandidate(const Message& m) {
  switch (m.type()) {
    case MESSAGE_TYPE_APP:
      BecomeFollower(term_, m.from());
      HandleAppend(m);
      return;
    case MESSAGE_TYPE_HEARTBEAT:
      BecomeFollower(term_, m.from());
      HandleHeartbeat(m);
      return;
    case MESSAGE_TYPE_SNAP:
      BecomeFollower(term_, m.from());
      HandleSnapshot(m);
      return;
    case MESSAGE_TYPE_PRE_VOTE_RESP:
    case MESSAGE_TYPE_VOTE_RESP: {
      bool expected = (role_ == Role::kPreCandidate) == (m.type() == MESSAGE_TYPE_PRE_VOTE_RESP);
      if (!expected || !IsVoter(m.from())) return;
      votes_.emplace(m.from(), !m.reject());
      size_t granted = 0, rejected = 0;
      for (auto& [peer, yes] : votes_) (yes ? granted : rejected)++;
      if (granted >= Quorum()) {
        if (role_ == Role::kPreCandidate) {
          Campaign(false, false);
        } else {
          BecomeLeader();
        }
      } else if (rejected >= Quorum()) {
        BecomeFollower(term_, 0);
      }
      return;
    }
    default:
      return;
  }
}

void RaftCore::StepFollower(const Message& m) {
  switch (m.type()) {
    case MESSAGE_TYPE_APP:
      election_elapsed_ = 0;
      leader_ = m.from();
      HandleAppend(m);
      return;
    case MESSAGE_TYPE_HEARTBEAT:
      election_elapsed_ = 0;
      leader_ = m.from();
      HandleHeartbeat(m);
      return;
    case MESSAGE_TYPE_SNAP:
      election_elapsed_ = 0;
      leader_ = m.from();
      HandleSnapshot(m);
      return;
    case MESSAGE_TYPE_TIMEOUT_NOW:
      Campaign(false, true);  // leadership transfer: no pre-vote, voters ignore their lease
      return;
    case MESSAGE_TYPE_READ_INDEX_RESP:
      if (!m.reject()) read_states_.push_back({m.index(), m.context()});
      return;
    default:
      return;
  }
}

void RaftCore::StepLeader(const Message& m) {
  auto it = progress_.find(m.from());
  if (it == progress_.end()) return;
  Progress& pr = it->second;
  switch (m.type()) {
    case MESSAGE_TYPE_APP_RESP:
      pr.recent_active = true;
      HandleAppendResponse(m, pr);
      return;
    case MESSAGE_TYPE_HEARTBEAT_RESP:
      pr.recent_active = true;
      HandleHeartbeatResponse(m, pr);
      return;
    case MESSAGE_TYPE_READ_INDEX:
      HandleReadIndexRequest(m);
      return;
    default:
      return;
  }
}

// ---- Ready -----------------------------------------------------------------------------

bool RaftCore::HasReady() const {
  HardState hs;
  hs.set_term(term_);
  hs.set_vote(vote_);
  hs.set_commit(log_.committed());
  return role_ != prev_role_ || leader_ != prev_leader_ || hs.term() != prev_hard_state_.term() ||
         hs.vote() != prev_hard_state_.vote() || hs.commit() != prev_hard_state_.commit() ||
         pending_snapshot_.has_value() || log_.HasUnstable() || log_.HasCommittedToApply() ||
         !msgs_.empty() || !read_states_.empty() || need_broadcast_ ||
         (!pending_reads_.empty() && pending_reads_.back().round == 0);
}

Ready RaftCore::GetReady() {
  if (role_ == Role::kLeader && need_broadcast_) BroadcastAppend();
  if (role_ == Role::kLeader) SendReadRound();
  need_broadcast_ = false;
  Ready rd;
  rd.entries = log_.Unstable();
  rd.snapshot = std::move(pending_snapshot_);
  pending_snapshot_.reset();
  rd.committed = log_.TakeCommitted(config_.max_committed_bytes_per_ready);
  if (!rd.committed.empty()) ApplyConfChangesUpTo(rd.committed.back().index());

  HardState hs;
  hs.set_term(term_);
  hs.set_vote(vote_);
  hs.set_commit(log_.committed());
  if (hs.term() != prev_hard_state_.term() || hs.vote() != prev_hard_state_.vote() ||
      hs.commit() != prev_hard_state_.commit()) {
    rd.hard_state = hs;
    prev_hard_state_ = hs;
  }
  if (role_ != prev_role_ || leader_ != prev_leader_) {
    rd.soft_state_changed = true;
    prev_role_ = role_;
    prev_leader_ = leader_;
  }
  rd.role = role_;
  rd.leader = leader_;
  rd.messages = std::move(msgs_);
  msgs_.clear();
  rd.read_states = std::move(read_states_);
  read_states_.clear();
  return rd;
}

void RaftCore::Advance(const Ready& rd) {
  if (!rd.entries.empty()) log_.StableTo(rd.entries.back().index(), rd.entries.back().term());
  if (role_ == Role::kLeader) {
    Progress& self = progress_[id_];
    if (log_.stable() > self.match) {
      self.match = log_.stable();
      self.next = self.match + 1;
      if (MaybeCommit()) need_broadcast_ = true;  // one broadcast per Ready
    }
  }
}

int64_t RaftCore::QuorumSilentTicks() const {
  size_t needed = Quorum() - (IsVoter(id_) ? 1 : 0);  // besides this member
  if (needed == 0) return 0;
  std::vector<int64_t> silences;  // per other voter, ticks since it was last heard
  for (uint64_t voter : conf_.voters()) {
    if (voter == id_) continue;
    auto it = heard_.find(voter);
    silences.push_back(it == heard_.end() ? ticks_ : ticks_ - it->second);
  }
  if (silences.size() < needed) return ticks_;
  std::sort(silences.begin(), silences.end());
  return silences[needed - 1];
}

CoreStatus RaftCore::Status() const {
  CoreStatus s;
  s.id = id_;
  s.role = role_;
  s.leader = leader_;
  s.term = term_;
  s.vote = vote_;
  s.commit = log_.committed();
  s.applied = log_.applied();
  s.last_index = log_.last_index();
  s.snapshot_index = log_.snapshot_index();
  s.conf = conf_;
  s.transferee = transferee_;
  s.quorum_silent_ticks = QuorumSilentTicks();
  if (role_ == Role::kLeader) {
    for (const auto& [peer, pr] : progress_) {
      PeerProgress p;
      p.match = pr.match;
      p.next = pr.next;
      p.learner = IsLearner(peer);
      p.recent_active = pr.recent_active;
      p.state = pr.state == Progress::State::kProbe       ? "probe"
                : pr.state == Progress::State::kReplicate ? "replicate"
                                                          : "snapshot";
      s.progress[peer] = p;
    }
  }
  return s;
}

}  // namespace dcos::raft
