// EventQueue: tasks in order on one thread; waiting for a member's event to be delivered.

#include "libs/zk/event_queue.h"

#include <atomic>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "absl/synchronization/notification.h"

namespace dcos::zk::client {
namespace {

TEST_CASE("event queue: tasks run in order, on the event thread") {
  std::vector<int> ran;
  std::atomic<bool> on_thread{true};
  {
    EventQueue q;
    CHECK_FALSE(q.OnEventThread());
    for (int i = 0; i < 100; ++i) {
      q.Push([&, i] {
        ran.push_back(i);
        if (!q.OnEventThread()) on_thread = false;
      });
    }
    q.Stop(/*drain=*/true);
  }
  REQUIRE(ran.size() == 100);
  for (int i = 0; i < 100; ++i) CHECK(ran[i] == i);
  CHECK(on_thread.load());
}

TEST_CASE("event queue: AwaitDelivered returns once the event's task has run") {
  EventQueue q;
  absl::Notification release;
  std::atomic<bool> ran{false};
  q.Push([&] { release.WaitForNotification(); }, /*member=*/1, /*sequence=*/1);
  q.Push([&] { ran = true; }, 1, 2);
  std::thread waiter([&] {
    CHECK(q.AwaitDelivered(1, 2, absl::InfiniteFuture(), [] { return false; }));
    CHECK(ran.load());
  });
  // Another member's numbers are independent; a task without a sequence is no event.
  CHECK_FALSE(q.AwaitDelivered(2, 1, absl::Now() + absl::Milliseconds(20), [] { return false; }));
  release.Notify();
  waiter.join();
  CHECK(q.AwaitDelivered(1, 1, absl::Now(), [] { return false; }));
}

TEST_CASE("event queue: a waiter gives up when told, after Wake") {
  EventQueue q;
  std::atomic<bool> give_up{false};
  std::thread waiter([&] {
    CHECK_FALSE(q.AwaitDelivered(0, 5, absl::InfiniteFuture(), [&] { return give_up.load(); }));
  });
  give_up = true;
  q.Wake();
  waiter.join();
}

TEST_CASE("event queue: Stop without draining drops what is queued") {
  std::atomic<int> ran{0};
  absl::Notification started, release;
  EventQueue q;
  q.Push([&] {
    started.Notify();
    release.WaitForNotification();
    ++ran;
  });
  for (int i = 0; i < 10; ++i) q.Push([&] { ++ran; });
  started.WaitForNotification();
  std::thread stopper([&] { q.Stop(/*drain=*/false); });
  while (!q.stopping()) std::this_thread::yield();
  release.Notify();
  stopper.join();
  CHECK(ran.load() == 1);
  q.Push([&] { ++ran; });  // after Stop: dropped
  CHECK(ran.load() == 1);
}

}  // namespace
}  // namespace dcos::zk::client
