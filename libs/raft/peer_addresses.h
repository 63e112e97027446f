#pragma once

// Where the members of an ensemble are: the address book a RaftMember keeps from its Raft
// configuration, which its transport and the service built on it (leader redirects, status,
// session forwarding) read.
//
// The configuration is authoritative: every membership change names the member's address and
// the core keeps them in ConfState::addresses, durable in the log and in snapshots. Addresses a
// member was started with (raft.peers) are hints only: they fill in members whose change named
// no address (ensembles created before addresses were recorded) and, while this member knows no
// configuration at all (a new member waiting to be added), they are whom it talks to.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "libs/raft/raft_core.h"

namespace dcos::raft {

// Pure: the members of `conf` (voters and learners) with their addresses — from
// conf.addresses, else from `hints`; a member known by neither is left out. With no member in
// `conf` (no configuration yet), `hints` as they are.
std::map<uint64_t, std::string> MemberAddresses(const ConfState& conf,
                                                const std::map<uint64_t, std::string>& hints);

// What changes between two address maps, for a transport: peers to set (new or moved) and
// peers to drop. `self` is never in either.
struct PeerChanges {
  std::map<uint64_t, std::string> set;
  std::vector<uint64_t> removed;
};
PeerChanges DiffPeers(const std::map<uint64_t, std::string>& before,
                      const std::map<uint64_t, std::string>& after, uint64_t self);

// A thread-safe id -> "host:port" map (this member included), replaced as a whole whenever the
// configuration changes. Readers get copies.
class AddressBook {
 public:
  AddressBook() = default;
  explicit AddressBook(std::map<uint64_t, std::string> initial) : all_(std::move(initial)) {}

  std::optional<std::string> Get(uint64_t id) const;
  bool Contains(uint64_t id) const;
  // Every member's address, by id.
  std::map<uint64_t, std::string> All() const;
  // Replaces the map; returns the previous one.
  std::map<uint64_t, std::string> Replace(std::map<uint64_t, std::string> all);

 private:
  mutable absl::Mutex mu_;
  std::map<uint64_t, std::string> all_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dcos::raft
