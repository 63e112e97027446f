#include "libs/raft/peer_addresses.h"

namespace dcos::raft {

std::map<uint64_t, std::string> MemberAddresses(const ConfState& conf,
                                                const std::map<uint64_t, std::string>& hints) {
  if (conf.voters_size() == 0 && conf.learners_size() == 0) return hints;
  std::map<uint64_t, std::string> out;
  auto add = [&](uint64_t id) {
    auto durable = conf.addresses().find(id);
    if (durable != conf.addresses().end() && !durable->second.empty()) {
      out[id] = durable->second;
      return;
    }
    auto hint = hints.find(id);
    if (hint != hints.end()) out[id] = hint->second;
  };
  for (uint64_t id : conf.voters()) add(id);
  for (uint64_t id : conf.learners()) add(id);
  return out;
}

PeerChanges DiffPeers(const std::map<uint64_t, std::string>& before,
                      const std::map<uint64_t, std::string>& after, uint64_t self) {
  PeerChanges changes;
  for (const auto& [id, address] : after) {
    if (id == self) continue;
    auto old = before.find(id);
    if (old == before.end() || old->second != address) changes.set[id] = address;
  }
  for (const auto& [id, address] : before) {
    if (id != self && after.count(id) == 0) changes.removed.push_back(id);
  }
  return changes;
}

std::optional<std::string> AddressBook::Get(uint64_t id) const {
  absl::MutexLock lock(&mu_);
  auto it = all_.find(id);
  if (it == all_.end()) return std::nullopt;
  return it->second;
}

bool AddressBook::Contains(uint64_t id) const {
  absl::MutexLock lock(&mu_);
  return all_.count(id) > 0;
}

std::map<uint64_t, std::string> AddressBook::All() const {
  absl::MutexLock lock(&mu_);
  return all_;
}

std::map<uint64_t, std::string> AddressBook::Replace(std::map<uint64_t, std::string> all) {
  absl::MutexLock lock(&mu_);
  std::swap(all_, all);
  return all;
}

}  // namespace dcos::raft
