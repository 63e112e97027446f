// RaftCore: log replication and flow control, commit, proposals, ReadIndex, leadership
// transfer and snapshots.

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/raft/raft_core.h"

namespace dcos::raft {

using ::dcos::raft::v1::ENTRY_TYPE_NORMAL;
using ::dcos::raft::v1::MESSAGE_TYPE_APP;
using ::dcos::raft::v1::MESSAGE_TYPE_APP_RESP;
using ::dcos::raft::v1::MESSAGE_TYPE_HEARTBEAT;
using ::dcos::raft::v1::MESSAGE_TYPE_HEARTBEAT_RESP;
using ::dcos::raft::v1::MESSAGE_TYPE_READ_INDEX;
using ::dcos::raft::v1::MESSAGE_TYPE_READ_INDEX_RESP;
using ::dcos::raft::v1::MESSAGE_TYPE_SNAP;
using ::dcos::raft::v1::MESSAGE_TYPE_TIMEOUT_NOW;

// ---- follower side ---------------------------------------------------------------------

void RaftCore::HandleAppend(const Message& m) {
  Message r;
  r.set_type(MESSAGE_TYPE_APP_RESP);
  r.set_to(m.from());
  if (m.index() < log_.committed()) {
    r.set_index(log_.committed());
  } else if (log_.MatchTerm(m.index(), m.log_term())) {
    std::vector<Entry> entries(m.entries().begin(), m.entries().end());
    uint64_t last_new = log_.AppendFromLeader(m.index(), entries);
    log_.CommitTo(std::min(m.commit(), last_new));
    r.set_index(last_new);
  } else {
    r.set_index(m.index());
    r.set_reject(true);
    r.set_reject_hint(std::min(m.index(), log_.last_index()));
  }
  Send(std::move(r));
}

void RaftCore::HandleHeartbeat(const Message& m) {
  log_.CommitTo(std::min(m.commit(), log_.last_index()));
  Message r;
  r.set_type(MESSAGE_TYPE_HEARTBEAT_RESP);
  r.set_to(m.from());
  r.set_context(m.context());
  Send(std::move(r));
}

void RaftCore::HandleSnapshot(const Message& m) {
  const SnapshotMetadata& meta = m.snapshot();
  Message r;
  r.set_type(MESSAGE_TYPE_APP_RESP);
  r.set_to(m.from());
  if (meta.index() <= log_.committed()) {
    r.set_index(log_.committed());
  } else if (log_.MatchTerm(meta.index(), meta.term())) {
    // We already have the snapshot's last entry: just learn that it is committed.
    log_.CommitTo(meta.index());
    r.set_index(log_.committed());
  } else {
    log_.RestoreSnapshot(meta.index(), meta.term());
    conf_ = meta.conf_state();
    snapshot_conf_ = conf_;
    conf_applied_index_ = meta.index();
    pending_snapshot_ = meta;
    r.set_index(meta.index());
  }
  Send(std::move(r));
}

// ---- leader side -----------------------------------------------------------------------

bool RaftCore::IsPaused(const Progress& pr) const {
  switch (pr.state) {
    case Progress::State::kProbe: return pr.probe_sent;
    case Progress::State::kReplicate:
      return pr.inflight.size() >= static_cast<size_t>(config_.max_inflight_appends);
    case Progress::State::kSnapshot: return true;
  }
  return true;
}

void RaftCore::BecomeProbe(Progress& pr) {
  if (pr.state == Progress::State::kSnapshot) {
    pr.next = std::max(pr.match + 1, pr.pending_snapshot + 1);
  } else {
    pr.next = pr.match + 1;
  }
  pr.state = Progress::State::kProbe;
  pr.probe_sent = false;
  pr.pending_snapshot = 0;
  pr.inflight.clear();
}

void RaftCore::BecomeReplicate(Progress& pr) {
  pr.state = Progress::State::kReplicate;
  pr.next = pr.match + 1;
  pr.probe_sent = false;
  pr.inflight.clear();
}

void RaftCore::SendAppend(uint64_t to, bool send_if_empty) {
  Progress& pr = progress_[to];
  if (IsPaused(pr)) return;
  uint64_t prev = pr.next - 1;
  std::optional<uint64_t> prev_term = log_.Term(prev);
  if (!prev_term.has_value()) {
    // The entries this peer needs are compacted away: send the snapshot instead.
    Message m;
    m.set_type(MESSAGE_TYPE_SNAP);
    m.set_to(to);
    m.mutable_snapshot()->set_index(log_.snapshot_index());
    m.mutable_snapshot()->set_term(log_.snapshot_term());
    *m.mutable_snapshot()->mutable_conf_state() = snapshot_conf_;
    pr.state = Progress::State::kSnapshot;
    pr.pending_snapshot = log_.snapshot_index();
    pr.inflight.clear();
    Send(std::move(m));
    return;
  }
  std::vector<Entry> entries;
  if (pr.next <= log_.last_index()) {
    entries = log_.Slice(pr.next, log_.last_index() + 1, config_.max_bytes_per_message);
  }
  if (entries.empty() && !send_if_empty) return;
  Message m;
  m.set_type(MESSAGE_TYPE_APP);
  m.set_to(to);
  m.set_index(prev);
  m.set_log_term(*prev_term);
  m.set_commit(log_.committed());
  if (pr.state == Progress::State::kReplicate && !entries.empty()) {
    uint64_t last = entries.back().index();
    pr.next = last + 1;
    pr.inflight.push_back(last);
  } else if (pr.state == Progress::State::kProbe) {
    pr.probe_sent = true;
  }
  for (Entry& e : entries) *m.add_entries() = std::move(e);
  Send(std::move(m));
}

void RaftCore::BroadcastAppend() {
  for (auto& [peer, pr] : progress_) {
    if (peer == id_) continue;
    SendAppend(peer, true);
  }
}

void RaftCore::BroadcastHeartbeat(const std::string& context) {
  for (auto& [peer, pr] : progress_) {
    if (peer == id_) continue;
    Message m;
    m.set_type(MESSAGE_TYPE_HEARTBEAT);
    m.set_to(peer);
    m.set_commit(std::min(pr.match, log_.committed()));
    m.set_context(context);
    Send(std::move(m));
  }
}

bool RaftCore::CommittedInCurrentTerm() const {
  std::optional<uint64_t> t = log_.Term(log_.committed());
  return t.has_value() && *t == term_;
}

bool RaftCore::MaybeCommit() {
  std::vector<uint64_t> matches;
  for (uint64_t v : conf_.voters()) {
    auto it = progress_.find(v);
    matches.push_back(it == progress_.end() ? 0 : it->second.match);
  }
  if (matches.empty()) return false;
  std::sort(matches.rbegin(), matches.rend());
  uint64_t candidate = matches[Quorum() - 1];
  // Only entries of the current term are committed by counting replicas (Raft §5.4.2).
  if (candidate <= log_.committed() || log_.Term(candidate) != term_) return false;
  bool first_in_term = !CommittedInCurrentTerm();
  log_.CommitTo(candidate);
  if (first_in_term) {
    std::vector<PendingRead> waiting = std::move(reads_before_commit_);
    reads_before_commit_.clear();
    for (PendingRead& r : waiting) StartRead(std::move(r.context), r.from);
  }
  return true;
}

void RaftCore::HandleAppendResponse(const Message& m, Progress& pr) {
  if (m.reject()) {
    if (m.index() <= pr.match) return;  // stale
    if (pr.state == Progress::State::kProbe && m.index() != pr.next - 1) return;  // stale probe
    BecomeProbe(pr);
    pr.next = std::max(pr.match + 1, std::min(m.index(), m.reject_hint() + 1));
    SendAppend(m.from(), true);
    return;
  }
  bool was_paused = IsPaused(pr);
  if (m.index() > pr.match) pr.match = m.index();
  if (pr.next < m.index() + 1) pr.next = m.index() + 1;
  auto& in = pr.inflight;
  in.erase(in.begin(), std::upper_bound(in.begin(), in.end(), m.index()));
  if (pr.state == Progress::State::kProbe) {
    BecomeReplicate(pr);
  } else if (pr.state == Progress::State::kSnapshot && pr.match >= pr.pending_snapshot) {
    BecomeProbe(pr);
    BecomeReplicate(pr);
  }
  if (MaybeCommit()) {
    // The new commit index goes to every follower once per Ready, however many
    // acknowledgements advanced it in between (and with any new entries).
    need_broadcast_ = true;
  }
  if (was_paused) SendAppend(m.from(), true);
  // Keep the pipeline full while the window allows.
  while (!IsPaused(pr) && pr.next <= log_.last_index()) {
    uint64_t before = pr.next;
    SendAppend(m.from(), false);
    if (pr.next == before) break;
  }
  if (transferee_ == m.from() && pr.match == log_.last_index()) {
    Message t;
    t.set_type(MESSAGE_TYPE_TIMEOUT_NOW);
    t.set_to(m.from());
    Send(std::move(t));
  }
}

void RaftCore::HandleHeartbeatResponse(const Message& m, Progress& pr) {
  pr.probe_sent = false;
  // A full window whose appends were lost would stall forever: the follower is alive, so
  // free one slot; the next append either fills the gap or is rejected, which resets to probe.
  if (pr.state == Progress::State::kReplicate && IsPaused(pr) && !pr.inflight.empty()) {
    pr.inflight.erase(pr.inflight.begin());
  }
  if (pr.match < log_.last_index()) SendAppend(m.from(), true);
  // "R<round>": an answer to a read round.
  uint64_t round = 0;
  if (m.context().size() < 2 || m.context()[0] != 'R' ||
      !absl::SimpleAtoi(absl::string_view(m.context()).substr(1), &round)) {
    return;
  }
  auto acks = round_acks_.find(round);
  if (acks == round_acks_.end()) return;  // already confirmed, or from an earlier term
  acks->second.insert(m.from());
  ReleaseReads();
}

// ---- proposals -------------------------------------------------------------------------

absl::StatusOr<uint64_t> RaftCore::Propose(std::string data) {
  if (role_ != Role::kLeader) {
    return absl::UnavailableError(absl::StrCat("not the leader; leader is ", leader_));
  }
  if (transferee_ != 0) {
    return absl::UnavailableError(
        absl::StrCat("leadership is being transferred to ", transferee_));
  }
  Entry e;
  e.set_term(term_);
  e.set_type(ENTRY_TYPE_NORMAL);
  e.set_data(std::move(data));
  uint64_t index = log_.Append({std::move(e)});
  need_broadcast_ = true;
  return index;
}

// ---- reads -----------------------------------------------------------------------------

absl::Status RaftCore::ReadIndex(std::string context) {
  if (role_ == Role::kLeader) {
    StartRead(std::move(context), 0);
    return absl::OkStatus();
  }
  if (leader_ == 0) return absl::UnavailableError("no leader known");
  Message m;
  m.set_type(MESSAGE_TYPE_READ_INDEX);
  m.set_to(leader_);
  m.set_context(std::move(context));
  Send(std::move(m));
  return absl::OkStatus();
}

void RaftCore::HandleReadIndexRequest(const Message& m) {
  if (!IsMember(m.from())) return;
  StartRead(m.context(), m.from());
}

void RaftCore::StartRead(std::string context, uint64_t from) {
  PendingRead r;
  r.context = std::move(context);
  r.from = from;
  if (!CommittedInCurrentTerm()) {
    // Until the leader commits an entry of its term its commit index may be stale.
    reads_before_commit_.push_back(std::move(r));
    return;
  }
  r.index = log_.committed();
  pending_reads_.push_back(std::move(r));
  if (Quorum() <= 1) {
    // A single voter is the quorum: no round to wait for.
    pending_reads_.back().round = ++read_round_;
    round_acks_[read_round_].insert(id_);
    ReleaseReads();
  }
  // Otherwise the next GetReady sends one heartbeat round for every read that arrived since.
}

void RaftCore::SendReadRound() {
  if (pending_reads_.empty() || pending_reads_.back().round != 0) return;
  ++read_round_;
  for (PendingRead& r : pending_reads_) {
    if (r.round == 0) r.round = read_round_;
  }
  round_acks_[read_round_].insert(id_);
  BroadcastHeartbeat(absl::StrCat("R", read_round_));
}

void RaftCore::ReleaseReads() {
  // The latest round a quorum of voters answered confirms every read of that round or earlier.
  uint64_t confirmed = 0;
  for (const auto& [round, members] : round_acks_) {
    size_t voters = 0;
    for (uint64_t member : members) voters += IsVoter(member) ? 1 : 0;
    if (voters >= Quorum()) confirmed = round;
  }
  if (confirmed == 0) return;
  size_t released = 0;
  for (; released < pending_reads_.size(); ++released) {
    PendingRead& r = pending_reads_[released];
    if (r.round == 0 || r.round > confirmed) break;
    if (r.from == 0) {
      read_states_.push_back({r.index, r.context});
    } else {
      Message m;
      m.set_type(MESSAGE_TYPE_READ_INDEX_RESP);
      m.set_to(r.from);
      m.set_index(r.index);
      m.set_context(r.context);
      Send(std::move(m));
    }
  }
  pending_reads_.erase(pending_reads_.begin(), pending_reads_.begin() + static_cast<long>(released));
  round_acks_.erase(round_acks_.begin(), round_acks_.upper_bound(confirmed));
}

// ---- leadership transfer ---------------------------------------------------------------

absl::Status RaftCore::TransferLeadership(uint64_t target) {
  if (role_ != Role::kLeader) {
    return absl::UnavailableError(absl::StrCat("not the leader; leader is ", leader_));
  }
  if (target == id_) return absl::OkStatus();
  if (!IsVoter(target)) {
    return absl::InvalidArgumentError(absl::StrCat("member ", target, " is not a voter"));
  }
  transferee_ = target;
  transfer_elapsed_ = 0;
  Progress& pr = progress_[target];
  if (pr.match == log_.last_index()) {
    Message t;
    t.set_type(MESSAGE_TYPE_TIMEOUT_NOW);
    t.set_to(target);
    Send(std::move(t));
  } else {
    SendAppend(target, true);
  }
  return absl::OkStatus();
}

// ---- transport feedback ----------------------------------------------------------------

void RaftCore::ReportUnreachable(uint64_t peer) {
  if (role_ == Role::kFollower && peer == leader_ && peer != 0) {
    // The transport lost its connection to our leader (a killed process resets its sockets
    // at once): suspect it now instead of after a whole election timeout of silence. The
    // lease ends (a pre-vote from another member that lost it too is granted), and our own
    // campaign comes after the random part of the timeout only (0 to election_ticks - 1
    // ticks), so members that both noticed do not campaign together. A leader that is alive
    // resets this with its next heartbeat; timing only, safety is untouched.
    election_elapsed_ = std::max(election_elapsed_, config_.election_ticks);
    return;
  }
  if (role_ != Role::kLeader) return;
  auto it = progress_.find(peer);
  if (it != progress_.end() && it->second.state == Progress::State::kReplicate) {
    BecomeProbe(it->second);
  }
}

void RaftCore::ReportSnapshot(uint64_t peer, bool ok) {
  if (role_ != Role::kLeader) return;
  auto it = progress_.find(peer);
  if (it == progress_.end() || it->second.state != Progress::State::kSnapshot) return;
  Progress& pr = it->second;
  if (!ok) pr.pending_snapshot = 0;
  BecomeProbe(pr);
  pr.probe_sent = true;  // wait for the follower's answer (or the next heartbeat)
}

// ---- snapshots -------------------------------------------------------------------------

absl::StatusOr<SnapshotMetadata> RaftCore::SnapshotAt(uint64_t index) const {
  if (index != log_.applied() || conf_applied_index_ != index) {
    return absl::FailedPreconditionError(
        absl::StrCat("snapshot index ", index, " is not the applied index ", log_.applied()));
  }
  SnapshotMetadata meta;
  meta.set_index(index);
  meta.set_term(*log_.Term(index));
  *meta.mutable_conf_state() = conf_;
  return meta;
}

void RaftCore::Compact(const SnapshotMetadata& metadata) {
  if (metadata.index() <= log_.snapshot_index() || metadata.index() > log_.applied()) return;
  log_.CompactTo(metadata.index());
  snapshot_conf_ = metadata.conf_state();
}

}  // namespace dcos::raft
