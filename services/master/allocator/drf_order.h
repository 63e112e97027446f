#pragma once

// DrfOrder: clients (roles, or a role's frameworks) ordered for DRF — lowest weighted dominant
// share first; ties go to the client allocated to fewer times, then to the smaller name.
//
// The owner keeps each client's current Key and hands it back to Update/Erase; the order holds
// no other state. Updating one client is O(log n), iterating is in order. Not thread-safe.

#include <cstdint>
#include <set>
#include <string>

namespace dcos::master::allocator {

class DrfOrder {
 public:
  struct Key {
    double share = 0;          // dominant share divided by weight
    uint64_t allocations = 0;  // offers made to the client so far (round-robin among equals)
    const std::string* name = nullptr;  // outlives the key
    uint32_t id = 0;                    // the owner's index of the client
  };

  struct Less {
    bool operator()(const Key& a, const Key& b) const {
      if (a.share != b.share) return a.share < b.share;
      if (a.allocations != b.allocations) return a.allocations < b.allocations;
      if (*a.name != *b.name) return *a.name < *b.name;
      return a.id < b.id;
    }
  };

  using const_iterator = std::set<Key, Less>::const_iterator;

  void Insert(const Key& key) { set_.insert(key); }
  void Erase(const Key& key) { set_.erase(key); }
  // Moves a client from `old_key` to `new_key`.
  void Update(const Key& old_key, const Key& new_key);
  void Clear() { set_.clear(); }

  bool empty() const { return set_.empty(); }
  size_t size() const { return set_.size(); }
  const_iterator begin() const { return set_.begin(); }
  const_iterator end() const { return set_.end(); }

 private:
  std::set<Key, Less> set_;
};

}  // namespace dcos::master::allocator
