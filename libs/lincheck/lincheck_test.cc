#include "libs/lincheck/lincheck.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <random>

#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace dcos::lincheck {
namespace {

absl::Time T(int64_t ms) { return absl::FromUnixMillis(ms); }

Operation Op(int client, int64_t call, int64_t ret, std::string input, std::string output,
             std::string key = "x") {
  Operation op;
  op.client = client;
  op.call = T(call);
  op.ret = T(ret);
  op.key = std::move(key);
  op.input = std::move(input);
  op.output = std::move(output);
  return op;
}

TEST_CASE("a sequential history that follows the model is linearizable") {
  std::vector<Operation> h = {Op(1, 0, 1, "put a", "ok"), Op(1, 2, 3, "get", "a"),
                              Op(1, 4, 5, "cas a b", "ok"), Op(1, 6, 7, "get", "b")};
  REQUIRE(Check(h, RegisterModel()).linearizable);
}

TEST_CASE("a read concurrent with a write may see either value") {
  Model m = RegisterModel();
  REQUIRE(Check({Op(1, 0, 10, "put a", "ok"), Op(2, 1, 2, "get", "a")}, m).linearizable);
  REQUIRE(Check({Op(1, 0, 10, "put a", "ok"), Op(2, 1, 2, "get", "")}, m).linearizable);
}

TEST_CASE("a stale read after a completed write is not linearizable") {
  Result r = Check({Op(1, 0, 1, "put a", "ok"), Op(2, 2, 3, "get", "")}, RegisterModel());
  REQUIRE_FALSE(r.linearizable);
  REQUIRE(r.key == "x");
}

TEST_CASE("two reads that disagree on the order of two writes are not linearizable") {
  // Writes of a and b overlap; one reader sees a then b, the other b then a, sequentially.
  std::vector<Operation> h = {
      Op(1, 0, 100, "put a", "ok"), Op(2, 0, 100, "put b", "ok"),
      Op(3, 10, 11, "get", "a"),    Op(3, 20, 21, "get", "b"),
      Op(4, 30, 31, "get", "a"),
  };
  REQUIRE_FALSE(Check(h, RegisterModel()).linearizable);
}

TEST_CASE("a write with an unknown outcome may or may not have happened") {
  Model m = RegisterModel();
  Operation lost = Op(1, 0, 0, "put a", "");
  lost.ret = absl::InfiniteFuture();
  lost.unknown = true;
  REQUIRE(Check({lost, Op(2, 5, 6, "get", "a")}, m).linearizable);
  REQUIRE(Check({lost, Op(2, 5, 6, "get", "")}, m).linearizable);
  // ...but it cannot have happened before it was called.
  REQUIRE_FALSE(Check({Op(2, 0, 1, "get", "a"), [] {
                         Operation late = Op(1, 5, 0, "put a", "");
                         late.ret = absl::InfiniteFuture();
                         late.unknown = true;
                         return late;
                       }()},
                      m)
                    .linearizable);
}

TEST_CASE("keys are checked independently") {
  std::vector<Operation> h = {Op(1, 0, 1, "put a", "ok", "k1"), Op(1, 2, 3, "put b", "ok", "k2"),
                              Op(2, 4, 5, "get", "a", "k1"), Op(2, 6, 7, "get", "", "k2")};
  Result r = Check(h, RegisterModel());
  REQUIRE_FALSE(r.linearizable);
  REQUIRE(r.key == "k2");
}

// Generates a history of a real linearizable register: each operation takes effect at a
// random instant inside its interval.
std::vector<Operation> RandomLinearizableHistory(std::mt19937_64& rng, int clients, int ops_each,
                                                 int keys) {
  struct Pending {
    Operation op;
    int64_t effect;
  };
  std::vector<Pending> all;
  for (int c = 0; c < clients; ++c) {
    int64_t t = static_cast<int64_t>(rng() % 10);
    for (int i = 0; i < ops_each; ++i) {
      int64_t call = t + static_cast<int64_t>(rng() % 5);
      int64_t ret = call + 1 + static_cast<int64_t>(rng() % 20);
      int64_t effect = call + static_cast<int64_t>(rng() % static_cast<uint64_t>(ret - call + 1));
      Operation op;
      op.client = c;
      op.call = T(call * 2);  // even times for events; effects at odd times never tie
      op.ret = T(ret * 2);
      op.key = absl::StrCat("k", rng() % static_cast<uint64_t>(keys));
      int kind = static_cast<int>(rng() % 3);
      op.input = kind == 0 ? absl::StrCat("put v", c, "-", i)
                 : kind == 1 ? "get"
                             : absl::StrCat("cas v", rng() % 3, "-", i, " w", c, "-", i);
      all.push_back({op, effect * 2 + 1});
      t = ret + 1;
    }
  }
  std::sort(all.begin(), all.end(), [](const Pending& a, const Pending& b) {
    return a.effect < b.effect || (a.effect == b.effect && a.op.client < b.op.client);
  });
  std::map<std::string, std::string> state;
  Model m = RegisterModel();
  std::vector<Operation> history;
  for (Pending& p : all) {
    std::string& s = state[p.op.key];
    std::vector<std::string> words = absl::StrSplit(p.op.input, ' ');
    if (words[0] == "put") {
      s = words[1];
      p.op.output = "ok";
    } else if (words[0] == "get") {
      p.op.output = s;
    } else {
      bool match = s == words[1];
      if (match) s = words[2];
      p.op.output = match ? "ok" : "fail";
    }
    history.push_back(p.op);
  }
  return history;
}

TEST_CASE("random histories of a real register are linearizable; corrupting a read breaks them") {
  uint64_t seed = std::random_device{}();
  std::printf("lincheck random histories: seed=%llu\n", static_cast<unsigned long long>(seed));
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  Model m = RegisterModel();
  int broken = 0;
  for (int round = 0; round < 200; ++round) {
    std::vector<Operation> h = RandomLinearizableHistory(rng, 4, 30, 3);
    Result r = Check(h, m);
    REQUIRE(r.linearizable);
    REQUIRE_FALSE(r.gave_up);
    // A read that returns a value nobody ever wrote can never be linearized.
    for (Operation& op : h) {
      if (op.input == "get") {
        op.output = "never-written";
        ++broken;
        REQUIRE_FALSE(Check(h, m).linearizable);
        break;
      }
    }
  }
  REQUIRE(broken > 100);
}

TEST_CASE("a long history of many clients is checked quickly") {
  std::mt19937_64 rng(42);
  std::vector<Operation> h = RandomLinearizableHistory(rng, 8, 500, 20);
  Result r = Check(h, RegisterModel());
  REQUIRE(r.linearizable);
  REQUIRE_FALSE(r.gave_up);
  std::printf("lincheck: %zu operations, %llu states explored\n", h.size(),
              static_cast<unsigned long long>(r.states_explored));
}

}  // namespace
}  // namespace dcos::lincheck
