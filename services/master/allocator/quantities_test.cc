// Dense quantities, dominant shares and the DRF order.

#include <catch2/catch.hpp>

#include "services/master/allocator/drf_order.h"
#include "services/master/allocator/quantities.h"
#include "services/master/allocator/test_util.h"

namespace dcos::master::allocator {
namespace {

using testing::R;

TEST_CASE("quantities add per kind, across roles, and grow past the inline kinds", "[quantities]") {
  Kinds kinds;
  Quantities q = kinds.Of(R("cpus:1.5;mem:10;cpus(a):1;ports:[1-5]"));
  CHECK(kinds.size() == 2);  // ranges do not count
  CHECK(q.Get(static_cast<size_t>(kinds.Find("cpus"))) == 2500);
  CHECK(q.Get(static_cast<size_t>(kinds.Find("mem"))) == 10000);
  CHECK(q.Get(99) == 0);
  Quantities many;
  for (int i = 0; i < 20; ++i) many.Add(kinds.Intern("r" + std::to_string(i)), i);
  many += q;
  CHECK(many.Get(kinds.Intern("r19")) == 19);
  CHECK(many.Get(0) == 2500);
  many -= many;
  CHECK(many.IsZero());
  CHECK(kinds.ToResources(q) == R("cpus:2.5;mem:10"));
  CHECK(q.Covers(kinds.Of(R("cpus:2"))));
  CHECK_FALSE(q.Covers(kinds.Of(R("cpus:3"))));
  CHECK(q == kinds.Of(R("mem:10;cpus:2.5")));
}

TEST_CASE("the dominant share is the largest fraction of any kind", "[quantities]") {
  Kinds kinds;
  Quantities total = kinds.Of(R("cpus:10;mem:1000"));
  CHECK(DominantShare(kinds.Of(R("cpus:1;mem:500")), total) == 0.5);
  CHECK(DominantShare(kinds.Of(R("cpus:4;mem:100")), total) == 0.4);
  CHECK(DominantShare(Quantities(), total) == 0);
  // Kinds missing from the total (no agent has them) are ignored.
  CHECK(DominantShare(kinds.Of(R("gpus:1;cpus:1")), total) == 0.1);
}

TEST_CASE("DrfOrder sorts by share, then allocations, then name", "[quantities]") {
  std::string a = "a", b = "b", c = "c";
  DrfOrder order;
  DrfOrder::Key ka{0.5, 0, &a, 0}, kb{0.2, 3, &b, 1}, kc{0.2, 1, &c, 2};
  order.Insert(ka);
  order.Insert(kb);
  order.Insert(kc);
  auto ids = [&] {
    std::vector<uint32_t> out;
    for (const DrfOrder::Key& k : order) out.push_back(k.id);
    return out;
  };
  CHECK(ids() == std::vector<uint32_t>{2, 1, 0});
  DrfOrder::Key kc2{0.6, 2, &c, 2};
  order.Update(kc, kc2);
  CHECK(ids() == std::vector<uint32_t>{1, 0, 2});
  order.Erase(kb);
  CHECK(ids() == std::vector<uint32_t>{0, 2});
}

}  // namespace
}  // namespace dcos::master::allocator
