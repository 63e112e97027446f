// ZkClient against fake members: in-process gRPC servers on loopback that play leader,
// follower or "no leader known" and can be told to fail, stall or answer from a lagging state.
// Covers routing, redirects, retries within the budget (on a SimClock; no real sleeps), the
// writes that must not be retried, monotonic reads and option validation.

#include "libs/zk/client.h"

#include <map>
#include <thread>

#include <catch2/catch.hpp>
#include <grpcpp/server.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/testing/harness.h"
#include "libs/zk/errors.h"
#include "libs/zk/loopback_server.h"

namespace dcos::zk::client {
namespace {

enum class Role { kLeader, kFollower, kNoLeader };

// A scripted member. Thread-safe (gRPC calls handlers on its own threads).
class FakeMember final : public v1::ZooKeeper::Service {
 public:
  FakeMember() {
    server_ = ServeOnLoopback(this, &address_);
  }
  ~FakeMember() override { server_->Shutdown(std::chrono::system_clock::now()); }

  const std::string& address() const { return address_; }

  void Lead() {
    absl::MutexLock l(&mu_);
    role_ = Role::kLeader;
  }
  // Refuses writes naming `leader`; answers reads from the leader's data (as if replicated).
  void Follow(const FakeMember& leader, uint64_t id = 9) {
    absl::MutexLock l(&mu_);
    role_ = Role::kFollower;
    read_source_ = &leader;
    redirect_ = absl::StrCat("not the leader: leader is member ", id, " at ", leader.address());
  }
  void FollowAddress(const std::string& address) {
    absl::MutexLock l(&mu_);
    role_ = Role::kFollower;
    redirect_ = absl::StrCat("not the leader: leader is member 7 at ", address);
  }
  void NoLeader() {
    absl::MutexLock l(&mu_);
    role_ = Role::kNoLeader;
  }
  // The next `n` writes (or reads) are answered with `status` before anything else happens.
  void FailWrites(grpc::Status status, int n = 1) {
    absl::MutexLock l(&mu_);
    write_failure_ = status;
    write_failures_ = n;
  }
  void FailReads(grpc::Status status, int n = 1) {
    absl::MutexLock l(&mu_);
    read_failure_ = status;
    read_failures_ = n;
  }
  void StallWrites(absl::Duration d) {
    absl::MutexLock l(&mu_);
    write_stall_ = d;
  }
  void StallReads(absl::Duration d) {
    absl::MutexLock l(&mu_);
    read_stall_ = d;
  }
  // Local reads answer NO_NODE (a follower that has not applied anything yet); linearizable
  // reads are served as before.
  void Lag() {
    absl::MutexLock l(&mu_);
    lagging_ = true;
  }

  int writes() const {
    absl::MutexLock l(&mu_);
    return writes_;
  }
  int reads() const {
    absl::MutexLock l(&mu_);
    return reads_;
  }
  std::vector<bool> read_linearizable() const {
    absl::MutexLock l(&mu_);
    return read_linearizable_;
  }

  grpc::Status Create(grpc::ServerContext*, const v1::CreateRequest* request,
                      v1::CreateResponse* response) override {
    return Write(request->path(), request->data(), response->mutable_header(), [&] {
      response->set_path(request->path());
    });
  }
  grpc::Status SetData(grpc::ServerContext*, const v1::SetDataRequest* request,
                       v1::SetDataResponse* response) override {
    return Write(request->path(), request->data(), response->mutable_header(), [&] {
      response->mutable_stat()->set_version(1);
    });
  }
  grpc::Status GetData(grpc::ServerContext*, const v1::GetDataRequest* request,
                       v1::GetDataResponse* response) override {
    absl::Duration stall;
    {
      absl::MutexLock l(&mu_);
      ++reads_;
      read_linearizable_.push_back(request->read_options().linearizable());
      if (read_failures_ > 0) {
        --read_failures_;
        return read_failure_;
      }
      stall = read_stall_;
    }
    absl::SleepFor(stall);
    const FakeMember* source = this;
    int64_t zxid;
    {
      absl::MutexLock l(&mu_);
      if (role_ == Role::kNoLeader && request->read_options().linearizable()) {
        return grpc::Status(grpc::StatusCode::UNAVAILABLE, "not the leader: no leader is known");
      }
      if (lagging_ && !request->read_options().linearizable()) {
        return grpc::Status(grpc::StatusCode::NOT_FOUND, "NO_NODE " + request->path());
      }
      if (read_source_ != nullptr) source = read_source_;
    }
    {
      absl::MutexLock l(&source->mu_);
      auto it = source->data_.find(request->path());
      if (it == source->data_.end()) {
        return grpc::Status(grpc::StatusCode::NOT_FOUND, "NO_NODE " + request->path());
      }
      response->set_data(it->second);
      zxid = source->zxid_;
    }
    response->mutable_header()->set_zxid(zxid);
    return grpc::Status::OK;
  }

 private:
  template <typename Fill>
  grpc::Status Write(const std::string& path, const std::string& data,
                     v1::ResponseHeader* header, Fill fill) {
    absl::Duration stall;
    {
      absl::MutexLock l(&mu_);
      ++writes_;
      if (write_failures_ > 0) {
        --write_failures_;
        return write_failure_;
      }
      if (role_ == Role::kFollower) return grpc::Status(grpc::StatusCode::UNAVAILABLE, redirect_);
      if (role_ == Role::kNoLeader) {
        return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                            "not the leader: no leader is known (election in progress)");
      }
      stall = write_stall_;
    }
    absl::SleepFor(stall);
    absl::MutexLock l(&mu_);
    data_[path] = data;
    header->set_zxid(++zxid_);
    fill();
    return grpc::Status::OK;
  }

  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  mutable absl::Mutex mu_;
  Role role_ ABSL_GUARDED_BY(mu_) = Role::kLeader;
  std::string redirect_ ABSL_GUARDED_BY(mu_);
  grpc::Status write_failure_ ABSL_GUARDED_BY(mu_), read_failure_ ABSL_GUARDED_BY(mu_);
  int write_failures_ ABSL_GUARDED_BY(mu_) = 0;
  int read_failures_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Duration write_stall_ ABSL_GUARDED_BY(mu_);
  absl::Duration read_stall_ ABSL_GUARDED_BY(mu_);
  bool lagging_ ABSL_GUARDED_BY(mu_) = false;
  const FakeMember* read_source_ ABSL_GUARDED_BY(mu_) = nullptr;
  int writes_ ABSL_GUARDED_BY(mu_) = 0;
  int reads_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<bool> read_linearizable_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> data_ ABSL_GUARDED_BY(mu_);
  int64_t zxid_ ABSL_GUARDED_BY(mu_) = 100;
};

// Options on a SimClock whose "sleeps" advance it and are recorded.
struct Harness {
  clock::SimClock clock;
  std::vector<absl::Duration> sleeps;
  std::function<void()> on_sleep;

  ZkClient::Options Options(std::vector<std::string> ensemble, uint64_t seed = 0) {
    ZkClient::Options o;
    o.ensemble = std::move(ensemble);
    o.seed = seed;
    o.clock = &clock;
    o.call_timeout = absl::Seconds(2);
    o.sleep = [this](absl::Duration d) {
      sleeps.push_back(d);
      clock.Advance(d);
      if (on_sleep) on_sleep();
    };
    return o;
  }
};

std::unique_ptr<ZkClient> MustConnect(ZkClient::Options options) {
  auto client = ZkClient::Connect(std::move(options));
  REQUIRE(client.ok());
  return std::move(*client);
}

TEST_CASE("client: a write follows the redirect to the leader; later writes go straight there") {
  FakeMember leader, follower;
  follower.Follow(leader);
  Harness h;
  auto zk = MustConnect(h.Options({follower.address(), leader.address()}));
  CHECK(zk->connected_address() == follower.address());
  REQUIRE(*zk->Create("/a", "1") == "/a");
  CHECK(follower.writes() == 1);
  CHECK(leader.writes() == 1);
  CHECK(zk->leader_address() == leader.address());
  REQUIRE(zk->SetData("/a", "2").ok());
  CHECK(follower.writes() == 1);
  CHECK(leader.writes() == 2);
  CHECK(zk->last_zxid_seen() == 102);
  CHECK(h.sleeps.empty());  // a redirect is followed at once
}

TEST_CASE("client: a redirect to an address not in the list adds the member") {
  FakeMember leader, follower;
  follower.Follow(leader);
  Harness h;
  auto zk = MustConnect(h.Options({follower.address()}));
  REQUIRE(zk->Create("/a", "1").ok());
  CHECK(zk->members() == std::vector<std::string>{follower.address(), leader.address()});
}

TEST_CASE("client: no leader known is retried with backoff until one is elected") {
  FakeMember leader, follower;
  follower.NoLeader();
  leader.NoLeader();
  Harness h;
  h.on_sleep = [&] {
    if (h.sleeps.size() == 3) {
      leader.Lead();
      follower.Follow(leader);
    }
  };
  auto zk = MustConnect(h.Options({follower.address(), leader.address()}));
  REQUIRE(zk->Create("/a", "1").ok());
  REQUIRE(h.sleeps.size() >= 3);
  CHECK(h.sleeps[0] == absl::Milliseconds(20));
  CHECK(h.sleeps[1] == absl::Milliseconds(40));
  CHECK(h.sleeps[2] == absl::Milliseconds(80));
  CHECK(leader.writes() >= 1);
}

TEST_CASE("client: the retry budget bounds the retries; the write is known not applied") {
  FakeMember a, b;
  a.NoLeader();
  b.NoLeader();
  Harness h;
  auto zk = MustConnect(h.Options({a.address(), b.address()}));
  absl::StatusOr<std::string> created = zk->Create("/a", "1");
  REQUIRE(created.status().code() == absl::StatusCode::kUnavailable);
  INFO(created.status().message());
  CHECK(absl::StrContains(created.status().message(), "retry budget of 10s"));
  CHECK(absl::StrContains(created.status().message(), "was not applied"));
  CHECK(ErrorCodeOf(created.status()) == v1::ERROR_CODE_CONNECTION_LOSS);
  absl::Duration slept;
  for (absl::Duration d : h.sleeps) {
    CHECK(d <= absl::Milliseconds(200));
    slept += d;
  }
  CHECK(slept == absl::Seconds(10));
  CHECK(a.writes() + b.writes() == static_cast<int>(h.sleeps.size()) + 1);
}

TEST_CASE("client: an unreachable member is skipped, at connect and later") {
  FakeMember leader;
  std::string dead = absl::StrCat("127.0.0.1:", testing::FreePort());
  Harness h;
  auto zk = MustConnect(h.Options({dead, leader.address()}));
  CHECK(zk->connected_address() == leader.address());
  REQUIRE(zk->Create("/a", "1").ok());
  REQUIRE(zk->GetData("/a").ok());
}

TEST_CASE("client: connecting to an ensemble that is all down fails with CONNECTION_LOSS") {
  Harness h;
  auto options = h.Options({absl::StrCat("127.0.0.1:", testing::FreePort()),
                            absl::StrCat("127.0.0.1:", testing::FreePort())});
  options.retry_budget = absl::Milliseconds(100);
  auto zk = ZkClient::Connect(options);
  REQUIRE(zk.status().code() == absl::StatusCode::kUnavailable);
  CHECK(absl::StrContains(zk.status().message(), "could be reached"));
}

TEST_CASE("client: a write that timed out is returned as is, never retried") {
  FakeMember leader;
  leader.StallWrites(absl::Milliseconds(500));
  Harness h;
  auto options = h.Options({leader.address()});
  options.call_timeout = absl::Milliseconds(100);
  auto zk = MustConnect(options);
  absl::StatusOr<std::string> created = zk->Create("/a", "1");
  CHECK(created.status().code() == absl::StatusCode::kDeadlineExceeded);
  CHECK(leader.writes() == 1);
  CHECK(h.sleeps.empty());
}

TEST_CASE("client: a write whose connection broke is CONNECTION_LOSS with unknown outcome") {
  FakeMember leader;
  leader.FailWrites(grpc::Status(grpc::StatusCode::UNAVAILABLE, "Socket closed"));
  Harness h;
  auto zk = MustConnect(h.Options({leader.address()}));
  absl::StatusOr<v1::Stat> set = zk->SetData("/a", "1");
  REQUIRE(set.status().code() == absl::StatusCode::kUnavailable);
  CHECK(ErrorCodeOf(set.status()) == v1::ERROR_CODE_CONNECTION_LOSS);
  CHECK(absl::StrContains(set.status().message(), "may or may not have been applied"));
  CHECK(leader.writes() == 1);
}

TEST_CASE("client: a leader that refuses its own write (stopping) leaves the outcome unknown") {
  FakeMember leader;
  leader.FollowAddress(leader.address());
  Harness h;
  auto zk = MustConnect(h.Options({leader.address()}));
  CHECK(zk->Create("/a", "1").status().code() == absl::StatusCode::kUnavailable);
  CHECK(leader.writes() == 1);
}

TEST_CASE("client: reads are retried after a broken connection or a timeout") {
  FakeMember leader, follower;
  follower.Follow(leader);
  Harness h;
  auto options = h.Options({follower.address(), leader.address()});
  options.call_timeout = absl::Milliseconds(100);
  auto zk = MustConnect(options);
  REQUIRE(zk->Create("/a", "x").ok());
  follower.FailReads(grpc::Status(grpc::StatusCode::UNAVAILABLE, "Socket closed"));
  REQUIRE(zk->GetData("/a", /*linearizable=*/true)->first == "x");
  CHECK(follower.reads() == 1);
  CHECK(leader.reads() == 1);  // moved on
  CHECK(zk->connected_address() == leader.address());
  leader.StallReads(absl::Milliseconds(500));
  absl::StatusOr<std::pair<std::string, v1::Stat>> read = zk->GetData("/a", true);
  REQUIRE(read.ok());
  CHECK(follower.reads() == 2);
}

TEST_CASE("client: definite errors are returned once, with their ZooKeeper code") {
  FakeMember leader;
  leader.FailWrites(
      grpc::Status(grpc::StatusCode::NOT_FOUND, "NO_NODE /x: the parent does not exist"));
  Harness h;
  auto zk = MustConnect(h.Options({leader.address()}));
  absl::StatusOr<std::string> created = zk->Create("/x/y", "");
  CHECK(created.status().code() == absl::StatusCode::kNotFound);
  CHECK(ErrorCodeOf(created.status()) == v1::ERROR_CODE_NO_NODE);
  CHECK(leader.writes() == 1);
}

TEST_CASE("client: a read never returns older state than the client has seen") {
  FakeMember leader, follower;
  follower.Follow(leader);
  follower.Lag();
  Harness h;
  auto zk = MustConnect(h.Options({follower.address(), leader.address()}));
  REQUIRE(zk->Create("/mine", "v").ok());
  // The follower has not applied the create (its local read says NO_NODE), and it has never
  // answered from a state at or after zxid 101, the client's last_zxid_seen.
  absl::StatusOr<std::pair<std::string, v1::Stat>> read = zk->GetData("/mine");
  REQUIRE(read.ok());
  CHECK(read->first == "v");
  CHECK(follower.read_linearizable() == std::vector<bool>{false, true});
}

TEST_CASE("client: a local read from a state as new as the client's is not repeated") {
  FakeMember leader, follower;
  follower.Follow(leader);
  Harness h;
  auto zk = MustConnect(h.Options({follower.address(), leader.address()}));
  REQUIRE(zk->Create("/mine", "v").ok());
  CHECK(zk->last_zxid_seen() == 101);
  REQUIRE(zk->GetData("/mine").ok());
  REQUIRE(zk->GetData("/mine").ok());
  CHECK(follower.read_linearizable() == std::vector<bool>{false, false});
}

TEST_CASE("client: without a session, ephemeral creates and watches are refused without a call") {
  FakeMember leader;
  Harness h;
  auto zk = MustConnect(h.Options({leader.address()}));
  CHECK_FALSE(zk->has_session());
  CHECK(zk->session_id() == 0);
  absl::StatusOr<std::string> e = zk->Create("/e", "", v1::CREATE_MODE_EPHEMERAL);
  CHECK(ErrorCodeOf(e.status()) == v1::ERROR_CODE_BAD_ARGUMENTS);
  CHECK(absl::StrContains(e.status().message(), "session"));
  v1::Op op;
  op.mutable_create()->set_path("/e");
  op.mutable_create()->set_mode(v1::CREATE_MODE_EPHEMERAL_SEQUENTIAL);
  CHECK(ErrorCodeOf(zk->Multi({op}).status()) == v1::ERROR_CODE_BAD_ARGUMENTS);
  CHECK(leader.writes() == 0);
  auto watched = zk->GetDataAndWatch("/e", [](const WatchEvent&) {});
  CHECK(watched.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(leader.reads() == 0);
}

TEST_CASE("client: options are validated") {
  Harness h;
  CHECK(ZkClient::Connect(h.Options({})).status().code() == absl::StatusCode::kInvalidArgument);
  for (const char* bad : {"nohost", "h:0", "h:99999", "h:", ""}) {
    INFO(bad);
    CHECK(ZkClient::Connect(h.Options({bad})).status().code() ==
          absl::StatusCode::kInvalidArgument);
  }
  auto o = h.Options({"127.0.0.1:1"});
  o.call_timeout = absl::ZeroDuration();
  CHECK(ZkClient::Connect(o).status().code() == absl::StatusCode::kInvalidArgument);
  o = h.Options({"127.0.0.1:1"});
  o.max_backoff = absl::Milliseconds(1);
  CHECK(ZkClient::Connect(o).status().code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace dcos::zk::client
