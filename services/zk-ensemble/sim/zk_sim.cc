#include "services/zk-ensemble/sim/zk_sim.h"

#include <functional>

#include "absl/strings/str_cat.h"
#include "services/zk-ensemble/core/session_id.h"
#include "services/zk-ensemble/core/sessions.h"

namespace dcos::zk::sim {

using internal::v1::Command;
using raft::Role;

namespace {

raft::sim::SimOptions ClusterOptions(const ZkSimOptions& o, const ZkLimits& limits,
                                     std::function<void(uint64_t, const raft::Entry&)> on_apply) {
  raft::sim::SimOptions s;
  s.seed = o.seed;
  s.voters = o.voters;
  s.spares = 0;
  s.state_machine = [limits] { return std::make_unique<ZkStateMachine>(limits); };
  s.on_apply = std::move(on_apply);
  return s;
}

ZkLimits Limits(const ZkSimOptions& o) {
  ZkLimits l;
  l.sessions.min_timeout = absl::Milliseconds(100);
  l.sessions.max_timeout = std::max(o.session_timeout, absl::Milliseconds(100));
  return l;
}

}  // namespace

ZkSim::ZkSim(const ZkSimOptions& options)
    : options_(options),
      limits_(Limits(options)),
      rng_(options.seed * 0x9e3779b97f4a7c15ull + 1),
      cluster_(ClusterOptions(options, limits_,
                              [this](uint64_t id, const raft::Entry& e) { OnApply(id, e); })) {
  for (int i = 0; i < options.clients; ++i) {
    Client c;
    c.id = i;
    c.home = 1 + static_cast<uint64_t>(i) % static_cast<uint64_t>(options.voters);
    clients_.push_back(c);
  }
}

ZkStateMachine& ZkSim::Sm(uint64_t id) {
  return static_cast<ZkStateMachine&>(*cluster_.node(id).sm);
}

std::optional<std::pair<uint64_t, uint64_t>> ZkSim::Propose(uint64_t member, Command command) {
  command.set_time_micros(absl::ToUnixMicros(now_));
  if (!cluster_.node(member).up) return std::nullopt;
  uint64_t term = cluster_.core(member).term();
  absl::StatusOr<uint64_t> index = cluster_.Propose(member, command.SerializeAsString());
  if (!index.ok()) return std::nullopt;
  return std::make_pair(*index, term);
}

bool ZkSim::Setup() {
  uint64_t leader = cluster_.ElectLeader();
  if (leader == 0) return false;
  std::vector<std::string> paths = {"/e"};
  for (int k = 0; k < options_.keys; ++k) paths.push_back(Key(k));
  uint64_t last = 0;
  for (const std::string& p : paths) {
    Command c;
    c.mutable_create()->set_path(p);
    auto proposed = Propose(leader, c);
    if (!proposed.has_value()) return false;
    last = proposed->first;
  }
  cluster_.Stabilize();
  for (uint64_t id : cluster_.ids()) {
    if (cluster_.node(id).applied_index < last) return false;
  }
  return true;
}

void ZkSim::OnApply(uint64_t id, const raft::Entry& e) {
  ZkStateMachine& sm = Sm(id);
  std::optional<WriteResult> result = sm.TakeResult(e.index());
  // Same index, same state, on every member.
  size_t h = std::hash<std::string>{}(sm.Snapshot());
  auto [it, inserted] = state_at_.emplace(e.index(), h);
  if (!inserted && it->second != h && violation_.empty()) {
    violation_ = absl::StrCat("member ", id, " has a different state after applying index ",
                              e.index(), " than another member had");
  }
  Command command;
  if (e.type() == raft::v1::ENTRY_TYPE_NORMAL && command.ParseFromString(e.data())) {
    int64_t ended = command.has_expire_session() ? command.expire_session().session_id() : 0;
    if (ended != 0 && result.has_value() && result->status.ok()) {
      for (const Client& c : clients_) {
        if (c.session == ended && !c.dead && violation_.empty()) {
          violation_ = absl::StrCat("member ", id, " applied the expiry (index ", e.index(),
                                    ") of session ", ended, " of live client ", c.id);
        }
      }
    }
  }
  for (Client& c : clients_) {
    if (!c.write.has_value() || c.write->member != id || c.write->index != e.index()) continue;
    PendingWrite w = *std::move(c.write);
    c.write.reset();
    ++stats_.writes_done;
    if (e.term() != w.term) {
      ++stats_.writes_lost;
      // Overwritten by another leader: it never took effect.
      if (w.kind == WriteKind::kSession) c.session = 0;
      continue;
    }
    bool ok = result.has_value() && result->status.ok();
    switch (w.kind) {
      case WriteKind::kSession:
        if (!ok) c.session = 0;  // refused (e.g. an older id than one already created)
        break;
      case WriteKind::kPut:
        if (ok) {
          w.op.ret = OpTime();
          w.op.output = "ok";
          history_.push_back(w.op);
        } else if (violation_.empty()) {
          violation_ = absl::StrCat("client ", c.id, " put on ", w.op.key, " failed: ",
                                    result.has_value() ? result->status.ToString() : "no result");
        }
        break;
      case WriteKind::kEphemeral:
        break;  // checked by the invariants: owner live, gone with its session
    }
  }
}

void ZkSim::AdvanceTime() {
  now_ += options_.tick;
  // Faults are transient: a crashed member is restarted, a partition healed, after a while
  // (about a second of simulated time on average).
  std::uniform_int_distribution<int> pct(0, 99);
  for (uint64_t id : cluster_.ids()) {
    if (!cluster_.node(id).up && pct(rng_) < 10) cluster_.Restart(id);
  }
  if (pct(rng_) < 7) cluster_.Heal();
  cluster_.TickAll();
  auto table = [](ZkStateMachine& sm) { return [&sm] { return sm.Sessions(); }; };
  const uint64_t leader = cluster_.Leader();
  for (uint64_t id : cluster_.ids()) {
    raft::sim::SimNode& n = cluster_.node(id);
    if (!n.up || core_seen_[id] != n.core.get()) expiry_.erase(id);  // a crash forgets it
    core_seen_[id] = n.core.get();
    if (!n.up) continue;
    expiry_[id].Observe(n.core->role() == Role::kLeader, n.core->term(), table(Sm(id)), now_);
  }
  // Live clients ping every third tick (each with its own phase): through their member when
  // it follows the leader, else directly.
  ++ticks_;
  for (Client& c : clients_) {
    if (c.dead || c.session == 0 || leader == 0 || (ticks_ + c.id) % 3 != 0) continue;
    raft::sim::SimNode& home = cluster_.node(c.home);
    if (!home.up || home.core->leader() != leader || !cluster_.Connected(c.home, leader) ||
        !Sm(c.home).SessionLive(c.session)) {
      c.home = leader;
    }
    if (Sm(c.home).SessionLive(c.session) || c.home == leader) {
      expiry_[c.home].Touch(c.session, table(Sm(c.home)), now_);
    }
  }
  // Followers forward the pings they collected to the leader they know, if they reach it.
  for (uint64_t id : cluster_.ids()) {
    raft::sim::SimNode& n = cluster_.node(id);
    if (!n.up || n.core->role() == Role::kLeader) continue;
    std::vector<int64_t> ids = expiry_[id].TakePending();
    uint64_t to = n.core->leader();
    if (ids.empty() || to == 0 || !cluster_.node(to).up || !cluster_.Connected(id, to)) continue;
    std::vector<int64_t> refused;
    (void)expiry_[to].HandleForward(ids, table(Sm(to)), now_, &refused);
  }
  // Leaders expire what is overdue.
  for (uint64_t id : cluster_.ids()) {
    raft::sim::SimNode& n = cluster_.node(id);
    if (!n.up || n.core->role() != Role::kLeader) continue;
    for (int64_t s : expiry_[id].TakeExpired(now_)) {
      Command c;
      c.mutable_expire_session()->set_session_id(s);
      (void)Propose(id, c);
    }
  }
}

void ZkSim::ClientAction(Client& c) {
  if (c.dead || c.write.has_value() || c.read.has_value()) return;
  std::uniform_int_distribution<int> pct(0, 99);
  const uint64_t leader = cluster_.Leader();
  std::vector<uint64_t> ids = cluster_.ids();
  // Writes go to the leader most of the time, else to any member (which may refuse them).
  uint64_t writer = leader != 0 && pct(rng_) < 85 ? leader : ids[rng_() % ids.size()];
  if (c.session == 0) {
    if (!cluster_.node(writer).up || cluster_.core(writer).role() != Role::kLeader) return;
    absl::StatusOr<int64_t> sid = NextSessionId(static_cast<int64_t>(cluster_.core(writer).term()),
                                                ++session_counter_);
    if (!sid.ok()) return;
    Command cmd;
    cmd.mutable_create_session()->set_session_id(*sid);
    cmd.mutable_create_session()->set_timeout_ms(absl::ToInt64Milliseconds(
        NegotiateTimeout(limits_.sessions, options_.session_timeout)));
    // A password as the service puts into the entry (derived from the id, not drawn from
    // rng_, so that the seeds' schedules stay as they were); snapshots carry it.
    cmd.mutable_create_session()->set_password(
        absl::StrCat(absl::Hex(*sid, absl::kZeroPad16)).substr(0, kSessionPasswordBytes));
    auto proposed = Propose(writer, cmd);
    if (!proposed.has_value()) return;
    // The client counts as alive (and pings) from the moment it asks.
    c.session = *sid;
    ++stats_.writes;
    c.write = PendingWrite{WriteKind::kSession, writer, proposed->first, proposed->second, step_, {}};
    return;
  }
  int roll = pct(rng_);
  // Every fourth client only reads: its session lives on pings alone (a write in a session
  // also counts as proof of life).
  if (c.id % 4 == 3) roll = 55 + roll % 35;
  const std::string key = Key(static_cast<int>(rng_() % static_cast<uint64_t>(options_.keys)));
  if (roll < 55) {
    std::string value = absl::StrCat("c", c.id, "-", ++c.next_value);
    Command cmd;
    cmd.mutable_set_data()->set_session_id(c.session);
    cmd.mutable_set_data()->set_path(key);
    cmd.mutable_set_data()->set_data(value);
    lincheck::Operation op;
    op.client = c.id;
    op.call = OpTime();
    op.key = key;
    op.input = "put " + value;
    auto proposed = Propose(writer, cmd);
    if (!proposed.has_value()) return;  // refused at once: never happened
    ++stats_.writes;
    c.write = PendingWrite{WriteKind::kPut, writer, proposed->first, proposed->second, step_, op};
  } else if (roll < 90) {
    uint64_t reader = ids[rng_() % ids.size()];
    if (!cluster_.node(reader).up) return;
    std::string context = absl::StrCat("c", c.id, "-read-", step_);
    if (!cluster_.ReadIndex(reader, context).ok()) return;
    lincheck::Operation op;
    op.client = c.id;
    op.call = OpTime();
    op.key = key;
    op.input = "get";
    ++stats_.reads;
    c.read = PendingRead{reader, context, step_, op};
  } else {
    Command cmd;
    cmd.mutable_create()->set_session_id(c.session);
    cmd.mutable_create()->set_path(absl::StrCat("/e/c", c.id, "-"));
    cmd.mutable_create()->set_mode(v1::CREATE_MODE_EPHEMERAL_SEQUENTIAL);
    auto proposed = Propose(writer, cmd);
    if (!proposed.has_value()) return;
    ++stats_.writes;
    c.write = PendingWrite{WriteKind::kEphemeral, writer, proposed->first, proposed->second, step_, {}};
  }
}

void ZkSim::PollReads() {
  for (Client& c : clients_) {
    if (!c.read.has_value()) continue;
    raft::sim::SimNode& n = cluster_.node(c.read->member);
    if (!n.up) {
      ++stats_.reads_dropped;
      c.read.reset();  // the member is gone: a read has no effect to account for
      continue;
    }
    for (const raft::ReadState& r : n.reads) {
      if (r.context != c.read->context || n.applied_index < r.index) continue;
      absl::StatusOr<NodeData> data = Sm(n.id).GetData(c.read->op.key);
      lincheck::Operation op = c.read->op;
      op.ret = OpTime();
      op.output = data.ok() ? data->data : "<" + data.status().ToString() + ">";
      history_.push_back(op);
      c.read.reset();
      ++stats_.reads_done;
      break;
    }
  }
}

void ZkSim::TimeOut() {
  for (Client& c : clients_) {
    if (c.read.has_value() && step_ - c.read->started > static_cast<uint64_t>(options_.op_timeout_steps)) {
      ++stats_.reads_dropped;
      c.read.reset();
    }
    if (c.write.has_value() &&
        step_ - c.write->started > static_cast<uint64_t>(options_.op_timeout_steps)) {
      ++stats_.writes_unknown;
      if (c.write->kind == WriteKind::kPut) {
        lincheck::Operation op = c.write->op;
        op.ret = absl::InfiniteFuture();
        op.unknown = true;
        history_.push_back(op);
      }
      // A session the client gave up on is abandoned (if it was created, it expires).
      if (c.write->kind == WriteKind::kSession) c.session = 0;
      c.write.reset();
    }
  }
}

std::string ZkSim::Step() {
  ++step_;
  std::uniform_int_distribution<int> pct(0, 99);
  int roll = pct(rng_);
  std::string what;
  if (roll < 62) {
    what = cluster_.RandomProgress();
  } else if (roll < 67) {
    what = cluster_.Random();  // faults among other things
  } else if (roll < 71) {
    AdvanceTime();
    what = "time";
  } else if (roll < 99) {
    Client& c = clients_[rng_() % clients_.size()];
    ClientAction(c);
    what = absl::StrCat("client ", c.id);
  } else {
    // A client dies (at most half of them): its session must expire.
    Client& c = clients_[rng_() % clients_.size()];
    int dead = 0;
    for (const Client& o : clients_) dead += o.dead ? 1 : 0;
    if (!c.dead && c.session != 0 && dead < options_.clients / 2 && pct(rng_) < 15) {
      c.dead = true;
      what = absl::StrCat("client ", c.id, " dies");
    } else {
      what = "noop";
    }
  }
  PollReads();
  TimeOut();
  return what;
}

std::string ZkSim::CheckEphemerals(uint64_t id) {
  ZkStateMachine& sm = Sm(id);
  absl::StatusOr<ChildrenList> children = sm.GetChildren("/e");
  if (!children.ok()) return "";  // not created yet on this member
  for (const std::string& name : children->children) {
    absl::StatusOr<std::optional<Stat>> stat = sm.Exists("/e/" + name);
    if (!stat.ok() || !stat->has_value()) continue;
    int64_t owner = (*stat)->ephemeral_owner;
    if (owner == 0 || !sm.SessionLive(owner)) {
      return absl::StrCat("member ", id, " holds ephemeral /e/", name, " of session ", owner,
                          " which is not live there");
    }
  }
  return "";
}

std::string ZkSim::CheckInvariants() {
  if (!violation_.empty()) return violation_;
  std::string raft = cluster_.CheckInvariants();
  if (!raft.empty()) return raft;
  for (uint64_t id : cluster_.ids()) {
    if (!cluster_.node(id).up) continue;
    std::string bad = CheckEphemerals(id);
    if (!bad.empty()) return bad;
  }
  return "";
}

std::vector<uint64_t> ZkSim::Members() {
  uint64_t leader = cluster_.Leader();
  if (leader == 0) return cluster_.ids();
  const raft::ConfState& conf = cluster_.core(leader).conf();
  std::vector<uint64_t> out(conf.voters().begin(), conf.voters().end());
  out.insert(out.end(), conf.learners().begin(), conf.learners().end());
  return out;
}

bool ZkSim::Settle(int max_ticks, const std::function<bool()>& done) {
  for (int i = 0; i < max_ticks; ++i) {
    ++step_;
    cluster_.Stabilize();
    PollReads();
    if (done()) return true;
    AdvanceTime();
  }
  cluster_.Stabilize();
  return done();
}

std::string ZkSim::Finish() {
  cluster_.Heal();
  for (uint64_t id : cluster_.ids()) cluster_.Restart(id);
  // Dead clients' sessions expire: one timeout after a leader is stable, plus elections.
  const int ticks_per_timeout =
      static_cast<int>(options_.session_timeout / options_.tick) + 1;
  auto sessions_settled = [&] {
    uint64_t leader = cluster_.Leader();
    if (leader == 0) return false;
    for (const Client& c : clients_) {
      if (c.session == 0 || c.write.has_value()) continue;
      for (uint64_t id : Members()) {
        if (Sm(id).SessionLive(c.session) == c.dead) return false;
      }
    }
    return true;
  };
  if (!Settle(40 * ticks_per_timeout, sessions_settled)) {
    std::string why;
    for (const Client& c : clients_) {
      absl::StrAppend(&why, " client ", c.id, (c.dead ? " dead" : " live"), " session ",
                      c.session, c.write.has_value() ? " (write pending)" : "", " live on [");
      for (uint64_t id : cluster_.ids()) {
        if (c.session != 0 && Sm(id).SessionLive(c.session)) absl::StrAppend(&why, id, " ");
      }
      absl::StrAppend(&why, "]");
    }
    return absl::StrCat("sessions did not settle after heal:", why, "\n", Describe());
  }
  // A last write reaches every member; then they all hold the same state.
  uint64_t final_index = 0;
  auto final_applied = [&] {
    if (final_index == 0) {
      uint64_t leader = cluster_.Leader();
      if (leader == 0) return false;
      Command c;
      c.mutable_set_data()->set_path(Key(0));
      c.mutable_set_data()->set_data("final");
      auto proposed = Propose(leader, c);
      if (!proposed.has_value()) return false;
      final_index = proposed->first;
      lincheck::Operation op;
      op.client = -1;
      op.call = OpTime();
      op.ret = absl::InfiniteFuture();
      op.unknown = true;  // resolved below
      op.key = Key(0);
      op.input = "put final";
      history_.push_back(op);
    }
    for (uint64_t id : Members()) {
      if (cluster_.node(id).applied_index < final_index) return false;
    }
    return true;
  };
  if (!Settle(200, final_applied)) {
    return absl::StrCat("the final write (index ", final_index, ") did not reach every member\n",
                        Describe());
  }
  std::string bad = CheckInvariants();
  if (!bad.empty()) return bad;
  std::string reference;
  for (uint64_t id : Members()) {
    if (cluster_.node(id).applied_index != final_index) continue;
    std::string state = Sm(id).Snapshot();
    if (reference.empty()) reference = state;
    if (state != reference) return absl::StrCat("member ", id, " differs at the end");
  }
  for (const Client& c : clients_) {
    if (c.write.has_value() && c.write->kind == WriteKind::kPut) {
      lincheck::Operation op = c.write->op;
      op.ret = absl::InfiniteFuture();
      op.unknown = true;
      history_.push_back(op);
    }
    if (c.dead && c.session != 0) ++expired_sessions_;
  }
  lincheck::Result r = lincheck::Check(history_, lincheck::RegisterModel());
  if (!r.linearizable) {
    return absl::StrCat("history of ", r.key, " is not linearizable (", history_.size(),
                        " operations)");
  }
  if (r.gave_up) return "the linearizability search gave up";
  return "";
}

std::string ZkSim::Stats::ToString() const {
  return absl::StrCat("writes ", writes, " (", writes_done, " answered, ", writes_lost,
                      " of them overwritten; ", writes_unknown, " timed out), reads ", reads,
                      " (", reads_done, " answered, ", reads_dropped, " dropped)");
}

}  // namespace dcos::zk::sim
