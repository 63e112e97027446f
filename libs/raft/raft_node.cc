#include "libs/raft/raft_node.h"

#include <chrono>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "absl/strings/str_cat.h"
#include "libs/log/log.h"

namespace dcos::raft {

using ::dcos::raft::v1::ENTRY_TYPE_CONF_CHANGE;
using ::dcos::raft::v1::MESSAGE_TYPE_SNAP;

struct RaftNode::Metrics {
  explicit Metrics(prometheus::Registry& r)
      : term(prometheus::BuildGauge().Name("dcos_raft_term").Help("Current Raft term").Register(r).Add({})),
        is_leader(prometheus::BuildGauge()
                      .Name("dcos_raft_is_leader")
                      .Help("1 when this member is the leader")
                      .Register(r)
                      .Add({})),
        commit(prometheus::BuildGauge()
                   .Name("dcos_raft_commit_index")
                   .Help("Highest log index known committed")
                   .Register(r)
                   .Add({})),
        applied(prometheus::BuildGauge()
                    .Name("dcos_raft_applied_index")
                    .Help("Highest log index applied to the state machine")
                    .Register(r)
                    .Add({})),
        last(prometheus::BuildGauge()
                 .Name("dcos_raft_last_index")
                 .Help("Last index in this member's log")
                 .Register(r)
                 .Add({})),
        leader_changes(prometheus::BuildCounter()
                           .Name("dcos_raft_leader_changes_total")
                           .Help("Times this member saw the leader change")
                           .Register(r)
                           .Add({})),
        proposals(prometheus::BuildCounter()
                      .Name("dcos_raft_proposals_total")
                      .Help("Proposals accepted by this member as leader")
                      .Register(r)
                      .Add({})),
        snapshots(prometheus::BuildCounter()
                      .Name("dcos_raft_snapshots_total")
                      .Help("Snapshots saved (taken or installed)")
                      .Register(r)
                      .Add({})),
        fsync_seconds(prometheus::BuildHistogram()
                          .Name("dcos_raft_storage_append_seconds")
                          .Help("Durable append (write + fsync) latency, seconds")
                          .Register(r)
                          .Add({}, prometheus::Histogram::BucketBoundaries{
                                       0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                       0.025, 0.05, 0.1, 0.25, 1})),
        batch_entries(prometheus::BuildHistogram()
                          .Name("dcos_raft_append_batch_entries")
                          .Help("Entries per durable append (group commit)")
                          .Register(r)
                          .Add({}, prometheus::Histogram::BucketBoundaries{
                                       1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024})) {}

  prometheus::Gauge& term;
  prometheus::Gauge& is_leader;
  prometheus::Gauge& commit;
  prometheus::Gauge& applied;
  prometheus::Gauge& last;
  prometheus::Counter& leader_changes;
  prometheus::Counter& proposals;
  prometheus::Counter& snapshots;
  prometheus::Histogram& fsync_seconds;
  prometheus::Histogram& batch_entries;
};

absl::StatusOr<std::unique_ptr<RaftNode>> RaftNode::Start(NodeOptions options, LogStorage* storage,
                                                           StateMachine* state_machine,
                                                           Transport* transport,
                                                           clock::Clock* clock,
                                                           prometheus::Registry* registry) {
  absl::StatusOr<PersistentState> state = storage->Load();
  if (!state.ok()) return state.status();
  std::unique_ptr<RaftNode> node(
      new RaftNode(std::move(options), storage, state_machine, transport, clock));
  if (registry != nullptr) node->metrics_ = std::make_unique<Metrics>(*registry);
  if (state->snapshot.index() > 0) {
    absl::StatusOr<std::string> data = storage->LoadSnapshotData();
    if (!data.ok()) return data.status();
    absl::Status restored = state_machine->Restore(*data, state->snapshot.index());
    if (!restored.ok()) return restored;
    node->snapshot_data_ = std::move(*data);
    node->snapshot_index_ = state->snapshot.index();
  }
  node->applied_ = state->snapshot.index();
  node->durable_hard_state_ = state->hard_state;
  node->latest_hard_state_ = state->hard_state;
  node->core_ = std::make_unique<RaftCore>(node->options_.raft, *state);
  if (node->options_.on_conf_change) node->options_.on_conf_change(ConfChange(), node->core_->conf());
  node->next_tick_ = clock->Now() + node->options_.tick_interval;
  node->PublishStatus();
  node->loop_ = std::thread([n = node.get()] { n->Loop(); });
  return node;
}

RaftNode::RaftNode(NodeOptions options, LogStorage* storage, StateMachine* state_machine,
                   Transport* transport, clock::Clock* clock)
    : options_(std::move(options)),
      storage_(storage),
      state_machine_(state_machine),
      transport_(transport),
      clock_(clock) {}

RaftNode::~RaftNode() { Stop(); }

void RaftNode::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ && !loop_.joinable()) return;
    stopping_ = true;
  }
  if (loop_.joinable()) loop_.join();
}

void RaftNode::Post(std::function<void()> work) {
  {
    absl::MutexLock lock(&mu_);
    if (!loop_exited_) {
      inbox_.push_back(std::move(work));
      return;
    }
  }
  work();  // the loop is gone: failed_ is set, so the work only answers with the error
}

absl::Status RaftNode::StoppedStatus() const {
  absl::MutexLock lock(&mu_);
  return fatal_.ok() ? absl::UnavailableError("raft member stopped") : fatal_;
}

void RaftNode::Wake() {
  absl::MutexLock lock(&mu_);
  wake_ = true;
}

void RaftNode::Propose(std::string data, IndexDone done) {
  Post([this, data = std::move(data), done = std::move(done)]() mutable {
    if (failed_) return done(StoppedStatus());
    absl::StatusOr<uint64_t> index = core_->Propose(std::move(data));
    if (!index.ok()) return done(index.status());
    if (metrics_) metrics_->proposals.Increment();
    proposals_[*index] = PendingProposal{core_->term(), std::move(done), Deadline()};
  });
}

void RaftNode::ProposeConfChange(ConfChange change, IndexDone done) {
  Post([this, change = std::move(change), done = std::move(done)]() mutable {
    if (failed_) return done(StoppedStatus());
    absl::StatusOr<uint64_t> index = core_->ProposeConfChange(change);
    if (!index.ok()) return done(index.status());
    proposals_[*index] = PendingProposal{core_->term(), std::move(done), Deadline()};
  });
}

void RaftNode::AddVoter(uint64_t id, std::string address, int catch_up_ticks, IndexDone done) {
  Post([this, id, address = std::move(address), catch_up_ticks, done = std::move(done)]() mutable {
    if (failed_) return done(StoppedStatus());
    ConfChange change;
    auto* c = change.add_changes();
    c->set_type(::dcos::raft::v1::CONF_CHANGE_TYPE_ADD_LEARNER_NODE);
    c->set_node_id(id);
    c->set_address(address);
    absl::StatusOr<uint64_t> index = core_->ProposeConfChange(change);
    if (!index.ok()) return done(index.status());
    promotions_.push_back(PendingPromotion{id, std::move(address), catch_up_ticks, false,
                                           std::move(done)});
    proposals_[*index] = PendingProposal{
        core_->term(), [this, id](absl::StatusOr<uint64_t> r) {
          for (auto it = promotions_.begin(); it != promotions_.end(); ++it) {
            if (it->id != id) continue;
            if (r.ok()) {
              it->learner_applied = true;
            } else {
              IndexDone d = std::move(it->done);
              promotions_.erase(it);
              d(r.status());
            }
            return;
          }
        },
        Deadline()};
  });
}

void RaftNode::AdvancePromotions() {
  if (promotions_.empty()) return;
  if (core_->role() != Role::kLeader) {
    for (PendingPromotion& p : promotions_) {
      p.done(absl::UnavailableError("lost leadership while adding a member; retry"));
    }
    promotions_.clear();
    return;
  }
  CoreStatus s = core_->Status();
  for (auto it = promotions_.begin(); it != promotions_.end();) {
    if (!it->learner_applied) {
      ++it;
      continue;
    }
    auto pr = s.progress.find(it->id);
    bool caught_up = pr != s.progress.end() && pr->second.match >= s.commit;
    if (!caught_up) {
      if (it->ticks_left <= 0) {
        IndexDone d = std::move(it->done);
        it = promotions_.erase(it);
        d(absl::DeadlineExceededError("the learner did not catch up in time; it stays a learner"));
      } else {
        ++it;
      }
      continue;
    }
    ConfChange change;
    auto* c = change.add_changes();
    c->set_type(::dcos::raft::v1::CONF_CHANGE_TYPE_ADD_NODE);
    c->set_node_id(it->id);
    c->set_address(it->address);
    absl::StatusOr<uint64_t> index = core_->ProposeConfChange(change);
    IndexDone d = std::move(it->done);
    it = promotions_.erase(it);
    if (!index.ok()) {
      d(index.status());
    } else {
      proposals_[*index] = PendingProposal{core_->term(), std::move(d), Deadline()};
    }
  }
}

void RaftNode::ReadIndex(Done done) {
  Post([this, done = std::move(done)]() mutable {
    if (failed_) return done(StoppedStatus());
    std::string context = absl::StrCat(options_.raft.id, "-", ++read_seq_);
    absl::Status asked = core_->ReadIndex(context);
    if (!asked.ok()) return done(asked);
    reads_by_context_[context] = PendingRead{std::move(done), Deadline(), clock_->Now()};
  });
}

void RaftNode::TransferLeadership(uint64_t target, Done done) {
  Post([this, target, done = std::move(done)]() mutable {
    if (failed_) return done(StoppedStatus());
    done(core_->TransferLeadership(target));
  });
}

void RaftNode::Receive(Message message) {
  Post([this, m = std::move(message)] {
    if (!failed_) core_->Step(m);
  });
}

void RaftNode::ReceiveSnapshot(Message message, std::string data) {
  Post([this, m = std::move(message), data = std::move(data)]() mutable {
    if (failed_) return;
    incoming_snapshots_[m.snapshot().index()] = std::move(data);
    core_->Step(m);
  });
}

void RaftNode::ReportUnreachable(uint64_t peer) {
  Post([this, peer] {
    if (!failed_) core_->ReportUnreachable(peer);
  });
}

void RaftNode::ReportSnapshot(uint64_t peer, bool ok) {
  Post([this, peer, ok] {
    if (!failed_) core_->ReportSnapshot(peer, ok);
  });
}

CoreStatus RaftNode::Status() const {
  absl::MutexLock lock(&mu_);
  return status_;
}

bool RaftNode::AwaitLeader(absl::Duration timeout) const {
  auto settled = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return loop_exited_ || status_.leader != 0 || status_.role == Role::kLeader;
  };
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(&settled), timeout);
  return !loop_exited_ && (status_.leader != 0 || status_.role == Role::kLeader);
}

absl::Status RaftNode::fatal() const {
  absl::MutexLock lock(&mu_);
  return fatal_;
}

void RaftNode::Loop() {
  while (true) {
    std::vector<std::function<void()>> work;
    {
      absl::MutexLock lock(&mu_);
      absl::Duration wait = next_tick_ - clock_->Now();
      if (wait > options_.tick_interval) wait = options_.tick_interval;
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return !inbox_.empty() || stopping_ || wake_;
      };
      if (wait > absl::ZeroDuration()) mu_.AwaitWithTimeout(absl::Condition(&ready), wait);
      if (stopping_) break;
      work.swap(inbox_);
      wake_ = false;
    }
    for (auto& w : work) w();
    if (failed_) continue;
    absl::Time now = clock_->Now();
    if (now >= next_tick_) {
      core_->Tick();
      for (PendingPromotion& p : promotions_) --p.ticks_left;
      ExpireWaiting(now);
      RetryReads(now);
      next_tick_ += options_.tick_interval;
      if (next_tick_ < now) next_tick_ = now + options_.tick_interval;  // fell behind: no burst
    }
    ProcessReady();
    AdvancePromotions();
    ProcessReady();
    MaybeSnapshot();
    PublishStatus();
  }
  FailAllWaiting(StoppedStatus());
  // Work posted but never run: each sees failed_ and answers with the error.
  std::vector<std::function<void()>> rest;
  {
    absl::MutexLock lock(&mu_);
    rest.swap(inbox_);
    loop_exited_ = true;
  }
  for (auto& w : rest) w();
  // A snapshot still being written finishes (its adoption sees failed_ and does nothing).
  if (snapshot_writer_.joinable()) snapshot_writer_.join();
}

void RaftNode::ProcessReady() {
  while (!failed_ && core_->HasReady()) {
    Ready rd = core_->GetReady();
    if (rd.soft_state_changed) {
      if (rd.leader != last_leader_) {
        if (metrics_) metrics_->leader_changes.Increment();
        log::Info("raft leader changed")
            .Field("member", options_.raft.id)
            .Field("leader", rd.leader)
            .Field("term", core_->term())
            .Field("role", RoleName(rd.role));
        last_leader_ = rd.leader;
        // Reads not yet anchored to a read point may never be answered by a new leader.
        for (auto& [ctx, read] : reads_by_context_) {
          read.done(absl::UnavailableError("the leader changed; retry the read"));
        }
        reads_by_context_.clear();
      }
      if (metrics_) metrics_->is_leader.Set(rd.role == Role::kLeader ? 1 : 0);
    }
    // A leader's appends and heartbeats may go out while its own fsync runs.
    bool leader = core_->role() == Role::kLeader;
    std::vector<Message> early, late;
    for (Message& m : rd.messages) {
      if (m.type() == MESSAGE_TYPE_SNAP) {
        transport_->SendSnapshot(std::move(m), snapshot_data_);
      } else if (leader && SendableBeforePersist(m)) {
        early.push_back(std::move(m));
      } else {
        late.push_back(std::move(m));
      }
    }
    if (!early.empty()) transport_->Send(std::move(early));

    if (rd.snapshot.has_value()) {
      uint64_t index = rd.snapshot->index();
      std::string data = std::move(incoming_snapshots_[index]);
      incoming_snapshots_.clear();
      absl::Status saved = storage_->SaveSnapshot(*rd.snapshot, data);
      if (saved.ok()) saved = state_machine_->Restore(data, index);
      if (!saved.ok()) return Fail(saved);
      snapshot_data_ = std::move(data);
      snapshot_index_ = index;
      applied_ = index;
      if (metrics_) metrics_->snapshots.Increment();
      if (options_.on_conf_change) options_.on_conf_change(ConfChange(), rd.snapshot->conf_state());
      // Proposals at or below the snapshot can no longer be matched to their entries.
      while (!proposals_.empty() && proposals_.begin()->first <= index) {
        proposals_.begin()->second.done(absl::AbortedError(
            "replaced by a snapshot from the leader; the outcome is unknown"));
        proposals_.erase(proposals_.begin());
      }
    }
    // A change of the commit index alone need not be durable before going on: a restarted
    // member that finds an older commit index learns the newer one from the leader again.
    // So such a hard state waits for the next write that must be durable anyway (entries, a
    // new term or vote) instead of costing an fsync of its own on every commit.
    bool must_write = !rd.entries.empty();
    if (rd.hard_state.has_value()) {
      must_write = must_write || rd.hard_state->term() != durable_hard_state_.term() ||
                   rd.hard_state->vote() != durable_hard_state_.vote();
      latest_hard_state_ = *rd.hard_state;
    }
    if (must_write) {
      auto start = std::chrono::steady_clock::now();
      absl::Status appended = storage_->Append(rd.entries, &latest_hard_state_);
      if (!appended.ok()) return Fail(appended);
      durable_hard_state_ = latest_hard_state_;
      if (metrics_) {
        metrics_->fsync_seconds.Observe(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        if (!rd.entries.empty()) metrics_->batch_entries.Observe(static_cast<double>(rd.entries.size()));
      }
    }
    if (!late.empty()) transport_->Send(std::move(late));
    ApplyCommitted(rd.committed);
    for (const ReadState& rs : rd.read_states) {
      auto it = reads_by_context_.find(rs.context);
      if (it == reads_by_context_.end()) continue;
      reads_by_index_.emplace(rs.index, std::move(it->second));
      reads_by_context_.erase(it);
    }
    CompleteReads();
    core_->Advance(rd);
  }
}

void RaftNode::ApplyCommitted(const std::vector<Entry>& committed) {
  for (const Entry& e : committed) {
    state_machine_->Apply(e);
    applied_ = e.index();
    if (e.type() == ENTRY_TYPE_CONF_CHANGE && options_.on_conf_change) {
      ConfChange change;
      if (change.ParseFromString(e.data())) options_.on_conf_change(change, core_->conf());
    }
    // Every proposal at or below this index is decided now.
    while (!proposals_.empty() && proposals_.begin()->first <= e.index()) {
      auto it = proposals_.begin();
      if (it->first == e.index() && it->second.term == e.term()) {
        it->second.done(e.index());
      } else {
        it->second.done(absl::AbortedError(
            "the entry was replaced after a leader change and never applied; retry"));
      }
      proposals_.erase(it);
    }
  }
}

absl::Time RaftNode::Deadline() const {
  if (options_.request_timeout == absl::InfiniteDuration()) return absl::InfiniteFuture();
  return clock_->Now() + options_.request_timeout;
}

void RaftNode::ExpireWaiting(absl::Time now) {
  auto expire = [now](auto& waiting, const char* message) {
    for (auto it = waiting.begin(); it != waiting.end();) {
      if (it->second.deadline > now) {
        ++it;
        continue;
      }
      auto done = std::move(it->second.done);
      it = waiting.erase(it);
      done(absl::DeadlineExceededError(message));
    }
  };
  expire(proposals_, "the write was not committed in time; it may still be applied (outcome unknown)");
  expire(reads_by_context_, "no linearizable read point in time");
  expire(reads_by_index_, "no linearizable read point in time");
}

void RaftNode::RetryReads(absl::Time now) {
  const absl::Duration retry_after = options_.tick_interval * 3;
  for (auto& [context, read] : reads_by_context_) {
    if (now - read.asked < retry_after) continue;
    read.asked = now;
    // The same context again: whichever answer comes first is used, later ones are ignored.
    // An error (no leader known now) leaves the read waiting for a leader or its deadline.
    core_->ReadIndex(context).IgnoreError();
  }
}

void RaftNode::CompleteReads() {
  while (!reads_by_index_.empty() && reads_by_index_.begin()->first <= applied_) {
    reads_by_index_.begin()->second.done(absl::OkStatus());
    reads_by_index_.erase(reads_by_index_.begin());
  }
}

void RaftNode::MaybeSnapshot() {
  if (failed_ || snapshot_in_flight_ ||
      applied_ < snapshot_index_ + options_.snapshot_threshold) {
    return;
  }
  absl::StatusOr<SnapshotMetadata> meta = core_->SnapshotAt(applied_);
  if (!meta.ok()) return;  // committed entries still to hand out; next time
  std::string data = state_machine_->Snapshot();
  if (!storage_->WritesSnapshotsConcurrently()) {
    absl::Status saved = storage_->SaveSnapshot(*meta, data);
    if (!saved.ok()) return Fail(saved);
    return UseSnapshot(*meta, std::move(data));
  }
  // Writing and syncing the snapshot takes milliseconds to seconds: the loop goes on
  // appending, replicating and applying meanwhile, and adopts it when it is durable.
  if (snapshot_writer_.joinable()) snapshot_writer_.join();
  snapshot_in_flight_ = true;
  snapshot_writer_ = std::thread([this, meta = *meta, data = std::move(data)]() mutable {
    absl::Status written = storage_->WriteSnapshot(meta, data);
    Post([this, meta, data = std::move(data), written]() mutable {
      FinishSnapshot(meta, std::move(data), written);
    });
  });
}

void RaftNode::FinishSnapshot(const SnapshotMetadata& meta, std::string data,
                              const absl::Status& written) {
  snapshot_in_flight_ = false;
  if (failed_) return;
  if (!written.ok()) return Fail(written);
  // A snapshot installed from the leader meanwhile may be newer: then this one is moot.
  if (meta.index() <= snapshot_index_) return;
  absl::Status adopted = storage_->AdoptSnapshot(meta);
  if (!adopted.ok()) return Fail(adopted);
  UseSnapshot(meta, std::move(data));
}

void RaftNode::UseSnapshot(const SnapshotMetadata& meta, std::string data) {
  core_->Compact(meta);
  snapshot_data_ = std::move(data);
  snapshot_index_ = meta.index();
  if (metrics_) metrics_->snapshots.Increment();
}

void RaftNode::Fail(const absl::Status& status) {
  failed_ = true;
  log::Error("raft member stopped: storage failed")
      .Field("member", options_.raft.id)
      .Field("error", status);
  {
    absl::MutexLock lock(&mu_);
    fatal_ = status;
  }
  FailAllWaiting(status);
  if (options_.on_fatal) options_.on_fatal(status);
}

void RaftNode::FailAllWaiting(const absl::Status& status) {
  for (auto& [index, p] : proposals_) p.done(status);
  proposals_.clear();
  for (auto& [ctx, read] : reads_by_context_) read.done(status);
  reads_by_context_.clear();
  for (auto& [index, read] : reads_by_index_) read.done(status);
  reads_by_index_.clear();
  for (PendingPromotion& p : promotions_) p.done(status);
  promotions_.clear();
  failed_ = true;
}

void RaftNode::PublishStatus() {
  CoreStatus s = core_->Status();
  if (metrics_) {
    metrics_->term.Set(static_cast<double>(s.term));
    metrics_->commit.Set(static_cast<double>(s.commit));
    metrics_->applied.Set(static_cast<double>(applied_));
    metrics_->last.Set(static_cast<double>(s.last_index));
  }
  absl::MutexLock lock(&mu_);
  status_ = std::move(s);
}

}  // namespace dcos::raft
