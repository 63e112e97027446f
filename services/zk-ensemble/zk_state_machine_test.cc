#include "services/zk-ensemble/zk_state_machine.h"

#include <catch2/catch.hpp>

#include "protos/raft/v1/raft.pb.h"
#include "services/zk-ensemble/core/errors.h"

namespace dcos::zk {
namespace {

using internal::v1::Command;

raft::Entry EntryOf(uint64_t index, const Command& c) {
  raft::Entry e;
  e.set_index(index);
  e.set_term(1);
  e.set_type(::dcos::raft::v1::ENTRY_TYPE_NORMAL);
  e.set_data(c.SerializeAsString());
  return e;
}

Command CreateCmd(const std::string& path, const std::string& data,
                  v1::CreateMode mode = v1::CREATE_MODE_PERSISTENT) {
  Command c;
  c.set_time_micros(1'700'000'000'000'000);
  c.mutable_create()->set_path(path);
  c.mutable_create()->set_data(data);
  c.mutable_create()->set_mode(mode);
  return c;
}

TEST_CASE("writes apply with the log index as zxid and the leader's time as mtime") {
  ZkStateMachine sm;
  sm.Apply(EntryOf(5, CreateCmd("/a", "x")));
  auto r = sm.TakeResult(5);
  REQUIRE(r.has_value());
  REQUIRE(r->status.ok());
  REQUIRE(r->create.path() == "/a");
  REQUIRE(r->create.stat().czxid() == 5);
  REQUIRE(r->create.stat().ctime().seconds() == 1'700'000'000);
  REQUIRE(sm.last_zxid() == 5);
  REQUIRE_FALSE(sm.TakeResult(4).has_value());

  Command set;
  set.set_time_micros(1'700'000'001'000'000);
  set.mutable_set_data()->set_path("/a");
  set.mutable_set_data()->set_data("y");
  set.mutable_set_data()->set_expected_version(0);
  sm.Apply(EntryOf(6, set));
  auto s = sm.TakeResult(6);
  REQUIRE(s->status.ok());
  REQUIRE(s->set_data.stat().version() == 1);
  REQUIRE(s->set_data.stat().mzxid() == 6);
  REQUIRE(sm.GetData("/a")->data == "y");

  // A stale expected version: BAD_VERSION, nothing changes.
  sm.Apply(EntryOf(7, set));
  auto bad = sm.TakeResult(7);
  REQUIRE(bad->status.code() == absl::StatusCode::kAborted);
  REQUIRE(ZkCodeOf(bad->status) == ZkCode::kBadVersion);
  REQUIRE(sm.GetData("/a")->data == "y");
}

TEST_CASE("sequential creates get the parent's counter as suffix") {
  ZkStateMachine sm;
  sm.Apply(EntryOf(1, CreateCmd("/q", "")));
  sm.Apply(EntryOf(2, CreateCmd("/q/item-", "", v1::CREATE_MODE_PERSISTENT_SEQUENTIAL)));
  REQUIRE(sm.TakeResult(2)->create.path() == "/q/item-0000000000");
  sm.Apply(EntryOf(3, CreateCmd("/q/item-", "", v1::CREATE_MODE_PERSISTENT_SEQUENTIAL)));
  REQUIRE(sm.TakeResult(3)->create.path() == "/q/item-0000000001");
}

TEST_CASE("a multi is all or nothing and reports per-op results") {
  ZkStateMachine sm;
  Command m;
  m.set_time_micros(1);
  m.mutable_multi()->add_ops()->mutable_create()->set_path("/m1");
  m.mutable_multi()->add_ops()->mutable_delete_node()->set_path("/missing");
  sm.Apply(EntryOf(1, m));
  auto r = sm.TakeResult(1);
  REQUIRE(r->status.ok());
  REQUIRE_FALSE(r->multi.committed());
  REQUIRE(r->multi.results(1).error().code() == v1::ERROR_CODE_NO_NODE);
  REQUIRE(sm.GetData("/m1").status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE("members that apply the same log hold identical state; snapshots restore it") {
  ZkStateMachine a, b;
  std::vector<Command> log = {CreateCmd("/x", "1"), CreateCmd("/x/y", "2"), CreateCmd("/z", "3")};
  for (size_t i = 0; i < log.size(); ++i) {
    a.Apply(EntryOf(i + 1, log[i]));
    b.Apply(EntryOf(i + 1, log[i]));
  }
  REQUIRE(a.Snapshot() == b.Snapshot());
  ZkStateMachine c;
  REQUIRE(c.Restore(a.Snapshot(), 3).ok());
  REQUIRE(c.GetData("/x/y")->data == "2");
  REQUIRE(c.last_zxid() == 3);
  REQUIRE(c.Restore("garbage", 4).code() != absl::StatusCode::kOk);
  REQUIRE(c.GetData("/x/y")->data == "2");  // a bad snapshot changes nothing
}

TEST_CASE("non-command entries advance the zxid and change nothing") {
  ZkStateMachine sm;
  raft::Entry noop;
  noop.set_index(9);
  noop.set_type(::dcos::raft::v1::ENTRY_TYPE_NOOP);
  sm.Apply(noop);
  REQUIRE(sm.last_zxid() == 9);
  REQUIRE(sm.znode_count() == 2);  // "/" and "/zookeeper"
}

Command CreateSessionCmd(int64_t id, const std::string& password) {
  Command c;
  c.set_time_micros(1'700'000'000'000'000);
  c.mutable_create_session()->set_session_id(id);
  c.mutable_create_session()->set_timeout_ms(10'000);
  c.mutable_create_session()->set_password(password);
  return c;
}

TEST_CASE("a session's password comes from its Create entry and survives a snapshot") {
  const std::string password(16, 'p');
  ZkStateMachine sm;
  sm.Apply(EntryOf(1, CreateSessionCmd(7, password)));
  REQUIRE(sm.TakeResult(1)->status.ok());
  sm.Apply(EntryOf(2, CreateSessionCmd(8, "")));  // an entry of a leader from before passwords
  REQUIRE(sm.TakeResult(2)->status.ok());
  sm.Apply(EntryOf(3, CreateSessionCmd(9, "short")));  // refused: applies as an error everywhere
  REQUIRE(ZkCodeOf(sm.TakeResult(3)->status) == ZkCode::kBadArguments);
  REQUIRE_FALSE(sm.SessionLive(9));

  auto check = [&](const ZkStateMachine& m) {
    CHECK(m.CheckSessionPassword(7, password).ok());
    CHECK(ZkCodeOf(m.CheckSessionPassword(7, std::string(16, 'q'))) == ZkCode::kSessionExpired);
    CHECK(ZkCodeOf(m.CheckSessionPassword(7, "")) == ZkCode::kSessionExpired);
    CHECK(m.CheckSessionPassword(8, "anything").ok());
    CHECK(ZkCodeOf(m.CheckSessionPassword(10, password)) == ZkCode::kSessionExpired);
  };
  check(sm);
  ZkStateMachine restored;
  REQUIRE(restored.Restore(sm.Snapshot(), 3).ok());
  check(restored);
}

}  // namespace
}  // namespace dcos::zk
