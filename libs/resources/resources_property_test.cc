// Randomized laws of Resources arithmetic. Each run picks a seed and prints it; replay one with
// RESOURCES_TEST_SEED=<seed>.

#include <catch2/catch.hpp>

#include <algorithm>
#include <bitset>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "libs/resources/resources.h"

namespace dcos::resources {
namespace {

uint64_t TestSeed() {
  static const uint64_t seed = [] {
    const char* env = std::getenv("RESOURCES_TEST_SEED");
    uint64_t s = env != nullptr ? std::strtoull(env, nullptr, 10) : std::random_device{}();
    std::printf("resources property tests: seed=%llu (replay with RESOURCES_TEST_SEED)\n",
                static_cast<unsigned long long>(s));
    return s;
  }();
  return seed;
}

constexpr int kIterations = 2000;
constexpr uint64_t kUniverse = 64;  // ports drawn from [0, 64) so ranges collide often

class Gen {
 public:
  explicit Gen(uint64_t seed) : rng_(seed) {}

  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

  std::string Role() {
    static const char* kRoles[] = {"*", "*", "ads", "web", "eng/dev"};
    return kRoles[Int(0, 4)];
  }

  Ranges RandomRanges() {
    std::vector<Range> rs;
    for (int i = Int(0, 4); i > 0; --i) {
      uint64_t b = static_cast<uint64_t>(Int(0, kUniverse - 1));
      uint64_t e = std::min<uint64_t>(kUniverse - 1, b + static_cast<uint64_t>(Int(0, 8)));
      rs.push_back({b, e});
    }
    std::shuffle(rs.begin(), rs.end(), rng_);
    return Ranges(std::move(rs));
  }

  Resources RandomResources() {
    Resources r;
    for (int i = Int(0, 6); i > 0; --i) {
      switch (Int(0, 3)) {
        case 0:
        case 1: {
          static const char* kNames[] = {"cpus", "mem", "disk"};
          r.Add(Resource::Scalar(kNames[Int(0, 2)], Int(0, 5000), Role()));
          break;
        }
        case 2:
          r.Add(Resource::OfRanges("ports", RandomRanges(), Role()));
          break;
        default: {
          Set items;
          for (int k = Int(0, 3); k > 0; --k) items.push_back(std::string(1, char('a' + Int(0, 5))));
          std::sort(items.begin(), items.end());
          items.erase(std::unique(items.begin(), items.end()), items.end());
          r.Add(Resource::OfSet("disks", std::move(items), Role()));
        }
      }
    }
    return r;
  }

 private:
  std::mt19937_64 rng_;
};

TEST_CASE("(a + b) - b == a when ranges and sets are disjoint", "[property]") {
  Gen g(TestSeed());
  for (int i = 0; i < kIterations; ++i) {
    Resources a = g.RandomResources();
    Resources b = g.RandomResources();
    b -= a.Filter([](const Resource& r) { return r.type() != ValueType::kScalar; });
    INFO("seed=" << TestSeed() << " iteration " << i << " a=" << a.ToString()
                 << " b=" << b.ToString());
    REQUIRE((a + b) - b == a);
  }
}

TEST_CASE("addition is commutative and contains both operands", "[property]") {
  Gen g(TestSeed() + 1);
  for (int i = 0; i < kIterations; ++i) {
    Resources a = g.RandomResources();
    Resources b = g.RandomResources();
    INFO("seed=" << TestSeed() << " iteration " << i << " a=" << a.ToString()
                 << " b=" << b.ToString());
    Resources sum = a + b;
    REQUIRE(sum == b + a);
    REQUIRE(sum.Contains(a));
    REQUIRE(sum.Contains(b));
    REQUIRE(a.Contains(a - b));
    REQUIRE(((a - b) + b).Contains(a));
  }
}

TEST_CASE("contains is a partial order", "[property]") {
  Gen g(TestSeed() + 2);
  for (int i = 0; i < kIterations; ++i) {
    Resources a = g.RandomResources();
    Resources b = a - g.RandomResources();
    Resources c = b - g.RandomResources();
    Resources d = g.RandomResources();
    INFO("seed=" << TestSeed() << " iteration " << i << " a=" << a.ToString()
                 << " b=" << b.ToString() << " c=" << c.ToString() << " d=" << d.ToString());
    REQUIRE(a.Contains(a));                                   // reflexive
    REQUIRE((a.Contains(b) && b.Contains(c)));                 // by construction
    REQUIRE(a.Contains(c));                                   // transitive
    REQUIRE((a.Contains(d) && d.Contains(a)) == (a == d));     // antisymmetric
    REQUIRE(a.Contains(Resources()));
  }
}

TEST_CASE("text and proto forms round trip", "[property]") {
  Gen g(TestSeed() + 3);
  for (int i = 0; i < kIterations; ++i) {
    Resources a = g.RandomResources();
    INFO("seed=" << TestSeed() << " iteration " << i << " a=" << a.ToString());
    absl::StatusOr<Resources> parsed = Resources::Parse(a.ToString());
    REQUIRE(parsed.ok());
    REQUIRE(*parsed == a);
    google::protobuf::RepeatedPtrField<common::v1::Resource> protos;
    a.ToProto(&protos);
    absl::StatusOr<Resources> back = Resources::FromProto(protos);
    REQUIRE(back.ok());
    REQUIRE(*back == a);
  }
}

TEST_CASE("SumOfProtos equals FromProto of each list added up", "[property]") {
  Gen g(TestSeed() + 5);
  for (int i = 0; i < kIterations; ++i) {
    std::vector<google::protobuf::RepeatedPtrField<common::v1::Resource>> lists(i % 5);
    Resources expected;
    std::string shown;
    for (auto& list : lists) {
      Resources r = g.RandomResources();
      shown += r.ToString() + " | ";
      r.ToProto(&list);
      expected += r;
    }
    INFO("seed=" << TestSeed() << " iteration " << i << " lists=" << shown);
    std::vector<const google::protobuf::RepeatedPtrField<common::v1::Resource>*> ptrs;
    for (const auto& list : lists) ptrs.push_back(&list);
    absl::StatusOr<Resources> sum = Resources::SumOfProtos(ptrs);
    REQUIRE(sum.ok());
    REQUIRE(*sum == expected);
  }
}

TEST_CASE("Ranges agree with a bitmap model in any input order", "[property]") {
  Gen g(TestSeed() + 4);
  auto bits = [](const Ranges& r) {
    std::bitset<kUniverse> b;
    for (const Range& x : r.ranges()) {
      for (uint64_t v = x.begin; v <= x.end; ++v) b.set(v);
    }
    return b;
  };
  for (int i = 0; i < kIterations; ++i) {
    Ranges a = g.RandomRanges();
    Ranges b = g.RandomRanges();
    INFO("seed=" << TestSeed() << " iteration " << i << " a=" << a.ToString()
                 << " b=" << b.ToString());
    // Normal form: sorted, disjoint, non-adjacent.
    for (size_t k = 1; k < a.ranges().size(); ++k) {
      REQUIRE(a.ranges()[k - 1].end + 1 < a.ranges()[k].begin);
    }
    Ranges sum = a;
    sum.Add(b);
    REQUIRE(bits(sum) == (bits(a) | bits(b)));
    Ranges diff = a;
    diff.Subtract(b);
    REQUIRE(bits(diff) == (bits(a) & ~bits(b)));
    REQUIRE(a.Contains(b) == ((bits(b) & ~bits(a)).none()));
    REQUIRE(a.Intersects(b) == (bits(a) & bits(b)).any());
    REQUIRE(a.Count() == bits(a).count());
    // Adding one range at a time, in reverse, gives the same value.
    Ranges one_by_one;
    for (auto it = sum.ranges().rbegin(); it != sum.ranges().rend(); ++it) one_by_one.Add(*it);
    REQUIRE(one_by_one == sum);
  }
}

}  // namespace
}  // namespace dcos::resources
