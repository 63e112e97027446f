// MasterDriver: calls queued while the registry loads (agents' streams, frameworks'
// subscriptions) are answered once it has loaded, in order; a driver that never started
// refuses what was queued.

#include "services/master/master_driver.h"

#include <catch2/catch.hpp>

#include <optional>
#include <thread>

#include "absl/synchronization/notification.h"
#include "libs/clock/clock.h"
#include "services/master/core/drf_port.h"

namespace dcos::master {
namespace {

common::v1::AgentInfo Agent(const std::string& id) {
  common::v1::AgentInfo info;
  info.mutable_id()->set_value(id);
  info.mutable_address()->set_hostname("agent-" + id);
  info.mutable_address()->set_port(5051);
  for (const auto& [name, value] : {std::pair<const char*, double>{"cpus", 4}, {"mem", 1024}}) {
    common::v1::Resource* r = info.add_resources();
    r->set_name(name);
    r->set_type(common::v1::Value::TYPE_SCALAR);
    r->mutable_scalar()->set_value(value);
  }
  return info;
}

v1::AgentMessage Reregister(const std::string& id) {
  v1::AgentMessage m;
  *m.mutable_reregister_agent()->mutable_agent_info() = Agent(id);
  return m;
}

// A registry whose Load waits until the test lets it finish (a slow dcos-zk read).
class GatedRegistry final : public Registry {
 public:
  explicit GatedRegistry(RegistryContents contents) : contents_(std::move(contents)) {}
  absl::Status Apply(const std::vector<RegistryOp>&) override { return absl::OkStatus(); }
  absl::StatusOr<RegistryContents> Load() override {
    loading.Notify();
    release.WaitForNotification();
    if (!load_error.ok()) return load_error;
    return contents_;
  }
  absl::Notification loading;
  absl::Notification release;
  absl::Status load_error;

 private:
  RegistryContents contents_;
};

// Collects what the driver answers to ConnectAgent.
struct Answers {
  absl::Mutex mu;
  std::vector<absl::StatusOr<std::string>> got ABSL_GUARDED_BY(mu);
  std::function<void(absl::StatusOr<std::string>)> Callback() {
    return [this](absl::StatusOr<std::string> id) {
      absl::MutexLock lock(&mu);
      got.push_back(std::move(id));
    };
  }
  bool Await(size_t n) {
    absl::MutexLock lock(&mu);
    auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return got.size() >= n; };
    return mu.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(10));
  }
};

// A driver whose Start runs on a thread of its own and is held in the registry load.
struct Takeover {
  explicit Takeover(RegistryContents contents, absl::Status load_error = absl::OkStatus())
      : registry(std::move(contents)), driver(Options(), &allocator, &registry,
                                              clock::RealClock::Default()) {
    registry.load_error = std::move(load_error);
    starter = std::thread([this] { started = driver.Start(); });
    registry.loading.WaitForNotification();
  }
  // Lets the load finish; Start's result.
  absl::Status Release() {
    registry.release.Notify();
    starter.join();
    return started;
  }
  static DriverOptions Options() {
    DriverOptions options;
    options.core.master_info.set_id("m");
    return options;
  }

  GatedRegistry registry;
  DrfPort allocator;
  MasterDriver driver;
  absl::Status started;
  std::thread starter;
};

TEST_CASE("MasterDriver: agents that connect while the registry loads are answered after it") {
  RegistryContents contents;
  contents.admitted = {Agent("a1"), Agent("a2")};
  Takeover t(contents);
  Answers answers;
  t.driver.ConnectAgent(Reregister("a1"), std::make_shared<AgentQueue>(), answers.Callback());
  t.driver.ConnectAgent(Reregister("a2"), std::make_shared<AgentQueue>(), answers.Callback());
  {
    absl::MutexLock lock(&answers.mu);
    CHECK(answers.got.empty());  // nothing is answered before the registry is known
  }
  REQUIRE(t.Release().ok());
  REQUIRE(answers.Await(2));
  absl::MutexLock lock(&answers.mu);
  REQUIRE(answers.got[0].ok());
  REQUIRE(answers.got[1].ok());
  CHECK(*answers.got[0] == "a1");
  CHECK(*answers.got[1] == "a2");
  // Both re-registered agents of the registry (not new ones): both active, none recovered.
  absl::StatusOr<MasterCore::Stats> stats = t.driver.Run<MasterCore::Stats>(
      [](MasterCore& core, absl::Time) { return core.GetStats(); });
  REQUIRE(stats.ok());
  CHECK(stats->agents_active == 2);
  CHECK(stats->agents_recovered == 0);
}

TEST_CASE("MasterDriver: a framework that subscribes while the registry loads is answered after it") {
  RegistryContents contents;
  contents.admitted = {Agent("a1")};
  Takeover t(contents);
  common::v1::FrameworkInfo info;
  info.set_user("root");
  info.set_name("marathon");
  auto queue = std::make_shared<EventQueue>();
  absl::Mutex mu;
  std::optional<absl::StatusOr<MasterCore::Subscription>> got;
  t.driver.SubscribeFramework(info, queue, [&](absl::StatusOr<MasterCore::Subscription> s) {
    absl::MutexLock lock(&mu);
    got = std::move(s);
  });
  {
    absl::MutexLock lock(&mu);
    CHECK_FALSE(got.has_value());  // nothing is answered before the registry is known
  }
  REQUIRE(t.Release().ok());
  absl::MutexLock lock(&mu);
  auto answered = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return got.has_value(); };
  REQUIRE(mu.AwaitWithTimeout(absl::Condition(&answered), absl::Seconds(10)));
  REQUIRE(got->ok());
  CHECK_FALSE((*got)->framework_id.empty());
  CHECK(queue->size() == 1);  // SUBSCRIBED, waiting for the stream to attach
}

TEST_CASE("MasterDriver: a driver whose registry does not load refuses what was queued") {
  Takeover t({}, absl::UnavailableError("dcos-zk is away"));
  Answers answers;
  t.driver.ConnectAgent(Reregister("a1"), std::make_shared<AgentQueue>(), answers.Callback());
  CHECK(t.Release().code() == absl::StatusCode::kUnavailable);
  t.driver.Stop();
  REQUIRE(answers.Await(1));
  {
    absl::MutexLock lock(&answers.mu);
    CHECK(answers.got[0].status().code() == absl::StatusCode::kUnavailable);
  }
  // Stopped: later calls are refused at once.
  Answers later;
  t.driver.ConnectAgent(Reregister("a2"), std::make_shared<AgentQueue>(), later.Callback());
  REQUIRE(later.Await(1));
}

}  // namespace
}  // namespace dcos::master
