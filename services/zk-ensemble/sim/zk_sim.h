#pragma once

// ZkSim: dcos-zk's replicated service in deterministic simulation. The real ZkStateMachine
// (znode tree and session table) runs on every member of a libs/raft SimCluster — simulated
// network and disks with drops, duplicates, reordering, partitions, crashes that lose unsynced
// writes, restarts, snapshots and leadership transfers — with the real session-expiry logic
// (core/session_expiry.h) on a simulated clock, and clients that open sessions, write and read
// (linearizably, through ReadIndex) a few znodes, create ephemeral nodes, and die.
//
// Checked after every step:
// - every member's state (ZkStateMachine::Snapshot bytes) after applying index i is the same
//   as every other member's after applying i;
// - an ephemeral node's owner is a live session on the member that holds it;
// - a session is never expired while its client is alive (its pings reach the leader);
// - Raft's own invariants (SimCluster::CheckInvariants).
// Finish() heals everything and checks that the members converge to one state, that dead
// clients' sessions and their ephemeral nodes are gone and live ones are not, and that the
// history of writes and reads is linearizable (libs/lincheck, per znode).
//
// Thread-compatible. testonly.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "libs/lincheck/lincheck.h"
#include "libs/raft/sim/sim_cluster.h"
#include "services/zk-ensemble/core/session_expiry.h"
#include "services/zk-ensemble/zk_state_machine.h"

namespace dcos::zk::sim {

struct ZkSimOptions {
  uint64_t seed = 1;
  int voters = 3;
  int clients = 8;
  int keys = 3;
  // One AdvanceTime step: every member ticks once.
  absl::Duration tick = absl::Milliseconds(100);
  absl::Duration session_timeout = absl::Seconds(1);
  // Steps after which a client gives up on an operation (a write's outcome is then unknown).
  int op_timeout_steps = 600;
};

class ZkSim {
 public:
  explicit ZkSim(const ZkSimOptions& options);

  // Elects a leader and creates the znodes the clients use. False if that did not happen.
  bool Setup();
  // One random step; returns a short description for the trace.
  std::string Step();
  // "" when every invariant holds, else what was violated.
  std::string CheckInvariants();
  // Heals everything, lets the cluster settle and the dead clients' sessions expire, then
  // checks convergence, sessions and linearizability. "" on success.
  std::string Finish();

  const std::vector<lincheck::Operation>& history() const { return history_; }
  uint64_t expired_sessions() const { return expired_sessions_; }
  // What happened to the clients' operations (for the test's report).
  struct Stats {
    uint64_t writes = 0, writes_done = 0, writes_lost = 0, writes_unknown = 0;
    uint64_t reads = 0, reads_done = 0, reads_dropped = 0;
    std::string ToString() const;
  };
  const Stats& stats() const { return stats_; }
  std::string Describe() const { return cluster_.Describe(); }

 private:
  enum class WriteKind { kSession, kPut, kEphemeral };
  struct PendingWrite {
    WriteKind kind;
    uint64_t member = 0;
    uint64_t index = 0;
    uint64_t term = 0;
    uint64_t started = 0;  // step
    lincheck::Operation op;
  };
  struct PendingRead {
    uint64_t member = 0;
    std::string context;
    uint64_t started = 0;
    lincheck::Operation op;
  };
  struct Client {
    int id = 0;
    int64_t session = 0;  // proposed or live; 0: none
    bool dead = false;
    uint64_t home = 1;  // the member it is attached to (pings go through it when it can)
    std::optional<PendingWrite> write;
    std::optional<PendingRead> read;
    int next_value = 0;
  };

  ZkStateMachine& Sm(uint64_t id);
  absl::Time OpTime() const { return absl::FromUnixNanos(static_cast<int64_t>(step_)); }
  std::string Key(int k) const { return "/k" + std::to_string(k); }

  void OnApply(uint64_t id, const raft::Entry& entry);
  // Proposes `command` (time stamped now_) on `member`; the index and term it got, or none.
  std::optional<std::pair<uint64_t, uint64_t>> Propose(uint64_t member,
                                                       internal::v1::Command command);
  void AdvanceTime();
  void ClientAction(Client& c);
  void PollReads();
  void TimeOut();
  std::string CheckEphemerals(uint64_t id);
  // The members of the leader's configuration (everyone when there is no leader).
  std::vector<uint64_t> Members();
  // Settles the cluster with ticks and time until `done` or `max_ticks` ticks.
  bool Settle(int max_ticks, const std::function<bool()>& done);

  ZkSimOptions options_;
  ZkLimits limits_;
  std::mt19937_64 rng_;
  raft::sim::SimCluster cluster_;
  std::map<uint64_t, SessionExpiry> expiry_;  // per member; reset when it crashes
  std::map<uint64_t, const raft::RaftCore*> core_seen_;  // to notice a crash and restart
  std::vector<Client> clients_;
  absl::Time now_ = absl::FromUnixSeconds(1'700'000'000);
  uint64_t step_ = 1;
  uint64_t ticks_ = 0;  // AdvanceTime calls
  int64_t session_counter_ = 0;

  std::map<uint64_t, size_t> state_at_;  // index -> hash of the state after applying it
  std::vector<lincheck::Operation> history_;
  std::string violation_;
  uint64_t expired_sessions_ = 0;
  Stats stats_;
};

}  // namespace dcos::zk::sim
