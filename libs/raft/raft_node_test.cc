// RaftNode (the driver) with three members on an in-memory network, real threads and a real
// clock with short ticks: proposals, group commit, reads, failover, snapshots, storage errors.

#include "libs/raft/raft_node.h"

#include <atomic>
#include <filesystem>
#include <future>
#include <thread>
#include <map>
#include <set>

#include <catch2/catch.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "libs/raft/env.h"
#include "libs/raft/file_log_storage.h"
#include "libs/raft/mem_log_storage.h"
#include "libs/testing/harness.h"

namespace dcos::raft {
namespace {

using testing::WaitFor;

// The replicated state: the list of applied commands.
class ListStateMachine final : public StateMachine {
 public:
  void Apply(const Entry& e) override {
    absl::MutexLock lock(&mu_);
    if (e.type() == v1::ENTRY_TYPE_NORMAL && !e.data().empty()) items_.push_back(e.data());
  }
  std::string Snapshot() override {
    absl::MutexLock lock(&mu_);
    Message m;  // a convenient container
    for (const std::string& s : items_) m.add_entries()->set_data(s);
    return m.SerializeAsString();
  }
  absl::Status Restore(const std::string& data, uint64_t) override {
    Message m;
    if (!m.ParseFromString(data)) return absl::DataLossError("bad snapshot");
    absl::MutexLock lock(&mu_);
    items_.clear();
    for (const Entry& e : m.entries()) items_.push_back(e.data());
    return absl::OkStatus();
  }
  std::vector<std::string> items() const {
    absl::MutexLock lock(&mu_);
    return items_;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<std::string> items_ ABSL_GUARDED_BY(mu_);
};

// Connects members in memory; a member can be cut off.
class LocalNetwork {
 public:
  class Endpoint final : public Transport {
   public:
    Endpoint(LocalNetwork* net, uint64_t id) : net_(net), id_(id) {}
    void Send(std::vector<Message> messages) override {
      for (Message& m : messages) {
        if (net_->Drop(m.type())) continue;
        MessageSink* to = net_->Route(id_, m.to());
        if (to != nullptr) to->Receive(std::move(m));
      }
    }
    void SendSnapshot(Message m, std::string data) override {
      MessageSink* to = net_->Route(id_, m.to());
      MessageSink* self = net_->Route(id_, id_);
      uint64_t peer = m.to();
      if (to != nullptr) to->ReceiveSnapshot(std::move(m), std::move(data));
      if (self != nullptr) self->ReportSnapshot(peer, to != nullptr);
    }
    void SetPeer(uint64_t, const std::string&) override {}
    void RemovePeer(uint64_t) override {}

   private:
    LocalNetwork* net_;
    uint64_t id_;
  };

  void Attach(uint64_t id, MessageSink* sink) {
    absl::MutexLock lock(&mu_);
    sinks_[id] = sink;
  }
  void Detach(uint64_t id) {
    absl::MutexLock lock(&mu_);
    sinks_.erase(id);
  }
  void Isolate(uint64_t id, bool isolated) {
    absl::MutexLock lock(&mu_);
    if (isolated) {
      isolated_.insert(id);
    } else {
      isolated_.erase(id);
    }
  }
  // The next `n` messages of `type` are lost.
  void DropNext(v1::MessageType type, int n) {
    absl::MutexLock lock(&mu_);
    drop_[type] = n;
  }
  bool Drop(v1::MessageType type) {
    absl::MutexLock lock(&mu_);
    auto it = drop_.find(type);
    if (it == drop_.end() || it->second == 0) return false;
    --it->second;
    return true;
  }
  MessageSink* Route(uint64_t from, uint64_t to) {
    absl::MutexLock lock(&mu_);
    if (from != to && (isolated_.count(from) || isolated_.count(to))) return nullptr;
    auto it = sinks_.find(to);
    return it == sinks_.end() ? nullptr : it->second;
  }

 private:
  absl::Mutex mu_;
  std::map<uint64_t, MessageSink*> sinks_ ABSL_GUARDED_BY(mu_);
  std::set<uint64_t> isolated_ ABSL_GUARDED_BY(mu_);
  std::map<v1::MessageType, int> drop_ ABSL_GUARDED_BY(mu_);
};

struct Member {
  MemLogStorage storage;
  std::unique_ptr<ListStateMachine> sm;  // replaced on every start, as a new process starts empty
  std::unique_ptr<LocalNetwork::Endpoint> endpoint;
  std::unique_ptr<RaftNode> node;
};

class Cluster {
 public:
  explicit Cluster(int n, uint64_t snapshot_threshold = 10000,
                   absl::Duration request_timeout = absl::InfiniteDuration())
      : threshold_(snapshot_threshold), request_timeout_(request_timeout) {
    for (int i = 1; i <= n; ++i) {
      auto m = std::make_unique<Member>();
      m->endpoint = std::make_unique<LocalNetwork::Endpoint>(&net_, i);
      members_[i] = std::move(m);
      voters_.push_back(i);
    }
    for (auto& [id, m] : members_) Start(id);
  }
  ~Cluster() {
    for (auto& [id, m] : members_) Stop(id);
  }

  // A new member that joins the running cluster (knows no voters of its own).
  void AddJoiner(uint64_t id) {
    auto m = std::make_unique<Member>();
    m->endpoint = std::make_unique<LocalNetwork::Endpoint>(&net_, id);
    members_[id] = std::move(m);
    joiners_.insert(id);
    Start(id);
  }

  void Start(uint64_t id) {
    Member& m = *members_[id];
    m.sm = std::make_unique<ListStateMachine>();
    NodeOptions o;
    o.raft.id = id;
    if (!joiners_.count(id)) o.raft.initial_voters = voters_;
    o.raft.election_ticks = 10;
    o.raft.seed = id;
    o.tick_interval = absl::Milliseconds(10);
    o.snapshot_threshold = threshold_;
    o.request_timeout = request_timeout_;
    auto node = RaftNode::Start(o, &m.storage, m.sm.get(), m.endpoint.get(),
                                clock::RealClock::Default(), nullptr);
    REQUIRE(node.ok());
    m.node = std::move(*node);
    net_.Attach(id, m.node.get());
  }
  void Stop(uint64_t id) {
    Member& m = *members_[id];
    net_.Detach(id);
    if (m.node) m.node->Stop();
    m.node.reset();
  }

  uint64_t WaitLeader(uint64_t not_this = 0) {
    uint64_t leader = 0;
    REQUIRE(WaitFor(
                [&] {
                  for (auto& [id, m] : members_) {
                    if (m->node && id != not_this &&
                        m->node->Status().role == Role::kLeader) {
                      leader = id;
                      return true;
                    }
                  }
                  return false;
                },
                absl::Seconds(20), "a leader")
                .ok());
    return leader;
  }

  absl::StatusOr<uint64_t> ProposeSync(uint64_t id, std::string data) {
    std::promise<absl::StatusOr<uint64_t>> p;
    auto f = p.get_future();
    members_[id]->node->Propose(std::move(data),
                                [&p](absl::StatusOr<uint64_t> r) { p.set_value(std::move(r)); });
    return f.get();
  }

  Member& m(uint64_t id) { return *members_[id]; }
  LocalNetwork& net() { return net_; }

 private:
  uint64_t threshold_;
  absl::Duration request_timeout_;
  LocalNetwork net_;
  std::vector<uint64_t> voters_;
  std::set<uint64_t> joiners_;
  std::map<uint64_t, std::unique_ptr<Member>> members_;
};

TEST_CASE("a proposal is committed and applied on every member") {
  Cluster c(3);
  uint64_t leader = c.WaitLeader();
  auto index = c.ProposeSync(leader, "hello");
  REQUIRE(index.ok());
  for (uint64_t id : {1, 2, 3}) {
    REQUIRE(WaitFor([&] { return c.m(id).sm->items() == std::vector<std::string>{"hello"}; },
                    absl::Seconds(10), "the entry on every member")
                .ok());
  }
}

TEST_CASE("a follower refuses a proposal and names the leader") {
  Cluster c(3);
  uint64_t leader = c.WaitLeader();
  uint64_t follower = leader == 1 ? 2 : 1;
  REQUIRE(WaitFor([&] { return c.m(follower).node->Status().leader == leader; },
                  absl::Seconds(10), "the follower to know the leader")
              .ok());
  auto r = c.ProposeSync(follower, "x");
  REQUIRE(r.status().code() == absl::StatusCode::kUnavailable);
  REQUIRE(r.status().message().find(std::to_string(leader)) != std::string::npos);
}

TEST_CASE("many concurrent proposals all commit, in one order everywhere") {
  Cluster c(3);
  uint64_t leader = c.WaitLeader();
  constexpr int kCount = 2000;
  std::atomic<int> ok{0};
  for (int i = 0; i < kCount; ++i) {
    c.m(leader).node->Propose(absl::StrCat("v", i), [&ok](absl::StatusOr<uint64_t> r) {
      if (r.ok()) ok.fetch_add(1);
    });
  }
  REQUIRE(WaitFor([&] { return ok.load() == kCount; }, absl::Seconds(30), "all proposals").ok());
  REQUIRE(WaitFor([&] { return c.m(1).sm->items().size() == kCount &&
                               c.m(2).sm->items().size() == kCount &&
                               c.m(3).sm->items().size() == kCount; },
                  absl::Seconds(10), "every member to apply everything")
              .ok());
  REQUIRE(c.m(1).sm->items() == c.m(2).sm->items());
  REQUIRE(c.m(2).sm->items() == c.m(3).sm->items());
}

TEST_CASE("a read index sees every write committed before it") {
  Cluster c(3);
  uint64_t leader = c.WaitLeader();
  uint64_t follower = leader == 1 ? 2 : 1;
  REQUIRE(c.ProposeSync(leader, "w1").ok());
  std::promise<absl::Status> p;
  c.m(follower).node->ReadIndex([&p](absl::Status s) { p.set_value(s); });
  REQUIRE(p.get_future().get().ok());
  REQUIRE(c.m(follower).sm->items() == std::vector<std::string>{"w1"});
}

TEST_CASE("AwaitLeader: no leader without a quorum; waits out the election that follows") {
  Cluster c(3);
  uint64_t leader = c.WaitLeader();
  uint64_t follower = leader == 1 ? 2 : 1;
  uint64_t other = 6 - leader - follower;
  REQUIRE(c.m(follower).node->AwaitLeader(absl::ZeroDuration()));
  c.Stop(leader);
  c.Stop(other);
  REQUIRE(WaitFor([&] { return c.m(follower).node->Status().leader == 0; }, absl::Seconds(20),
                  "the follower to lose its leader")
              .ok());
  REQUIRE_FALSE(c.m(follower).node->AwaitLeader(absl::Milliseconds(50)));
  // A waiter already there when a quorum comes back sees the new leader.
  std::promise<bool> led;
  std::thread waiter([&] { led.set_value(c.m(follower).node->AwaitLeader(absl::Seconds(20))); });
  c.Start(other);
  waiter.join();
  REQUIRE(led.get_future().get());
  REQUIRE(c.m(follower).node->Status().leader != 0);
}

TEST_CASE("a read whose request or answer is lost is asked again") {
  Cluster c(3);
  uint64_t leader = c.WaitLeader();
  uint64_t follower = leader == 1 ? 2 : 1;
  REQUIRE(c.ProposeSync(leader, "w1").ok());
  for (v1::MessageType lost : {v1::MESSAGE_TYPE_READ_INDEX, v1::MESSAGE_TYPE_READ_INDEX_RESP}) {
    INFO("lost: " << v1::MessageType_Name(lost));
    c.net().DropNext(lost, 2);
    std::promise<absl::Status> p;
    auto f = p.get_future();
    c.m(follower).node->ReadIndex([&p](absl::Status s) { p.set_value(s); });
    REQUIRE(f.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
    REQUIRE(f.get().ok());
    REQUIRE(!c.net().Drop(lost));  // both copies were dropped: the read was asked 3 times
  }
}

TEST_CASE("a proposal that cannot commit is answered DEADLINE_EXCEEDED after request_timeout") {
  Cluster c(3, 10000, absl::Milliseconds(300));
  uint64_t leader = c.WaitLeader();
  REQUIRE(c.ProposeSync(leader, "w1").ok());
  for (uint64_t id = 1; id <= 3; ++id) {
    if (id != leader) c.Stop(id);
  }
  absl::Time start = absl::Now();
  absl::StatusOr<uint64_t> r = c.ProposeSync(leader, "w2");
  absl::Duration took = absl::Now() - start;
  REQUIRE(r.status().code() == absl::StatusCode::kDeadlineExceeded);
  REQUIRE(std::string(r.status().message()).find("outcome unknown") != std::string::npos);
  REQUIRE(took >= absl::Milliseconds(300));
  REQUIRE(took < absl::Seconds(5));
}

TEST_CASE("without request_timeout a proposal waits; it is answered when the node stops") {
  Cluster c(3);
  uint64_t leader = c.WaitLeader();
  for (uint64_t id = 1; id <= 3; ++id) {
    if (id != leader) c.Stop(id);
  }
  std::promise<absl::StatusOr<uint64_t>> p;
  auto f = p.get_future();
  c.m(leader).node->Propose("w", [&p](absl::StatusOr<uint64_t> r) { p.set_value(std::move(r)); });
  REQUIRE(f.wait_for(std::chrono::milliseconds(500)) == std::future_status::timeout);
  c.Stop(leader);
  REQUIRE(f.get().status().code() == absl::StatusCode::kUnavailable);
}

TEST_CASE("when the leader dies a new one is elected and the old one catches up on restart") {
  Cluster c(3);
  uint64_t leader = c.WaitLeader();
  REQUIRE(c.ProposeSync(leader, "before").ok());
  c.Stop(leader);
  uint64_t next = c.WaitLeader(leader);
  REQUIRE(next != leader);
  auto r = c.ProposeSync(next, "after");
  REQUIRE(r.ok());
  c.Start(leader);
  REQUIRE(WaitFor([&] {
            return c.m(leader).sm->items() == std::vector<std::string>{"before", "after"};
          },
                  absl::Seconds(20), "the restarted member to catch up")
              .ok());
}

TEST_CASE("snapshots compact the log and bring a member that was away up to date") {
  Cluster c(3, /*snapshot_threshold=*/20);
  uint64_t leader = c.WaitLeader();
  uint64_t away = leader == 3 ? 2 : 3;
  c.Stop(away);
  for (int i = 0; i < 60; ++i) REQUIRE(c.ProposeSync(leader, absl::StrCat("v", i)).ok());
  REQUIRE(WaitFor([&] { return c.m(leader).node->Status().snapshot_index >= 20; },
                  absl::Seconds(10), "a snapshot on the leader")
              .ok());
  c.Start(away);
  REQUIRE(WaitFor([&] { return c.m(away).sm->items().size() == 60; }, absl::Seconds(20),
                  "the member to catch up")
              .ok());
  REQUIRE(c.m(away).storage.snapshot().index() > 0);
  REQUIRE(c.m(away).sm->items() == c.m(leader).sm->items());
}

TEST_CASE("a new member joins as a learner, catches up, and is promoted to voter") {
  Cluster c(3);
  uint64_t leader = c.WaitLeader();
  for (int i = 0; i < 50; ++i) REQUIRE(c.ProposeSync(leader, absl::StrCat("v", i)).ok());
  c.AddJoiner(4);
  std::promise<absl::StatusOr<uint64_t>> p;
  c.m(leader).node->AddVoter(4, "addr-of-4", 500,
                             [&p](absl::StatusOr<uint64_t> r) { p.set_value(std::move(r)); });
  auto promoted = p.get_future().get();
  INFO(promoted.status().ToString());
  REQUIRE(promoted.ok());
  // Status() is published at the end of each loop iteration, just after the callback.
  REQUIRE(WaitFor([&] {
            CoreStatus s = c.m(leader).node->Status();
            return s.conf.voters_size() == 4 && s.conf.learners_size() == 0;
          },
                  absl::Seconds(10), "four voters")
              .ok());
  REQUIRE(c.ProposeSync(leader, "after-join").ok());
  REQUIRE(WaitFor([&] { return c.m(4).sm->items().size() == 51; }, absl::Seconds(10),
                  "the new member to apply everything")
              .ok());
  // The address travelled in both changes: every member, the new one included, knows it.
  for (uint64_t id : {1, 2, 3, 4}) {
    REQUIRE(WaitFor([&] {
              auto addresses = c.m(id).node->Status().conf.addresses();
              return addresses.count(4) > 0 && addresses.at(4) == "addr-of-4";
            },
                    absl::Seconds(10), "the new member's address")
                .ok());
  }
}

// Storage that fails every Append after the first `ok_appends`.
class FailingStorage final : public LogStorage {
 public:
  explicit FailingStorage(int ok_appends) : left_(ok_appends) {}
  absl::StatusOr<PersistentState> Load() override { return inner_.Load(); }
  absl::Status Append(const std::vector<Entry>& entries, const HardState* hs) override {
    if (left_-- <= 0) return absl::ResourceExhaustedError("disk full");
    return inner_.Append(entries, hs);
  }
  absl::Status SaveSnapshot(const SnapshotMetadata& m, const std::string& d) override {
    return inner_.SaveSnapshot(m, d);
  }
  absl::StatusOr<std::string> LoadSnapshotData() override { return inner_.LoadSnapshotData(); }

 private:
  MemLogStorage inner_;
  int left_;
};

TEST_CASE("a storage error stops the member with the error; calls fail, nothing crashes") {
  FailingStorage storage(3);
  ListStateMachine sm;
  LocalNetwork net;
  LocalNetwork::Endpoint endpoint(&net, 1);
  NodeOptions o;
  o.raft.id = 1;
  o.raft.initial_voters = {1};
  o.tick_interval = absl::Milliseconds(5);
  std::atomic<int> fatal_calls{0};
  o.on_fatal = [&fatal_calls](const absl::Status&) { fatal_calls.fetch_add(1); };
  auto node = RaftNode::Start(o, &storage, &sm, &endpoint, clock::RealClock::Default(), nullptr);
  REQUIRE(node.ok());
  REQUIRE(WaitFor([&] { return !(*node)->fatal().ok() || (*node)->Status().role == Role::kLeader; },
                  absl::Seconds(10), "leadership or failure")
              .ok());
  std::vector<absl::StatusOr<uint64_t>> results;
  for (int i = 0; i < 5 && (*node)->fatal().ok(); ++i) {
    std::promise<absl::StatusOr<uint64_t>> p;
    (*node)->Propose("x", [&p](absl::StatusOr<uint64_t> r) { p.set_value(std::move(r)); });
    results.push_back(p.get_future().get());
  }
  REQUIRE(WaitFor([&] { return !(*node)->fatal().ok(); }, absl::Seconds(10), "the failure").ok());
  REQUIRE((*node)->fatal().code() == absl::StatusCode::kResourceExhausted);
  REQUIRE(WaitFor([&] { return fatal_calls.load() == 1; }, absl::Seconds(10), "on_fatal").ok());
  std::promise<absl::StatusOr<uint64_t>> p;
  (*node)->Propose("y", [&p](absl::StatusOr<uint64_t> r) { p.set_value(std::move(r)); });
  REQUIRE(p.get_future().get().status().code() == absl::StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace dcos::raft

namespace dcos::raft {
namespace {

// A transport for a member alone: it has no one to talk to.
class NoPeers final : public Transport {
 public:
  void Send(std::vector<Message>) override {}
  void SendSnapshot(Message, std::string) override {}
  void SetPeer(uint64_t, const std::string&) override {}
  void RemovePeer(uint64_t) override {}
};

TEST_CASE("on file storage, snapshots are written off the loop, adopted, and recovered from") {
  const std::string dir = testing::MakeTempDir("raft_node_snap");
  NodeOptions o;
  o.raft.id = 1;
  o.raft.initial_voters = {1};
  o.raft.election_ticks = 10;
  o.raft.seed = 1;
  o.tick_interval = absl::Milliseconds(10);
  o.snapshot_threshold = 50;
  NoPeers transport;
  std::vector<std::string> written;
  {
    auto storage = FileLogStorage::Open(Env::Default(), dir, FileLogStorage::Options{});
    REQUIRE(storage.ok());
    ListStateMachine sm;
    auto node = RaftNode::Start(o, storage->get(), &sm, &transport, clock::RealClock::Default(),
                                nullptr);
    REQUIRE(node.ok());
    REQUIRE(WaitFor([&] { return (*node)->Status().role == Role::kLeader; }, absl::Seconds(10),
                    "the lone member to lead")
                .ok());
    for (int i = 0; i < 300; ++i) {
      std::promise<absl::StatusOr<uint64_t>> p;
      auto f = p.get_future();
      written.push_back(absl::StrCat("e", i));
      (*node)->Propose(written.back(),
                       [&p](absl::StatusOr<uint64_t> r) { p.set_value(std::move(r)); });
      REQUIRE(f.get().ok());
    }
    auto snapshots = [&] {
      int n = 0;
      for (const auto& f : std::filesystem::directory_iterator(dir + "/snap")) {
        n += absl::EndsWith(f.path().string(), ".snap") ? 1 : 0;
      }
      return n;
    };
    REQUIRE(WaitFor([&] { return snapshots() > 0; }, absl::Seconds(10), "a snapshot file").ok());
    (*node)->Stop();
  }
  // A new process: the state comes back from the latest snapshot plus the log after it.
  auto storage = FileLogStorage::Open(Env::Default(), dir, FileLogStorage::Options{});
  REQUIRE(storage.ok());
  ListStateMachine sm;
  auto node =
      RaftNode::Start(o, storage->get(), &sm, &transport, clock::RealClock::Default(), nullptr);
  REQUIRE(node.ok());
  REQUIRE(WaitFor([&] { return sm.items() == written; }, absl::Seconds(10),
                  "every entry back after the restart")
              .ok());
  (*node)->Stop();
}

}  // namespace
}  // namespace dcos::raft
