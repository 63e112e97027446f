// SessionTable: config and negotiation, session ids, Create / Touch / Close / Expire, errors,
// and ExpiredAt's boundaries and order.

#include <catch2/catch.hpp>

#include <string>

#include "absl/strings/str_replace.h"
#include "services/zk-ensemble/core/errors.h"
#include "services/zk-ensemble/core/session_id.h"
#include "services/zk-ensemble/core/sessions.h"
#include "services/zk-ensemble/core/tree_test_util.h"

namespace dcos::zk {
namespace {

using absl::Milliseconds;
using absl::Seconds;
using testing::T;

// Ids as a leader of term 1 would assign them.
int64_t Id(int64_t counter) { return *NextSessionId(1, counter); }

TEST_CASE("session config: defaults are ZooKeeper's 2x and 20x a 2 s tick") {
  SessionConfig config;
  CHECK(config.min_timeout == Seconds(4));
  CHECK(config.max_timeout == Seconds(40));
  CHECK(ValidateSessionConfig(config).ok());
  CHECK(ValidateSessionConfig({Seconds(10), Seconds(10)}).ok());
  CHECK(ValidateSessionConfig({Milliseconds(1), kMaxSessionTimeoutLimit}).ok());
}

TEST_CASE("session config: bad bounds are INVALID_ARGUMENT") {
  const SessionConfig bad[] = {
      {absl::ZeroDuration(), Seconds(40)},       // min zero
      {Seconds(-1), Seconds(40)},                // min negative
      {Seconds(41), Seconds(40)},                // min > max
      {Seconds(4), kMaxSessionTimeoutLimit + Milliseconds(1)},
      {Seconds(4), absl::InfiniteDuration()},
      {absl::Microseconds(4500), Seconds(40)},   // not whole milliseconds
      {Seconds(4), Seconds(40) + absl::Nanoseconds(1)},
  };
  for (const SessionConfig& config : bad) {
    INFO(absl::FormatDuration(config.min_timeout) << " "
                                                 << absl::FormatDuration(config.max_timeout));
    CHECK(ValidateSessionConfig(config).code() == absl::StatusCode::kInvalidArgument);
    CHECK(SessionTable::New(config).status().code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("negotiation clamps the requested timeout into the bounds") {
  SessionTable table;  // [4 s, 40 s]
  CHECK(table.Negotiate(Seconds(10)) == Seconds(10));
  CHECK(table.Negotiate(Seconds(4)) == Seconds(4));            // exactly min
  CHECK(table.Negotiate(Seconds(40)) == Seconds(40));          // exactly max
  CHECK(table.Negotiate(Seconds(4) - Milliseconds(1)) == Seconds(4));
  CHECK(table.Negotiate(Seconds(40) + Milliseconds(1)) == Seconds(40));
  CHECK(table.Negotiate(Milliseconds(1)) == Seconds(4));
  CHECK(table.Negotiate(absl::ZeroDuration()) == Seconds(4));
  CHECK(table.Negotiate(Seconds(-5)) == Seconds(4));
  CHECK(table.Negotiate(absl::InfiniteDuration()) == Seconds(40));  // "unset": the maximum
  CHECK(table.Negotiate(-absl::InfiniteDuration()) == Seconds(4));
  CHECK(table.Negotiate(absl::Hours(1000)) == Seconds(40));
  // Sub-millisecond parts are dropped.
  CHECK(table.Negotiate(Milliseconds(4500) + absl::Microseconds(999)) == Milliseconds(4500));
  CHECK(table.Negotiate(Seconds(40) - absl::Nanoseconds(1)) == Seconds(40) - Milliseconds(1));
  CHECK(table.Negotiate(Seconds(4) + absl::Nanoseconds(1)) == Seconds(4));
}

TEST_CASE("negotiation uses a configured range") {
  SessionTable table({Seconds(1), Seconds(2)});
  CHECK(table.Negotiate(Seconds(1) + Milliseconds(500)) == Milliseconds(1500));
  CHECK(table.Negotiate(Milliseconds(10)) == Seconds(1));
  CHECK(table.Negotiate(Seconds(30)) == Seconds(2));
  CHECK(NegotiateTimeout({Seconds(6), Seconds(6)}, Seconds(1)) == Seconds(6));
  CHECK(NegotiateTimeout({Seconds(6), Seconds(6)}, Seconds(60)) == Seconds(6));
}

TEST_CASE("session ids: term in the high bits, counter in the low bits") {
  CHECK(*NextSessionId(1, 0) == (int64_t{1} << 32));
  CHECK(*NextSessionId(1, 7) == (int64_t{1} << 32) + 7);
  const int64_t id = *NextSessionId(12345, 678);
  CHECK(SessionIdTerm(id) == 12345);
  CHECK(SessionIdCounter(id) == 678);
  const int64_t largest = *NextSessionId(kMaxSessionIdTerm, kMaxSessionIdCounter);
  CHECK(largest == INT64_MAX);
  CHECK(SessionIdTerm(largest) == kMaxSessionIdTerm);
  CHECK(SessionIdCounter(largest) == kMaxSessionIdCounter);
  // Every id of a later term is above every id of an earlier one.
  CHECK(*NextSessionId(2, 0) > *NextSessionId(1, kMaxSessionIdCounter));
  CHECK(SessionIdString(*NextSessionId(1, 26)) == "0x10000001a");
}

TEST_CASE("session ids: out-of-range term or counter is OUT_OF_RANGE") {
  CHECK(NextSessionId(0, 0).status().code() == absl::StatusCode::kOutOfRange);
  CHECK(NextSessionId(-1, 0).status().code() == absl::StatusCode::kOutOfRange);
  CHECK(NextSessionId(kMaxSessionIdTerm + 1, 0).status().code() ==
        absl::StatusCode::kOutOfRange);
  CHECK(NextSessionId(1, -1).status().code() == absl::StatusCode::kOutOfRange);
  CHECK(NextSessionId(1, kMaxSessionIdCounter + 1).status().code() ==
        absl::StatusCode::kOutOfRange);
}

TEST_CASE("session id allocator counts up within its term; a new term starts above") {
  SessionIdAllocator first(3);
  CHECK(*first.Next() == *NextSessionId(3, 0));
  CHECK(*first.Next() == *NextSessionId(3, 1));
  const int64_t last_of_first = *first.Next();
  SessionIdAllocator second(4);
  const int64_t first_of_second = *second.Next();
  CHECK(first_of_second > last_of_first);
  CHECK(SessionIdAllocator(0).Next().status().code() == absl::StatusCode::kOutOfRange);
}

TEST_CASE("create stores the timeout and the creation time") {
  SessionTable table;
  ZK_REQUIRE_OK(table.Create(Id(0), Seconds(10), T(0)));
  CHECK(table.Exists(Id(0)));
  CHECK_FALSE(table.Exists(Id(1)));
  auto info = table.Get(Id(0));
  REQUIRE(info.ok());
  CHECK(*info == SessionInfo{Seconds(10), T(0)});
  CHECK(table.size() == 1);
  CHECK(table.max_created_id() == Id(0));
  ZK_REQUIRE_OK(table.CheckLive(Id(0)));
}

TEST_CASE("create keeps the leader's timeout even outside this member's bounds") {
  SessionTable table({Seconds(4), Seconds(40)});
  ZK_REQUIRE_OK(table.Create(Id(0), Seconds(1), T(0)));
  ZK_REQUIRE_OK(table.Create(Id(1), Seconds(100), T(0)));
  CHECK(table.Get(Id(0))->timeout == Seconds(1));
  CHECK(table.Get(Id(1))->timeout == Seconds(100));
}

TEST_CASE("create truncates the timeout and time to milliseconds") {
  SessionTable table;
  ZK_REQUIRE_OK(table.Create(Id(0), Milliseconds(5001) + absl::Microseconds(700),
                             T(3) + absl::Microseconds(999)));
  CHECK(*table.Get(Id(0)) == SessionInfo{Milliseconds(5001), T(3)});
}

TEST_CASE("create: bad arguments are BAD_ARGUMENTS and change nothing") {
  SessionTable table;
  ZK_REQUIRE_OK(table.Create(Id(5), Seconds(10), T(0)));
  const std::string before = table.Snapshot();
  ZK_REQUIRE_CODE(table.Create(0, Seconds(10), T(0)), ZkCode::kBadArguments);
  ZK_REQUIRE_CODE(table.Create(-7, Seconds(10), T(0)), ZkCode::kBadArguments);
  ZK_REQUIRE_CODE(table.Create(Id(6), absl::ZeroDuration(), T(0)), ZkCode::kBadArguments);
  ZK_REQUIRE_CODE(table.Create(Id(6), Seconds(-1), T(0)), ZkCode::kBadArguments);
  ZK_REQUIRE_CODE(table.Create(Id(6), absl::Microseconds(999), T(0)), ZkCode::kBadArguments);
  ZK_REQUIRE_CODE(table.Create(Id(6), kMaxSessionTimeoutLimit + Milliseconds(1), T(0)),
                  ZkCode::kBadArguments);
  ZK_REQUIRE_CODE(table.Create(Id(6), absl::InfiniteDuration(), T(0)), ZkCode::kBadArguments);
  ZK_REQUIRE_CODE(table.Create(Id(6), Seconds(10), absl::InfiniteFuture()),
                  ZkCode::kBadArguments);
  ZK_REQUIRE_CODE(table.Create(Id(6), Seconds(10), absl::InfinitePast()),
                  ZkCode::kBadArguments);
  CHECK(table.Create(0, Seconds(10), T(0)).code() == absl::StatusCode::kInvalidArgument);
  CHECK(table.Snapshot() == before);
  // The limits themselves are accepted.
  ZK_REQUIRE_OK(table.Create(Id(6), Milliseconds(1), T(0)));
  ZK_REQUIRE_OK(table.Create(Id(7), kMaxSessionTimeoutLimit, T(0)));
}

TEST_CASE("create: a live, closed, expired or lower id is SYSTEM_ERROR (ids never reused)") {
  SessionTable table;
  ZK_REQUIRE_OK(table.Create(Id(1), Seconds(10), T(0)));
  ZK_REQUIRE_OK(table.Create(Id(2), Seconds(10), T(0)));
  ZK_REQUIRE_OK(table.Create(Id(3), Seconds(10), T(0)));
  ZK_REQUIRE_OK(table.Close(Id(1)));
  ZK_REQUIRE_OK(table.Expire(Id(2)));
  const std::string before = table.Snapshot();
  ZK_REQUIRE_CODE(table.Create(Id(3), Seconds(10), T(1)), ZkCode::kSystemError);  // live
  ZK_REQUIRE_CODE(table.Create(Id(1), Seconds(10), T(1)), ZkCode::kSystemError);  // closed
  ZK_REQUIRE_CODE(table.Create(Id(2), Seconds(10), T(1)), ZkCode::kSystemError);  // expired
  ZK_REQUIRE_CODE(table.Create(Id(0), Seconds(10), T(1)), ZkCode::kSystemError);  // lower
  CHECK(table.Create(Id(3), Seconds(10), T(1)).code() == absl::StatusCode::kInternal);
  CHECK(table.Snapshot() == before);
  CHECK_FALSE(table.Exists(Id(1)));
  CHECK_FALSE(table.Exists(Id(2)));
  ZK_REQUIRE_OK(table.Create(*NextSessionId(2, 0), Seconds(10), T(1)));  // next term
}

TEST_CASE("touch moves last_heard forward, never backward") {
  SessionTable table;
  ZK_REQUIRE_OK(table.Create(Id(0), Seconds(10), T(1000)));
  ZK_REQUIRE_OK(table.Touch(Id(0), T(3000)));
  CHECK(table.Get(Id(0))->last_heard == T(3000));
  ZK_REQUIRE_OK(table.Touch(Id(0), T(2000)));  // an older clock (e.g. after failover)
  CHECK(table.Get(Id(0))->last_heard == T(3000));
  ZK_REQUIRE_OK(table.Touch(Id(0), T(3000)));
  CHECK(table.Get(Id(0))->last_heard == T(3000));
  ZK_REQUIRE_OK(table.Touch(Id(0), T(4000) + absl::Microseconds(500)));
  CHECK(table.Get(Id(0))->last_heard == T(4000));
  CHECK(table.Get(Id(0))->timeout == Seconds(10));
}

TEST_CASE("close and expire remove the session; it then answers SESSION_EXPIRED") {
  SessionTable table;
  ZK_REQUIRE_OK(table.Create(Id(0), Seconds(10), T(0)));
  ZK_REQUIRE_OK(table.Create(Id(1), Seconds(10), T(0)));
  ZK_REQUIRE_OK(table.Close(Id(0)));
  ZK_REQUIRE_OK(table.Expire(Id(1)));
  CHECK(table.size() == 0);
  CHECK(table.SessionIds().empty());
  for (int64_t id : {Id(0), Id(1)}) {
    INFO(id);
    CHECK_FALSE(table.Exists(id));
    ZK_REQUIRE_CODE(table.Get(id).status(), ZkCode::kSessionExpired);
    ZK_REQUIRE_CODE(table.CheckLive(id), ZkCode::kSessionExpired);
    ZK_REQUIRE_CODE(table.Touch(id, T(1)), ZkCode::kSessionExpired);
    ZK_REQUIRE_CODE(table.Close(id), ZkCode::kSessionExpired);
    ZK_REQUIRE_CODE(table.Expire(id), ZkCode::kSessionExpired);
    CHECK(table.CheckLive(id).code() == absl::StatusCode::kFailedPrecondition);
    CHECK(table.CheckLive(id).message() ==
          "SESSION_EXPIRED: session " + SessionIdString(id) + " has expired or was closed");
  }
  CHECK(table.ExpiredAt(T(1000000)).empty());
}

TEST_CASE("an id never created is SESSION_EXPIRED too, with its own message") {
  SessionTable table;
  ZK_REQUIRE_OK(table.Create(Id(0), Seconds(10), T(0)));
  const std::string before = table.Snapshot();
  for (int64_t id : {Id(1), Id(1000), *NextSessionId(9, 0)}) {
    INFO(id);
    ZK_REQUIRE_CODE(table.Get(id).status(), ZkCode::kSessionExpired);
    ZK_REQUIRE_CODE(table.Touch(id, T(1)), ZkCode::kSessionExpired);
    ZK_REQUIRE_CODE(table.Close(id), ZkCode::kSessionExpired);
    ZK_REQUIRE_CODE(table.Expire(id), ZkCode::kSessionExpired);
    CHECK(table.CheckLive(id).message() ==
          "SESSION_EXPIRED: session " + SessionIdString(id) + " does not exist");
  }
  CHECK(table.Snapshot() == before);
}

TEST_CASE("passwords: only the session's own is accepted; a wrong one looks like a gone session") {
  const std::string password = "0123456789abcdef";
  REQUIRE(password.size() == kSessionPasswordBytes);
  SessionTable table;
  ZK_REQUIRE_OK(table.Create(Id(0), Seconds(10), T(0), password));
  ZK_REQUIRE_OK(table.Create(Id(1), Seconds(10), T(0), std::string(16, 'x')));
  ZK_REQUIRE_OK(table.Create(Id(2), Seconds(10), T(0), std::string(16, 'y')));
  ZK_REQUIRE_OK(table.Close(Id(1)));
  CHECK(table.HasPassword(Id(0)));
  ZK_REQUIRE_OK(table.CheckPassword(Id(0), password));
  // What a closed session answers, to the letter.
  const absl::Status gone = table.CheckLive(Id(1));
  ZK_REQUIRE_CODE(gone, ZkCode::kSessionExpired);
  std::string flipped = password;
  flipped[15] = static_cast<char>(flipped[15] ^ 1);
  for (const std::string& wrong :
       {flipped, std::string(), password.substr(0, 15), password + "!",
        std::string(16, 'x'), std::string(16, 'y'), std::string(16, '\0')}) {
    INFO(wrong.size());
    const absl::Status refused = table.CheckPassword(Id(0), wrong);
    CHECK(refused.code() == gone.code());
    CHECK(ZkCodeOf(refused) == ZkCodeOf(gone));
    CHECK(std::string(refused.message()) ==
          absl::StrReplaceAll(gone.message(), {{SessionIdString(Id(1)), SessionIdString(Id(0))}}));
  }
  // A closed session refuses its own password too; a never-created one answers as CheckLive.
  CHECK(table.CheckPassword(Id(1), std::string(16, 'x')) == gone);
  CHECK(table.CheckPassword(Id(9), password) == table.CheckLive(Id(9)));
  CHECK(table.CheckPassword(0, password).code() == absl::StatusCode::kInvalidArgument);
  CHECK_FALSE(table.HasPassword(Id(1)));  // gone with the session
  // Nothing changed: the session still takes its password.
  ZK_REQUIRE_OK(table.CheckPassword(Id(0), password));
}

TEST_CASE("passwords: none recorded accepts any; a password of another size is BAD_ARGUMENTS") {
  SessionTable table;
  ZK_REQUIRE_OK(table.Create(Id(0), Seconds(10), T(0)));  // an entry from before passwords
  CHECK_FALSE(table.HasPassword(Id(0)));
  ZK_REQUIRE_OK(table.CheckPassword(Id(0), ""));
  ZK_REQUIRE_OK(table.CheckPassword(Id(0), std::string(16, 'q')));
  const std::string before = table.Snapshot();
  for (size_t size : {size_t{1}, size_t{15}, size_t{17}, size_t{64}}) {
    INFO(size);
    ZK_REQUIRE_CODE(table.Create(Id(1), Seconds(10), T(0), std::string(size, 'p')),
                    ZkCode::kBadArguments);
  }
  CHECK(table.Snapshot() == before);
}

TEST_CASE("session calls with id <= 0 are BAD_ARGUMENTS; touch at an infinite time too") {
  SessionTable table;
  ZK_REQUIRE_OK(table.Create(Id(0), Seconds(10), T(0)));
  const std::string before = table.Snapshot();
  for (int64_t id : {int64_t{0}, int64_t{-1}, INT64_MIN}) {
    INFO(id);
    ZK_REQUIRE_CODE(table.Get(id).status(), ZkCode::kBadArguments);
    ZK_REQUIRE_CODE(table.CheckLive(id), ZkCode::kBadArguments);
    ZK_REQUIRE_CODE(table.Touch(id, T(1)), ZkCode::kBadArguments);
    ZK_REQUIRE_CODE(table.Close(id), ZkCode::kBadArguments);
    ZK_REQUIRE_CODE(table.Expire(id), ZkCode::kBadArguments);
    CHECK_FALSE(table.Exists(id));
  }
  ZK_REQUIRE_CODE(table.Touch(Id(0), absl::InfiniteFuture()), ZkCode::kBadArguments);
  CHECK(table.Snapshot() == before);
}

TEST_CASE("ExpiredAt: a session is overdue exactly at last_heard + timeout") {
  SessionTable table;
  ZK_REQUIRE_OK(table.Create(Id(0), Seconds(10), T(0)));
  CHECK(table.ExpiredAt(T(0)).empty());
  CHECK(table.ExpiredAt(T(9999)).empty());
  CHECK(table.ExpiredAt(T(10000) - absl::Nanoseconds(1)).empty());
  CHECK(table.ExpiredAt(T(10000)) == std::vector<int64_t>{Id(0)});
  CHECK(table.ExpiredAt(T(10001)) == std::vector<int64_t>{Id(0)});
  // ExpiredAt decides nothing: the session is still live until Expire is applied.
  CHECK(table.Exists(Id(0)));
  ZK_REQUIRE_OK(table.Touch(Id(0), T(10000)));  // a replicated touch at the deadline
  CHECK(table.ExpiredAt(T(10000)).empty());
  CHECK(table.ExpiredAt(T(19999)).empty());
  CHECK(table.ExpiredAt(T(20000)) == std::vector<int64_t>{Id(0)});
  ZK_REQUIRE_OK(table.Expire(Id(0)));
  CHECK(table.ExpiredAt(T(20000)).empty());
}

TEST_CASE("ExpiredAt: earliest deadline first, ties by ascending id") {
  SessionTable table;
  // deadlines: Id(0) 30 s, Id(1) 10 s, Id(2) 10 s, Id(3) 5 s + 10 s = 15 s, Id(4) 40 s.
  ZK_REQUIRE_OK(table.Create(Id(0), Seconds(30), T(0)));
  ZK_REQUIRE_OK(table.Create(Id(1), Seconds(10), T(0)));
  ZK_REQUIRE_OK(table.Create(Id(2), Seconds(5), T(5000)));
  ZK_REQUIRE_OK(table.Create(Id(3), Seconds(10), T(5000)));
  ZK_REQUIRE_OK(table.Create(Id(4), Seconds(40), T(0)));
  CHECK(table.ExpiredAt(T(9999)).empty());
  CHECK(table.ExpiredAt(T(10000)) == std::vector<int64_t>{Id(1), Id(2)});
  CHECK(table.ExpiredAt(T(15000)) == std::vector<int64_t>{Id(1), Id(2), Id(3)});
  CHECK(table.ExpiredAt(T(100000)) ==
        std::vector<int64_t>{Id(1), Id(2), Id(3), Id(0), Id(4)});
  // A touch moves a session back in the order.
  ZK_REQUIRE_OK(table.Touch(Id(1), T(25000)));  // deadline 35 s
  CHECK(table.ExpiredAt(T(100000)) ==
        std::vector<int64_t>{Id(2), Id(3), Id(0), Id(1), Id(4)});
  ZK_REQUIRE_OK(table.Close(Id(3)));
  CHECK(table.ExpiredAt(T(100000)) == std::vector<int64_t>{Id(2), Id(0), Id(1), Id(4)});
  CHECK(table.SessionIds() == std::vector<int64_t>{Id(0), Id(1), Id(2), Id(4)});
}

}  // namespace
}  // namespace dcos::zk
