// dcos-zk under a partition, with real processes: every link between members goes through a
// TcpProxy, and one follower is cut off from the other two while clients still reach it.
// The cut-off member takes no writes; a client attached to it moves to another member and
// keeps its session and ephemeral node; the majority carries on; after the heal the member
// catches up with what was written meanwhile.

#include <catch2/catch.hpp>
#include <grpcpp/create_channel.h>

#include <map>
#include <memory>

#include "absl/strings/str_cat.h"
#include "libs/testing/harness.h"
#include "libs/testing/tcp_proxy.h"
#include "libs/zk/client.h"
#include "protos/zk/v1/ensemble.grpc.pb.h"
#include "protos/zk/v1/zookeeper.grpc.pb.h"
#include "tests/zk/zk_ensemble.h"
#include "tests/zk/zk_test_client.h"

namespace dcos::testing {
namespace {

using zk::client::ZkClient;
namespace v1 = zk::v1;

std::unique_ptr<v1::ZooKeeper::Stub> Stub(const std::string& address) {
  return v1::ZooKeeper::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
}

grpc::Status RawCreate(const std::string& address, const std::string& path) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  v1::CreateRequest req;
  req.set_path(path);
  v1::CreateResponse resp;
  return Stub(address)->Create(&ctx, req, &resp);
}

// A local (not linearizable) read at one member.
bool HasNode(const std::string& address, const std::string& path) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  v1::GetDataRequest req;
  req.set_path(path);
  v1::GetDataResponse resp;
  return Stub(address)->GetData(&ctx, req, &resp).ok();
}

// Sessions attached to the member at `address`, as it reports itself.
int64_t AttachedAt(const std::string& address, uint64_t id) {
  auto stub = v1::Ensemble::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
  v1::StatusRequest req;
  v1::StatusResponse resp;
  if (!stub->Status(&ctx, req, &resp).ok()) return -1;
  for (const v1::Member& m : resp.members()) {
    if (m.id() == id) return static_cast<int64_t>(m.sessions());
  }
  return -1;
}

TEST_CASE("dcos-zk partition: a cut-off member takes no writes, its clients move away and keep "
          "their sessions, and it catches up after the heal") {
  ZkTestEnsemble e(SessionTestFlags());
  std::map<std::pair<int, int>, std::unique_ptr<TcpProxy>> links;  // (from, to)
  for (int from = 1; from <= 3; ++from) {
    for (int to = 1; to <= 3; ++to) {
      if (from == to) continue;
      auto proxy = TcpProxy::Start(e.address(to));
      REQUIRE(proxy.ok());
      e.SetPeerAddress(from, to, (*proxy)->address());
      links[{from, to}] = *std::move(proxy);
    }
  }
  REQUIRE(e.StartAll().ok());

  int leader = 0;
  REQUIRE(WaitFor(
              [&] {
                for (int m = 1; m <= 3 && leader == 0; ++m) {
                  grpc::Status s = RawCreate(e.address(m), "/p");
                  if (s.ok() || s.error_code() == grpc::StatusCode::ALREADY_EXISTS) leader = m;
                }
                return leader != 0;
              },
              absl::Seconds(20), "a leader")
              .ok());
  // A client with an ephemeral node; the member its session attaches to is cut off (seeded
  // towards a follower, but whichever it is: a cut-off leader steps down, as it must).
  ZkClient::Options o;
  o.ensemble = e.addresses();
  o.seed = static_cast<uint64_t>(leader % 3);  // ensemble[seed] is a follower
  o.retry_budget = absl::Seconds(20);
  o.session = ZkClient::Options::Session{absl::Seconds(2), nullptr};
  auto connected = ZkClient::Connect(o);
  REQUIRE(connected.ok());
  std::unique_ptr<ZkClient> a = *std::move(connected);
  REQUIRE(a->Create("/p/a", "", v1::CREATE_MODE_EPHEMERAL).ok());
  int cut = 0;
  REQUIRE(WaitFor(
              [&] {
                for (int m = 1; m <= 3 && cut == 0; ++m) {
                  if (AttachedAt(e.address(m), static_cast<uint64_t>(m)) == 1) cut = m;
                }
                return cut != 0;
              },
              absl::Seconds(10), "the member the session is attached to")
              .ok());
  INFO("leader " << leader << ", cutting off " << cut);

  for (auto& [link, proxy] : links) {
    if (link.first == cut || link.second == cut) proxy->Cut();
  }

  // Its client moves away: the member ends the session's stream, the client attaches elsewhere.
  REQUIRE(WaitFor([&] { return AttachedAt(e.address(cut), cut) == 0; }, absl::Seconds(10),
                  "the cut-off member to let its session go")
              .ok());
  // It takes no writes.
  grpc::Status refused = RawCreate(e.address(cut), "/p/at-cut-member");
  CHECK_FALSE(refused.ok());
  // The majority carries on, and the moved session lives on for three of its timeouts.
  REQUIRE(a->Create("/p/during", "").ok());
  const absl::Time until = absl::Now() + 3 * a->session_timeout();
  int checks = 0;
  absl::Status alive = WaitFor(
      [&] {
        absl::StatusOr<std::optional<v1::Stat>> s = a->Exists("/p/a");
        REQUIRE(s.ok());
        REQUIRE(s->has_value());  // the ephemeral node is still there
        ++checks;
        return absl::Now() >= until;
      },
      absl::Seconds(30), "three session timeouts with the session alive");
  REQUIRE(alive.ok());
  CHECK(checks > 1);
  CHECK_FALSE(HasNode(e.address(cut), "/p/during"));  // it was cut off all along

  for (auto& [link, proxy] : links) proxy->Restore();
  REQUIRE(WaitFor([&] { return HasNode(e.address(cut), "/p/during"); }, absl::Seconds(30),
                  "the healed member to catch up")
              .ok());
  CHECK_FALSE(HasNode(e.address(cut), "/p/at-cut-member"));
  CHECK(a->Exists("/p/a").ok());
}

}  // namespace
}  // namespace dcos::testing
