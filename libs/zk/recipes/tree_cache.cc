#include "libs/zk/recipes/tree_cache.h"

#include "libs/zk/errors.h"
#include "libs/zk/recipes/event_thread.h"
#include "libs/zk/recipes/paths.h"

namespace dcos::zk::recipes {

using client::SessionState;
using client::WatchEvent;

namespace {

bool Gone(const absl::Status& s) { return client::ErrorCodeOf(s) == v1::ERROR_CODE_NO_NODE; }

}  // namespace

absl::StatusOr<std::unique_ptr<TreeCache>> TreeCache::Start(client::ZkClient* zk,
                                                            Options options) {
  if (!zk->has_session()) {
    return absl::FailedPreconditionError("a tree cache needs a client with a session");
  }
  std::unique_ptr<TreeCache> cache(new TreeCache(zk, std::move(options)));
  TreeCache* c = cache.get();
  c->listener_ =
      zk->AddSessionListener(c->gate_.Wrap([c](SessionState s) { c->OnSession(s); }));
  absl::Status loaded = RunOnEventThread(*zk, c->gate_, [c] {
    c->Load(c->options_.root);
    return c->zk_->Usable();
  });
  if (!loaded.ok()) return loaded;
  return cache;
}

TreeCache::~TreeCache() {
  gate_.Close();
  zk_->RemoveSessionListener(listener_);
}

std::optional<CachedNode> TreeCache::Get(const std::string& path) const {
  absl::MutexLock lock(&mu_);
  const CachedNode* node = tree_.Find(path);
  if (node == nullptr) return std::nullopt;
  return *node;
}

std::vector<std::string> TreeCache::Children(const std::string& path) const {
  absl::MutexLock lock(&mu_);
  return tree_.ChildNames(path);
}

std::map<std::string, CachedNode> TreeCache::Snapshot() const {
  absl::MutexLock lock(&mu_);
  return tree_.nodes();
}

size_t TreeCache::size() const {
  absl::MutexLock lock(&mu_);
  return tree_.nodes().size();
}

void TreeCache::Tell(const CacheEvent& event) {
  if (options_.listener) options_.listener(event);
}

void TreeCache::Load(const std::string& path) {
  uint64_t incarnation = ++next_incarnation_;
  incarnation_[path] = incarnation;
  retry_.erase(path);
  if (!LoadData(path, incarnation)) return;
  int depth;
  {
    absl::MutexLock lock(&mu_);
    depth = tree_.Depth(path);
  }
  if (depth < options_.max_depth) LoadChildren(path, incarnation);
}

bool TreeCache::LoadData(const std::string& path, uint64_t incarnation) {
  auto data = zk_->GetDataAndWatch(
      path, gate_.Wrap([this, path, incarnation](const WatchEvent& e) {
        OnData(path, incarnation, e);
      }));
  if (Gone(data.status())) {
    Forget(path);
    if (path == options_.root) WatchRoot();
    return false;
  }
  if (!data.ok()) {
    Failed(path, data.status());
    return false;
  }
  std::optional<CacheEvent> event;
  {
    absl::MutexLock lock(&mu_);
    event = tree_.Upsert(path, std::move(data->first), data->second);
  }
  if (event) Tell(*event);
  return true;
}

void TreeCache::LoadChildren(const std::string& path, uint64_t incarnation) {
  auto children = zk_->GetChildrenAndWatch(
      path, gate_.Wrap([this, path, incarnation](const WatchEvent& e) {
        OnChildren(path, incarnation, e);
      }));
  if (Gone(children.status())) return;  // the data watch reports the deletion
  if (!children.ok()) {
    Failed(path, children.status());
    return;
  }
  CacheTree::ChildDiff diff;
  {
    absl::MutexLock lock(&mu_);
    diff = tree_.DiffChildren(path, *children);
  }
  for (const std::string& name : diff.removed) Forget(JoinPath(path, name));
  for (const std::string& name : diff.added) Load(JoinPath(path, name));
}

void TreeCache::OnData(const std::string& path, uint64_t incarnation, const WatchEvent& e) {
  auto it = incarnation_.find(path);
  if (it == incarnation_.end() || it->second != incarnation) return;  // an older read's watch
  switch (e.type) {
    case WatchEvent::Type::kNodeDataChanged:
      (void)LoadData(path, incarnation);
      return;
    case WatchEvent::Type::kNodeDeleted:
    case WatchEvent::Type::kNodeCreated:
      Load(path);  // gone, or re-created since: read it anew
      return;
    default:
      return;  // children changes come to the child watch; expiry ends the cache
  }
}

void TreeCache::OnChildren(const std::string& path, uint64_t incarnation,
                           const WatchEvent& e) {
  auto it = incarnation_.find(path);
  if (it == incarnation_.end() || it->second != incarnation) return;
  if (e.type == WatchEvent::Type::kNodeChildrenChanged) LoadChildren(path, incarnation);
}

void TreeCache::OnSession(SessionState state) {
  if (state != SessionState::kConnected) return;
  std::set<std::string> again;
  again.swap(retry_);
  for (const std::string& path : again) Load(path);
}

void TreeCache::WatchRoot() {
  if (root_watched_) return;
  const std::string root = options_.root;
  auto exists = zk_->ExistsAndWatch(root, gate_.Wrap([this](const WatchEvent& e) {
    root_watched_ = false;
    if (e.type == WatchEvent::Type::kNodeCreated) Load(options_.root);
  }));
  if (!exists.ok()) {
    Failed(root, exists.status());
    return;
  }
  root_watched_ = true;
  if (exists->has_value()) Load(root);  // created between the two reads
}

void TreeCache::Forget(const std::string& path) {
  std::vector<CacheEvent> events;
  {
    absl::MutexLock lock(&mu_);
    events = tree_.Remove(path);
  }
  for (const CacheEvent& e : events) {
    incarnation_.erase(e.path);
    Tell(e);
  }
  incarnation_.erase(path);
}

void TreeCache::Failed(const std::string& path, const absl::Status& status) {
  if (client::ErrorCodeOf(status) == v1::ERROR_CODE_SESSION_EXPIRED) return;
  retry_.insert(path);
}

}  // namespace dcos::zk::recipes
