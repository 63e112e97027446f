// The queue order of the election and lock recipes.

#include "libs/zk/recipes/sequential.h"

#include <catch2/catch.hpp>

namespace dcos::zk::recipes {
namespace {

TEST_CASE("sequential: the sequence suffix") {
  CHECK(SequenceOf("n_ab-0000000012") == 12);
  CHECK(SequenceOf("x-0000000000") == 0);
  CHECK(SequenceOf("n_ab-000000012") == std::nullopt);   // 9 digits
  CHECK(SequenceOf("n_ab0000000012") == std::nullopt);   // no dash
  CHECK(SequenceOf("n_ab-00000000x2") == std::nullopt);
  CHECK(SequenceOf("") == std::nullopt);
}

TEST_CASE("sequential: a contender's prefix carries its tag, zero-padded") {
  CHECK(ContenderPrefix("n_", 0xabc) == "n_0000000000000abc-");
  CHECK(FindOwn({"n_0000000000000abd-0000000001", "n_0000000000000abc-0000000004"},
                ContenderPrefix("n_", 0xabc)) == "n_0000000000000abc-0000000004");
  CHECK(FindOwn({"n_0000000000000abd-0000000001"}, ContenderPrefix("n_", 0xabc)) ==
        std::nullopt);
}

TEST_CASE("sequential: queue order is by sequence across tags; strangers are ignored") {
  std::vector<std::string> children = {"n_bb-0000000007", "n_aa-0000000010", "lock_cc-0000000001",
                                       "n_cc-0000000002", "n_junk", "n_dd-0000000009"};
  CHECK(QueueOrder(children, "n_") ==
        std::vector<std::string>{"n_cc-0000000002", "n_bb-0000000007", "n_dd-0000000009",
                                 "n_aa-0000000010"});
}

TEST_CASE("sequential: each contender watches only the one before it") {
  std::vector<std::string> q = {"n_c-0000000002", "n_b-0000000007", "n_a-0000000010"};
  Place first = PlaceOf(q, "n_c-0000000002");
  CHECK(first.present);
  CHECK(first.first);
  CHECK_FALSE(first.predecessor);
  Place last = PlaceOf(q, "n_a-0000000010");
  CHECK(last.present);
  CHECK_FALSE(last.first);
  CHECK(last.predecessor == "n_b-0000000007");
  CHECK_FALSE(PlaceOf(q, "n_z-0000000001").present);
}

}  // namespace
}  // namespace dcos::zk::recipes
