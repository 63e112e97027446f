#pragma once

// CacheTree: the mirror of a subtree that TreeCache keeps -- nodes by path with their data and
// Stat -- and the changes each update makes, as the events a cache's listener hears. Pure: no
// client, no threads.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "protos/zk/v1/znode.pb.h"

namespace dcos::zk::recipes {

struct CachedNode {
  std::string data;
  v1::Stat stat;
};

struct CacheEvent {
  enum class Type { kAdded, kUpdated, kRemoved };
  Type type;
  std::string path;
  CachedNode node;  // after the change (kRemoved: as it was)
};

// "ADDED", "UPDATED", "REMOVED".
const char* CacheEventTypeName(CacheEvent::Type type);

class CacheTree {
 public:
  // Mirrors the subtree at `root` (an absolute path).
  explicit CacheTree(std::string root) : root_(std::move(root)) {}

  const std::string& root() const { return root_; }

  // A node read as `data` and `stat`. kAdded when it was not cached; kUpdated when it was
  // and this is a newer incarnation (czxid) or newer data (mzxid); nothing for a read older
  // than or as old as what is cached (reads may arrive out of date; the newest wins).
  std::optional<CacheEvent> Upsert(const std::string& path, std::string data,
                                   const v1::Stat& stat);

  // Removes `path` and every cached node below it: one kRemoved each, deepest first.
  std::vector<CacheEvent> Remove(const std::string& path);

  // How `now` (the names of path's children just read) differs from the cached children.
  struct ChildDiff {
    std::vector<std::string> added;    // names in `now`, not cached
    std::vector<std::string> removed;  // cached names not in `now`
  };
  ChildDiff DiffChildren(const std::string& path, const std::vector<std::string>& now) const;

  // Names of the cached children of `path`, sorted.
  std::vector<std::string> ChildNames(const std::string& path) const;
  // 0 for the root, 1 for its children, ...; -1 for a path outside the subtree.
  int Depth(const std::string& path) const;

  const CachedNode* Find(const std::string& path) const;
  const std::map<std::string, CachedNode>& nodes() const { return nodes_; }

 private:
  // Cached paths strictly below `path`.
  std::vector<std::string> Descendants(const std::string& path) const;

  std::string root_;
  std::map<std::string, CachedNode> nodes_;
};

}  // namespace dcos::zk::recipes
