#pragma once

// MemberRouter: which ensemble member the client sends each call to, and how that changes
// when members fail or redirect. The pure core of ZkClient's failover: no I/O, no clock, no
// threads.
//
// Model: the client is "connected" to one member (current), which serves its reads, and may
// know the leader, which gets its writes. Without a known leader, writes go to the current
// member, whose redirect names the leader. Members named by redirects that are not in the
// list are appended (an ensemble that grew); members are never removed.
//
// Thread-compatible: ZkClient guards it with its mutex.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "libs/zk/redirect.h"

namespace dcos::zk::client {

class MemberRouter {
 public:
  // Requires a non-empty `addresses` and first < addresses.size(). Duplicates are dropped.
  MemberRouter(std::vector<std::string> addresses, size_t first);

  size_t size() const { return addresses_.size(); }
  const std::string& address(size_t i) const { return addresses_[i]; }
  // The index of `address`, if it is in the list.
  std::optional<size_t> Find(const std::string& address) const;

  // The member reads go to.
  size_t ReadTarget() const { return current_; }
  // The member writes go to: the leader if known, else the current member.
  size_t WriteTarget() const { return leader_.value_or(current_); }
  std::optional<size_t> leader() const { return leader_; }

  // Member `from` answered with a redirect. A known leader becomes the write target (its
  // address is appended if new) and its index is returned. "No leader known" forgets the
  // leader, moves the current member on if it was `from` (another member may know better)
  // and returns nullopt.
  std::optional<size_t> OnRedirect(size_t from, const LeaderHint& hint);

  // Member `i` could not be reached, broke the connection or timed out: it is no longer the
  // leader, and if it was the current member the next one in the list becomes current.
  void OnFailure(size_t i);

  // Member `i` committed a write: it is the leader.
  void OnWriteSuccess(size_t i) { leader_ = i; }

  // Member `i` becomes the current member (the client's session attached there).
  void MoveTo(size_t i) { current_ = i; }

 private:
  std::vector<std::string> addresses_;
  size_t current_;
  std::optional<size_t> leader_;
};

}  // namespace dcos::zk::client
