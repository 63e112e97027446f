// Ensemble membership with real dcos-zk processes: a member started with --raft.join is added
// (it catches up and serves its data locally), an original member is removed (it is no longer
// sent anything), the leader is killed with kill -9 and writes still commit with the new
// membership, a member restarted with stale flags comes back with the membership from its
// data directory, and the leader itself is removed. Clients given the founders' addresses
// keep working throughout, and no acknowledged write is lost. Bad requests change nothing,
// a member that never catches up is removed again, and changes run one at a time.

#include <set>
#include <sstream>
#include <thread>

#include <catch2/catch.hpp>
#include <grpcpp/create_channel.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/testing/harness.h"
#include "libs/zk/client.h"
#include "protos/zk/v1/ensemble.grpc.pb.h"
#include "protos/zk/v1/zookeeper.grpc.pb.h"
#include "tests/zk/zk_ensemble.h"
#include "tools/dcos/cli.h"

namespace dcos::testing {
namespace {

using zk::v1::Ensemble;
using zk::v1::Member;
using zk::v1::StatusResponse;

grpc::Status StatusAt(ZkTestEnsemble& zk, int id, StatusResponse* out) { return zk.Status(id, out); }

std::set<uint64_t> MemberIds(const StatusResponse& r) {
  std::set<uint64_t> ids;
  for (const Member& m : r.members()) ids.insert(m.id());
  return ids;
}

// Waits until member `asked` reports a quorum, the members `expected`, each healthy and none a
// learner; returns the leader (0 on timeout).
int WaitMembership(ZkTestEnsemble& zk, int asked, const std::set<uint64_t>& expected) {
  int leader = 0;
  absl::Status s = WaitFor(
      [&] {
        StatusResponse r;
        if (!StatusAt(zk, asked, &r).ok() || !r.has_quorum() || !r.leader().known()) return false;
        if (MemberIds(r) != expected) return false;
        for (const Member& m : r.members()) {
          if (!m.healthy() || m.role() == Member::ROLE_LEARNER) return false;
        }
        return absl::SimpleAtoi(r.leader().leader_id(), &leader);
      },
      absl::Seconds(30), absl::StrCat("membership as seen by member ", asked));
  INFO(s.ToString());
  return s.ok() ? leader : 0;
}

zk::v1::AddMemberRequest AddRequest(uint64_t id, const std::string& host_port) {
  zk::v1::AddMemberRequest request;
  request.set_id(id);
  size_t colon = host_port.rfind(':');
  request.mutable_peer_address()->set_ip(host_port.substr(0, colon));
  uint32_t port = 0;
  (void)absl::SimpleAtoi(host_port.substr(colon + 1), &port);
  request.mutable_peer_address()->set_port(port);
  return request;
}

grpc::Status Add(ZkTestEnsemble& zk, int at, const zk::v1::AddMemberRequest& request) {
  auto ctx = Context(absl::Seconds(60));
  zk::v1::AddMemberResponse response;
  return Ensemble::NewStub(Channel(zk.address(at)))->AddMember(ctx.get(), request, &response);
}

grpc::Status Remove(ZkTestEnsemble& zk, int at, uint64_t id) {
  auto ctx = Context(absl::Seconds(30));
  zk::v1::RemoveMemberRequest request;
  request.set_id(id);
  zk::v1::RemoveMemberResponse response;
  return Ensemble::NewStub(Channel(zk.address(at)))->RemoveMember(ctx.get(), request, &response);
}

// The data of `path` as member `id` has it locally (sequentially consistent read); nullopt if
// it has no such node (or does not answer).
std::optional<std::string> LocalData(ZkTestEnsemble& zk, int id, const std::string& path) {
  auto ctx = Context(absl::Seconds(2));
  zk::v1::GetDataRequest request;
  request.set_path(path);
  zk::v1::GetDataResponse response;
  grpc::Status s = zk::v1::ZooKeeper::NewStub(Channel(zk.address(id)))
                       ->GetData(ctx.get(), request, &response);
  if (!s.ok()) return std::nullopt;
  return response.data();
}

// A client given the founders' addresses only, writing distinct nodes and remembering every
// acknowledged one.
class Writer {
 public:
  explicit Writer(ZkTestEnsemble& zk) {
    zk::client::ZkClient::Options o;
    o.ensemble = {zk.address(1), zk.address(2), zk.address(3)};
    o.retry_budget = absl::Seconds(20);
    auto client = zk::client::ZkClient::Connect(o);
    REQUIRE(client.ok());
    client_ = std::move(*client);
  }
  // Writes one node; retries (on a new path) until one is acknowledged within `budget`.
  std::string WriteOne(absl::Duration budget = absl::Seconds(20)) {
    absl::Time deadline = absl::Now() + budget;
    while (absl::Now() < deadline) {
      std::string path = absl::StrCat("/k", next_++);
      std::string value = absl::StrCat("v", next_);
      if (client_->Create(path, value).ok()) {
        acked_[path] = value;
        return path;
      }
    }
    FAIL("no write was acknowledged within " << absl::FormatDuration(budget));
    return "";
  }
  const std::map<std::string, std::string>& acked() const { return acked_; }
  zk::client::ZkClient& client() { return *client_; }

 private:
  std::unique_ptr<zk::client::ZkClient> client_;
  std::map<std::string, std::string> acked_;
  int next_ = 0;
};

int Cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  return cli::Run(args, [](const char*) -> const char* { return nullptr; }, out, err);
}

void RequireNothingLost(Writer& w) {
  for (const auto& [path, value] : w.acked()) {
    INFO(path);
    auto got = w.client().GetData(path, /*linearizable=*/true);
    REQUIRE(got.ok());
    REQUIRE(got->first == value);
  }
}

TEST_CASE("membership: join, remove an original, kill -9 the leader, restart, remove the leader") {
  ZkTestEnsemble zk;
  REQUIRE(zk.StartAll().ok());
  int leader = WaitMembership(zk, 1, {1, 2, 3});
  REQUIRE(leader != 0);
  Writer w(zk);
  for (int i = 0; i < 20; ++i) w.WriteOne();

  // A fourth member, started in join mode, added through the CLI: it catches up and votes.
  int joiner = zk.NewMember();
  REQUIRE(zk.Start(joiner).ok());
  {
    std::ostringstream out, err;
    int code = Cli({"--zk=" + zk.Joined(), "--timeout=60s", "zk", "member", "add",
                    std::to_string(joiner), zk.address(joiner)},
                   out, err);
    INFO(out.str() << err.str());
    REQUIRE(code == 0);
  }
  leader = WaitMembership(zk, joiner, {1, 2, 3, 4});
  REQUIRE(leader != 0);
  // It has the data, read locally.
  std::string first = w.acked().begin()->first;
  REQUIRE(WaitFor([&] { return LocalData(zk, joiner, first) == w.acked().at(first); },
                  absl::Seconds(10), "the new member's local copy")
              .ok());

  // Remove one of the originals that is not the leader: it is no longer sent anything.
  int removed = leader == 1 ? 2 : 1;
  grpc::Status removed_one = Remove(zk, leader, static_cast<uint64_t>(removed));
  INFO(removed_one.error_message());
  REQUIRE(removed_one.ok());
  int survivor = 6 - leader - removed;  // the third original
  leader = WaitMembership(zk, joiner, {static_cast<uint64_t>(leader),
                                       static_cast<uint64_t>(survivor), 4});
  REQUIRE(leader != 0);
  std::string after_removal = w.WriteOne();
  REQUIRE(WaitFor([&] { return LocalData(zk, joiner, after_removal).has_value() &&
                               LocalData(zk, survivor, after_removal).has_value(); },
                  absl::Seconds(10), "the write on the remaining members")
              .ok());
  CHECK(!LocalData(zk, removed, after_removal).has_value());
  REQUIRE(zk.Kill(removed).ok());

  // kill -9 the leader: the two others (a quorum of the new three) elect and commit.
  REQUIRE(zk.Kill(leader).ok());
  int killed = leader;
  int asked = survivor == killed ? joiner : survivor;
  std::set<uint64_t> now = {static_cast<uint64_t>(killed), static_cast<uint64_t>(survivor), 4};
  REQUIRE(WaitFor(
              [&] {
                StatusResponse r;
                return StatusAt(zk, asked, &r).ok() && r.leader().known() &&
                       r.leader().leader_id() != std::to_string(killed);
              },
              absl::Seconds(20), "a new leader")
              .ok());
  for (int i = 0; i < 5; ++i) w.WriteOne();

  // Restart the killed member with its stale flags (peers 1..3, one of them removed): it comes
  // back with the membership from its data directory and catches up.
  REQUIRE(zk.Start(killed).ok());
  leader = WaitMembership(zk, killed, now);
  REQUIRE(leader != 0);
  {
    StatusResponse r;
    REQUIRE(StatusAt(zk, killed, &r).ok());
    for (const Member& m : r.members()) {
      CHECK(absl::StrCat(m.peer_address().ip(), ":", m.peer_address().port()) ==
            zk.address(static_cast<int>(m.id())));
    }
  }
  std::string last = w.WriteOne();
  REQUIRE(WaitFor([&] { return LocalData(zk, killed, last).has_value(); }, absl::Seconds(10),
                  "the restarted member to catch up")
              .ok());

  // Remove the leader itself: it hands leadership over first; the two left commit.
  grpc::Status leader_removed = Remove(zk, leader, static_cast<uint64_t>(leader));
  INFO(leader_removed.error_message());
  REQUIRE(leader_removed.ok());
  now.erase(static_cast<uint64_t>(leader));
  int other = static_cast<int>(*now.begin());
  int next = WaitMembership(zk, other, now);
  REQUIRE(next != 0);
  REQUIRE(next != leader);
  for (int i = 0; i < 5; ++i) w.WriteOne();
  RequireNothingLost(w);
}

TEST_CASE("membership: bad requests change nothing; a member that never catches up is removed "
          "again; one change at a time") {
  ZkTestEnsemble zk({"--zk.add_member_timeout=3s"});
  REQUIRE(zk.StartAll().ok());
  int leader = WaitMembership(zk, 1, {1, 2, 3});
  REQUIRE(leader != 0);
  int follower = leader == 1 ? 2 : 1;

  // On a follower: the redirect to the leader.
  grpc::Status redirected = Add(zk, follower, AddRequest(9, "127.0.0.1:1"));
  CHECK(redirected.error_code() == grpc::StatusCode::UNAVAILABLE);
  // Bad input, each naming what is wrong.
  grpc::Status s = Add(zk, leader, AddRequest(2, "127.0.0.1:1"));
  CHECK(s.error_code() == grpc::StatusCode::ALREADY_EXISTS);
  CHECK(s.error_message().find("id") != std::string::npos);
  s = Add(zk, leader, AddRequest(9, zk.address(3)));
  CHECK(s.error_code() == grpc::StatusCode::ALREADY_EXISTS);
  CHECK(s.error_message().find("peer_address") != std::string::npos);
  s = Add(zk, leader, AddRequest(9, "127.0.0.1:0"));
  CHECK(s.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(s.error_message().find("peer_address") != std::string::npos);
  s = Add(zk, leader, AddRequest(0, "127.0.0.1:1"));
  CHECK(s.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  s = Remove(zk, leader, 9);
  CHECK(s.error_code() == grpc::StatusCode::NOT_FOUND);
  {
    std::ostringstream out, err;
    CHECK(Cli({"--zk=" + zk.Joined(), "zk", "member", "add", "x", "nowhere"}, out, err) == 2);
    CHECK(Cli({"--zk=" + zk.Joined(), "zk", "member", "add", "9", "nowhere"}, out, err) == 2);
  }
  StatusResponse r;
  REQUIRE(StatusAt(zk, leader, &r).ok());
  CHECK(MemberIds(r) == std::set<uint64_t>{1, 2, 3});

  // A member that is never started: added as a learner, it does not catch up within the
  // timeout and is removed again. While that runs, a second change is refused.
  int ghost = zk.NewMember();
  grpc::Status ghost_added;
  std::thread adding([&] { ghost_added = Add(zk, leader, AddRequest(ghost, zk.address(ghost))); });
  absl::Status learner_seen = WaitFor(
      [&] {
        StatusResponse st;
        if (!StatusAt(zk, leader, &st).ok()) return false;
        for (const Member& m : st.members()) {
          if (m.id() == static_cast<uint64_t>(ghost)) return true;
        }
        return false;
      },
      absl::Seconds(10), "the new member listed (as a learner)");
  grpc::Status concurrent = Remove(zk, leader, static_cast<uint64_t>(follower));
  adding.join();
  REQUIRE(learner_seen.ok());
  CHECK(concurrent.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(ghost_added.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED);
  CHECK(ghost_added.error_message().find("removed again") != std::string::npos);
  CHECK(WaitMembership(zk, leader, {1, 2, 3}) != 0);

  // Quorum kept: with one of three down, removing the other live one would leave one healthy
  // voter of two: refused.
  int down = leader == 3 ? 2 : 3;
  REQUIRE(zk.Kill(down).ok());
  s = Remove(zk, leader, static_cast<uint64_t>(6 - leader - down));
  CHECK(s.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(s.error_message().find("NEW_CONFIG_NO_QUORUM") != std::string::npos);
}

}  // namespace
}  // namespace dcos::testing
