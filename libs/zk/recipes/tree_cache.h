#pragma once

// TreeCache: a local mirror of a subtree of dcos-zk, kept current by watches (Curator's
// TreeCache), with a listener that hears every node added, updated and removed.
//
// Every cached node has a data watch, and every node above max_depth a child watch. A data
// event re-reads the node (a deletion removes it, and its subtree; a node re-created in the
// meantime is read anew); a child event re-lists the children, loading the new ones and
// removing the gone. The root may be missing: the cache then watches for its creation. The
// mirror converges to the tree: after the writes stop, it equals the subtree as of the last
// write (within one round of events), also across a session's move to another member (the
// client re-checks its watches there).
//
// All the cache's work runs on the client's event thread, so its listener is called in order
// and never concurrently. Reads that fail for long (the ensemble unreachable beyond the
// client's retry budget) are repeated when the session reconnects. After the session expires
// the cache keeps its last contents and stops changing.
//
// Thread-safety: Get/Children/Snapshot from any thread. The cache must be destroyed before its
// client; the listener must not destroy the cache.

#include <climits>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "libs/zk/client.h"
#include "libs/zk/recipes/cache_tree.h"
#include "libs/zk/recipes/callback_gate.h"

namespace dcos::zk::recipes {

class TreeCache {
 public:
  struct Options {
    // The subtree's root.
    std::string root;
    // 0: the root alone; 1: the root and its children; ... Unlimited by default.
    int max_depth = INT_MAX;
    // Hears every change, on the event thread. May be empty.
    std::function<void(const CacheEvent&)> listener;
  };

  // Loads the subtree (the listener hears kAdded for every node) and returns once it is
  // loaded. Errors: FAILED_PRECONDITION without a session; SESSION_EXPIRED.
  static absl::StatusOr<std::unique_ptr<TreeCache>> Start(client::ZkClient* zk,
                                                          Options options);
  ~TreeCache();

  std::optional<CachedNode> Get(const std::string& path) const;
  // Names of the cached children of `path`, sorted.
  std::vector<std::string> Children(const std::string& path) const;
  std::map<std::string, CachedNode> Snapshot() const;
  size_t size() const;

 private:
  TreeCache(client::ZkClient* zk, Options options)
      : zk_(zk), options_(std::move(options)), tree_(options_.root) {}

  // Event thread only, below.
  // Reads `path` anew (a node discovered, deleted or re-created): data, then children.
  void Load(const std::string& path);
  // Reads the data of the node `path` of incarnation `incarnation`; false if it is gone (then
  // it is removed) or the read failed.
  bool LoadData(const std::string& path, uint64_t incarnation);
  void LoadChildren(const std::string& path, uint64_t incarnation);
  void OnData(const std::string& path, uint64_t incarnation, const client::WatchEvent& e);
  void OnChildren(const std::string& path, uint64_t incarnation,
                  const client::WatchEvent& e);
  void OnSession(client::SessionState state);
  void WatchRoot();
  void Forget(const std::string& path);
  void Failed(const std::string& path, const absl::Status& status);
  void Tell(const CacheEvent& event);

  client::ZkClient* const zk_;
  const Options options_;
  CallbackGate gate_;
  uint64_t listener_ = 0;

  // Event thread only. A node's incarnation changes whenever it is read anew; watches of an
  // older incarnation are ignored when they fire.
  std::map<std::string, uint64_t> incarnation_;
  uint64_t next_incarnation_ = 0;
  std::set<std::string> retry_;  // nodes whose reads failed: read again on reconnect
  bool root_watched_ = false;

  mutable absl::Mutex mu_;
  CacheTree tree_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dcos::zk::recipes
