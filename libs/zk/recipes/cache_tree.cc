#include "libs/zk/recipes/cache_tree.h"

#include <algorithm>
#include <set>

#include "absl/strings/match.h"

namespace dcos::zk::recipes {
namespace {

// "/a" -> "/a/"; "/" -> "/".
std::string DirPrefix(const std::string& path) { return path == "/" ? path : path + "/"; }

}  // namespace

const char* CacheEventTypeName(CacheEvent::Type type) {
  switch (type) {
    case CacheEvent::Type::kAdded: return "ADDED";
    case CacheEvent::Type::kUpdated: return "UPDATED";
    case CacheEvent::Type::kRemoved: return "REMOVED";
  }
  return "UNKNOWN";
}

std::optional<CacheEvent> CacheTree::Upsert(const std::string& path, std::string data,
                                            const v1::Stat& stat) {
  auto it = nodes_.find(path);
  if (it == nodes_.end()) {
    CachedNode& node = nodes_[path];
    node.data = std::move(data);
    node.stat = stat;
    return CacheEvent{CacheEvent::Type::kAdded, path, node};
  }
  const v1::Stat& old = it->second.stat;
  bool newer = stat.czxid() > old.czxid() ||
               (stat.czxid() == old.czxid() && stat.mzxid() > old.mzxid());
  if (!newer) return std::nullopt;
  it->second.data = std::move(data);
  it->second.stat = stat;
  return CacheEvent{CacheEvent::Type::kUpdated, path, it->second};
}

std::vector<std::string> CacheTree::Descendants(const std::string& path) const {
  std::vector<std::string> out;
  const std::string prefix = DirPrefix(path);
  for (auto it = nodes_.lower_bound(prefix); it != nodes_.end(); ++it) {
    if (!absl::StartsWith(it->first, prefix)) break;
    if (it->first != path) out.push_back(it->first);
  }
  return out;
}

std::vector<CacheEvent> CacheTree::Remove(const std::string& path) {
  std::vector<std::string> doomed = Descendants(path);
  // Deepest first: more segments first, then reverse path order.
  std::sort(doomed.begin(), doomed.end(), [](const std::string& a, const std::string& b) {
    auto depth = [](const std::string& p) { return std::count(p.begin(), p.end(), '/'); };
    return depth(a) != depth(b) ? depth(a) > depth(b) : a > b;
  });
  doomed.push_back(path);
  std::vector<CacheEvent> events;
  for (const std::string& p : doomed) {
    auto it = nodes_.find(p);
    if (it == nodes_.end()) continue;
    events.push_back(CacheEvent{CacheEvent::Type::kRemoved, p, std::move(it->second)});
    nodes_.erase(it);
  }
  return events;
}

std::vector<std::string> CacheTree::ChildNames(const std::string& path) const {
  std::vector<std::string> out;
  const std::string prefix = DirPrefix(path);
  for (const std::string& p : Descendants(path)) {
    if (p.find('/', prefix.size()) == std::string::npos) out.push_back(p.substr(prefix.size()));
  }
  return out;
}

CacheTree::ChildDiff CacheTree::DiffChildren(const std::string& path,
                                             const std::vector<std::string>& now) const {
  std::vector<std::string> cached = ChildNames(path);
  std::set<std::string> cached_set(cached.begin(), cached.end());
  std::set<std::string> now_set(now.begin(), now.end());
  ChildDiff diff;
  for (const std::string& n : now_set) {
    if (!cached_set.count(n)) diff.added.push_back(n);
  }
  for (const std::string& c : cached_set) {
    if (!now_set.count(c)) diff.removed.push_back(c);
  }
  return diff;
}

int CacheTree::Depth(const std::string& path) const {
  if (path == root_) return 0;
  const std::string prefix = DirPrefix(root_);
  if (!absl::StartsWith(path, prefix)) return -1;
  return 1 + static_cast<int>(std::count(path.begin() + prefix.size(), path.end(), '/'));
}

const CachedNode* CacheTree::Find(const std::string& path) const {
  auto it = nodes_.find(path);
  return it == nodes_.end() ? nullptr : &it->second;
}

}  // namespace dcos::zk::recipes
