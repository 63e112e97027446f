// Three real dcos-zk processes on loopback: writes through the leader, redirects from
// followers, reads everywhere, bad input refused, kill -9 of the leader while writing (no
// acknowledged write lost, writes resume), and a restart of the whole ensemble.

#include <signal.h>

#include <catch2/catch.hpp>
#include <grpcpp/create_channel.h>

#include "absl/strings/match.h"
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
          "--grpc.listen=" + addresses_[id - 1], "--metrics.listen=", "--shutdown.grace=1s"},
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

 private:
  std::string dir_;
  std::vector<std::string> addresses_;
  std::map<int, std::unique_ptr<TestProcess>> procs_;
  int starts_ = 0;
};

TEST_CASE("dcos-zk: writes go through the leader, followers redirect, everyone reads") {
  Ensemble e;
  int leader = e.CreateAnywhere("/app", "v1", absl::Seconds(30));
  REQUIRE(leader != 0);
  int follower = leader == 1 ? 2 : 1;
  // A follower refuses writes and names the leader.
  {
    grpc::ClientContext ctx;
    zk::v1::CreateRequest req;
    req.set_path("/other");
    zk::v1::CreateResponse resp;
    grpc::Status s = e.Stub(follower)->Create(&ctx, req, &resp);
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
  for (const std::string& p : acknowledged) REQUIRE(e.Get(1, p, true).ok());
}

}  // namespace
}  // namespace dcos::testing
