// Leader election against three real dcos-zk processes. The contenders are in-process clients,
// each with its own session: the first to join leads; a resigned follower changes nothing; a
// closed leader hands over at once; a frozen leader (its session expires) steps down by its
// lease before the next one leads. A monitor samples every contender all along: never two
// leaders at once. A LeaderObserver and Leader() follow who leads.

#include <atomic>
#include <cstdio>
#include <map>
#include <thread>

#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "libs/testing/harness.h"
#include "libs/zk/recipes/leader_election.h"
#include "libs/zk/recipes/leader_observer.h"
#include "tests/zk/zk_ensemble.h"
#include "tests/zk/zk_test_client.h"

namespace dcos::testing {
namespace {

using zk::client::ZkClient;
using zk::recipes::LeaderElection;
using zk::recipes::LeaderInfo;
using zk::recipes::LeaderObserver;

constexpr char kPath[] = "/mesos/leader";
constexpr absl::Duration kSessionTimeout = absl::Seconds(2);

// Contenders "c0", "c1", ..., and a thread that counts how many lead at once.
class Contenders {
 public:
  explicit Contenders(const ZkTestEnsemble& e) : e_(e) {
    monitor_ = std::thread([this] {
      while (!stop_.load()) {
        int leading = 0;
        {
          absl::MutexLock lock(&mu_);
          for (auto& [name, c] : all_) leading += c.election && c.election->leading();
        }
        int seen = max_leading_.load();
        while (leading > seen && !max_leading_.compare_exchange_weak(seen, leading)) {
        }
        absl::SleepFor(absl::Microseconds(200));  // the sampling period, not a wait
      }
    });
  }
  ~Contenders() {
    stop_.store(true);
    monitor_.join();
    absl::MutexLock lock(&mu_);
    for (auto& [name, c] : all_) c.election.reset();
  }

  void Join(const std::string& name) {
    auto client = ConnectTestClient(e_, kSessionTimeout);
    LeaderElection::Options o;
    o.path = kPath;
    o.data = name;
    o.on_leadership = [this, name](bool leading) {
      absl::MutexLock lock(&log_mu_);
      log_.push_back(absl::StrCat(name, leading ? " leads" : " stops"));
    };
    auto election = LeaderElection::Join(client.get(), o);
    REQUIRE(election.ok());
    absl::MutexLock lock(&mu_);
    all_[name] = Contender{std::move(client), *std::move(election)};
  }
  bool Leading(const std::string& name) {
    absl::MutexLock lock(&mu_);
    return all_[name].election && all_[name].election->leading();
  }
  // The only contender leading now, or "" if none or several.
  std::string Leader() {
    absl::MutexLock lock(&mu_);
    std::string leader;
    for (auto& [name, c] : all_) {
      if (!c.election || !c.election->leading()) continue;
      if (!leader.empty()) return "";
      leader = name;
    }
    return leader;
  }
  absl::Status WaitLeader(const std::string& name, absl::Duration timeout) {
    return WaitFor([&] { return Leader() == name; }, timeout, name + " to lead");
  }
  ZkClient& client(const std::string& name) {
    absl::MutexLock lock(&mu_);
    return *all_[name].client;
  }
  LeaderElection& election(const std::string& name) {
    absl::MutexLock lock(&mu_);
    return *all_[name].election;
  }
  int max_leading() const { return max_leading_.load(); }
  std::vector<std::string> log() {
    absl::MutexLock lock(&log_mu_);
    return log_;
  }

 private:
  struct Contender {
    std::unique_ptr<ZkClient> client;
    std::unique_ptr<LeaderElection> election;  // destroyed before its client
  };
  const ZkTestEnsemble& e_;
  absl::Mutex mu_;
  std::map<std::string, Contender> all_ ABSL_GUARDED_BY(mu_);
  absl::Mutex log_mu_;
  std::vector<std::string> log_ ABSL_GUARDED_BY(log_mu_);
  std::atomic<int> max_leading_{0};
  std::atomic<bool> stop_{false};
  std::thread monitor_;
};

// The leaders a LeaderObserver reported, by data ("-" for nobody), without repeats.
struct Followed {
  absl::Mutex mu;
  std::vector<std::string> leaders;
  LeaderObserver::OnChange Callback() {
    return [this](const std::optional<LeaderInfo>& l) {
      absl::MutexLock lock(&mu);
      std::string who = l ? l->data : "-";
      if (leaders.empty() || leaders.back() != who) leaders.push_back(who);
    };
  }
  std::vector<std::string> Get() {
    absl::MutexLock lock(&mu);
    return leaders;
  }
};

TEST_CASE("election: one leader at a time; resign, close and expiry hand over in order") {
  ZkTestEnsemble e(SessionTestFlags());
  REQUIRE(e.StartAll().ok());
  auto watcher = ConnectTestClient(e, absl::Seconds(5));
  Followed followed;
  auto observer = LeaderObserver::Start(watcher.get(), kPath, followed.Callback());
  REQUIRE(observer.ok());
  {
    Contenders c(e);
    c.Join("c0");
    REQUIRE(c.WaitLeader("c0", absl::Seconds(10)).ok());
    c.Join("c1");
    c.Join("c2");
    auto leader = LeaderElection::Leader(*watcher, kPath, /*linearizable=*/true);
    REQUIRE(leader.ok());
    REQUIRE(leader->has_value());
    CHECK((*leader)->data == "c0");
    CHECK((*leader)->session_id == c.client("c0").session_id());

    // A follower resigning changes nothing; c2 now waits on c0.
    REQUIRE(c.election("c1").Resign().ok());
    CHECK(c.Leader() == "c0");

    // The leader closes its session: the next one leads at once.
    absl::Time closed = absl::Now();
    REQUIRE(c.client("c0").Close().ok());
    CHECK_FALSE(c.Leading("c0"));
    REQUIRE(c.WaitLeader("c2", kSessionTimeout).ok());
    std::printf("election: c2 led %lld ms after c0 closed its session\n",
                static_cast<long long>(absl::ToInt64Milliseconds(absl::Now() - closed)));

    // The leader freezes: it stops leading when its lease ends, c3 once the ensemble has
    // expired c2's session.
    c.Join("c3");
    CHECK(c.Leader() == "c2");
    absl::Time frozen = absl::Now();
    c.client("c2").SuspendSessionForTesting(true);
    REQUIRE(c.WaitLeader("c3", kSessionTimeout * 3).ok());
    absl::Duration handover = absl::Now() - frozen;
    std::printf("election: c3 led %lld ms after the leader c2 froze (session timeout %lld ms)\n",
                static_cast<long long>(absl::ToInt64Milliseconds(handover)),
                static_cast<long long>(absl::ToInt64Milliseconds(kSessionTimeout)));
    CHECK(handover < kSessionTimeout + absl::Seconds(1));
    REQUIRE(WaitFor([&] { return followed.Get().back() == "c3"; }, absl::Seconds(10),
                    "the observer to see c3")
                .ok());
    CHECK(c.max_leading() == 1);
    CHECK(followed.Get() == std::vector<std::string>{"-", "c0", "c2", "c3"});
    // Each contender heard its own changes in order (the callbacks of different clients run
    // on different threads: c0 may hear "stops" after c2 heard "leads"; leading() never
    // overlaps, as max_leading shows).
    REQUIRE(WaitFor([&] { return c.log().size() == 5; }, absl::Seconds(5), "5 callbacks").ok());
    std::map<std::string, std::vector<std::string>> by_contender;
    for (const std::string& line : c.log()) {
      by_contender[line.substr(0, 2)].push_back(line.substr(3));
    }
    CHECK(by_contender["c0"] == std::vector<std::string>{"leads", "stops"});
    CHECK(by_contender["c1"].empty());
    CHECK(by_contender["c2"] == std::vector<std::string>{"leads", "stops"});
    CHECK(by_contender["c3"] == std::vector<std::string>{"leads"});
  }
  // The last contender resigned on destruction: nobody leads.
  REQUIRE(WaitFor([&] { return followed.Get().back() == "-"; }, absl::Seconds(10),
                  "the observer to see nobody")
              .ok());
  auto nobody = LeaderElection::Leader(*watcher, kPath, true);
  REQUIRE(nobody.ok());
  CHECK(!nobody->has_value());
}

TEST_CASE("election: the leader keeps leading when its member is killed (kill -9)") {
  ZkTestEnsemble e(SessionTestFlags());
  REQUIRE(e.StartAll().ok());
  Contenders c(e);
  c.Join("a");
  c.Join("b");
  REQUIRE(c.WaitLeader("a", absl::Seconds(10)).ok());
  int member = e.IdOf(c.client("a").connected_address());
  REQUIRE(e.Kill(member).ok());
  // The session moves to another member within the timeout; the leader never changes.
  REQUIRE(WaitFor([&] { return e.IdOf(c.client("a").connected_address()) != member &&
                               c.client("a").session_state() ==
                                   zk::client::SessionState::kConnected; },
                  absl::Seconds(10), "a's session to move")
              .ok());
  REQUIRE(c.WaitLeader("a", absl::Seconds(5)).ok());
  CHECK(c.log() == std::vector<std::string>{"a leads"});
  CHECK(c.max_leading() == 1);
}

}  // namespace
}  // namespace dcos::testing
