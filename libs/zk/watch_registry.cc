#include "libs/zk/watch_registry.h"

#include <algorithm>

namespace dcos::zk::client {
namespace {

using Type = WatchEvent::Type;

// Whether an event of `type` concerns (and consumes) a watch of `kind`; see the header.
bool Triggers(WatchKind kind, v1::WatchEvent::Type type) {
  switch (type) {
    case v1::WatchEvent::TYPE_NODE_CREATED:
    case v1::WatchEvent::TYPE_NODE_DATA_CHANGED:
      return kind != WatchKind::kChild;
    case v1::WatchEvent::TYPE_NODE_DELETED:
      return true;
    case v1::WatchEvent::TYPE_NODE_CHILDREN_CHANGED:
      return kind == WatchKind::kChild;
    default:
      return false;  // *_WATCH_REMOVED: one-shot watches are not removed that way here
  }
}

WatchEvent ToEvent(const v1::WatchEvent& e) {
  return {static_cast<Type>(static_cast<int>(e.type())), e.path(), e.zxid()};
}

}  // namespace

std::optional<WatchEvent> RecheckOutcome(WatchKind kind, const std::string& path,
                                         int64_t since_zxid, const std::optional<v1::Stat>& now,
                                         int64_t read_zxid) {
  if (kind == WatchKind::kExists) {
    if (!now) return std::nullopt;
    return WatchEvent{Type::kNodeCreated, path, now->czxid()};
  }
  if (!now || now->czxid() > since_zxid) return WatchEvent{Type::kNodeDeleted, path, read_zxid};
  if (kind == WatchKind::kData && now->mzxid() > since_zxid) {
    return WatchEvent{Type::kNodeDataChanged, path, now->mzxid()};
  }
  if (kind == WatchKind::kChild && now->pzxid() > since_zxid) {
    return WatchEvent{Type::kNodeChildrenChanged, path, now->pzxid()};
  }
  return std::nullopt;
}

std::optional<WatchEvent> WatchRegistry::FromRecent(size_t member, uint64_t sequence,
                                                    WatchKind kind,
                                                    const std::string& path) const {
  auto seen = max_seen_.find(member);
  if (seen == max_seen_.end() || seen->second <= sequence) return std::nullopt;
  auto recent = recent_.find(member);
  if (recent == recent_.end() || recent->second.empty() ||
      recent->second.front().sequence() > sequence + 1) {
    // Events after the read were received but are no longer kept (more than kRecentEvents
    // since): the node may have changed. Report a change; the caller re-reads.
    if (recent == recent_.end() || recent->second.empty()) return std::nullopt;
    return WatchEvent{kind == WatchKind::kChild ? Type::kNodeChildrenChanged
                                                : Type::kNodeDataChanged,
                      path, 0};
  }
  for (const v1::WatchEvent& e : recent->second) {
    if (e.sequence() > sequence && e.path() == path && Triggers(kind, e.type())) {
      return ToEvent(e);
    }
  }
  return std::nullopt;
}

std::vector<WatchRegistry::Fired> WatchRegistry::Add(WatchKind kind, const std::string& path,
                                                     const Read& read, Watcher watcher) {
  if (read.current) {
    if (std::optional<WatchEvent> e = FromRecent(read.member, read.sequence, kind, path)) {
      return {Fired{std::move(watcher), std::move(*e)}};
    }
  }
  by_path_[path].push_back(
      Entry{kind, read.member, read.zxid, read.sequence, !read.current, std::move(watcher)});
  if (!read.current) ++stale_;
  return {};
}

std::vector<WatchRegistry::Fired> WatchRegistry::OnEvent(size_t member,
                                                         const v1::WatchEvent& event) {
  uint64_t& seen = max_seen_[member];
  seen = std::max(seen, event.sequence());
  std::deque<v1::WatchEvent>& recent = recent_[member];
  recent.push_back(event);
  if (recent.size() > kRecentEvents) recent.pop_front();

  std::vector<Fired> fired;
  auto it = by_path_.find(event.path());
  if (it == by_path_.end()) return fired;
  std::vector<Entry>& entries = it->second;
  auto fires = [&](const Entry& e) {
    return !e.stale && e.member == member && event.sequence() > e.min_sequence &&
           Triggers(e.kind, event.type());
  };
  for (Entry& e : entries) {
    if (fires(e)) fired.push_back(Fired{std::move(e.watcher), ToEvent(event)});
  }
  entries.erase(std::remove_if(entries.begin(), entries.end(), fires), entries.end());
  if (entries.empty()) by_path_.erase(it);
  return fired;
}

uint64_t WatchRegistry::max_seen(size_t member) const {
  auto it = max_seen_.find(member);
  return it == max_seen_.end() ? 0 : it->second;
}

void WatchRegistry::Reattached(size_t member) {
  recent_.erase(member);
  for (auto& [path, entries] : by_path_) {
    for (Entry& e : entries) e.stale = true;
  }
  stale_ = size();
}

std::vector<WatchRegistry::Stale> WatchRegistry::StaleWatches() const {
  std::vector<Stale> out;
  for (const auto& [path, entries] : by_path_) {
    for (WatchKind kind : {WatchKind::kData, WatchKind::kExists, WatchKind::kChild}) {
      std::optional<int64_t> oldest;
      for (const Entry& e : entries) {
        if (e.stale && e.kind == kind) oldest = std::min(oldest.value_or(e.zxid), e.zxid);
      }
      if (oldest) out.push_back(Stale{kind, path, *oldest});
    }
  }
  return out;
}

std::vector<WatchRegistry::Fired> WatchRegistry::Rechecked(WatchKind kind,
                                                           const std::string& path,
                                                           const Read& read,
                                                           const std::optional<v1::Stat>& stat) {
  std::vector<Fired> fired;
  auto it = by_path_.find(path);
  if (it == by_path_.end()) return fired;
  std::optional<WatchEvent> recent;
  if (read.current) recent = FromRecent(read.member, read.sequence, kind, path);
  std::vector<Entry>& entries = it->second;
  std::vector<Entry> kept;
  for (Entry& e : entries) {
    if (!e.stale || e.kind != kind) {
      kept.push_back(std::move(e));
      continue;
    }
    std::optional<WatchEvent> event = RecheckOutcome(kind, path, e.zxid, stat, read.zxid);
    if (!event) event = recent;
    if (event) {
      fired.push_back(Fired{std::move(e.watcher), std::move(*event)});
      --stale_;
      continue;
    }
    if (read.current) {
      --stale_;
      e.member = read.member;
      e.zxid = read.zxid;
      e.min_sequence = read.sequence;
      e.stale = false;
    }
    kept.push_back(std::move(e));
  }
  entries = std::move(kept);
  if (entries.empty()) by_path_.erase(it);
  return fired;
}

std::vector<WatchRegistry::Fired> WatchRegistry::TakeAll(WatchEvent::Type type) {
  std::vector<Fired> fired;
  for (auto& [path, entries] : by_path_) {
    for (Entry& e : entries) fired.push_back(Fired{std::move(e.watcher), {type, path, 0}});
  }
  by_path_.clear();
  stale_ = 0;
  return fired;
}

size_t WatchRegistry::size() const {
  size_t n = 0;
  for (const auto& [path, entries] : by_path_) n += entries.size();
  return n;
}

}  // namespace dcos::zk::client
