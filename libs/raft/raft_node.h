#pragma once

// RaftNode: the driver of one Raft member. It owns a RaftCore on one thread (the loop) and
// carries out its decisions: persists through LogStorage (one fsync per batch: proposals that
// arrive while a write is in progress share the next one — group commit), sends through a
// Transport (a leader's appends go out before its own fsync, which is safe: the core counts
// the leader towards a commit only for what it has persisted), applies committed entries to a
// StateMachine, answers proposals and reads, takes snapshots and compacts the log, ticks from
// an injected clock, and exports metrics.
//
// A storage error (disk full, I/O error) stops the member: every waiting call fails with the
// error, fatal() reports it, and the member takes no further part (it never crash-loops).
//
// Threading: public methods are thread-safe and return at once; callbacks run on the loop
// thread and must not block (post elsewhere if they need to). The StateMachine is called only
// on the loop thread.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "libs/clock/clock.h"
#include "libs/raft/raft_core.h"
#include "libs/raft/storage.h"
#include "libs/raft/transport.h"

namespace prometheus {
class Registry;
}

namespace dcos::raft {

// The replicated state machine. Called on the node's loop thread only.
class StateMachine {
 public:
  virtual ~StateMachine() = default;
  // Applies a committed entry, in log order. Raft's own entries (no-ops, membership changes)
  // are passed too; a state machine applies ENTRY_TYPE_NORMAL data and may ignore the rest.
  virtual void Apply(const Entry& entry) = 0;
  // The whole state as of the last applied entry.
  virtual std::string Snapshot() = 0;
  // Replaces the whole state with a snapshot's, taken at `index`.
  virtual absl::Status Restore(const std::string& data, uint64_t index) = 0;
};

struct NodeOptions {
  RaftConfig raft;
  absl::Duration tick_interval = absl::Milliseconds(100);
  // A snapshot is taken (and the log compacted) after this many applied entries.
  uint64_t snapshot_threshold = 10000;
  // The configuration as it changes, e.g. to update the transport's peers from
  // conf.addresses(): once from Start (before the loop runs) with the configuration recovered
  // from storage and an empty `change`; then on the loop thread after each membership change is
  // applied, and after a snapshot from the leader is installed (an empty `change`). Calls never
  // overlap. Must not block for long.
  std::function<void(const ConfChange& change, const ConfState& conf)> on_conf_change;
  // Called once, on the loop thread, when a storage error stops the member (e.g. to turn the
  // service's health to NOT_SERVING). Must not block.
  std::function<void(const absl::Status& error)> on_fatal;
  // How long a proposal may wait to be applied, and a read for its read point, before its
  // callback gets DEADLINE_EXCEEDED (checked on every tick; the proposal's outcome is then
  // unknown: it may still commit). Callers that answer from the callbacks (no thread waiting
  // with a timeout of its own) rely on it to answer every request.
  absl::Duration request_timeout = absl::InfiniteDuration();
};

class RaftNode final : public MessageSink {
 public:
  // Loads the storage, restores the state machine from the latest snapshot and starts the
  // loop. Errors: the storage cannot be loaded, or the snapshot cannot be restored.
  // `registry` may be null (no metrics). Everything passed must outlive the node.
  static absl::StatusOr<std::unique_ptr<RaftNode>> Start(NodeOptions options, LogStorage* storage,
                                                         StateMachine* state_machine,
                                                         Transport* transport,
                                                         clock::Clock* clock,
                                                         prometheus::Registry* registry);
  ~RaftNode() override;

  // Stops the loop; waiting calls fail with UNAVAILABLE. Idempotent.
  void Stop();

  using IndexDone = std::function<void(absl::StatusOr<uint64_t>)>;
  using Done = std::function<void(absl::Status)>;

  // Replicates `data`; `done` gets its index once it is committed and applied here. Errors:
  // UNAVAILABLE (not the leader; the message names the leader), ABORTED (the entry was
  // replaced after a leader change and never applied), DEADLINE_EXCEEDED (not applied within
  // `request_timeout`; the outcome is unknown).
  void Propose(std::string data, IndexDone done);
  void ProposeConfChange(ConfChange change, IndexDone done);
  // Adds member `id` safely: first as a learner, which receives the log without voting; once
  // its log has caught up with the commit index, promotes it to voter. `address` (its
  // transport's "host:port", may be empty) travels in both changes and so lands in
  // ConfState::addresses. `done` gets the index of the promotion once it is applied. Errors: as
  // ProposeConfChange, or DEADLINE_EXCEEDED when the learner has not caught up within
  // `catch_up_ticks` ticks (it stays a learner; retry or remove it).
  void AddVoter(uint64_t id, std::string address, int catch_up_ticks, IndexDone done);
  // `done` runs once this member's state machine reflects every write committed before the
  // call (a linearizable read point). UNAVAILABLE when no leader is known or it changed,
  // DEADLINE_EXCEEDED after `request_timeout`.
  void ReadIndex(Done done);
  void TransferLeadership(uint64_t target, Done done);

  // MessageSink, for the transport.
  void Receive(Message message) override;
  void ReceiveSnapshot(Message message, std::string data) override;
  void ReportUnreachable(uint64_t peer) override;
  void ReportSnapshot(uint64_t peer, bool ok) override;

  // The core's status as of the end of the last loop iteration.
  CoreStatus Status() const;
  // Waits up to `timeout` (real time) until this member leads or knows a leader; false if it
  // does not by then, or the node stopped. For callers that need the leader (a read point)
  // and would rather wait out an election than fail at once (ReadIndex fails when no leader
  // is known).
  bool AwaitLeader(absl::Duration timeout) const;
  // This member's id (cheap: no copy of the status).
  uint64_t id() const { return options_.raft.id; }
  // The storage error that stopped this member, or OK.
  absl::Status fatal() const;
  // Makes the loop re-check the clock now (for tests on a SimClock).
  void Wake();

 private:
  struct Metrics;
  struct PendingPromotion {
    uint64_t id = 0;
    std::string address;
    int ticks_left = 0;
    bool learner_applied = false;
    IndexDone done;
  };
  void AdvancePromotions();

  struct PendingProposal {
    uint64_t term = 0;
    IndexDone done;
    absl::Time deadline = absl::InfiniteFuture();
  };
  struct PendingRead {
    Done done;
    absl::Time deadline = absl::InfiniteFuture();
    absl::Time asked;  // when the core was last asked for its read point
  };
  // When a request made now times out (request_timeout).
  absl::Time Deadline() const;
  // Answers DEADLINE_EXCEEDED to every proposal and read whose deadline is past.
  void ExpireWaiting(absl::Time now);
  // Asks the core again for the read point of reads unanswered for a few ticks: a read's
  // messages (a follower's request, the leader's answer or its heartbeat round) may be lost,
  // and nothing else would ask again.
  void RetryReads(absl::Time now);

  RaftNode(NodeOptions options, LogStorage* storage, StateMachine* state_machine,
           Transport* transport, clock::Clock* clock);

  void Post(std::function<void()> work);
  void Loop();
  void ProcessReady();
  void ApplyCommitted(const std::vector<Entry>& committed);
  void MaybeSnapshot();
  // The end of a snapshot written on snapshot_writer_: adopt it (loop thread).
  void FinishSnapshot(const SnapshotMetadata& meta, std::string data, const absl::Status& written);
  // A durable snapshot of our own: compact the core's log to it and serve it to followers.
  void UseSnapshot(const SnapshotMetadata& meta, std::string data);
  void Fail(const absl::Status& status);
  void CompleteReads();
  void FailAllWaiting(const absl::Status& status);
  void PublishStatus();
  // The error waiting calls get once the member no longer runs: the storage error, or
  // UNAVAILABLE after Stop().
  absl::Status StoppedStatus() const;

  NodeOptions options_;
  LogStorage* storage_;
  StateMachine* state_machine_;
  Transport* transport_;
  clock::Clock* clock_;
  std::unique_ptr<Metrics> metrics_;

  // Loop thread only.
  std::unique_ptr<RaftCore> core_;
  uint64_t applied_ = 0;
  absl::Time next_tick_;
  std::map<uint64_t, PendingProposal> proposals_;    // by log index
  std::map<std::string, PendingRead> reads_by_context_;  // asked, no read point yet
  std::multimap<uint64_t, PendingRead> reads_by_index_;  // read point known, waiting to apply
  uint64_t read_seq_ = 0;
  std::map<uint64_t, std::string> incoming_snapshots_;  // by index
  std::string snapshot_data_;                            // of the latest saved snapshot
  uint64_t snapshot_index_ = 0;
  // A snapshot of our own being written off the loop (storage that allows it): its thread,
  // joined before the next one starts and when the loop ends.
  bool snapshot_in_flight_ = false;
  std::thread snapshot_writer_;
  uint64_t last_leader_ = 0;
  HardState durable_hard_state_;  // as last written to storage
  HardState latest_hard_state_;   // as last handed out by the core
  std::vector<PendingPromotion> promotions_;
  // Set once the loop will run no more work (storage failure or Stop); read by Post callers.
  std::atomic<bool> failed_{false};

  mutable absl::Mutex mu_;
  std::vector<std::function<void()>> inbox_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool loop_exited_ ABSL_GUARDED_BY(mu_) = false;
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
  CoreStatus status_ ABSL_GUARDED_BY(mu_);
  absl::Status fatal_ ABSL_GUARDED_BY(mu_);
  std::thread loop_;
};

}  // namespace dcos::raft
