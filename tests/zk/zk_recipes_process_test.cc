// Group membership, the tree cache and the lock against three real dcos-zk processes.

#include <atomic>
#include <cstdio>
#include <map>
#include <random>
#include <thread>

#include <catch2/catch.hpp>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "libs/testing/harness.h"
#include "libs/zk/errors.h"
#include "libs/zk/recipes/group_membership.h"
#include "libs/zk/recipes/lock.h"
#include "libs/zk/recipes/paths.h"
#include "libs/zk/recipes/tree_cache.h"
#include "tests/zk/zk_ensemble.h"
#include "tests/zk/zk_test_client.h"

namespace dcos::testing {
namespace {

using zk::client::ZkClient;
using zk::recipes::CacheEvent;
using zk::recipes::DistributedLock;
using zk::recipes::GroupMembership;
using zk::recipes::JoinPath;
using zk::recipes::TreeCache;
namespace v1 = zk::v1;

std::set<std::string> DataOf(const GroupMembership::Members& members) {
  std::set<std::string> out;
  for (const auto& [name, data] : members) out.insert(data);
  return out;
}

TEST_CASE("group: members join, leave and expire; every member and a follower see the list") {
  ZkTestEnsemble e(SessionTestFlags());
  REQUIRE(e.StartAll().ok());
  auto follower_client = ConnectTestClient(e, absl::Seconds(5));
  absl::Mutex mu;
  GroupMembership::Members last_told;
  GroupMembership::Options watch_only;
  watch_only.path = "/dcos/agents";
  watch_only.on_change = [&](const GroupMembership::Members& m) {
    absl::MutexLock lock(&mu);
    last_told = m;
  };
  auto follower = GroupMembership::Start(follower_client.get(), watch_only);
  REQUIRE(follower.ok());
  CHECK((*follower)->self().empty());

  std::vector<std::unique_ptr<ZkClient>> clients;
  std::vector<std::unique_ptr<GroupMembership>> members;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(ConnectTestClient(e, absl::Seconds(1)));
    GroupMembership::Options o;
    o.path = "/dcos/agents";
    o.join_data = absl::StrCat("m", i);
    auto m = GroupMembership::Start(clients.back().get(), o);
    REQUIRE(m.ok());
    CHECK(!(*m)->self().empty());
    members.push_back(*std::move(m));
  }
  auto sees = [&](GroupMembership& g, std::set<std::string> want) {
    return WaitFor([&] { return DataOf(g.members()) == want; }, absl::Seconds(10),
                   "the member list");
  };
  REQUIRE(sees(**follower, {"m0", "m1", "m2"}).ok());
  REQUIRE(sees(*members[0], {"m0", "m1", "m2"}).ok());
  {
    absl::MutexLock lock(&mu);
    CHECK(DataOf(last_told) == std::set<std::string>{"m0", "m1", "m2"});
  }
  CHECK((*follower)->members().count(members[1]->self()) == 1);

  REQUIRE(members[0]->Leave().ok());
  REQUIRE(sees(**follower, {"m1", "m2"}).ok());
  clients[1]->SuspendSessionForTesting(true);  // m1's process freezes: its session expires
  REQUIRE(sees(**follower, {"m2"}).ok());
  REQUIRE(sees(*members[2], {"m2"}).ok());
  {
    absl::MutexLock lock(&mu);
    CHECK(DataOf(last_told) == std::set<std::string>{"m2"});
  }
  members.clear();
}

// The subtree at `root` as a linearizable walk sees it: path -> data.
std::map<std::string, std::string> Walk(ZkClient& zk, const std::string& root) {
  std::map<std::string, std::string> out;
  std::vector<std::string> todo = {root};
  while (!todo.empty()) {
    std::string path = todo.back();
    todo.pop_back();
    auto data = zk.GetData(path, /*linearizable=*/true);
    if (!data.ok()) continue;  // deleted meanwhile (no writes run while we compare)
    out[path] = data->first;
    auto children = zk.GetChildren(path, true);
    if (!children.ok()) continue;
    for (const std::string& c : *children) todo.push_back(JoinPath(path, c));
  }
  return out;
}

std::map<std::string, std::string> DataOf(const std::map<std::string, zk::recipes::CachedNode>& n) {
  std::map<std::string, std::string> out;
  for (const auto& [path, node] : n) out[path] = node.data;
  return out;
}

TEST_CASE("cache: mirrors a subtree through random writes and kill -9 of its member") {
  ZkTestEnsemble e(SessionTestFlags());
  REQUIRE(e.StartAll().ok());
  auto writer = ConnectTestClient(e, std::nullopt);
  auto reader = ConnectTestClient(e, absl::Seconds(3));
  // What the listener heard, replayed into a map: must end equal to the cache.
  absl::Mutex mu;
  std::map<std::string, std::string> heard;
  TreeCache::Options o;
  o.root = "/app";  // does not exist yet
  o.listener = [&](const CacheEvent& ev) {
    absl::MutexLock lock(&mu);
    if (ev.type == CacheEvent::Type::kRemoved) {
      heard.erase(ev.path);
    } else {
      heard[ev.path] = ev.node.data;
    }
  };
  auto cache = TreeCache::Start(reader.get(), o);
  REQUIRE(cache.ok());
  CHECK((*cache)->size() == 0);

  const uint64_t seed = absl::Uniform<uint64_t>(absl::BitGen());
  std::printf("cache test seed %llu\n", static_cast<unsigned long long>(seed));
  std::mt19937_64 rng(seed);
  REQUIRE(writer->Create("/app", "root").ok());
  std::vector<std::string> nodes = {"/app"};  // what the writer believes exists
  int killed = 0;
  for (int op = 0; op < 300; ++op) {
    if (op == 150) {
      killed = e.IdOf(reader->connected_address());
      REQUIRE(e.Kill(killed).ok());
    }
    const std::string& some = nodes[rng() % nodes.size()];
    switch (rng() % 5) {
      case 0:
      case 1:
      case 2: {  // create below a node, at most 3 deep
        if (std::count(some.begin(), some.end(), '/') >= 3) break;
        std::string path = JoinPath(some, absl::StrCat("n", rng() % 6));
        if (writer->Create(path, absl::StrCat("v", op)).ok()) nodes.push_back(path);
        break;
      }
      case 3:
        (void)writer->SetData(some, absl::StrCat("v", op));
        break;
      case 4: {
        if (some == "/app") break;
        std::string path = some;
        if (writer->Delete(path).ok()) nodes.erase(std::find(nodes.begin(), nodes.end(), path));
        break;
      }
    }
  }
  // Writes whose outcome was unknown may have applied: the truth is what the tree holds now.
  std::map<std::string, std::string> truth = Walk(*writer, "/app");
  std::printf("cache test: %zu nodes at the end; member %d killed midway\n", truth.size(),
              killed);
  REQUIRE(WaitFor([&] { return DataOf((*cache)->Snapshot()) == truth; }, absl::Seconds(15),
                  "the cache to converge")
              .ok());
  {
    absl::MutexLock lock(&mu);
    CHECK(heard == truth);
  }
  CHECK((*cache)->Children("/app").size() ==
        static_cast<size_t>(std::count_if(truth.begin(), truth.end(), [](const auto& kv) {
          return std::count(kv.first.begin(), kv.first.end(), '/') == 2;
        })));
  // Deleting the root empties the cache.
  for (auto it = truth.rbegin(); it != truth.rend(); ++it) (void)writer->Delete(it->first);
  REQUIRE(WaitFor([&] { return (*cache)->size() == 0; }, absl::Seconds(10), "an empty cache")
              .ok());
  cache->reset();
}

TEST_CASE("lock: one holder at a time, increasing fencing tokens; a frozen holder loses it") {
  ZkTestEnsemble e(SessionTestFlags());
  REQUIRE(e.StartAll().ok());
  constexpr char kPath[] = "/marathon/locks/app";
  std::vector<std::unique_ptr<ZkClient>> clients;
  for (int i = 0; i < 3; ++i) clients.push_back(ConnectTestClient(e, absl::Seconds(5)));
  std::atomic<int> holders{0};
  std::atomic<int> max_holders{0};
  absl::Mutex mu;
  int64_t last_token = 0;
  int acquired = 0;
  std::vector<std::string> failures;  // Catch2's assertions are for the main thread only
  auto fail = [&](const std::string& what) {
    absl::MutexLock l(&mu);
    failures.push_back(what);
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&, i] {
      DistributedLock lock(clients[i].get(), kPath);
      for (int round = 0; round < 5; ++round) {
        absl::StatusOr<int64_t> token = lock.Acquire(absl::Seconds(20));
        if (!token.ok()) {
          fail(token.status().ToString());
          return;
        }
        int now = ++holders;
        int seen = max_holders.load();
        while (now > seen && !max_holders.compare_exchange_weak(seen, now)) {
        }
        {
          absl::MutexLock l(&mu);
          if (*token <= last_token) failures.push_back("fencing token did not increase");
          last_token = *token;
          ++acquired;
        }
        if (!lock.held() || lock.fencing_token() != *token) fail("not held");
        --holders;
        if (!lock.Release().ok()) fail("release failed");
      }
    });
  }
  for (std::thread& t : threads) t.join();
  INFO(absl::StrJoin(failures, "; "));
  CHECK(failures.empty());
  CHECK(acquired == 15);
  CHECK(max_holders.load() == 1);

  // A waiter that gives up leaves nothing behind; a frozen holder loses the lock to it.
  auto a = ConnectTestClient(e, absl::Seconds(1));
  auto b = ConnectTestClient(e, absl::Seconds(5));
  DistributedLock lock_a(a.get(), kPath), lock_b(b.get(), kPath);
  auto token_a = lock_a.Acquire(absl::Seconds(5));
  REQUIRE(token_a.ok());
  auto timed_out = lock_b.Acquire(absl::Milliseconds(200));
  CHECK(timed_out.status().code() == absl::StatusCode::kDeadlineExceeded);
  CHECK(b->GetChildren(kPath, true)->size() == 1);
  a->SuspendSessionForTesting(true);
  auto token_b = lock_b.Acquire(absl::Seconds(10));
  REQUIRE(token_b.ok());
  CHECK(*token_b > *token_a);
  CHECK_FALSE(lock_a.held());
  CHECK(lock_b.held());
}

}  // namespace
}  // namespace dcos::testing
