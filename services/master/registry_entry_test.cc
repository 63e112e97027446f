// The bytes of an agent's registry entry: a bare AgentInfo (what masters wrote before drains
// were recorded) still reads, a drain round-trips, a master that knows only AgentInfo still
// reads a new entry, and bytes that are not an entry are refused with a reason.

#include "services/master/registry_entry.h"

#include <catch2/catch.hpp>

namespace dcos::master {
namespace {

common::v1::AgentInfo Agent(const std::string& id) {
  common::v1::AgentInfo info;
  info.mutable_id()->set_value(id);
  info.mutable_address()->set_hostname("agent-" + id);
  info.mutable_address()->set_port(5051);
  common::v1::Resource* r = info.add_resources();
  r->set_name("cpus");
  r->set_type(common::v1::Value::TYPE_SCALAR);
  r->mutable_scalar()->set_value(4);
  info.add_attributes()->set_name("rack");
  return info;
}

v1::AgentRegistryState Draining(int64_t grace_seconds, bool mark_gone) {
  v1::AgentRegistryState state;
  state.mutable_drain()->mutable_max_grace_period()->set_seconds(grace_seconds);
  state.mutable_drain()->set_mark_gone(mark_gone);
  state.set_deactivated(true);
  return state;
}

TEST_CASE("registry entry: an agent without a drain is stored as its bare AgentInfo") {
  const common::v1::AgentInfo agent = Agent("S1");
  CHECK(EncodeRegistryEntry(agent, {}) == agent.SerializeAsString());
  CHECK(!HasRegistryState({}));
  CHECK(HasRegistryState(Draining(0, false)));
}

TEST_CASE("registry entry: an entry written before drains were recorded reads as no drain") {
  const std::string old_entry = Agent("S1").SerializeAsString();
  common::v1::AgentInfo agent;
  v1::AgentRegistryState state = Draining(9, true);  // cleared by the read
  REQUIRE(DecodeRegistryEntry(old_entry, &agent, &state).ok());
  CHECK(agent.SerializeAsString() == old_entry);
  CHECK(!HasRegistryState(state));
}

TEST_CASE("registry entry: a drain round-trips; a reader that knows only AgentInfo reads it") {
  const common::v1::AgentInfo agent = Agent("S2");
  const std::string data = EncodeRegistryEntry(agent, Draining(30, true));
  common::v1::AgentInfo read;
  v1::AgentRegistryState state;
  REQUIRE(DecodeRegistryEntry(data, &read, &state).ok());
  // The AgentInfo has nothing of the state left in it: it compares equal to the agent's own
  // (a re-registration with the same info writes nothing).
  CHECK(read.SerializeAsString() == agent.SerializeAsString());
  CHECK(state.drain().max_grace_period().seconds() == 30);
  CHECK(state.drain().mark_gone());
  CHECK(state.deactivated());
  // Without a grace period (each task's own).
  v1::AgentRegistryState no_grace;
  no_grace.mutable_drain();
  no_grace.set_deactivated(true);
  REQUIRE(DecodeRegistryEntry(EncodeRegistryEntry(agent, no_grace), &read, &state).ok());
  CHECK(state.has_drain());
  CHECK(!state.drain().has_max_grace_period());

  // A master of before (the AgentInfo alone) reads the agent and keeps the drain as unknown
  // fields: a rolling upgrade's old standby that takes over forgets the drain, nothing worse.
  common::v1::AgentInfo old_reader;
  REQUIRE(old_reader.ParseFromString(data));
  CHECK(old_reader.id().value() == "S2");
  CHECK(old_reader.resources_size() == 1);
  CHECK(old_reader.attributes(0).name() == "rack");
}

TEST_CASE("registry entry: bytes that are not an entry are refused, saying which part") {
  common::v1::AgentInfo agent;
  v1::AgentRegistryState state;
  absl::Status garbage = DecodeRegistryEntry("\xff\xff\xff\xff", &agent, &state);
  CHECK(garbage.code() == absl::StatusCode::kInvalidArgument);
  CHECK(garbage.message() == "not an agent entry (an AgentInfo, then an AgentRegistryState): "
                             "4 bytes that do not parse");

  // A whole AgentInfo, then field 1000 (the drain) holding bytes that are no AgentDrainConfig
  // (a tag of field 0): the AgentInfo parses, the state does not.
  std::string broken = Agent("S3").SerializeAsString();
  broken += std::string("\xc2\x3e\x02\x00\x00", 5);  // key of 1000/LEN, length 2, two zeros
  absl::Status trailer = DecodeRegistryEntry(broken, &agent, &state);
  CHECK(trailer.code() == absl::StatusCode::kInvalidArgument);
  CHECK(trailer.message() == "agent S3: the 5 bytes after its AgentInfo are not an "
                             "AgentRegistryState (its drain)");

  // Cut short in the middle of the drain.
  std::string cut = EncodeRegistryEntry(Agent("S4"), Draining(5, false));
  cut.resize(cut.size() - 2);
  CHECK(DecodeRegistryEntry(cut, &agent, &state).code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace dcos::master
