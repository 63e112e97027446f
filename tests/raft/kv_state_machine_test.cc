#include "tests/raft/kv_state_machine.h"

#include <catch2/catch.hpp>

namespace dcos::testing::raftkv {
namespace {

raft::Entry Normal(uint64_t index, const std::string& key, const std::string& value) {
  raft::Entry e;
  e.set_term(1);
  e.set_index(index);
  e.set_type(::dcos::raft::v1::ENTRY_TYPE_NORMAL);
  e.set_data(EncodePut(key, value));
  return e;
}

TEST_CASE("puts are applied in order; Raft's own entries only move the applied index") {
  KvStateMachine sm;
  sm.Apply(Normal(1, "a", "1"));
  raft::Entry noop;
  noop.set_index(2);
  noop.set_type(::dcos::raft::v1::ENTRY_TYPE_NOOP);
  sm.Apply(noop);
  sm.Apply(Normal(3, "a", "2"));
  sm.Apply(Normal(4, "b", "3"));
  KvStateMachine::Read a = sm.Get("a");
  REQUIRE(a.value == "2");
  REQUIRE(a.applied == 4);
  REQUIRE(!sm.Get("c").value.has_value());
  REQUIRE(sm.Size() == 2);
}

TEST_CASE("a snapshot restores the whole map; bad snapshot data changes nothing") {
  KvStateMachine sm;
  sm.Apply(Normal(1, "a", "1"));
  sm.Apply(Normal(2, "b", "2"));
  std::string snapshot = sm.Snapshot();

  KvStateMachine other;
  other.Apply(Normal(1, "stale", "x"));
  REQUIRE(other.Restore(snapshot, 2).ok());
  REQUIRE(other.Size() == 2);
  REQUIRE(other.Get("b").value == "2");
  REQUIRE(!other.Get("stale").value.has_value());
  REQUIRE(other.applied() == 2);

  REQUIRE(other.Restore("\xff\xff not a snapshot", 9).code() ==
          absl::StatusCode::kInvalidArgument);
  REQUIRE(other.Size() == 2);
  REQUIRE(other.applied() == 2);
}

}  // namespace
}  // namespace dcos::testing::raftkv
