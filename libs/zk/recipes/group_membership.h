#pragma once

// GroupMembership: a group of processes under one directory of dcos-zk. A member joins with an
// ephemeral sequential node holding its data, so it leaves the group when it leaves, dies or
// loses its session; anyone can follow the member list (a TreeCache of depth 1).
//
//   GroupMembership::Options o;
//   o.path = "/dcos/agents";
//   o.join_data = "127.0.3.1:5051";                    // unset: follow only
//   o.on_change = [](const auto& members) { ... };    // name -> data, on the event thread
//   DCOS_ASSIGN_OR_RETURN(auto group, GroupMembership::Start(zk.get(), o));
//
// Thread-safety: Members/self from any thread; on_change on the client's event thread. Must
// be destroyed before its client.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "libs/zk/client.h"
#include "libs/zk/recipes/contender.h"
#include "libs/zk/recipes/tree_cache.h"

namespace dcos::zk::recipes {

// The name prefix of member nodes.
inline constexpr char kMemberNodePrefix[] = "member_";

class GroupMembership {
 public:
  using Members = std::map<std::string, std::string>;  // member node name -> data

  struct Options {
    // The group directory; created (with its parents) if missing.
    std::string path;
    // Join with this data; unset: only follow the group.
    std::optional<std::string> join_data;
    // Called with the whole member list after every change. May be empty.
    std::function<void(const Members&)> on_change;
    // Seeds the member node's random tag; unset: random.
    std::optional<uint64_t> seed;
  };

  // Joins (if asked) and loads the member list. Errors: FAILED_PRECONDITION without a
  // session, SESSION_EXPIRED, the client's errors.
  static absl::StatusOr<std::unique_ptr<GroupMembership>> Start(client::ZkClient* zk,
                                                                Options options);
  // Leaves the group (if joined).
  ~GroupMembership();

  Members members() const;
  // This process's member node name; empty if it did not join (or left).
  std::string self() const;
  // Leaves the group now (deletes the member node). Idempotent.
  absl::Status Leave();

 private:
  GroupMembership(client::ZkClient* zk, Options options) : zk_(zk), options_(std::move(options)) {}

  // The cache's listener (event thread): keeps members_ and tells on_change.
  void OnCacheEvent(const CacheEvent& event);

  client::ZkClient* const zk_;
  const Options options_;
  std::unique_ptr<TreeCache> cache_;

  mutable absl::Mutex mu_;
  Members members_ ABSL_GUARDED_BY(mu_);
  std::optional<Contender> self_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dcos::zk::recipes
