#pragma once

// RaftCore: the Raft consensus algorithm as a pure state machine (no I/O, no threads, no
// clock). Inputs: Tick() (logical time), Step(message), Propose(), ProposeConfChange(),
// ReadIndex(), TransferLeadership(). Output: a Ready batch — state and entries to persist,
// messages to send, committed entries to apply, read states — which the caller carries out and
// acknowledges with Advance().
//
// Features: PreVote and CheckQuorum (a partitioned member rejoining does not depose a healthy
// leader; a leader cut off from its quorum steps down), pipelined replication with flow control
// (probe / replicate / snapshot states, a window of in-flight appends, a byte limit per
// message), commit only by a majority of entries of the current term, ReadIndex reads,
// leadership transfer, one-at-a-time membership changes with learners, and snapshots with
// log compaction (InstallSnapshot for lagging followers).
//
// Membership changes take effect when their entry is committed (handed out in
// Ready::committed); a leader accepts a new one only after the previous one is applied and
// after it has committed an entry of its own term.
//
// The driver loop (see driver.h for the real one):
//   while (core.HasReady()) {
//     Ready rd = core.GetReady();
//     storage.Append(rd.entries, rd.hard_state) / SaveSnapshot(rd.snapshot)   // durable first,
//     send(rd.messages)    // ...except messages for which SendableBeforePersist() is true
//     apply(rd.committed); deliver(rd.read_states);
//     core.Advance(rd);
//   }
// No other call may be made between GetReady and Advance.
//
// Thread-compatible: owned by one thread.

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/raft/raft_log.h"
#include "libs/raft/storage.h"

namespace dcos::raft {

using Message = ::dcos::raft::v1::Message;
using ConfState = ::dcos::raft::v1::ConfState;
using ConfChange = ::dcos::raft::v1::ConfChange;

enum class Role { kFollower, kPreCandidate, kCandidate, kLeader };
const char* RoleName(Role role);

struct RaftConfig {
  uint64_t id = 0;  // this member's id, > 0
  // Voters of a brand-new cluster; used only when the storage is empty. A member that joins an
  // existing cluster starts with none and learns the membership from the leader.
  std::vector<uint64_t> initial_voters;
  // Transport addresses of the initial voters ("host:port"), written into the bootstrap entry
  // with them (so into ConfState::addresses on every founder). Every founder must be given the
  // same map, as it is given the same voters. Ids not among initial_voters are ignored.
  std::map<uint64_t, std::string> initial_addresses;
  int election_ticks = 10;   // followers campaign after [election_ticks, 2*election_ticks)
  int heartbeat_ticks = 1;   // leaders send heartbeats every heartbeat_ticks
  bool pre_vote = true;
  bool check_quorum = true;
  uint64_t max_bytes_per_message = 1 << 20;  // entries per MsgApp, bytes (at least one entry)
  int max_inflight_appends = 256;            // unacknowledged MsgApp per follower
  uint64_t max_committed_bytes_per_ready = 16 << 20;
  uint64_t seed = 1;  // election jitter
};

// A linearizable read point: once the state machine has applied `index`, a read that was
// requested with `context` may be served.
struct ReadState {
  uint64_t index = 0;
  std::string context;
};

struct Ready {
  // Role and leader, when they changed since the last Ready (for the driver and metrics).
  bool soft_state_changed = false;
  Role role = Role::kFollower;
  uint64_t leader = 0;

  // Persist these (in this order: snapshot, then entries, then hard state) before sending
  // `messages` (but see SendableBeforePersist) and before applying `committed`.
  std::optional<HardState> hard_state;
  std::optional<SnapshotMetadata> snapshot;  // installed from the leader: save and restore it
  std::vector<Entry> entries;

  std::vector<Message> messages;
  std::vector<Entry> committed;  // apply in order
  std::vector<ReadState> read_states;
};

// True for messages a leader may send while its own fsync of the same Ready is running
// (appends, heartbeats, snapshots, TimeoutNow): the leader counts itself towards a commit
// only for entries it has persisted, so nothing depends on its unsynced state.
bool SendableBeforePersist(const Message& m);

// What a member knows about one peer's replication (leader only).
struct PeerProgress {
  uint64_t match = 0;
  uint64_t next = 0;
  bool learner = false;
  bool recent_active = false;
  std::string state;  // "probe", "replicate", "snapshot"
};

struct CoreStatus {
  uint64_t id = 0;
  Role role = Role::kFollower;
  uint64_t leader = 0;
  uint64_t term = 0;
  uint64_t vote = 0;
  uint64_t commit = 0;
  uint64_t applied = 0;
  uint64_t last_index = 0;
  uint64_t snapshot_index = 0;
  ConfState conf;
  std::map<uint64_t, PeerProgress> progress;  // leader only
  uint64_t transferee = 0;
  // Ticks since this member last heard (any message) from enough voters to make a quorum with
  // itself; counted from its start when it never has. A member between leaders that still
  // hears from a quorum is in an election; one that hears from none is cut off. In a 5-voter
  // ensemble a follower hears from the leader alone, so this grows while a leader is known.
  int64_t quorum_silent_ticks = 0;
};

class RaftCore {
 public:
  // Starts from what the storage holds (empty for a new member).
  RaftCore(const RaftConfig& config, const PersistentState& state);

  // Advances logical time by one tick.
  void Tick();

  // Feeds a message from a peer. Messages from unknown members, for other members or of stale
  // terms are handled as Raft prescribes (mostly ignored); never an error.
  void Step(const Message& m);

  // Leader: appends a command. Returns its index (it is committed once handed out in
  // Ready::committed with that index and the same term). UNAVAILABLE when not the leader (the
  // caller redirects to leader()), or while a leadership transfer is under way.
  absl::StatusOr<uint64_t> Propose(std::string data);

  // Leader: appends a membership change. FAILED_PRECONDITION while another change is pending
  // or before the leader has committed an entry of its term; INVALID_ARGUMENT for a change
  // that makes no sense (removing a non-member, adding a voter twice, leaving no voter).
  absl::StatusOr<uint64_t> ProposeConfChange(const ConfChange& change);

  // Requests a linearizable read point; answered by a ReadState with `context` in a later
  // Ready. Followers ask the leader. UNAVAILABLE when no leader is known.
  absl::Status ReadIndex(std::string context);

  // Leader: hands leadership to `target`, a voter, once it has caught up. UNAVAILABLE when not
  // the leader; INVALID_ARGUMENT when target is not a voter.
  absl::Status TransferLeadership(uint64_t target);

  // Transport feedback (leader): a peer could not be reached / a snapshot send finished.
  void ReportUnreachable(uint64_t peer);
  void ReportSnapshot(uint64_t peer, bool ok);

  // Snapshots: the metadata of a snapshot of the state machine at the applied index, for the
  // driver to save with the state machine's data; then Compact to drop the covered entries
  // from memory. Requires index == applied.
  // FAILED_PRECONDITION unless index is the last entry handed out in Ready::committed.
  absl::StatusOr<SnapshotMetadata> SnapshotAt(uint64_t index) const;
  // Call once the snapshot `metadata` (from SnapshotAt) is durable.
  void Compact(const SnapshotMetadata& metadata);

  bool HasReady() const;
  Ready GetReady();
  void Advance(const Ready& ready);

  uint64_t id() const { return id_; }
  uint64_t term() const { return term_; }
  uint64_t leader() const { return leader_; }
  Role role() const { return role_; }
  const RaftLog& log() const { return log_; }
  const ConfState& conf() const { return conf_; }
  CoreStatus Status() const;

 private:
  struct Progress {
    uint64_t match = 0;
    uint64_t next = 1;
    enum class State { kProbe, kReplicate, kSnapshot } state = State::kProbe;
    bool probe_sent = false;        // probe: one append per heartbeat interval
    uint64_t pending_snapshot = 0;  // snapshot: index being sent
    std::vector<uint64_t> inflight; // replicate: last index of each unacknowledged append
    bool recent_active = false;
  };

  // Role changes.
  void BecomeFollower(uint64_t term, uint64_t leader);
  void BecomePreCandidate();
  void BecomeCandidate();
  void BecomeLeader();
  void Campaign(bool pre_vote, bool transfer);
  void ResetTerm(uint64_t term);
  void ResetElectionTimeout();

  // Message handling.
  void StepLeader(const Message& m);
  void StepCandidate(const Message& m);
  void StepFollower(const Message& m);
  void HandleVoteRequest(const Message& m);
  void HandleAppend(const Message& m);
  void HandleHeartbeat(const Message& m);
  void HandleSnapshot(const Message& m);
  void HandleAppendResponse(const Message& m, Progress& pr);
  void HandleHeartbeatResponse(const Message& m, Progress& pr);
  void HandleReadIndexRequest(const Message& m);

  // Replication (leader).
  void SendAppend(uint64_t to, bool send_if_empty = true);
  void BroadcastAppend();
  void BroadcastHeartbeat(const std::string& context);
  bool MaybeCommit();
  bool CommittedInCurrentTerm() const;
  bool IsPaused(const Progress& pr) const;
  void BecomeProbe(Progress& pr);
  void BecomeReplicate(Progress& pr);

  // Membership.
  bool IsVoter(uint64_t id) const;
  bool IsLearner(uint64_t id) const;
  bool IsMember(uint64_t id) const { return IsVoter(id) || IsLearner(id); }
  size_t Quorum() const { return conf_.voters_size() / 2 + 1; }
  void ApplyConfChange(const ConfChange& change);
  void ApplyConfChangesUpTo(uint64_t index);
  void ResetProgress();

  // Reads.
  // Reads are confirmed in rounds: all reads that arrive between two Readys share one
  // heartbeat round (context "R<round>"), and a quorum answering round k confirms every read
  // of rounds <= k.
  struct PendingRead {
    uint64_t index = 0;
    std::string context;
    uint64_t from = 0;   // 0 = local, else the follower to answer
    uint64_t round = 0;  // 0 = its heartbeat round is not sent yet
  };
  void StartRead(std::string context, uint64_t from);
  void SendReadRound();
  void ReleaseReads();

  void Send(Message m);
  int64_t QuorumSilentTicks() const;

  RaftConfig config_;
  uint64_t id_;
  uint64_t term_ = 0;
  uint64_t vote_ = 0;
  uint64_t leader_ = 0;
  Role role_ = Role::kFollower;
  RaftLog log_;
  ConfState conf_;
  uint64_t conf_applied_index_ = 0;  // conf changes up to here are reflected in conf_
  uint64_t pending_conf_index_ = 0;  // leader: index of the latest proposed conf change

  std::map<uint64_t, Progress> progress_;
  std::map<uint64_t, bool> votes_;

  int election_elapsed_ = 0;
  int heartbeat_elapsed_ = 0;
  int randomized_election_timeout_ = 0;
  std::mt19937_64 rng_;
  int64_t ticks_ = 0;                  // ticks since this core was made
  std::map<uint64_t, int64_t> heard_;  // voter -> ticks_ when a message from it last came

  uint64_t transferee_ = 0;
  int transfer_elapsed_ = 0;

  std::vector<PendingRead> pending_reads_;        // leader, waiting for heartbeat acks
  std::vector<PendingRead> reads_before_commit_;  // leader, before its first commit in term
  std::vector<ReadState> read_states_;
  uint64_t read_round_ = 0;
  std::map<uint64_t, std::set<uint64_t>> round_acks_;  // round -> members that answered

  std::vector<Message> msgs_;
  // What the last Ready reported, to detect changes.
  HardState prev_hard_state_;
  Role prev_role_ = Role::kFollower;
  uint64_t prev_leader_ = 0;
  std::optional<SnapshotMetadata> pending_snapshot_;  // installed, not yet handed out
  ConfState snapshot_conf_;  // membership as of log_.snapshot_index()
  bool need_broadcast_ = false;  // leader: new entries to send at the next GetReady
};

}  // namespace dcos::raft
