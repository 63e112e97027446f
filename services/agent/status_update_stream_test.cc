// The per-task status update stream: order, one in flight, backoff, acknowledgement by uuid,
// reset after a reconnection; and a randomized run against a model (seed printed; replay with
// AGENT_TEST_SEED=<seed>).

#include <cstdio>
#include <cstdlib>
#include <random>

#include <catch2/catch.hpp>

#include "services/agent/status_update_stream.h"

namespace dcos::agent {
namespace {

using common::v1::TaskStatus;

const absl::Time kT0 = absl::FromUnixSeconds(1000);

TaskStatus Update(int n) {
  TaskStatus s;
  s.set_uuid(std::string(15, 'u') + static_cast<char>('a' + n));
  s.set_message("update " + std::to_string(n));
  return s;
}

TEST_CASE("the oldest update is sent at once and retried 10 s doubling to 10 min", "[stream]") {
  StatusUpdateStream stream;
  CHECK(stream.next_attempt() == absl::InfiniteFuture());
  stream.Add(Update(0), kT0);
  stream.Add(Update(1), kT0);
  const TaskStatus* s = stream.TakeDue(kT0);
  REQUIRE(s != nullptr);
  CHECK(s->message() == "update 0");
  CHECK(stream.TakeDue(kT0) == nullptr);  // one in flight, not due again yet
  absl::Time t = kT0;
  absl::Duration expected = absl::Seconds(10);
  for (int i = 0; i < 10; ++i) {
    CHECK(stream.next_attempt() - t == expected);
    t = stream.next_attempt();
    CHECK(stream.TakeDue(t - absl::Milliseconds(1)) == nullptr);
    REQUIRE(stream.TakeDue(t) != nullptr);
    CHECK(stream.TakeDue(t)  == nullptr);
    expected = std::min(expected * 2, absl::Minutes(10));
  }
  CHECK(stream.next_attempt() - t == absl::Minutes(10));
}

TEST_CASE("an acknowledgement by uuid releases the next update at once", "[stream]") {
  StatusUpdateStream stream;
  stream.Add(Update(0), kT0);
  stream.Add(Update(1), kT0);
  REQUIRE(stream.TakeDue(kT0) != nullptr);
  // Acks for other updates (the next one, an unknown one) change nothing.
  CHECK_FALSE(stream.Acknowledge(Update(1).uuid(), kT0).has_value());
  CHECK_FALSE(stream.Acknowledge("nonsense", kT0).has_value());
  CHECK(stream.pending().size() == 2);
  absl::Time later = kT0 + absl::Seconds(3);
  auto acked = stream.Acknowledge(Update(0).uuid(), later);
  REQUIRE(acked.has_value());
  CHECK(acked->message() == "update 0");
  // A duplicate ack of the same update is ignored.
  CHECK_FALSE(stream.Acknowledge(Update(0).uuid(), later).has_value());
  const TaskStatus* s = stream.TakeDue(later);
  REQUIRE(s != nullptr);
  CHECK(s->message() == "update 1");
  CHECK(stream.next_attempt() == later + absl::Seconds(10));
  REQUIRE(stream.Acknowledge(Update(1).uuid(), later).has_value());
  CHECK(stream.empty());
  CHECK(stream.TakeDue(later + absl::Hours(1)) == nullptr);
}

TEST_CASE("after a reconnection the oldest update goes out at once, backoff reset", "[stream]") {
  StatusUpdateStream stream({absl::Seconds(10), absl::Minutes(10)});
  stream.Add(Update(0), kT0);
  absl::Time t = kT0;
  for (int i = 0; i < 5; ++i) {
    REQUIRE(stream.TakeDue(t) != nullptr);
    t = stream.next_attempt();
  }
  absl::Time reconnect = t - absl::Seconds(1);
  CHECK(stream.TakeDue(reconnect) == nullptr);
  stream.Reset(reconnect);
  REQUIRE(stream.TakeDue(reconnect) != nullptr);
  CHECK(stream.next_attempt() == reconnect + absl::Seconds(10));
}

uint64_t TestSeed() {
  static const uint64_t seed = [] {
    const char* env = std::getenv("AGENT_TEST_SEED");
    uint64_t s = env != nullptr ? std::strtoull(env, nullptr, 10) : std::random_device()();
    std::printf("status update stream random test: seed=%llu (replay with AGENT_TEST_SEED)\n",
                static_cast<unsigned long long>(s));
    return s;
  }();
  return seed;
}

TEST_CASE("random operations keep order, one in flight and the retry bounds", "[stream][random]") {
  std::mt19937_64 rng(TestSeed());
  for (int run = 0; run < 200; ++run) {
    StatusUpdateStream stream({absl::Seconds(1), absl::Seconds(30)});
    absl::Time now = kT0;
    int added = 0;      // updates 0..added-1 were added
    int acked = 0;      // updates 0..acked-1 were acknowledged (the model)
    absl::Time last_send = absl::InfinitePast();
    for (int step = 0; step < 100; ++step) {
      INFO("seed=" << TestSeed() << " run " << run << " step " << step);
      switch (rng() % 5) {
        case 0:
          if (added < 25) stream.Add(Update(added++), now);
          break;
        case 1: {  // an ack for a random update, maybe the oldest
          if (added == 0) break;
          int n = static_cast<int>(rng() % added);
          bool matched = stream.Acknowledge(Update(n).uuid(), now).has_value();
          CHECK(matched == (n == acked && acked < added));
          if (matched) {
            ++acked;
            last_send = absl::InfinitePast();
          }
          break;
        }
        case 2:
          stream.Reset(now);
          last_send = absl::InfinitePast();
          break;
        default:
          now += absl::Milliseconds(static_cast<int64_t>(rng() % 20000));
      }
      const bool due = acked < added && now >= stream.next_attempt();
      const TaskStatus* s = stream.TakeDue(now);
      CHECK((s != nullptr) == due);
      if (s != nullptr) {
        // Always the oldest unacknowledged update; retries never closer than the last
        // interval and never further apart than retry_max.
        CHECK(s->uuid() == Update(acked).uuid());
        if (last_send != absl::InfinitePast()) CHECK(now - last_send >= absl::Seconds(1));
        CHECK(stream.next_attempt() - now <= absl::Seconds(30));
        last_send = now;
      }
      CHECK(static_cast<int>(stream.pending().size()) == added - acked);
      if (acked < added) CHECK(stream.next_attempt() <= now + absl::Seconds(30));
    }
  }
}

}  // namespace
}  // namespace dcos::agent
