#include "services/master/allocator/drf_order.h"

namespace dcos::master::allocator {

void DrfOrder::Update(const Key& old_key, const Key& new_key) {
  auto it = set_.find(old_key);
  if (it == set_.end()) {
    set_.insert(new_key);
    return;
  }
  // Reuse the node: no allocation per update.
  auto node = set_.extract(it);
  node.value() = new_key;
  set_.insert(std::move(node));
}

}  // namespace dcos::master::allocator
