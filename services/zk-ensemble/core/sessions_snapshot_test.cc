// SessionTable::Snapshot / Restore: round trips (passwords included), format 1 still read,
// determinism, and corrupt or impossible input (every bit flip, every truncation, garbage,
// crafted records with a valid checksum).

#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <string>

#include "services/zk-ensemble/core/session_id.h"
#include "services/zk-ensemble/core/sessions.h"
#include "services/zk-ensemble/core/snapshot_codec.h"
#include "services/zk-ensemble/core/tree_test_util.h"

namespace dcos::zk {
namespace {

using absl::Seconds;
using testing::T;

int64_t Id(int64_t counter) { return *NextSessionId(1, counter); }

// A password of kSessionPasswordBytes bytes, all `fill`.
std::string Password(char fill) { return std::string(kSessionPasswordBytes, fill); }

// Sessions with passwords and one without (from an entry written before passwords).
SessionTable Sample() {
  SessionTable table;
  REQUIRE(table.Create(Id(0), Seconds(4), T(0), Password('a')).ok());
  REQUIRE(table.Create(Id(1), Seconds(40), T(10)).ok());
  REQUIRE(table.Create(Id(2), absl::Milliseconds(12345), T(20), Password('b')).ok());
  REQUIRE(table.Create(*NextSessionId(2, 5), Seconds(6), T(30), Password('\xff')).ok());
  REQUIRE(table.Touch(Id(1), T(5000)).ok());
  REQUIRE(table.Close(Id(2)).ok());
  return table;
}

void RequireSameTable(const SessionTable& a, const SessionTable& b) {
  REQUIRE(a.SessionIds() == b.SessionIds());
  for (int64_t id : a.SessionIds()) {
    CHECK(*a.Get(id) == *b.Get(id));
    CHECK(a.HasPassword(id) == b.HasPassword(id));
  }
  CHECK(a.max_created_id() == b.max_created_id());
  CHECK(a.ExpiredAt(T(1000000)) == b.ExpiredAt(T(1000000)));
  CHECK(a.Snapshot() == b.Snapshot());
}

// A snapshot body with a correct checksum appended.
std::string Sealed(std::string body) {
  codec::Put<uint32_t>(codec::Crc32(body), &body);
  return body;
}

struct Record {
  int64_t id, timeout_ms, last_heard_ms;
  // Format 2 only: the password length byte and the 16 bytes after it.
  uint8_t password_length = 0;
  std::string password = std::string(kSessionPasswordBytes, '\0');
};

// A snapshot of format `version` (1: records without the password fields).
std::string Craft(int64_t max_created, const std::vector<Record>& records,
                  uint32_t version = 1, int64_t count_delta = 0) {
  std::string out = "DCZKSESS";
  codec::Put<uint32_t>(version, &out);
  codec::Put<int64_t>(max_created, &out);
  codec::Put<uint64_t>(records.size() + count_delta, &out);
  for (const Record& r : records) {
    codec::Put<int64_t>(r.id, &out);
    codec::Put<int64_t>(r.timeout_ms, &out);
    codec::Put<int64_t>(r.last_heard_ms, &out);
    if (version == 2) {
      codec::Put<uint8_t>(r.password_length, &out);
      out += r.password;
    }
  }
  return Sealed(out);
}

void RequireDataLoss(absl::string_view bytes) {
  auto restored = SessionTable::Restore(bytes);
  INFO(restored.status().ToString());
  REQUIRE(restored.status().code() == absl::StatusCode::kDataLoss);
  CHECK(ZkCodeOf(restored.status()) == ZkCode::kSystemError);  // no ZkError payload
}

TEST_CASE("snapshot: empty and populated tables round trip exactly") {
  SessionTable empty;
  auto restored_empty = SessionTable::Restore(empty.Snapshot());
  REQUIRE(restored_empty.ok());
  RequireSameTable(empty, *restored_empty);

  SessionTable table = Sample();
  auto restored = SessionTable::Restore(table.Snapshot());
  REQUIRE(restored.ok());
  RequireSameTable(table, *restored);
  CHECK(restored->size() == 3);
}

TEST_CASE("snapshot: the restored table still refuses old ids and keeps its config") {
  SessionTable table = Sample();
  auto restored = SessionTable::Restore(table.Snapshot(), {absl::Seconds(1), absl::Seconds(2)});
  REQUIRE(restored.ok());
  CHECK(restored->config().max_timeout == absl::Seconds(2));
  ZK_REQUIRE_CODE(restored->Create(Id(2), Seconds(4), T(40)), ZkCode::kSystemError);  // closed
  ZK_REQUIRE_CODE(restored->Get(Id(2)).status(), ZkCode::kSessionExpired);
  CHECK(restored->CheckLive(Id(2)).message().find("has expired or was closed") !=
        absl::string_view::npos);
  ZK_REQUIRE_OK(restored->Create(*NextSessionId(3, 0), Seconds(4), T(40)));
}

TEST_CASE("snapshot: a bad config is INVALID_ARGUMENT") {
  auto restored = SessionTable::Restore(Sample().Snapshot(), {Seconds(5), Seconds(1)});
  CHECK(restored.status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("snapshot: equal tables give equal bytes, whatever the history") {
  SessionTable a;
  ZK_REQUIRE_OK(a.Create(Id(0), Seconds(10), T(0)));
  ZK_REQUIRE_OK(a.Create(Id(1), Seconds(10), T(0)));
  ZK_REQUIRE_OK(a.Touch(Id(0), T(700)));
  ZK_REQUIRE_OK(a.Create(Id(2), Seconds(10), T(100)));
  ZK_REQUIRE_OK(a.Expire(Id(1)));
  SessionTable b;
  ZK_REQUIRE_OK(b.Create(Id(0), Seconds(10), T(0)));
  ZK_REQUIRE_OK(b.Touch(Id(0), T(300)));
  ZK_REQUIRE_OK(b.Create(Id(1), Seconds(10), T(0)));
  ZK_REQUIRE_OK(b.Close(Id(1)));
  ZK_REQUIRE_OK(b.Create(Id(2), Seconds(10), T(100)));
  ZK_REQUIRE_OK(b.Touch(Id(0), T(700)));
  ZK_REQUIRE_OK(b.Touch(Id(0), T(500)));
  CHECK(a.Snapshot() == b.Snapshot());
  // max_created_id is part of the state: without the closed Id(1) the bytes are equal too,
  // but a table that never got past Id(0) differs.
  SessionTable c;
  ZK_REQUIRE_OK(c.Create(Id(0), Seconds(10), T(0)));
  CHECK(c.Snapshot() != SessionTable().Snapshot());
}

TEST_CASE("snapshot: every single bit flip is DATA_LOSS") {
  const std::string good = Sample().Snapshot();
  for (size_t byte = 0; byte < good.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = good;
      bad[byte] = static_cast<char>(bad[byte] ^ (1 << bit));
      INFO("byte " << byte << " bit " << bit);
      RequireDataLoss(bad);
    }
  }
}

TEST_CASE("snapshot: every truncation and any appended byte is DATA_LOSS") {
  const std::string good = Sample().Snapshot();
  for (size_t len = 0; len < good.size(); ++len) {
    INFO("length " << len);
    RequireDataLoss(good.substr(0, len));
  }
  RequireDataLoss(good + '\0');
  // Appended bytes with a recomputed checksum: the body no longer matches the count.
  RequireDataLoss(Sealed(good.substr(0, good.size() - 4) + std::string(24, '\0')));
}

TEST_CASE("snapshot: random garbage is DATA_LOSS, never a crash") {
  std::mt19937_64 rng(20260101);
  for (int i = 0; i < 2000; ++i) {
    std::string bytes(rng() % 200, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    if (i % 2 == 0 && bytes.size() >= 8) bytes.replace(0, 8, "DCZKSESS");
    if (i % 4 == 0) bytes = Sealed(bytes);
    RequireDataLoss(bytes);
  }
}

TEST_CASE("snapshot: impossible contents with a valid checksum are DATA_LOSS") {
  const int64_t a = Id(1), b = Id(2);
  // The crafting helper itself makes valid snapshots.
  auto ok = SessionTable::Restore(Craft(b, {{a, 4000, 0}, {b, 40000, 5}}));
  REQUIRE(ok.ok());
  CHECK(*ok->Get(b) == SessionInfo{Seconds(40), absl::FromUnixMillis(5)});

  SECTION("unknown format version") {
    RequireDataLoss(Craft(b, {{a, 4000, 0}}, 0));
    RequireDataLoss(Craft(b, {{a, 4000, 0}}, 3));
  }
  SECTION("format 2 records in a format 1 snapshot, and the reverse") {
    std::string v2 = Craft(b, {{a, 4000, 0}}, 2);
    v2[8] = 1;  // the version's low byte
    RequireDataLoss(Sealed(v2.substr(0, v2.size() - 4)));
    std::string v1 = Craft(b, {{a, 4000, 0}}, 1);
    v1[8] = 2;
    RequireDataLoss(Sealed(v1.substr(0, v1.size() - 4)));
  }
  SECTION("format 2: a password length other than 0 or 16") {
    RequireDataLoss(Craft(b, {{a, 4000, 0, 15}}, 2));
    RequireDataLoss(Craft(b, {{a, 4000, 0, 17}}, 2));
    RequireDataLoss(Craft(b, {{a, 4000, 0, 255}}, 2));
  }
  SECTION("format 2: no password but padding that is not zero") {
    RequireDataLoss(Craft(b, {{a, 4000, 0, 0, Password('x')}}, 2));
  }
  SECTION("bad magic") {
    std::string bytes = Craft(b, {});
    bytes[0] = 'X';
    RequireDataLoss(Sealed(bytes.substr(0, bytes.size() - 4)));
  }
  SECTION("ids not ascending") { RequireDataLoss(Craft(b, {{b, 4000, 0}, {a, 4000, 0}})); }
  SECTION("duplicate id") { RequireDataLoss(Craft(b, {{a, 4000, 0}, {a, 4000, 0}})); }
  SECTION("id zero") { RequireDataLoss(Craft(b, {{0, 4000, 0}})); }
  SECTION("negative id") { RequireDataLoss(Craft(b, {{-5, 4000, 0}})); }
  SECTION("id above max_created_id") { RequireDataLoss(Craft(a, {{b, 4000, 0}})); }
  SECTION("negative max_created_id") { RequireDataLoss(Craft(-1, {})); }
  SECTION("timeout zero") { RequireDataLoss(Craft(b, {{a, 0, 0}})); }
  SECTION("timeout negative") { RequireDataLoss(Craft(b, {{a, -4000, 0}})); }
  SECTION("timeout above the limit") {
    RequireDataLoss(
        Craft(b, {{a, absl::ToInt64Milliseconds(kMaxSessionTimeoutLimit) + 1, 0}}));
  }
  SECTION("count larger than the records") { RequireDataLoss(Craft(b, {{a, 4000, 0}}, 1, 1)); }
  SECTION("count smaller than the records") {
    RequireDataLoss(Craft(b, {{a, 4000, 0}, {b, 4000, 0}}, 1, -1));
  }
  SECTION("huge count") { RequireDataLoss(Craft(b, {{a, 4000, 0}}, 1, INT64_MAX)); }
}

TEST_CASE("snapshot: passwords survive a round trip, and only the right one is accepted") {
  SessionTable table = Sample();
  const std::string bytes = table.Snapshot();
  REQUIRE(bytes.substr(8, 4) == std::string("\x02\0\0\0", 4));  // format 2
  auto restored = SessionTable::Restore(bytes);
  REQUIRE(restored.ok());
  RequireSameTable(table, *restored);
  CHECK(restored->HasPassword(Id(0)));
  CHECK_FALSE(restored->HasPassword(Id(1)));  // created with none: accepts any
  ZK_REQUIRE_OK(restored->CheckPassword(Id(0), Password('a')));
  ZK_REQUIRE_CODE(restored->CheckPassword(Id(0), Password('b')), ZkCode::kSessionExpired);
  ZK_REQUIRE_OK(restored->CheckPassword(Id(1), "anything"));
  ZK_REQUIRE_OK(restored->CheckPassword(*NextSessionId(2, 5), Password('\xff')));
  ZK_REQUIRE_CODE(restored->CheckPassword(*NextSessionId(2, 5), Password('a')),
                  ZkCode::kSessionExpired);
  // Tables that differ only in a password differ in bytes.
  SessionTable x, y;
  ZK_REQUIRE_OK(x.Create(Id(0), Seconds(4), T(0), Password('a')));
  ZK_REQUIRE_OK(y.Create(Id(0), Seconds(4), T(0), Password('c')));
  CHECK(x.Snapshot() != y.Snapshot());
}

TEST_CASE("snapshot: format 1 is still read; its sessions accept any password") {
  const int64_t a = Id(1), b = Id(2);
  auto v1 = SessionTable::Restore(Craft(b, {{a, 4000, 0}, {b, 40000, 5}}, 1));
  REQUIRE(v1.ok());
  CHECK(v1->SessionIds() == std::vector<int64_t>{a, b});
  CHECK(*v1->Get(b) == SessionInfo{Seconds(40), absl::FromUnixMillis(5)});
  for (int64_t id : {a, b}) {
    CHECK_FALSE(v1->HasPassword(id));
    ZK_REQUIRE_OK(v1->CheckPassword(id, ""));
    ZK_REQUIRE_OK(v1->CheckPassword(id, Password('z')));
  }
  // Written back as format 2 with no passwords, which reads back the same.
  auto v2 = SessionTable::Restore(v1->Snapshot());
  REQUIRE(v2.ok());
  RequireSameTable(*v1, *v2);
  CHECK(v1->Snapshot() == Craft(b, {{a, 4000, 0}, {b, 40000, 5}}, 2));
  // New sessions get their passwords as usual next to the old ones.
  ZK_REQUIRE_OK(v2->Create(Id(3), Seconds(4), T(10), Password('n')));
  ZK_REQUIRE_CODE(v2->CheckPassword(Id(3), ""), ZkCode::kSessionExpired);
  ZK_REQUIRE_OK(v2->CheckPassword(Id(3), Password('n')));
}

TEST_CASE("snapshot: extreme but possible values round trip") {
  const std::string bytes =
      Craft(INT64_MAX, {{1, 1, INT64_MIN, kSessionPasswordBytes, Password('\xff')},
                        {INT64_MAX, absl::ToInt64Milliseconds(kMaxSessionTimeoutLimit),
                         INT64_MAX}},
            2);
  auto restored = SessionTable::Restore(bytes);
  REQUIRE(restored.ok());
  CHECK(restored->Snapshot() == bytes);
  CHECK(restored->max_created_id() == INT64_MAX);
  CHECK(restored->ExpiredAt(T(0)) == std::vector<int64_t>{1});
}

}  // namespace
}  // namespace dcos::zk
