#include "services/zk-ensemble/core/watches.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "services/zk-ensemble/core/errors.h"
#include "services/zk-ensemble/core/path.h"

namespace dcos::zk {

size_t* WatchManager::CounterOf(uint8_t bit) {
  switch (bit) {
    case kDataBit: return &data_count_;
    case kChildBit: return &child_count_;
    case kPersistentBit: return &persistent_count_;
    default: return &recursive_count_;
  }
}

void WatchManager::Add(int64_t session_id, absl::string_view path, uint8_t bit) {
  std::string key(path);
  uint8_t& bits = by_path_[key][session_id];
  if (bits & bit) return;
  bits |= bit;
  ++*CounterOf(bit);
  by_session_[session_id].insert(std::move(key));
}

void WatchManager::AddDataWatch(int64_t session_id, absl::string_view path) {
  Add(session_id, path, kDataBit);
}

void WatchManager::AddChildWatch(int64_t session_id, absl::string_view path) {
  Add(session_id, path, kChildBit);
}

void WatchManager::AddPersistentWatch(int64_t session_id, absl::string_view path,
                                      bool recursive) {
  Add(session_id, path, recursive ? kRecursiveBit : kPersistentBit);
}

void WatchManager::Clear(int64_t session_id, const std::string& path, uint8_t bits) {
  auto p = by_path_.find(path);
  if (p == by_path_.end()) return;
  auto s = p->second.find(session_id);
  if (s == p->second.end()) return;
  for (uint8_t bit : {kDataBit, kChildBit, kPersistentBit, kRecursiveBit}) {
    if ((bits & bit) && (s->second & bit)) {
      s->second &= static_cast<uint8_t>(~bit);
      --*CounterOf(bit);
    }
  }
  if (s->second != 0) return;
  p->second.erase(s);
  auto owned = by_session_.find(session_id);
  owned->second.erase(path);
  if (owned->second.empty()) by_session_.erase(owned);
  if (p->second.empty()) by_path_.erase(p);
}

absl::StatusOr<std::vector<WatchEvent>> WatchManager::RemoveWatches(int64_t session_id,
                                                                    absl::string_view path,
                                                                    WatcherType type) {
  uint8_t wanted;
  switch (type) {
    case WatcherType::kData: wanted = kDataBit; break;
    case WatcherType::kChildren: wanted = kChildBit; break;
    case WatcherType::kPersistent: wanted = kPersistentBit | kRecursiveBit; break;
    case WatcherType::kAny:
      wanted = kDataBit | kChildBit | kPersistentBit | kRecursiveBit;
      break;
    default:
      return ZkStatus(ZkCode::kBadArguments, "",
                      absl::StrCat("unknown watcher type ", static_cast<int>(type)));
  }
  std::string key(path);
  uint8_t held = 0;
  if (auto p = by_path_.find(key); p != by_path_.end()) {
    if (auto s = p->second.find(session_id); s != p->second.end()) held = s->second & wanted;
  }
  if (held == 0) return ZkStatus(ZkCode::kNoWatcher, key, "no such watch on the path");
  std::vector<WatchEvent> events;
  if (held & kDataBit) events.push_back({WatchEventType::kDataWatchRemoved, key, 0});
  if (held & kChildBit) events.push_back({WatchEventType::kChildWatchRemoved, key, 0});
  if (held & kPersistentBit) {
    events.push_back({WatchEventType::kPersistentWatchRemoved, key, 0});
  }
  if (held & kRecursiveBit) {
    events.push_back({WatchEventType::kPersistentWatchRemoved, key, 0});
  }
  Clear(session_id, key, held);
  return events;
}

void WatchManager::RemoveSession(int64_t session_id) {
  auto owned = by_session_.find(session_id);
  if (owned == by_session_.end()) return;
  std::vector<std::string> paths(owned->second.begin(), owned->second.end());
  for (const std::string& path : paths) Clear(session_id, path, 0xff);
}

void WatchManager::DataTrigger(const std::string& path, absl::btree_set<int64_t>* sessions) {
  std::vector<int64_t> consumed;
  if (auto p = by_path_.find(path); p != by_path_.end()) {
    for (const auto& [session, bits] : p->second) {
      if (bits & (kDataBit | kPersistentBit | kRecursiveBit)) sessions->insert(session);
      if (bits & kDataBit) consumed.push_back(session);
    }
  }
  for (int64_t session : consumed) Clear(session, path, kDataBit);
  if (recursive_count_ == 0 || path == "/") return;
  // Recursive watches on proper ancestors: "/a" and "/" for "/a/b".
  absl::string_view ancestor = path;
  do {
    ancestor = ParentPath(ancestor);
    auto p = by_path_.find(std::string(ancestor));
    if (p == by_path_.end()) continue;
    for (const auto& [session, bits] : p->second) {
      if (bits & kRecursiveBit) sessions->insert(session);
    }
  } while (ancestor != "/");
}

void WatchManager::ChildTrigger(const std::string& path, absl::btree_set<int64_t>* sessions) {
  std::vector<int64_t> consumed;
  if (auto p = by_path_.find(path); p != by_path_.end()) {
    for (const auto& [session, bits] : p->second) {
      if (bits & (kChildBit | kPersistentBit)) sessions->insert(session);
      if (bits & kChildBit) consumed.push_back(session);
    }
  }
  for (int64_t session : consumed) Clear(session, path, kChildBit);
}

std::map<int64_t, std::vector<WatchEvent>> WatchManager::Fire(const Changes& changes) {
  std::map<int64_t, std::vector<WatchEvent>> out;
  for (const Change& change : changes.list) {
    if (by_path_.empty()) break;
    absl::btree_set<int64_t> sessions;
    WatchEventType type;
    switch (change.type) {
      case Change::Type::kCreated:
        type = WatchEventType::kNodeCreated;
        DataTrigger(change.path, &sessions);
        break;
      case Change::Type::kDeleted:
        type = WatchEventType::kNodeDeleted;
        DataTrigger(change.path, &sessions);
        ChildTrigger(change.path, &sessions);
        break;
      case Change::Type::kDataChanged:
        type = WatchEventType::kNodeDataChanged;
        DataTrigger(change.path, &sessions);
        break;
      case Change::Type::kChildrenChanged:
        type = WatchEventType::kNodeChildrenChanged;
        ChildTrigger(change.path, &sessions);
        break;
      default:
        continue;
    }
    for (int64_t session : sessions) {
      out[session].push_back(WatchEvent{type, change.path, changes.zxid});
    }
  }
  return out;
}

SessionWatches WatchManager::WatchesOf(int64_t session_id) const {
  SessionWatches out;
  auto owned = by_session_.find(session_id);
  if (owned == by_session_.end()) return out;
  for (const std::string& path : owned->second) {
    uint8_t bits = by_path_.find(path)->second.find(session_id)->second;
    if (bits & kDataBit) out.data.push_back(path);
    if (bits & kChildBit) out.child.push_back(path);
    if (bits & kPersistentBit) out.persistent.push_back(path);
    if (bits & kRecursiveBit) out.persistent_recursive.push_back(path);
  }
  return out;
}

}  // namespace dcos::zk
