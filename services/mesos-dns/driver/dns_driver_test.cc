// Tests of DnsDriver against in-process fake masters on loopback: records published from
// SUBSCRIBED and from later events (with freshness figures), a standby's redirect followed, a
// broken stream resynchronised from a new SUBSCRIBED, the last records kept while no master
// answers, Inspect on the loop thread, and bad options refused.

#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"
#include "libs/clock/clock.h"
#include "libs/dns/wire_test_util.h"
#include "libs/testing/harness.h"
#include "services/mesos-dns/core/test_util.h"
#include "services/mesos-dns/driver/dns_driver.h"
#include "services/mesos-dns/driver/fake_master.h"

namespace dcos::dns::driver {
namespace {

using core::testing::MakeAgent;
using core::testing::MakeFramework;
using core::testing::MakeStatus;
using core::testing::MakeTask;
using core::testing::TaskSpec;
using dns::testing::N;
using dcos::testing::WaitFor;
using testing::FakeMaster;

master::v1::ClusterState OneTask(const std::string& task) {
  master::v1::ClusterState state;
  *state.add_agents() = MakeAgent("agent-S1", "10.0.0.1");
  *state.add_frameworks() = MakeFramework("fw-1", "marathon");
  TaskSpec spec;
  spec.id = task + ".1";
  spec.name = task;
  spec.port_ranges = {{31000, 31000}};
  *state.add_tasks() = MakeTask(spec);
  return state;
}

master::v1::OperatorEvent Running(const std::string& task) {
  TaskSpec spec;
  spec.id = task + ".1";
  spec.name = task;
  spec.state = common::v1::TASK_STAGING;
  spec.port_ranges = {{31001, 31001}};
  master::v1::OperatorEvent added;
  *added.mutable_task_added()->mutable_task() = MakeTask(spec);
  return added;
}

master::v1::OperatorEvent Updated(const std::string& task, common::v1::TaskState state) {
  master::v1::OperatorEvent e;
  e.mutable_task_updated()->mutable_framework_id()->set_value("fw-1");
  *e.mutable_task_updated()->mutable_status() = MakeStatus(task + ".1", state);
  e.mutable_task_updated()->mutable_status()->mutable_timestamp()->set_seconds(
      absl::ToUnixSeconds(absl::Now()));
  e.mutable_task_updated()->set_state(state);
  return e;
}

bool Has(const DnsDriver& driver, const std::string& name) {
  return driver.holder().Load()->Lookup(N(name)) != nullptr;
}

DriverOptions Options(std::vector<std::string> masters) {
  DriverOptions o;
  o.follower.static_masters = std::move(masters);
  o.follower.initial_backoff = absl::Milliseconds(20);
  o.follower.max_backoff = absl::Milliseconds(200);
  return o;
}

std::unique_ptr<DnsDriver> StartDriver(DriverOptions options,
                                       DnsDriver::OnPublish on_publish = nullptr) {
  auto driver =
      DnsDriver::Start(std::move(options), clock::RealClock::Default(), std::move(on_publish));
  REQUIRE(driver.ok());
  return *std::move(driver);
}

TEST_CASE("records follow SUBSCRIBED and the events after it") {
  auto master = FakeMaster::Start();
  REQUIRE(master != nullptr);
  master->SetState(OneTask("web"));
  absl::Mutex mu;
  std::vector<absl::Duration> lags;
  auto driver = StartDriver(Options({master->address()}), [&](const PublishInfo& info) {
    absl::MutexLock lock(&mu);
    for (absl::Duration d : info.since_received) lags.push_back(d);
  });
  REQUIRE(WaitFor([&] { return Has(*driver, "web.marathon.mesos"); }, absl::Seconds(10),
                  "web from SUBSCRIBED").ok());
  CHECK(Has(*driver, "leader.mesos"));
  CHECK(driver->status().connected);
  CHECK(driver->status().master == master->address());
  CHECK(driver->status().resyncs == 1);

  // A task launched and running: resolvable once RUNNING, gone once finished.
  master->Push(Running("api"));
  master->Push(Updated("api", common::v1::TASK_STARTING));
  CHECK_FALSE(Has(*driver, "api.marathon.mesos"));
  absl::Time sent = absl::Now();
  master->Push(Updated("api", common::v1::TASK_RUNNING));
  REQUIRE(WaitFor([&] { return Has(*driver, "api.marathon.mesos"); }, absl::Seconds(10),
                  "api RUNNING").ok());
  WARN("RUNNING pushed -> served in-process: " << absl::FormatDuration(absl::Now() - sent));
  CHECK(Has(*driver, "_api._tcp.marathon.slave.mesos"));
  master->Push(Updated("api", common::v1::TASK_FINISHED));
  REQUIRE(WaitFor([&] { return !Has(*driver, "api.marathon.mesos"); }, absl::Seconds(10),
                  "api gone").ok());
  absl::MutexLock lock(&mu);
  CHECK(!lags.empty());
  for (absl::Duration d : lags) CHECK(d < absl::Seconds(5));
}

TEST_CASE("a standby's redirect is followed to the leader") {
  auto leader = FakeMaster::Start();
  auto standby = FakeMaster::Start();
  leader->SetState(OneTask("web"));
  standby->SetRedirect(leader->address());
  auto driver = StartDriver(Options({standby->address()}));
  REQUIRE(WaitFor([&] { return Has(*driver, "web.marathon.mesos"); }, absl::Seconds(10),
                  "records from the leader").ok());
  CHECK(driver->status().master == leader->address());
  CHECK(standby->subscribe_calls() >= 1);
}

TEST_CASE("a broken stream is resubscribed and resynchronised; no master keeps the records") {
  auto a = FakeMaster::Start();
  auto b = FakeMaster::Start();
  a->SetState(OneTask("web"));
  b->SetRedirect(a->address());
  auto driver = StartDriver(Options({a->address(), b->address()}));
  REQUIRE(WaitFor([&] { return Has(*driver, "web.marathon.mesos"); }, absl::Seconds(10),
                  "web").ok());
  // Master a goes away; b takes over and knows another task: web is gone, db came.
  b->SetState(OneTask("db"));
  b->SetRedirect(std::nullopt);
  a->SetRedirect(b->address());
  a->EndStreams();
  REQUIRE(WaitFor([&] { return Has(*driver, "db.marathon.mesos"); }, absl::Seconds(10),
                  "db after the resync").ok());
  CHECK_FALSE(Has(*driver, "web.marathon.mesos"));
  CHECK(driver->status().resyncs == 2);
  CHECK(driver->status().master == b->address());

  // Nobody answers any more: the records stay, the driver keeps trying.
  const std::string b_address = b->address();
  a.reset();
  b.reset();
  REQUIRE(WaitFor([&] { return !driver->status().connected; }, absl::Seconds(10),
                  "disconnected").ok());
  const uint64_t attempts = driver->status().attempts;
  REQUIRE(WaitFor([&] { return driver->status().attempts > attempts + 2; }, absl::Seconds(10),
                  "retries").ok());
  CHECK(Has(*driver, "db.marathon.mesos"));
  CHECK(!driver->status().last_error.empty());

  // The master is back on its address: followed again.
  const int port = std::stoi(b_address.substr(b_address.rfind(':') + 1));
  auto back = FakeMaster::Start("127.0.0.1", port);
  REQUIRE(back != nullptr);
  back->SetState(OneTask("cache"));
  REQUIRE(WaitFor([&] { return Has(*driver, "cache.marathon.mesos"); }, absl::Seconds(10),
                  "cache from the master that came back").ok());
  CHECK_FALSE(Has(*driver, "db.marathon.mesos"));
}

TEST_CASE("Inspect runs on the loop thread; bad options are refused") {
  auto master = FakeMaster::Start();
  master->SetState(OneTask("web"));
  auto driver = StartDriver(Options({master->address()}));
  REQUIRE(WaitFor([&] { return Has(*driver, "web.marathon.mesos"); }, absl::Seconds(10),
                  "web").ok());
  size_t tasks = 0;
  REQUIRE(driver->Inspect([&](const core::RecordBuilder& b) { tasks = b.task_count(); },
                          absl::Seconds(5)).ok());
  CHECK(tasks == 1);
  driver->Stop();
  CHECK(driver->Inspect([](const core::RecordBuilder&) {}, absl::Seconds(1)).code() ==
        absl::StatusCode::kUnavailable);
  CHECK(Has(*driver, "web.marathon.mesos"));  // the last snapshot stays

  CHECK(DnsDriver::Start(DriverOptions{}, clock::RealClock::Default()).status().code() ==
        absl::StatusCode::kInvalidArgument);
  DriverOptions bad = Options({"127.0.0.1:1"});
  bad.records.domain = "bad..domain";
  absl::Status refused = DnsDriver::Start(bad, clock::RealClock::Default()).status();
  CHECK(refused.code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(refused.message()).find("domain") != std::string::npos);
}

}  // namespace
}  // namespace dcos::dns::driver
