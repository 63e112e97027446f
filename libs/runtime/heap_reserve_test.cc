// ReserveHeap: the reserved bytes stay in the arena as free memory, and allocations reuse them
// instead of growing the heap.

#include "libs/runtime/heap_reserve.h"

#include <malloc.h>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <vector>

namespace dcos::runtime {
namespace {

TEST_CASE("ReserveHeap: the memory stays in the heap, free, and is reused") {
  constexpr size_t kReserve = 64 << 20;
  REQUIRE(ReserveHeap(0).ok());  // nothing to do
  REQUIRE(ReserveHeap(kReserve).ok());
  struct mallinfo2 after = mallinfo2();
  CHECK(after.arena >= kReserve);     // mapped in the (one) arena
  CHECK(after.fordblks >= kReserve);  // and free for later allocations

  // 32 MiB of small allocations come out of the reserve: the heap does not grow.
  std::vector<void*> blocks;
  for (int i = 0; i < (32 << 20) / 1024; ++i) blocks.push_back(std::malloc(1000));
  CHECK(mallinfo2().arena == after.arena);
  for (void* b : blocks) std::free(b);
  CHECK(mallinfo2().arena == after.arena);  // and nothing was trimmed
}

}  // namespace
}  // namespace dcos::runtime
