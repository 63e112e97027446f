// ZkClient sessions against fake in-process members that play the Session stream: pings, a
// member that lags (answers SESSION_EXPIRED until synced), one that goes silent, expiry, and
// the watch fence (a reply held until the events before it were delivered). Real time, short
// timeouts; tests wait on conditions.

#include <atomic>
#include <thread>

#include <catch2/catch.hpp>
#include <grpcpp/server.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "libs/testing/harness.h"
#include "libs/zk/client.h"
#include "libs/zk/errors.h"
#include "libs/zk/loopback_server.h"

namespace dcos::zk::client {
namespace {

using testing::WaitFor;
constexpr int64_t kSessionId = 0x42;

// A member with sessions. Thread-safe (gRPC runs the handlers on its threads).
class FakeSessionMember final : public v1::ZooKeeper::Service {
 public:
  FakeSessionMember() {
    server_ = ServeOnLoopback(this, &address_);
  }
  ~FakeSessionMember() override { server_->Shutdown(std::chrono::system_clock::now()); }

  const std::string& address() const { return address_; }

  // Attach answers SESSION_EXPIRED until a Sync (a member behind the session's creation).
  void Lag() { Set(&lagging_, true); }
  // Pings and attaches go unanswered (a hung member).
  void Silence() { Set(&silent_, true); }
  // The next ping ends the stream with SESSION_EXPIRED.
  void Expire() { Set(&expired_, true); }
  // Events are numbered at once but written only when released.
  void HoldEvents(bool hold) {
    absl::MutexLock l(&mu_);
    hold_ = hold;
    FlushLocked();
  }
  // Queues a watch event for the attached session.
  void SendEvent(v1::WatchEvent::Type type, const std::string& path) {
    absl::MutexLock l(&mu_);
    v1::WatchEvent e;
    e.set_type(type);
    e.set_path(path);
    e.set_zxid(zxid_);
    e.set_sequence(++sequence_);
    queued_.push_back(e);
    FlushLocked();
  }

  int pings() const { return Get(pings_); }
  int attaches() const { return Get(attaches_); }
  int syncs() const { return Get(syncs_); }
  int creates() const { return Get(creates_); }
  int closes() const { return Get(closes_); }
  int calls() const { return Get(calls_); }
  int64_t last_attach_zxid() const {
    absl::MutexLock l(&mu_);
    return last_attach_zxid_;
  }

  grpc::Status CreateSession(grpc::ServerContext*, const v1::CreateSessionRequest* request,
                             v1::CreateSessionResponse* response) override {
    absl::MutexLock l(&mu_);
    ++creates_;
    response->set_session_id(kSessionId);
    *response->mutable_negotiated_timeout() = request->requested_timeout();
    response->mutable_header()->set_zxid(zxid_);
    return grpc::Status::OK;
  }
  grpc::Status CloseSession(grpc::ServerContext*, const v1::CloseSessionRequest*,
                            v1::CloseSessionResponse*) override {
    absl::MutexLock l(&mu_);
    ++closes_;
    return grpc::Status::OK;
  }
  grpc::Status Sync(grpc::ServerContext*, const v1::SyncRequest*,
                    v1::SyncResponse* response) override {
    absl::MutexLock l(&mu_);
    ++syncs_;
    lagging_ = false;
    response->mutable_header()->set_zxid(zxid_);
    return grpc::Status::OK;
  }
  grpc::Status GetData(grpc::ServerContext*, const v1::GetDataRequest* request,
                       v1::GetDataResponse* response) override {
    absl::MutexLock l(&mu_);
    ++calls_;
    response->set_data("d");
    response->mutable_stat()->set_mzxid(zxid_);
    response->mutable_header()->set_zxid(zxid_);
    if (request->session_id() != 0) response->mutable_header()->set_watch_sequence(sequence_);
    return grpc::Status::OK;
  }

  grpc::Status Session(
      grpc::ServerContext*,
      grpc::ServerReaderWriter<v1::SessionResponse, v1::SessionRequest>* stream) override {
    v1::SessionRequest request;
    if (!stream->Read(&request) || !request.has_attach()) return grpc::Status::OK;
    if (Get(silent_)) {
      while (stream->Read(&request)) {
      }
      return grpc::Status::OK;
    }
    {
      absl::MutexLock l(&mu_);
      ++attaches_;
      last_attach_zxid_ = request.attach().last_zxid_seen();
      if (lagging_ || expired_) return ExpiredStatus();
      v1::SessionResponse attached;
      attached.mutable_attached()->set_session_id(kSessionId);
      attached.mutable_attached()->mutable_header()->set_zxid(zxid_);
      stream->Write(attached);
      stream_ = stream;
      FlushLocked();
    }
    grpc::Status result = grpc::Status::OK;
    while (stream->Read(&request)) {
      absl::MutexLock l(&mu_);
      if (!request.has_ping()) continue;
      ++pings_;
      if (expired_) {
        result = ExpiredStatus();
        break;
      }
      if (silent_) continue;
      v1::SessionResponse pong;
      pong.mutable_pong()->mutable_header()->set_zxid(zxid_);
      stream->Write(pong);
    }
    absl::MutexLock l(&mu_);
    stream_ = nullptr;
    return result;
  }

 private:
  static grpc::Status ExpiredStatus() {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        "SESSION_EXPIRED session 66 is not live (expired or closed)");
  }
  void FlushLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (hold_ || stream_ == nullptr) return;
    for (const v1::WatchEvent& e : queued_) {
      v1::SessionResponse out;
      *out.mutable_watch_event() = e;
      stream_->Write(out);
    }
    queued_.clear();
  }
  void Set(bool* flag, bool value) {
    absl::MutexLock l(&mu_);
    *flag = value;
  }
  template <typename T>
  T Get(const T& value) const {
    absl::MutexLock l(&mu_);
    return value;
  }

  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  mutable absl::Mutex mu_;
  bool lagging_ ABSL_GUARDED_BY(mu_) = false;
  bool silent_ ABSL_GUARDED_BY(mu_) = false;
  bool expired_ ABSL_GUARDED_BY(mu_) = false;
  bool hold_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ServerReaderWriter<v1::SessionResponse, v1::SessionRequest>* stream_
      ABSL_GUARDED_BY(mu_) = nullptr;
  std::vector<v1::WatchEvent> queued_ ABSL_GUARDED_BY(mu_);
  uint64_t sequence_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t zxid_ ABSL_GUARDED_BY(mu_) = 7;
  int64_t last_attach_zxid_ ABSL_GUARDED_BY(mu_) = 0;
  int pings_ ABSL_GUARDED_BY(mu_) = 0;
  int attaches_ ABSL_GUARDED_BY(mu_) = 0;
  int syncs_ ABSL_GUARDED_BY(mu_) = 0;
  int creates_ ABSL_GUARDED_BY(mu_) = 0;
  int closes_ ABSL_GUARDED_BY(mu_) = 0;
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
};

// Session states heard, in order. Thread-safe.
struct States {
  absl::Mutex mu;
  std::vector<SessionState> seen;
  SessionListener Listener() {
    return [this](SessionState s) {
      absl::MutexLock l(&mu);
      seen.push_back(s);
    };
  }
  std::vector<SessionState> Get() {
    absl::MutexLock l(&mu);
    return seen;
  }
  bool Has(SessionState s, size_t n = 1) {
    size_t count = 0;
    for (SessionState x : Get()) count += x == s;
    return count >= n;
  }
};

std::unique_ptr<ZkClient> Connect(std::vector<std::string> ensemble, absl::Duration timeout,
                                  States* states,
                                  absl::Duration call_timeout = absl::Seconds(1)) {
  ZkClient::Options o;
  o.ensemble = std::move(ensemble);
  o.seed = 0;  // the first member first
  o.call_timeout = call_timeout;
  o.retry_budget = absl::Seconds(2);
  o.session = ZkClient::Options::Session{timeout, states->Listener()};
  auto client = ZkClient::Connect(o);
  INFO(client.status().ToString());
  REQUIRE(client.ok());
  return std::move(*client);
}

TEST_CASE("session: the granted timeout, pings at a third of it, close on destruction") {
  FakeSessionMember m;
  States states;
  {
    auto zk = Connect({m.address()}, absl::Milliseconds(600), &states);
    CHECK(zk->session_id() == kSessionId);
    CHECK(zk->session_timeout() == absl::Milliseconds(600));
    CHECK(zk->session_state() == SessionState::kConnected);
    CHECK(m.creates() == 1);
    REQUIRE(WaitFor([&] { return m.pings() >= 5; }, absl::Seconds(5), "pings").ok());
    CHECK(zk->session_state() == SessionState::kConnected);
    CHECK(zk->session_alive_until() > absl::Now());
    CHECK(m.closes() == 0);
  }
  CHECK(m.closes() == 1);
  // The destructor tells no listener; only the first attach was heard.
  CHECK(states.Get() == std::vector<SessionState>{SessionState::kConnected});
}

TEST_CASE("session: a member that lags behind the session's creation is synced, not believed") {
  FakeSessionMember m;
  m.Lag();
  States states;
  ZkClient::Options o;
  o.ensemble = {m.address()};
  o.session = ZkClient::Options::Session{absl::Seconds(2), nullptr};
  auto c = ZkClient::Connect(o);
  INFO(c.status() << " syncs " << m.syncs() << " attaches " << m.attaches());
  REQUIRE(c.ok());
  auto zk = std::move(*c);
  CHECK(zk->session_state() == SessionState::kConnected);
  CHECK(m.syncs() == 1);
  CHECK(m.attaches() == 2);
}

TEST_CASE("session: a silent member is left; the session re-attaches with its last zxid") {
  FakeSessionMember a, b;
  States states;
  auto zk = Connect({a.address(), b.address()}, absl::Milliseconds(900), &states);
  CHECK(zk->connected_address() == a.address());
  a.Silence();
  REQUIRE(WaitFor([&] { return states.Has(SessionState::kConnected, 2); }, absl::Seconds(5),
                  "re-attach")
              .ok());
  CHECK(states.Get() == std::vector<SessionState>{SessionState::kConnected,
                                                  SessionState::kDisconnected,
                                                  SessionState::kConnected});
  CHECK(b.attaches() == 1);
  CHECK(b.last_attach_zxid() == 7);
  CHECK(zk->connected_address() == b.address());
  REQUIRE(WaitFor([&] { return b.pings() >= 2; }, absl::Seconds(5), "pings to b").ok());
  CHECK(zk->session_id() == kSessionId);
}

TEST_CASE("session: expiry is final -- SESSION_EXPIRED without a call, watches told") {
  FakeSessionMember m;
  States states;
  auto zk = Connect({m.address()}, absl::Milliseconds(600), &states);
  std::atomic<int> told{0};
  REQUIRE(zk->GetDataAndWatch("/a", [&](const WatchEvent& e) {
              if (e.type == WatchEvent::Type::kSessionExpired && e.path == "/a") ++told;
            }).ok());
  m.Expire();
  REQUIRE(WaitFor([&] { return states.Has(SessionState::kExpired); }, absl::Seconds(5),
                  "expiry")
              .ok());
  REQUIRE(WaitFor([&] { return told.load() == 1; }, absl::Seconds(5), "the watch").ok());
  int calls = m.calls();
  absl::Status read = zk->GetData("/a").status();
  CHECK(read.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(ErrorCodeOf(read) == v1::ERROR_CODE_SESSION_EXPIRED);
  CHECK(ErrorCodeOf(zk->Create("/e", "", v1::CREATE_MODE_EPHEMERAL).status()) ==
        v1::ERROR_CODE_SESSION_EXPIRED);
  CHECK(m.calls() == calls);
  CHECK(m.creates() == 1);  // never a new session
  CHECK(zk->session_state() == SessionState::kExpired);
}

TEST_CASE("session: no member answering for the whole timeout ends the session") {
  FakeSessionMember a, b;
  States states;
  auto zk = Connect({a.address(), b.address()}, absl::Milliseconds(600), &states);
  a.Silence();
  b.Silence();
  absl::Time silenced = absl::Now();
  REQUIRE(WaitFor([&] { return states.Has(SessionState::kExpired); }, absl::Seconds(5),
                  "local expiry")
              .ok());
  CHECK(absl::Now() - silenced < absl::Seconds(2));
  CHECK(ErrorCodeOf(zk->Sync()) == v1::ERROR_CODE_SESSION_EXPIRED);
  // It told the ensemble, so the session's ephemeral nodes go now.
  REQUIRE(WaitFor([&] { return a.closes() + b.closes() == 1; }, absl::Seconds(5), "close").ok());
}

TEST_CASE("session: lost at alive_until even while an attach to a silent member hangs") {
  // Members that swallow packets (a partition that drops them): the re-attach to b is never
  // answered. The client must still report the session lost when it may have expired on the
  // ensemble (alive_until), not when the attach's call_timeout (5 s) gives up: a leader
  // steps down on that report, and its successor may be elected from then on.
  FakeSessionMember a, b;
  States states;
  absl::Mutex mu;
  absl::Time expired_at = absl::InfiniteFuture();
  auto zk = Connect({a.address(), b.address()}, absl::Milliseconds(600), &states,
                    /*call_timeout=*/absl::Seconds(5));
  zk->AddSessionListener([&](SessionState s) {
    absl::MutexLock l(&mu);
    if (s == SessionState::kExpired) expired_at = absl::Now();
  });
  a.Silence();
  b.Silence();
  absl::Time alive_until = zk->session_alive_until();
  REQUIRE(WaitFor([&] {
            absl::Time u = zk->session_alive_until();
            if (u != absl::InfinitePast()) alive_until = u;  // pongs already in flight
            return states.Has(SessionState::kExpired);
          }, absl::Seconds(10), "local expiry").ok());
  absl::MutexLock l(&mu);
  INFO("expired " << absl::FormatDuration(expired_at - alive_until) << " after alive_until");
  CHECK(expired_at >= alive_until);
  // Not when the attach's call_timeout (5 s) gives up; the bound leaves a loaded machine room
  // for a late wake-up.
  CHECK(expired_at - alive_until < absl::Seconds(2));
  CHECK(b.attaches() == 0);  // b swallowed the attach (it counts only those it answers)
}

TEST_CASE("watch fence: a reply waits until the events before it were delivered") {
  FakeSessionMember m;
  States states;
  auto zk = Connect({m.address()}, absl::Seconds(5), &states);
  std::atomic<bool> watcher_ran{false};
  REQUIRE(zk->GetDataAndWatch("/a", [&](const WatchEvent& e) {
              CHECK(e.type == WatchEvent::Type::kNodeDataChanged);
              watcher_ran = true;
            }).ok());
  m.HoldEvents(true);
  m.SendEvent(v1::WatchEvent::TYPE_NODE_DATA_CHANGED, "/a");  // number 1, not sent yet
  std::atomic<bool> returned{false};
  std::thread reader([&] {
    REQUIRE(zk->GetData("/a").ok());  // its reply carries watch_sequence 1
    CHECK(watcher_ran.load());
    returned = true;
  });
  absl::SleepFor(absl::Milliseconds(200));  // only ever passes wrongly, never fails wrongly
  CHECK_FALSE(returned.load());
  m.HoldEvents(false);
  reader.join();
  CHECK(returned.load());
}

}  // namespace
}  // namespace dcos::zk::client
