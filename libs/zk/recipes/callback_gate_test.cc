// CallbackGate: nothing runs after Close; Close waits for what runs, except on its own thread.

#include "libs/zk/recipes/callback_gate.h"

#include <atomic>
#include <thread>

#include <catch2/catch.hpp>

#include "absl/synchronization/notification.h"

namespace dcos::zk::recipes {
namespace {

TEST_CASE("callback gate: wrapped callbacks run while open, not after Close") {
  CallbackGate gate;
  int ran = 0;
  auto f = gate.Wrap([&](int n) { ran += n; });
  f(2);
  CHECK(ran == 2);
  gate.Close();
  f(3);
  CHECK(ran == 2);
  CHECK(gate.closed());
  CHECK_FALSE(gate.Run([&] { ran = 100; }));
}

TEST_CASE("callback gate: Close waits for a callback running on another thread") {
  CallbackGate gate;
  absl::Notification inside, release;
  std::atomic<bool> finished{false};
  std::thread t([&, f = gate.Wrap([&] {
                  inside.Notify();
                  release.WaitForNotification();
                  finished = true;
                })] { f(); });
  inside.WaitForNotification();
  std::thread closer([&] {
    gate.Close();
    CHECK(finished.load());
  });
  release.Notify();
  closer.join();
  t.join();
}

TEST_CASE("callback gate: a callback may close its own gate") {
  CallbackGate gate;
  bool closed_inside = false;
  gate.Wrap([&] {
    gate.Close();
    closed_inside = true;
  })();
  CHECK(closed_inside);
  CHECK(gate.closed());
}

}  // namespace
}  // namespace dcos::zk::recipes
