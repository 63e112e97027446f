#pragma once

// SimCluster: Raft members (RaftCore) on a simulated network with a simulated durable store,
// driven one step at a time, deterministically from a seed. Used by the Raft tests: targeted
// scenarios call the steps by hand; the randomized test (raft_sim_test.cc) lets Random() pick
// them — message drop, duplication and reordering, partitions and heals, crashes that lose
// every unsynced write and restarts from the durable state, membership changes, snapshots —
// and checks the invariants after every step.
//
// Each member's state machine is the list of (index, data) of the commands it applied; its
// snapshot is that list, serialized. A service's own StateMachine can run alongside it
// (SimOptions::state_machine): it applies every committed entry, and its Snapshot/Restore
// travel inside the member's snapshot — how dcos-zk's simulation runs its real tree.
//
// Thread-compatible. testonly.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "libs/raft/mem_log_storage.h"
#include "libs/raft/raft_core.h"
#include "libs/raft/raft_node.h"

namespace dcos::raft::sim {

struct SimOptions {
  uint64_t seed = 1;
  int voters = 3;          // members 1..voters found the cluster
  int spares = 0;          // members voters+1.. start empty, for membership changes
  int election_ticks = 10;
  bool pre_vote = true;
  bool check_quorum = true;
  uint64_t max_bytes_per_message = 4096;
  int max_inflight_appends = 8;
  // When set, every member also runs a state machine made by this factory (a fresh one at
  // start and after a crash; restored from the member's snapshot on restart and install).
  std::function<std::unique_ptr<StateMachine>()> state_machine;
  // When set, called after a member applied a committed entry (to its state machine too).
  std::function<void(uint64_t id, const Entry& entry)> on_apply;
};

struct SimNode {
  uint64_t id = 0;
  bool up = true;
  std::unique_ptr<RaftCore> core;
  // Durable: what survives a crash (MemLogStorage is durable on every return).
  std::unique_ptr<MemLogStorage> disk = std::make_unique<MemLogStorage>();
  HardState latest_hard_state;  // as last handed out by the core
  // Volatile state machine.
  std::vector<std::pair<uint64_t, std::string>> applied;
  uint64_t applied_index = 0;
  std::unique_ptr<StateMachine> sm;  // SimOptions::state_machine's, or null
  std::vector<ReadState> reads;
  // Snapshot data received with MsgSnaps, by index, waiting for the Ready that installs one.
  std::map<uint64_t, std::string> incoming_snapshots;
};

// The transport address every change names for `id` ("sim-<id>"); checked by the invariants.
std::string SimAddress(uint64_t id);

class SimCluster {
 public:
  explicit SimCluster(const SimOptions& options);

  SimNode& node(uint64_t id) { return nodes_.at(id); }
  RaftCore& core(uint64_t id) { return *nodes_.at(id).core; }
  std::vector<uint64_t> ids() const;

  // ---- steps ----
  void Tick(uint64_t id);
  void TickAll();
  // Processes every member's Ready and delivers messages until nothing moves (respecting
  // partitions; no random drops). Returns false if it did not settle within `max_rounds`.
  bool Stabilize(int max_rounds = 10000);
  // Ticks everyone and stabilizes until a leader is known to all up members, at most
  // `max_ticks` ticks. Returns the leader or 0.
  uint64_t ElectLeader(int max_ticks = 500);
  // The up member that is leader with the highest term, or 0.
  uint64_t Leader() const;

  absl::StatusOr<uint64_t> Propose(uint64_t id, const std::string& data);

  // False while a partition separates a and b.
  bool Connected(uint64_t a, uint64_t b) const;
  void Isolate(uint64_t id);
  void Cut(uint64_t a, uint64_t b);
  void Heal();
  void Crash(uint64_t id);
  void Restart(uint64_t id);
  // Takes a snapshot at the member's applied index and compacts its log.
  void Snapshot(uint64_t id);

  // One random step (see the class comment). Returns a short description for the trace.
  std::string Random();
  // One random step without faults or proposals: deliver an in-flight message (sometimes
  // dropped or duplicated, in random order), process a member's Ready, or tick a member. For
  // simulations that bring their own workload and call Random() for faults less often.
  std::string RandomProgress();

  // All invariants; an empty string when they hold, else what was violated.
  std::string CheckInvariants();
  // The expensive ones (log matching across every pair), for the end of a run.
  std::string CheckLogMatching() const;

  // Every command committed so far, by index (the cluster-wide record).
  const std::map<uint64_t, std::pair<uint64_t, std::string>>& committed() const {
    return committed_;
  }
  size_t in_flight() const { return network_.size(); }

  // One line per member: up, role, term, leader, commit, last index, voters, learners.
  std::string Describe() const;

  // Requests a linearizable read on `id`, remembering the commit point it must cover.
  absl::Status ReadIndex(uint64_t id, const std::string& context);

 private:
  struct Envelope {
    Message message;
    std::string snapshot_data;
  };

  RaftConfig ConfigFor(uint64_t id) const;
  // Handles every Ready of one member. With crash_mid_ready, the leader's early messages go
  // out and then the member crashes before its fsync completes.
  bool ProcessReady(uint64_t id, bool crash_mid_ready = false);
  void Deliver(Envelope e);
  // Delivers a random in-flight message (5% dropped, 3% duplicated). Requires one.
  std::string DeliverRandom();
  void Apply(SimNode& n, const Entry& e);
  void Persist(SimNode& n, const Ready& rd);
  void SendFrom(SimNode& n, const Message& m);

  SimOptions options_;
  std::mt19937_64 rng_;
  std::map<uint64_t, SimNode> nodes_;
  std::deque<Envelope> network_;
  std::set<std::pair<uint64_t, uint64_t>> cuts_;
  uint64_t next_value_ = 0;
  uint64_t restarts_ = 0;

  // Invariant bookkeeping.
  std::map<uint64_t, uint64_t> leader_of_term_;
  std::map<uint64_t, std::pair<uint64_t, std::string>> committed_;  // index -> (term, data)
  std::string violation_;
  std::map<std::string, uint64_t> read_floor_;  // read context -> index it must cover
};

}  // namespace dcos::raft::sim
