#include "libs/runtime/heap_reserve.h"

#include <malloc.h>

#include <cstdlib>
#include <cstring>
#include <vector>

namespace dcos::runtime {
namespace {

// Well below glibc's smallest mmap threshold (128 KiB), so every block comes from the arena.
constexpr size_t kBlock = 64 << 10;

}  // namespace

absl::Status ReserveHeap(size_t bytes) {
  if (bytes == 0) return absl::OkStatus();
  if (mallopt(M_ARENA_MAX, 1) != 1) return absl::InvalidArgumentError("mallopt(M_ARENA_MAX)");
  // Freed memory above this stays in the arena instead of going back to the kernel.
  const size_t keep = bytes + (64 << 20);
  if (keep > static_cast<size_t>(INT32_MAX) ||
      mallopt(M_TRIM_THRESHOLD, static_cast<int>(keep)) != 1) {
    return absl::InvalidArgumentError("mallopt(M_TRIM_THRESHOLD): reserve too large");
  }
  std::vector<void*> blocks;
  blocks.reserve(bytes / kBlock + 1);
  for (size_t done = 0; done < bytes; done += kBlock) {
    void* block = std::malloc(kBlock);
    if (block == nullptr) break;  // what was reserved so far still helps
    std::memset(block, 0, kBlock);
    blocks.push_back(block);
  }
  // Adjacent free blocks coalesce into the arena's top chunk, touched and kept.
  for (auto it = blocks.rbegin(); it != blocks.rend(); ++it) std::free(*it);
  return absl::OkStatus();
}

}  // namespace dcos::runtime
