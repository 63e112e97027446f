// Three real dcos-zk processes on loopback: writes through the leader, redirects from
// followers, reads everywhere, bad input refused, kill -9 of the leader while writing (no
// acknowledged write lost, writes resume), and a restart of the whole ensemble.

#include <signal.h>

#include <atomic>
#include <map>
#include <set>
#include <thread>

#include <catch2/catch.hpp>
#include <grpcpp/create_channel.h>

#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/testing/harness.h"
#include "libs/testing/process.h"
#include "libs/status/grpc_status.h"
#include "protos/common/v1/errors.pb.h"
#include "protos/zk/v1/errors.pb.h"
#include "protos/zk/v1/zookeeper.grpc.pb.h"

namespace dcos::testing {
namespace {

using dcos::zk::v1::ZooKeeper;

class Ensemble {
 public:
  Ensemble() : dir_(MakeTempDir("zk")) {
    for (int i = 1; i <= 3; ++i) addresses_.push_back(absl::StrCat("127.0.0.1:", FreePort()));
    for (int i = 1; i <= 3; ++i) Start(i);
    for (int i = 1; i <= 3; ++i) {
      REQUIRE(WaitServing(addresses_[i - 1], grpc::InsecureChannelCredentials(),
                          absl::Seconds(30))
                  .ok());
    }
  }

  void Start(int id) {
    std::vector<std::string> peers;
    for (int i = 1; i <= 3; ++i) peers.push_back(absl::StrCat(i, "=", addresses_[i - 1]));
    auto p = TestProcess::Start(
        {absl::StrCat("zk", id, "-", ++starts_), Runfile("services/zk-ensemble/dcos-zk"),
         {absl::StrCat("--raft.id=", id), "--raft.peers=" + absl::StrJoin(peers, ","),
          absl::StrCat("--raft.dir=", dir_, "/m", id), "--raft.tick=20ms",
          "--grpc.listen=" + addresses_[id - 1], "--metrics.listen=", "--shutdown.grace=1s",
          "--zk.min_session_timeout=300ms", "--zk.max_session_timeout=5s"},
         dir_});
    REQUIRE(p.ok());
    procs_[id] = std::move(*p);
  }

  void Kill(int id) {
    procs_[id]->Signal(SIGKILL);
    REQUIRE(procs_[id]->WaitExit(absl::Seconds(10)).ok());
  }

  std::unique_ptr<ZooKeeper::Stub> Stub(int id) {
    return ZooKeeper::NewStub(
        grpc::CreateChannel(addresses_[id - 1], grpc::InsecureChannelCredentials()));
  }

  // Creates `path` on whichever member leads; returns the member that accepted it, 0 if none
  // did within `timeout`.
  int CreateAnywhere(const std::string& path, const std::string& data, absl::Duration timeout) {
    int accepted = 0;
    absl::Status waited = WaitFor(
        [&] {
          for (int id = 1; id <= 3; ++id) {
            if (!procs_[id]->Running()) continue;
            grpc::ClientContext ctx;
            ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
            zk::v1::CreateRequest req;
            req.set_path(path);
            req.set_data(data);
            zk::v1::CreateResponse resp;
            grpc::Status s = Stub(id)->Create(&ctx, req, &resp);
            if (s.ok() || s.error_code() == grpc::StatusCode::ALREADY_EXISTS) {
              accepted = id;
              return true;
            }
          }
          return false;
        },
        timeout, "a leader to accept " + path);
    return waited.ok() ? accepted : 0;
  }

  absl::StatusOr<std::string> Get(int id, const std::string& path, bool linearizable) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    zk::v1::GetDataRequest req;
    req.set_path(path);
    req.mutable_read_options()->set_linearizable(linearizable);
    zk::v1::GetDataResponse resp;
    grpc::Status s = Stub(id)->GetData(&ctx, req, &resp);
    if (!s.ok()) {
      return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
    }
    return resp.data();
  }

  TestProcess& proc(int id) { return *procs_[id]; }

  // The password CreateSession got for `session` ("" for one it did not create).
  std::string Password(int64_t session) const {
    auto it = passwords_.find(session);
    return it == passwords_.end() ? "" : it->second;
  }

  // Creates a session on the leader (retrying through redirects).
  int64_t CreateSession(absl::Duration timeout) {
    int64_t id = 0;
    REQUIRE(WaitFor(
                [&] {
                  for (int m = 1; m <= 3; ++m) {
                    if (!procs_[m]->Running()) continue;
                    grpc::ClientContext ctx;
                    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
                    zk::v1::CreateSessionRequest req;
                    req.mutable_requested_timeout()->set_seconds(absl::ToInt64Seconds(timeout));
                    req.mutable_requested_timeout()->set_nanos(static_cast<int32_t>(
                        absl::ToInt64Nanoseconds(timeout) % 1000000000));
                    zk::v1::CreateSessionResponse resp;
                    if (Stub(m)->CreateSession(&ctx, req, &resp).ok()) {
                      id = resp.session_id();
                      passwords_[id] = resp.password();
                      return true;
                    }
                  }
                  return false;
                },
                absl::Seconds(20), "a session")
                .ok());
    return id;
  }

  grpc::Status CreateEphemeral(int member, int64_t session, const std::string& path) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    zk::v1::CreateRequest req;
    req.set_path(path);
    req.set_session_id(session);
    req.set_mode(zk::v1::CREATE_MODE_EPHEMERAL);
    zk::v1::CreateResponse resp;
    return Stub(member)->Create(&ctx, req, &resp);
  }

  int Leader() {
    for (int m = 1; m <= 3; ++m) {
      if (!procs_[m]->Running()) continue;
      grpc::ClientContext ctx;
      zk::v1::CreateRequest req;
      req.set_path("/leader-probe");
      zk::v1::CreateResponse resp;
      grpc::Status s = Stub(m)->Create(&ctx, req, &resp);
      if (s.ok() || s.error_code() == grpc::StatusCode::ALREADY_EXISTS) return m;
    }
    return 0;
  }

 private:
  std::string dir_;
  std::vector<std::string> addresses_;
  std::map<int, std::unique_ptr<TestProcess>> procs_;
  int starts_ = 0;
  std::map<int64_t, std::string> passwords_;  // of the sessions CreateSession made
};

TEST_CASE("dcos-zk: writes go through the leader, followers redirect, everyone reads") {
  Ensemble e;
  int leader = e.CreateAnywhere("/app", "v1", absl::Seconds(30));
  REQUIRE(leader != 0);
  int follower = leader == 1 ? 2 : 1;
  // A follower refuses writes and names the leader.
  {
    // (Until the follower hears from the new leader it answers "no leader is known".)
    grpc::Status s;
    REQUIRE(WaitFor(
                [&] {
                  grpc::ClientContext ctx;
                  zk::v1::CreateRequest req;
                  req.set_path("/other");
                  zk::v1::CreateResponse resp;
                  s = e.Stub(follower)->Create(&ctx, req, &resp);
                  return !absl::StrContains(s.error_message(), "no leader is known");
                },
                absl::Seconds(10), "the follower to know the leader")
                .ok());
    REQUIRE(s.error_code() == grpc::StatusCode::UNAVAILABLE);
    INFO(s.error_message());
    REQUIRE(absl::StrContains(s.error_message(), absl::StrCat("leader is member ", leader)));
    // ...and as a LeaderInfo detail.
    absl::Status back = status::FromGrpc(s);
    auto payload = back.GetPayload(status::TypeUrl("dcos.common.v1.LeaderInfo"));
    REQUIRE(payload.has_value());
    common::v1::LeaderInfo info;
    REQUIRE(info.ParseFromString(std::string(*payload)));
    REQUIRE(info.known());
    REQUIRE(info.leader_id() == std::to_string(leader));
  }
  // A linearizable read on a follower sees the write at once.
  REQUIRE(*e.Get(follower, "/app", true) == "v1");
  REQUIRE(WaitFor([&] { return e.Get(3, "/app", false).ok(); }, absl::Seconds(10),
                  "the write on every member")
              .ok());
  // Conditional set, then a stale one.
  {
    grpc::ClientContext ctx;
    zk::v1::SetDataRequest req;
    req.set_path("/app");
    req.set_data("v2");
    req.set_expected_version(0);
    zk::v1::SetDataResponse resp;
    REQUIRE(e.Stub(leader)->SetData(&ctx, req, &resp).ok());
    REQUIRE(resp.stat().version() == 1);
    grpc::ClientContext ctx2;
    grpc::Status stale = e.Stub(leader)->SetData(&ctx2, req, &resp);
    REQUIRE(stale.error_code() == grpc::StatusCode::ABORTED);
    // The ZooKeeper error code travels as a ZkError detail.
    auto zk_error = status::FromGrpc(stale).GetPayload(status::TypeUrl("dcos.zk.v1.ZkError"));
    REQUIRE(zk_error.has_value());
    zk::v1::ZkError err;
    REQUIRE(err.ParseFromString(std::string(*zk_error)));
    REQUIRE(err.code() == zk::v1::ERROR_CODE_BAD_VERSION);
    REQUIRE(err.path() == "/app");
  }
  // Bad input: clear errors, nothing changes.
  {
    grpc::ClientContext ctx;
    zk::v1::CreateRequest req;
    req.set_path("no-slash");
    zk::v1::CreateResponse resp;
    REQUIRE(e.Stub(leader)->Create(&ctx, req, &resp).error_code() ==
            grpc::StatusCode::INVALID_ARGUMENT);
    grpc::ClientContext ctx2;
    req.set_path("/big");
    req.set_data(std::string((1 << 20) + 1, 'x'));
    REQUIRE(e.Stub(leader)->Create(&ctx2, req, &resp).error_code() ==
            grpc::StatusCode::INVALID_ARGUMENT);
    REQUIRE(e.Get(leader, "/big", true).status().code() == absl::StatusCode::kNotFound);
  }
}

TEST_CASE("dcos-zk: kill -9 of the leader loses no acknowledged write; a full restart keeps all") {
  Ensemble e;
  int leader = e.CreateAnywhere("/k0", "0", absl::Seconds(30));
  REQUIRE(leader != 0);
  std::vector<std::string> acknowledged = {"/k0"};
  for (int i = 1; i < 20; ++i) {
    std::string path = absl::StrCat("/k", i);
    REQUIRE(e.CreateAnywhere(path, absl::StrCat(i), absl::Seconds(10)) != 0);
    acknowledged.push_back(path);
  }
  e.Kill(leader);
  absl::Time killed = absl::Now();
  int next = e.CreateAnywhere("/after-kill", "x", absl::Seconds(30));
  REQUIRE(next != 0);
  REQUIRE(next != leader);
  std::printf("dcos-zk failover: first write %lld ms after kill -9 of the leader\n",
              static_cast<long long>(absl::ToInt64Milliseconds(absl::Now() - killed)));
  acknowledged.push_back("/after-kill");
  e.Start(leader);
  // Every member, including the restarted one, has every acknowledged write.
  for (int id = 1; id <= 3; ++id) {
    REQUIRE(WaitFor([&] { return e.Get(id, "/after-kill", false).ok(); }, absl::Seconds(20),
                    "member to catch up")
                .ok());
    for (const std::string& p : acknowledged) REQUIRE(e.Get(id, p, false).ok());
  }
  // Whole-ensemble power loss.
  for (int id = 1; id <= 3; ++id) e.Kill(id);
  for (int id = 1; id <= 3; ++id) e.Start(id);
  REQUIRE(e.CreateAnywhere("/after-restart", "y", absl::Seconds(30)) != 0);
  // A linearizable read on a member that has not yet heard from the new leader is refused
  // (UNAVAILABLE, retry): wait until member 1 answers, then every write must be there.
  REQUIRE(WaitFor([&] { return e.Get(1, "/after-restart", true).ok(); }, absl::Seconds(20),
                  "member 1 to serve linearizable reads")
              .ok());
  for (const std::string& p : acknowledged) REQUIRE(e.Get(1, p, true).ok());
}

// Keeps a session alive by pinging through one member, on its own thread, until stopped.
class Pinger {
 public:
  Pinger(Ensemble& e, int member, int64_t session) {
    thread_ = std::thread([this, &e, member, session, password = e.Password(session)] {
      auto stub = e.Stub(member);
      grpc::ClientContext ctx;
      auto stream = stub->Session(&ctx);
      zk::v1::SessionRequest attach;
      attach.mutable_attach()->set_session_id(session);
      attach.mutable_attach()->set_password(password);
      zk::v1::SessionResponse resp;
      if (!stream->Write(attach) || !stream->Read(&resp) || !resp.has_attached()) {
        failed_ = true;
        return;
      }
      while (!stop_.load()) {
        zk::v1::SessionRequest ping;
        ping.mutable_ping();
        if (!stream->Write(ping) || !stream->Read(&resp)) {
          failed_ = true;
          return;
        }
        pongs_.fetch_add(1);
        std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the client's ping period
      }
      stream->WritesDone();
      (void)stream->Finish();
    });
  }
  ~Pinger() { Stop(); }
  void Stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
  }
  int pongs() const { return pongs_.load(); }
  bool failed() const { return failed_.load(); }

 private:
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> failed_{false};
  std::atomic<int> pongs_{0};
};

TEST_CASE("dcos-zk sessions: pings keep ephemerals, silence expires them, close removes them") {
  Ensemble e;
  int leader = e.Leader();
  REQUIRE(WaitFor([&] { return (leader = e.Leader()) != 0; }, absl::Seconds(30), "a leader").ok());
  int follower = leader == 1 ? 2 : 1;
  int64_t session = e.CreateSession(absl::Milliseconds(600));
  REQUIRE(session != 0);
  REQUIRE(e.CreateEphemeral(leader, session, "/eph").ok());
  {
    // Pings through a follower (forwarded to the leader) keep it alive for many timeouts.
    Pinger pinger(e, follower, session);
    absl::Time until = absl::Now() + absl::Seconds(3);
    REQUIRE(WaitFor([&] { return absl::Now() > until || pinger.failed(); }, absl::Seconds(10),
                    "3 s of pings")
                .ok());
    REQUIRE_FALSE(pinger.failed());
    REQUIRE(pinger.pongs() > 20);
    REQUIRE(e.Get(leader, "/eph", true).ok());
  }
  // Silence: the leader expires the session and its ephemeral goes, on every member.
  REQUIRE(WaitFor([&] { return e.Get(leader, "/eph", true).status().code() ==
                               absl::StatusCode::kNotFound; },
                  absl::Seconds(10), "the session to expire")
              .ok());
  grpc::Status late = e.CreateEphemeral(leader, session, "/eph2");
  REQUIRE(late.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  REQUIRE(absl::StrContains(late.error_message(), "SESSION_EXPIRED"));

  // Close removes ephemerals at once.
  int64_t second = e.CreateSession(absl::Seconds(5));
  REQUIRE(e.CreateEphemeral(leader, second, "/mine").ok());
  grpc::ClientContext ctx;
  zk::v1::CloseSessionRequest close;
  close.set_session_id(second);
  close.set_password(e.Password(second));
  zk::v1::CloseSessionResponse closed;
  REQUIRE(e.Stub(leader)->CloseSession(&ctx, close, &closed).ok());
  REQUIRE(e.Get(leader, "/mine", true).status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE("dcos-zk sessions: a session pinging through a follower survives kill -9 of the leader") {
  Ensemble e;
  int leader = 0;
  REQUIRE(WaitFor([&] { return (leader = e.Leader()) != 0; }, absl::Seconds(30), "a leader").ok());
  int follower = leader == 1 ? 2 : 1;
  int64_t session = e.CreateSession(absl::Milliseconds(1500));
  REQUIRE(e.CreateEphemeral(leader, session, "/lives").ok());
  Pinger pinger(e, follower, session);
  e.Kill(leader);
  int next = 0;
  REQUIRE(WaitFor([&] { return (next = e.Leader()) != 0; }, absl::Seconds(30), "a new leader").ok());
  // Several timeouts later the ephemeral is still there.
  absl::Time until = absl::Now() + absl::Seconds(4);
  REQUIRE(WaitFor([&] { return absl::Now() > until; }, absl::Seconds(10), "4 s").ok());
  REQUIRE_FALSE(pinger.failed());
  REQUIRE(e.Get(next, "/lives", true).ok());
}

// A session's stream, collecting its watch events on a thread (and pinging to stay alive).
class EventStream {
 public:
  EventStream(Ensemble& e, int member, int64_t session) : stub_(e.Stub(member)) {
    stream_ = stub_->Session(&ctx_);
    zk::v1::SessionRequest attach;
    attach.mutable_attach()->set_session_id(session);
    attach.mutable_attach()->set_password(e.Password(session));
    REQUIRE(stream_->Write(attach));
    reader_ = std::thread([this] {
      zk::v1::SessionResponse resp;
      while (stream_->Read(&resp)) {
        if (resp.has_watch_event()) {
          absl::MutexLock lock(&mu_);
          events_.push_back(resp.watch_event());
        }
      }
    });
    pinger_ = std::thread([this] {
      while (!stop_.load()) {
        zk::v1::SessionRequest ping;
        ping.mutable_ping();
        {
          absl::MutexLock lock(&write_mu_);
          if (!stream_->Write(ping)) return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the client's ping period
      }
    });
  }
  ~EventStream() {
    stop_.store(true);
    pinger_.join();
    {
      absl::MutexLock lock(&write_mu_);
      stream_->WritesDone();
    }
    ctx_.TryCancel();
    reader_.join();
  }
  std::vector<zk::v1::WatchEvent> events() {
    absl::MutexLock lock(&mu_);
    return events_;
  }
  void Send(const zk::v1::SessionRequest& request) {
    absl::MutexLock lock(&write_mu_);
    REQUIRE(stream_->Write(request));
  }

 private:
  std::unique_ptr<ZooKeeper::Stub> stub_;
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReaderWriter<zk::v1::SessionRequest, zk::v1::SessionResponse>>
      stream_;
  absl::Mutex mu_, write_mu_;
  std::vector<zk::v1::WatchEvent> events_;
  std::atomic<bool> stop_{false};
  std::thread reader_, pinger_;
};

TEST_CASE("dcos-zk watches: one-shot data, exists and child watches fire once, in order") {
  Ensemble e;
  int leader = 0;
  REQUIRE(WaitFor([&] { return (leader = e.Leader()) != 0; }, absl::Seconds(30), "a leader").ok());
  int member = leader == 1 ? 2 : 1;  // watches live on the member the session talks to
  int64_t session = e.CreateSession(absl::Seconds(5));
  REQUIRE(e.CreateAnywhere("/w", "0", absl::Seconds(10)) != 0);
  REQUIRE(WaitFor([&] { return e.Get(member, "/w", false).ok(); }, absl::Seconds(10),
                  "the member to have /w")
              .ok());
  EventStream stream(e, member, session);
  // A watch without a session is refused.
  {
    grpc::ClientContext ctx;
    zk::v1::GetDataRequest req;
    req.set_path("/w");
    req.set_watch(true);
    zk::v1::GetDataResponse resp;
    REQUIRE(e.Stub(member)->GetData(&ctx, req, &resp).error_code() ==
            grpc::StatusCode::INVALID_ARGUMENT);
  }
  auto watch_read = [&](const std::string& path, bool children) {
    grpc::ClientContext ctx;
    if (children) {
      zk::v1::GetChildrenRequest req;
      req.set_path(path);
      req.set_watch(true);
      req.set_session_id(session);
      zk::v1::GetChildrenResponse resp;
      return e.Stub(member)->GetChildren(&ctx, req, &resp);
    }
    zk::v1::ExistsRequest req;
    req.set_path(path);
    req.set_watch(true);
    req.set_session_id(session);
    zk::v1::ExistsResponse resp;
    return e.Stub(member)->Exists(&ctx, req, &resp);
  };
  REQUIRE(watch_read("/w", false).ok());       // data watch on an existing node
  REQUIRE(watch_read("/later", false).ok());   // exists watch on a missing node
  REQUIRE(watch_read("/", true).ok());         // child watch on the root
  auto set = [&](const std::string& data) {
    grpc::ClientContext ctx;
    zk::v1::SetDataRequest req;
    req.set_path("/w");
    req.set_data(data);
    zk::v1::SetDataResponse resp;
    return e.Stub(leader)->SetData(&ctx, req, &resp);
  };
  REQUIRE(set("1").ok());
  REQUIRE(set("2").ok());  // the data watch was one-shot: no second event
  REQUIRE(e.CreateAnywhere("/later", "x", absl::Seconds(10)) != 0);
  REQUIRE(WaitFor([&] { return stream.events().size() >= 3; }, absl::Seconds(10),
                  "three watch events")
              .ok());
  // Nothing more arrives for the second set (one-shot), however long we look.
  REQUIRE_FALSE(WaitFor([&] { return stream.events().size() > 3; }, absl::Milliseconds(500),
                        "a fourth event")
                    .ok());
  auto events = stream.events();
  REQUIRE(events[0].type() == zk::v1::WatchEvent::TYPE_NODE_DATA_CHANGED);
  REQUIRE(events[0].path() == "/w");
  REQUIRE(events[0].sequence() == 1);
  // Creating /later fires the exists watch and the root's child watch, in one change.
  std::set<std::string> rest = {absl::StrCat(events[1].type(), events[1].path()),
                                absl::StrCat(events[2].type(), events[2].path())};
  REQUIRE(rest.count(absl::StrCat(zk::v1::WatchEvent::TYPE_NODE_CREATED, "/later")) == 1);
  REQUIRE(rest.count(absl::StrCat(zk::v1::WatchEvent::TYPE_NODE_CHILDREN_CHANGED, "/")) == 1);
  REQUIRE(events[2].sequence() == 3);
  REQUIRE(events[1].zxid() == events[2].zxid());
  REQUIRE(events[0].zxid() < events[1].zxid());
}

TEST_CASE("dcos-zk watches: persistent recursive, removal, and moving with SetWatches") {
  Ensemble e;
  int leader = 0;
  REQUIRE(WaitFor([&] { return (leader = e.Leader()) != 0; }, absl::Seconds(30), "a leader").ok());
  int first = leader == 1 ? 2 : 1;
  int second = 6 - leader - first;
  int64_t session = e.CreateSession(absl::Seconds(5));
  auto add_watch = [&](const std::string& path, zk::v1::AddWatchMode mode, int64_t sid) {
    grpc::ClientContext ctx;
    zk::v1::AddWatchRequest req;
    req.set_session_id(sid);
    req.set_password(e.Password(sid));
    req.set_path(path);
    req.set_mode(mode);
    zk::v1::AddWatchResponse resp;
    return e.Stub(first)->AddWatch(&ctx, req, &resp);
  };
  auto remove = [&](const std::string& path, zk::v1::WatcherType type,
                    const std::string& password) {
    grpc::ClientContext ctx;
    zk::v1::RemoveWatchesRequest req;
    req.set_session_id(session);
    req.set_password(password);
    req.set_path(path);
    req.set_type(type);
    zk::v1::RemoveWatchesResponse resp;
    return e.Stub(first)->RemoveWatches(&ctx, req, &resp);
  };
  auto set = [&](const std::string& path, const std::string& data) {
    grpc::ClientContext ctx;
    zk::v1::SetDataRequest req;
    req.set_path(path);
    req.set_data(data);
    zk::v1::SetDataResponse resp;
    REQUIRE(e.Stub(leader)->SetData(&ctx, req, &resp).ok());
    return resp.header().zxid();
  };

  // Bad requests change nothing. (The session was created on the leader a moment ago; the
  // member catches up before it would call it expired.)
  CHECK(add_watch("/p", zk::v1::ADD_WATCH_MODE_PERSISTENT_RECURSIVE, 0).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(add_watch("/p", zk::v1::ADD_WATCH_MODE_UNSPECIFIED, session).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(add_watch("no-slash", zk::v1::ADD_WATCH_MODE_PERSISTENT, session).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(add_watch("/p", zk::v1::ADD_WATCH_MODE_PERSISTENT, 12345).error_code() !=
        grpc::StatusCode::OK);  // not a live session

  int64_t last_zxid = 0;
  {
    EventStream stream(e, first, session);
    REQUIRE(add_watch("/p", zk::v1::ADD_WATCH_MODE_PERSISTENT_RECURSIVE, session).ok());
    REQUIRE(e.CreateAnywhere("/p", "", absl::Seconds(10)) != 0);
    REQUIRE(e.CreateAnywhere("/p/a", "", absl::Seconds(10)) != 0);
    set("/p/a", "1");
    set("/p/a", "2");  // persistent: fires again
    REQUIRE(WaitFor([&] { return stream.events().size() >= 4; }, absl::Seconds(10), "4 events")
                .ok());
    auto events = stream.events();
    CHECK(events[0].type() == zk::v1::WatchEvent::TYPE_NODE_CREATED);
    CHECK(events[0].path() == "/p");
    CHECK(events[1].type() == zk::v1::WatchEvent::TYPE_NODE_CREATED);
    CHECK(events[1].path() == "/p/a");  // no CHILDREN_CHANGED for a recursive watch
    CHECK(events[2].type() == zk::v1::WatchEvent::TYPE_NODE_DATA_CHANGED);
    CHECK(events[3].type() == zk::v1::WatchEvent::TYPE_NODE_DATA_CHANGED);
    CHECK(events[3].path() == "/p/a");

    // Someone who knows the session id but not its password removes nothing.
    grpc::Status refused = remove("/p", zk::v1::WATCHER_TYPE_PERSISTENT, "not the password");
    CHECK(refused.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
    CHECK(absl::StrContains(refused.error_message(), "SESSION_EXPIRED"));
    REQUIRE(remove("/p", zk::v1::WATCHER_TYPE_PERSISTENT, e.Password(session)).ok());
    CHECK(remove("/p", zk::v1::WATCHER_TYPE_PERSISTENT, e.Password(session)).error_code() ==
          grpc::StatusCode::NOT_FOUND);  // NO_WATCHER
    REQUIRE(WaitFor([&] { return stream.events().size() >= 5; }, absl::Seconds(10),
                    "the removal event")
                .ok());
    CHECK(stream.events()[4].type() == zk::v1::WatchEvent::TYPE_PERSISTENT_WATCH_REMOVED);
    last_zxid = set("/p/a", "3");  // no watch left: no event
    // A one-shot data watch, then the client goes away from this member.
    grpc::ClientContext ctx;
    zk::v1::GetDataRequest req;
    req.set_path("/p/a");
    req.set_watch(true);
    req.set_session_id(session);
    req.mutable_read_options()->set_linearizable(true);  // after the last set, not before
    zk::v1::GetDataResponse resp;
    REQUIRE(e.Stub(first)->GetData(&ctx, req, &resp).ok());
    last_zxid = std::max(last_zxid, resp.header().zxid());
    REQUIRE_FALSE(WaitFor([&] { return stream.events().size() > 5; }, absl::Milliseconds(300),
                          "an event after removal")
                      .ok());
  }
  // Missed while detached: the data change.
  set("/p/a", "4");
  EventStream moved(e, second, session);
  zk::v1::SessionRequest rewatch;
  rewatch.mutable_set_watches()->set_relative_zxid(last_zxid);
  rewatch.mutable_set_watches()->add_data_watches("/p/a");
  rewatch.mutable_set_watches()->add_child_watches("/p");
  rewatch.mutable_set_watches()->add_exist_watches("/q");
  moved.Send(rewatch);
  REQUIRE(WaitFor([&] { return moved.events().size() >= 1; }, absl::Seconds(10),
                  "the missed change").ok());
  CHECK(moved.events()[0].type() == zk::v1::WatchEvent::TYPE_NODE_DATA_CHANGED);
  CHECK(moved.events()[0].path() == "/p/a");
  CHECK(moved.events()[0].sequence() == 1);  // the first event of this session on this member
  REQUIRE(e.CreateAnywhere("/p/b", "", absl::Seconds(10)) != 0);
  REQUIRE(e.CreateAnywhere("/q", "", absl::Seconds(10)) != 0);
  REQUIRE(WaitFor([&] { return moved.events().size() >= 3; }, absl::Seconds(10),
                  "the re-registered watches to fire").ok());
  auto events = moved.events();
  CHECK(events[1].type() == zk::v1::WatchEvent::TYPE_NODE_CHILDREN_CHANGED);
  CHECK(events[1].path() == "/p");
  CHECK(events[2].type() == zk::v1::WatchEvent::TYPE_NODE_CREATED);
  CHECK(events[2].path() == "/q");
}

TEST_CASE("dcos-zk sessions: a member behind the client's zxid sends it elsewhere") {
  Ensemble e;
  int leader = 0;
  REQUIRE(WaitFor([&] { return (leader = e.Leader()) != 0; }, absl::Seconds(30), "a leader").ok());
  int64_t session = e.CreateSession(absl::Seconds(5));
  grpc::ClientContext ctx;
  auto stream = e.Stub(leader)->Session(&ctx);
  zk::v1::SessionRequest attach;
  attach.mutable_attach()->set_session_id(session);
  attach.mutable_attach()->set_password(e.Password(session));
  attach.mutable_attach()->set_last_zxid_seen(int64_t{1} << 40);  // from the future
  REQUIRE(stream->Write(attach));
  zk::v1::SessionResponse resp;
  CHECK_FALSE(stream->Read(&resp));
  grpc::Status s = stream->Finish();
  CHECK(s.error_code() == grpc::StatusCode::UNAVAILABLE);
  CHECK(s.error_message().find("try another member") != std::string::npos);
}

}  // namespace
}  // namespace dcos::testing
