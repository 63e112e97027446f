// Linearizability of dcos-zk under failure: concurrent clients set and read (linearizable
// reads) a few znodes while the leader is killed with -9 and restarted; every operation's call
// time, return time and result is recorded and libs/lincheck verifies the history, per znode.
// A write whose outcome the client cannot know (timeout, connection lost) is recorded as
// unknown: it may or may not have taken effect.

#include <atomic>
#include <cstdio>
#include <random>
#include <thread>

#include <catch2/catch.hpp>
#include <grpcpp/create_channel.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "libs/lincheck/lincheck.h"
#include "libs/testing/harness.h"
#include "libs/zk/client.h"
#include "protos/zk/v1/zookeeper.grpc.pb.h"
#include "tests/zk/zk_ensemble.h"

namespace dcos::testing {
namespace {

using zk::client::ZkClient;

bool DefinitelyNotApplied(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kFailedPrecondition:
      return true;
    default:
      return false;  // timeouts, lost connections, refusals mid-shutdown: unknown
  }
}

TEST_CASE("dcos-zk histories with a killed and restarted leader are linearizable") {
  uint64_t seed = std::random_device{}();
  std::printf("zk linearizability: seed=%llu\n", static_cast<unsigned long long>(seed));
  INFO("seed=" << seed);
  ZkTestEnsemble e;
  REQUIRE(e.StartAll().ok());
  const std::vector<std::string> keys = {"/r0", "/r1", "/r2"};
  {
    ZkClient::Options o;
    o.ensemble = e.addresses();
    o.retry_budget = absl::Seconds(30);
    auto setup = ZkClient::Connect(o);
    REQUIRE(setup.ok());
    for (const std::string& k : keys) REQUIRE((*setup)->Create(k, "").ok());
  }

  absl::Mutex mu;
  std::vector<lincheck::Operation> history;
  std::atomic<bool> stop{false};
  std::atomic<int> completed{0};
  auto client_loop = [&](int client) {
    ZkClient::Options o;
    o.ensemble = e.addresses();
    o.seed = static_cast<uint64_t>(client);
    o.call_timeout = absl::Seconds(2);
    o.retry_budget = absl::Seconds(5);
    auto zk = ZkClient::Connect(o);
    if (!zk.ok()) return;
    std::mt19937_64 rng(seed + static_cast<uint64_t>(client));
    for (int i = 0; !stop.load(); ++i) {
      lincheck::Operation op;
      op.client = client;
      op.key = keys[rng() % keys.size()];
      bool write = rng() % 2 == 0;
      op.call = absl::Now();
      if (write) {
        std::string value = absl::StrCat("c", client, "-", i);
        op.input = "put " + value;
        absl::StatusOr<zk::v1::Stat> r = (*zk)->SetData(op.key, value);
        op.ret = absl::Now();
        if (r.ok()) {
          op.output = "ok";
        } else if (DefinitelyNotApplied(r.status())) {
          continue;  // never happened: not part of the history
        } else {
          op.unknown = true;
          op.ret = absl::InfiniteFuture();
        }
      } else {
        op.input = "get";
        auto r = (*zk)->GetData(op.key, /*linearizable=*/true);
        op.ret = absl::Now();
        if (!r.ok()) continue;  // a failed read says nothing
        op.output = r->first;
      }
      completed.fetch_add(1);
      absl::MutexLock lock(&mu);
      history.push_back(std::move(op));
    }
  };
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c) clients.emplace_back(client_loop, c);

  // Two rounds: let some operations through, kill -9 the leader, let more through on the new
  // one, restart it.
  std::mt19937_64 rng(seed);
  for (int round = 0; round < 2; ++round) {
    int before = completed.load() + 200 + static_cast<int>(rng() % 200);
    REQUIRE(WaitFor([&] { return completed.load() >= before; }, absl::Seconds(60),
                    "operations before the kill")
                .ok());
    // The leader is the member that accepts a write of its own (outside the checked keys).
    int leader = 0;
    for (int id = 1; id <= 3 && leader == 0; ++id) {
      auto stub = zk::v1::ZooKeeper::NewStub(
          grpc::CreateChannel(e.address(id), grpc::InsecureChannelCredentials()));
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
      zk::v1::CreateRequest req;
      req.set_path(absl::StrCat("/probe-", round, "-", id));
      zk::v1::CreateResponse resp;
      if (stub->Create(&ctx, req, &resp).ok()) leader = id;
    }
    if (leader == 0) leader = 1 + static_cast<int>(rng() % 3);
    REQUIRE(e.Kill(leader).ok());
    int after = completed.load() + 200;
    REQUIRE(WaitFor([&] { return completed.load() >= after; }, absl::Seconds(60),
                    "operations on the new leader")
                .ok());
    REQUIRE(e.Start(leader).ok());
  }
  stop.store(true);
  for (auto& t : clients) t.join();

  lincheck::Result r = lincheck::Check(history, lincheck::RegisterModel());
  std::printf("zk linearizability: %zu operations, %llu states explored\n", history.size(),
              static_cast<unsigned long long>(r.states_explored));
  INFO("not linearizable on " << r.key);
  REQUIRE(r.linearizable);
  REQUIRE_FALSE(r.gave_up);
  REQUIRE(history.size() > 200);
}

}  // namespace
}  // namespace dcos::testing
