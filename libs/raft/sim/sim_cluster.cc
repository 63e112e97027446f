#include "libs/raft/sim/sim_cluster.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace dcos::raft::sim {

using ::dcos::raft::v1::ENTRY_TYPE_NORMAL;
using ::dcos::raft::v1::MESSAGE_TYPE_SNAP;

namespace {

// The state machine's snapshot: its applied commands, carried in a Message's entries, and the
// service state machine's snapshot (if any) in its context.
std::string EncodeState(const SimNode& n) {
  Message m;
  if (n.sm != nullptr) m.set_context(n.sm->Snapshot());
  for (const auto& [index, data] : n.applied) {
    Entry* e = m.add_entries();
    e->set_index(index);
    e->set_data(data);
  }
  m.set_index(n.applied_index);
  return m.SerializeAsString();
}

absl::Status DecodeState(const std::string& bytes, SimNode& n) {
  Message m;
  m.ParseFromString(bytes);
  n.applied.clear();
  for (const Entry& e : m.entries()) n.applied.emplace_back(e.index(), e.data());
  n.applied_index = m.index();
  // The bytes came from a member's own Snapshot(): a failure is a bug in the state machine.
  return n.sm == nullptr ? absl::OkStatus() : n.sm->Restore(m.context(), m.index());
}

}  // namespace

std::string SimAddress(uint64_t id) { return absl::StrCat("sim-", id); }

SimCluster::SimCluster(const SimOptions& options) : options_(options), rng_(options.seed) {
  for (int i = 1; i <= options.voters + options.spares; ++i) {
    SimNode n;
    n.id = static_cast<uint64_t>(i);
    n.core = std::make_unique<RaftCore>(ConfigFor(n.id), PersistentState{});
    if (options_.state_machine) n.sm = options_.state_machine();
    nodes_.emplace(n.id, std::move(n));
  }
}

RaftConfig SimCluster::ConfigFor(uint64_t id) const {
  RaftConfig c;
  c.id = id;
  if (id <= static_cast<uint64_t>(options_.voters)) {
    for (int v = 1; v <= options_.voters; ++v) {
      c.initial_voters.push_back(static_cast<uint64_t>(v));
      c.initial_addresses[static_cast<uint64_t>(v)] = SimAddress(static_cast<uint64_t>(v));
    }
  }
  c.election_ticks = options_.election_ticks;
  c.heartbeat_ticks = 1;
  c.pre_vote = options_.pre_vote;
  c.check_quorum = options_.check_quorum;
  c.max_bytes_per_message = options_.max_bytes_per_message;
  c.max_inflight_appends = options_.max_inflight_appends;
  c.seed = options_.seed + restarts_ * 7919;
  return c;
}

std::vector<uint64_t> SimCluster::ids() const {
  std::vector<uint64_t> out;
  for (const auto& [id, n] : nodes_) out.push_back(id);
  return out;
}

bool SimCluster::Connected(uint64_t a, uint64_t b) const {
  return cuts_.count({std::min(a, b), std::max(a, b)}) == 0;
}

void SimCluster::Isolate(uint64_t id) {
  for (const auto& [other, n] : nodes_) {
    if (other != id) Cut(id, other);
  }
}

void SimCluster::Cut(uint64_t a, uint64_t b) { cuts_.insert({std::min(a, b), std::max(a, b)}); }

void SimCluster::Heal() { cuts_.clear(); }

void SimCluster::Crash(uint64_t id) {
  SimNode& n = nodes_.at(id);
  n.up = false;
  n.core.reset();
  n.applied.clear();
  n.applied_index = 0;
  n.reads.clear();
  n.incoming_snapshots.clear();
  if (options_.state_machine) n.sm = options_.state_machine();
}

void SimCluster::Restart(uint64_t id) {
  SimNode& n = nodes_.at(id);
  if (n.up) return;
  ++restarts_;
  absl::StatusOr<PersistentState> state = n.disk->Load();
  if (!state.ok()) {
    violation_ = absl::StrCat("member ", id, " cannot load its storage: ", state.status().ToString());
    return;
  }
  n.core = std::make_unique<RaftCore>(ConfigFor(id), *state);
  n.latest_hard_state = state->hard_state;
  n.up = true;
  if (state->snapshot.index() > 0) {
    absl::Status restored = DecodeState(*n.disk->LoadSnapshotData(), n);
    if (!restored.ok()) violation_ = absl::StrCat("member ", id, " restore: ", restored.ToString());
  } else {
    n.applied.clear();
    n.applied_index = 0;
  }
}

void SimCluster::Snapshot(uint64_t id) {
  SimNode& n = nodes_.at(id);
  if (!n.up) return;
  ProcessReady(id);
  absl::StatusOr<SnapshotMetadata> meta = n.core->SnapshotAt(n.applied_index);
  if (!meta.ok() || meta->index() <= n.disk->snapshot().index()) return;
  absl::Status saved = n.disk->SaveSnapshot(*meta, EncodeState(n));
  if (!saved.ok()) {
    violation_ = absl::StrCat("member ", id, " snapshot: ", saved.ToString());
    return;
  }
  n.core->Compact(*meta);
}

void SimCluster::Tick(uint64_t id) {
  SimNode& n = nodes_.at(id);
  if (n.up) n.core->Tick();
}

void SimCluster::TickAll() {
  for (auto& [id, n] : nodes_) Tick(id);
}

absl::StatusOr<uint64_t> SimCluster::Propose(uint64_t id, const std::string& data) {
  SimNode& n = nodes_.at(id);
  if (!n.up) return absl::UnavailableError("down");
  return n.core->Propose(data);
}

void SimCluster::Persist(SimNode& n, const Ready& rd) {
  if (rd.snapshot.has_value()) {
    std::string data = n.incoming_snapshots[rd.snapshot->index()];
    n.incoming_snapshots.clear();
    absl::Status saved = n.disk->SaveSnapshot(*rd.snapshot, data);
    if (!saved.ok()) violation_ = absl::StrCat("member ", n.id, " install: ", saved.ToString());
    absl::Status restored = DecodeState(data, n);
    if (!restored.ok()) violation_ = absl::StrCat("member ", n.id, " restore: ", restored.ToString());
    if (n.applied_index != rd.snapshot->index()) {
      violation_ = absl::StrCat("member ", n.id, " installed snapshot ", rd.snapshot->index(),
                                " with state at ", n.applied_index);
    }
  }
  // As RaftNode does: a hard state that changes only the commit index is not written on its
  // own; it goes with the next write that must be durable anyway.
  if (rd.hard_state.has_value()) n.latest_hard_state = *rd.hard_state;
  const HardState& durable = n.disk->hard_state();
  bool must_write = !rd.entries.empty() ||
                    (rd.hard_state.has_value() && (rd.hard_state->term() != durable.term() ||
                                                   rd.hard_state->vote() != durable.vote()));
  if (must_write) {
    absl::Status appended = n.disk->Append(rd.entries, &n.latest_hard_state);
    if (!appended.ok()) violation_ = absl::StrCat("member ", n.id, " append: ", appended.ToString());
  }
}

void SimCluster::SendFrom(SimNode& n, const Message& m) {
  Envelope e;
  e.message = m;
  if (m.type() == MESSAGE_TYPE_SNAP) {
    if (n.disk->snapshot().index() != m.snapshot().index()) {
      violation_ = absl::StrCat("member ", n.id, " sent snapshot ", m.snapshot().index(),
                                " but holds ", n.disk->snapshot().index());
    }
    e.snapshot_data = *n.disk->LoadSnapshotData();
  }
  network_.push_back(std::move(e));
}

void SimCluster::Apply(SimNode& n, const Entry& e) {
  auto [it, inserted] = committed_.emplace(
      e.index(), std::make_pair(e.term(), absl::StrCat(e.type(), ":", e.data())));
  if (!inserted && (it->second.first != e.term() ||
                    it->second.second != absl::StrCat(e.type(), ":", e.data()))) {
    violation_ = absl::StrCat("state machine safety: member ", n.id, " applied (", e.index(),
                              ", term ", e.term(), ") but (", e.index(), ", term ",
                              it->second.first, ") was committed before");
  }
  if (e.index() != n.applied_index + 1) {
    violation_ = absl::StrCat("member ", n.id, " applied ", e.index(), " after ",
                              n.applied_index);
  }
  n.applied_index = e.index();
  if (e.type() == ENTRY_TYPE_NORMAL && !e.data().empty()) n.applied.emplace_back(e.index(), e.data());
  if (n.sm != nullptr) n.sm->Apply(e);
  if (options_.on_apply) options_.on_apply(n.id, e);
}

bool SimCluster::ProcessReady(uint64_t id, bool crash_mid_ready) {
  SimNode& n = nodes_.at(id);
  bool any = false;
  while (n.up && n.core->HasReady()) {
    any = true;
    Ready rd = n.core->GetReady();
    if (rd.soft_state_changed && rd.role == Role::kLeader) {
      auto [it, inserted] = leader_of_term_.emplace(n.core->term(), id);
      if (!inserted && it->second != id) {
        violation_ = absl::StrCat("election safety: members ", it->second, " and ", id,
                                  " both led term ", n.core->term());
      }
      // Leader completeness: every committed entry is in the new leader's log.
      for (const auto& [index, entry] : committed_) {
        if (index < n.core->log().first_index()) continue;
        std::optional<uint64_t> t = n.core->log().Term(index);
        if (!t.has_value() || *t != entry.first) {
          violation_ = absl::StrCat("leader completeness: leader ", id, " of term ",
                                    n.core->term(), " lacks committed entry ", index);
          break;
        }
      }
    }
    if (crash_mid_ready) {
      for (const Message& m : rd.messages) {
        if (SendableBeforePersist(m)) SendFrom(n, m);
      }
      Crash(id);
      return true;
    }
    Persist(n, rd);
    for (const Message& m : rd.messages) SendFrom(n, m);
    for (const Entry& e : rd.committed) Apply(n, e);
    for (const ReadState& r : rd.read_states) {
      auto floor = read_floor_.find(r.context);
      if (floor != read_floor_.end() && r.index < floor->second) {
        violation_ = absl::StrCat("linearizable read: ", r.context, " answered at ", r.index,
                                  " but ", floor->second, " was committed before it began");
      }
      n.reads.push_back(r);
    }
    n.core->Advance(rd);
  }
  return any;
}

void SimCluster::Deliver(Envelope e) {
  const Message& m = e.message;
  auto to = nodes_.find(m.to());
  auto from = nodes_.find(m.from());
  bool ok = to != nodes_.end() && to->second.up && Connected(m.from(), m.to());
  if (m.type() == MESSAGE_TYPE_SNAP && from != nodes_.end() && from->second.up) {
    from->second.core->ReportSnapshot(m.to(), ok);
  }
  if (!ok) return;
  if (m.type() == MESSAGE_TYPE_SNAP) {
    to->second.incoming_snapshots[m.snapshot().index()] = e.snapshot_data;
  }
  to->second.core->Step(m);
}

bool SimCluster::Stabilize(int max_rounds) {
  for (int round = 0; round < max_rounds; ++round) {
    bool moved = false;
    for (auto& [id, n] : nodes_) moved = ProcessReady(id) || moved;
    while (!network_.empty()) {
      Envelope e = std::move(network_.front());
      network_.pop_front();
      Deliver(std::move(e));
      moved = true;
    }
    if (!moved) return true;
  }
  return false;
}

uint64_t SimCluster::Leader() const {
  uint64_t best = 0, best_term = 0;
  for (const auto& [id, n] : nodes_) {
    if (n.up && n.core->role() == Role::kLeader && n.core->term() >= best_term) {
      best = id;
      best_term = n.core->term();
    }
  }
  return best;
}

uint64_t SimCluster::ElectLeader(int max_ticks) {
  for (int i = 0; i < max_ticks; ++i) {
    Stabilize();
    uint64_t leader = Leader();
    if (leader != 0) {
      bool all_know = true;
      for (uint64_t v : nodes_.at(leader).core->conf().voters()) {
        const SimNode& n = nodes_.at(v);
        if (n.up && Connected(v, leader) && n.core->leader() != leader) all_know = false;
      }
      if (all_know) return leader;
    }
    TickAll();
  }
  return 0;
}

std::string SimCluster::Describe() const {
  std::string out;
  for (const auto& [id, n] : nodes_) {
    if (!n.up) {
      absl::StrAppend(&out, "  ", id, ": down\n");
      continue;
    }
    CoreStatus s = n.core->Status();
    absl::StrAppend(&out, "  ", id, ": ", RoleName(s.role), " term=", s.term, " vote=", s.vote,
                    " leader=", s.leader, " commit=", s.commit, " last=", s.last_index,
                    " lastterm=", n.core->log().last_term(), " snap=", s.snapshot_index,
                    " voters=[");
    for (uint64_t v : s.conf.voters()) absl::StrAppend(&out, v, " ");
    absl::StrAppend(&out, "] learners=[");
    for (uint64_t v : s.conf.learners()) absl::StrAppend(&out, v, " ");
    absl::StrAppend(&out, "]");
    for (const auto& [peer, p] : s.progress) {
      absl::StrAppend(&out, " ", peer, ":", p.state, "/m", p.match, "/n", p.next,
                      p.recent_active ? "/active" : "");
    }
    absl::StrAppend(&out, "\n");
  }
  absl::StrAppend(&out, "  in flight: ", network_.size(), "\n");
  return out;
}

absl::Status SimCluster::ReadIndex(uint64_t id, const std::string& context) {
  uint64_t floor = committed_.empty() ? 0 : committed_.rbegin()->first;
  for (const auto& [other, n] : nodes_) {
    if (n.up) floor = std::max(floor, n.core->log().committed());
  }
  read_floor_[context] = floor;
  return core(id).ReadIndex(context);
}

std::string SimCluster::CheckInvariants() {
  if (!violation_.empty()) return violation_;
  for (const auto& [id, n] : nodes_) {
    if (!n.up) continue;
    const RaftLog& log = n.core->log();
    if (log.applied() > log.committed() || log.committed() > log.last_index()) {
      return absl::StrCat("member ", id, " applied ", log.applied(), " committed ",
                          log.committed(), " last ", log.last_index());
    }
    if (n.core->term() < n.disk->hard_state().term()) {
      return absl::StrCat("member ", id, " term went backwards");
    }
    // Every change names the member's address: each member of a configuration has exactly its
    // own, through snapshots, restarts and removals.
    const ConfState& conf = n.core->conf();
    if (static_cast<int>(conf.addresses().size()) != conf.voters_size() + conf.learners_size()) {
      return absl::StrCat("member ", id, " knows ", conf.addresses().size(), " addresses for ",
                          conf.voters_size() + conf.learners_size(), " members");
    }
    for (const auto& [member, address] : conf.addresses()) {
      if (address != SimAddress(member)) {
        return absl::StrCat("member ", id, " has address ", address, " for member ", member);
      }
    }
  }
  return "";
}

std::string SimCluster::CheckLogMatching() const {
  for (const auto& [a, na] : nodes_) {
    for (const auto& [b, nb] : nodes_) {
      if (a >= b || !na.up || !nb.up) continue;
      const RaftLog& la = na.core->log();
      const RaftLog& lb = nb.core->log();
      uint64_t lo = std::max(la.first_index(), lb.first_index());
      uint64_t hi = std::min(la.last_index(), lb.last_index());
      // Find the highest index where both have the same term; everything before must match.
      uint64_t same = 0;
      for (uint64_t i = hi; i >= lo && i > 0; --i) {
        if (la.Term(i) == lb.Term(i)) {
          same = i;
          break;
        }
      }
      for (uint64_t i = lo; i <= same; ++i) {
        Entry ea = la.Slice(i, i + 1, 0)[0];
        Entry eb = lb.Slice(i, i + 1, 0)[0];
        if (ea.term() != eb.term() || ea.data() != eb.data() || ea.type() != eb.type()) {
          return absl::StrCat("log matching: members ", a, " and ", b, " agree at ", same,
                              " but differ at ", i);
        }
      }
    }
  }
  return "";
}

std::string SimCluster::DeliverRandom() {
  std::uniform_int_distribution<int> pct(0, 99);
  // Deliver a random in-flight message (reordering), sometimes dropped or duplicated.
  size_t i = rng_() % network_.size();
  Envelope e = network_[i];
  network_.erase(network_.begin() + static_cast<long>(i));
  int fate = pct(rng_);
  if (fate < 5) {
    // The transport reports a failed snapshot send (its contract); other losses are silent.
    auto from = nodes_.find(e.message.from());
    if (e.message.type() == MESSAGE_TYPE_SNAP && from != nodes_.end() && from->second.up) {
      from->second.core->ReportSnapshot(e.message.to(), false);
    }
    return "drop";
  }
  if (fate < 8) network_.push_back(e);
  Deliver(std::move(e));
  return "deliver";
}

std::string SimCluster::RandomProgress() {
  std::uniform_int_distribution<int> pct(0, 99);
  std::vector<uint64_t> all = ids();
  uint64_t id = all[rng_() % all.size()];
  int roll = pct(rng_);
  if (roll < 75 && !network_.empty()) return DeliverRandom();
  if (roll < 92) {
    ProcessReady(id);
    return absl::StrCat("ready ", id);
  }
  Tick(id);
  return absl::StrCat("tick ", id);
}

std::string SimCluster::Random() {
  std::uniform_int_distribution<int> pct(0, 99);
  std::vector<uint64_t> all = ids();
  uint64_t id = all[rng_() % all.size()];
  int roll = pct(rng_);
  if (roll < 40 && !network_.empty()) return DeliverRandom();
  if (roll < 52) {
    Tick(id);
    return absl::StrCat("tick ", id);
  }
  if (roll < 72) {
    ProcessReady(id);
    return absl::StrCat("ready ", id);
  }
  if (roll < 85) {
    uint64_t leader = Leader();
    if (leader != 0 && pct(rng_) < 80) id = leader;
    if (nodes_.at(id).up) (void)Propose(id, absl::StrCat("v", ++next_value_));
    return absl::StrCat("propose ", id);
  }
  if (roll < 87) {
    if (nodes_.at(id).up) {
      ProcessReady(id, /*crash_mid_ready=*/pct(rng_) < 50);
      if (nodes_.at(id).up) Crash(id);
    } else {
      Restart(id);
    }
    return absl::StrCat("crash/restart ", id);
  }
  if (roll < 89) {
    int what = pct(rng_);
    if (what < 40) {
      Heal();
      return "heal";
    }
    if (what < 80) {
      Isolate(id);
      return absl::StrCat("isolate ", id);
    }
    // The transport reports a peer unreachable (a broken stream), rightly or not.
    uint64_t peer = all[rng_() % all.size()];
    if (nodes_.at(id).up && peer != id) nodes_.at(id).core->ReportUnreachable(peer);
    return absl::StrCat("unreachable ", id, " -> ", peer);
  }
  if (roll < 91) {
    Snapshot(id);
    return absl::StrCat("snapshot ", id);
  }
  if (roll < 93) {
    uint64_t leader = Leader();
    if (leader == 0) return "no leader";
    ConfChange cc;
    auto* c = cc.add_changes();
    uint64_t target = all[rng_() % all.size()];
    int kind = pct(rng_);
    c->set_type(kind < 40   ? ::dcos::raft::v1::CONF_CHANGE_TYPE_ADD_NODE
                : kind < 70 ? ::dcos::raft::v1::CONF_CHANGE_TYPE_ADD_LEARNER_NODE
                            : ::dcos::raft::v1::CONF_CHANGE_TYPE_REMOVE_NODE);
    c->set_node_id(target);
    if (c->type() != ::dcos::raft::v1::CONF_CHANGE_TYPE_REMOVE_NODE) c->set_address(SimAddress(target));
    // Keep at least three voters so the cluster stays live for the final checks.
    if (c->type() == ::dcos::raft::v1::CONF_CHANGE_TYPE_REMOVE_NODE &&
        core(leader).conf().voters_size() <= 3) {
      return "conf skipped";
    }
    (void)core(leader).ProposeConfChange(cc);
    return absl::StrCat("conf change ", c->type(), " ", target);
  }
  if (roll < 95) {
    // Half the reads go to a member that believes it leads — possibly a deposed one cut off
    // from the others, the case a read index must not be fooled by.
    std::vector<uint64_t> leaders;
    for (const auto& [other, n] : nodes_) {
      if (n.up && n.core->role() == Role::kLeader) leaders.push_back(other);
    }
    if (!leaders.empty() && pct(rng_) < 50) id = leaders[rng_() % leaders.size()];
    if (nodes_.at(id).up) (void)ReadIndex(id, absl::StrCat("r", id, "-", ++next_value_));
    return absl::StrCat("read ", id);
  }
  if (roll < 96) {
    uint64_t leader = Leader();
    if (leader != 0) (void)core(leader).TransferLeadership(all[rng_() % all.size()]);
    return "transfer";
  }
  return "noop";
}

}  // namespace dcos::raft::sim
