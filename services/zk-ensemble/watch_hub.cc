#include "services/zk-ensemble/watch_hub.h"

namespace dcos::zk {
namespace {

// Undelivered events kept per session; a session that stops reading loses the oldest.
constexpr size_t kMaxQueued = 100000;

v1::WatchEvent::Type ToProto(WatchEventType t) {
  return static_cast<v1::WatchEvent::Type>(static_cast<int>(t));
}

}  // namespace

void WatchHub::Register(int64_t session_id, const std::string& path, Kind kind) {
  absl::MutexLock lock(&mu_);
  if (kind == Kind::kData) {
    watches_.AddDataWatch(session_id, path);
  } else {
    watches_.AddChildWatch(session_id, path);
  }
}

void WatchHub::RegisterPersistent(int64_t session_id, const std::string& path, bool recursive) {
  absl::MutexLock lock(&mu_);
  watches_.AddPersistentWatch(session_id, path, recursive);
}

absl::Status WatchHub::Remove(int64_t session_id, const std::string& path, WatcherType type) {
  std::vector<std::function<void()>> wake;
  {
    absl::MutexLock lock(&mu_);
    absl::StatusOr<std::vector<WatchEvent>> removed =
        watches_.RemoveWatches(session_id, path, type);
    if (!removed.ok()) return removed.status();
    QueueLocked(session_id, *removed);
    wake = ListenersLocked({session_id});
  }
  Wake(wake);
  return absl::OkStatus();
}

void WatchHub::Queue(int64_t session_id, const std::vector<WatchEvent>& events) {
  if (events.empty()) return;
  std::vector<std::function<void()>> wake;
  {
    absl::MutexLock lock(&mu_);
    QueueLocked(session_id, events);
    wake = ListenersLocked({session_id});
  }
  Wake(wake);
}

std::vector<std::function<void()>> WatchHub::ListenersLocked(
    const std::vector<int64_t>& sessions) const {
  std::vector<std::function<void()>> out;
  for (int64_t session : sessions) {
    auto it = listeners_.find(session);
    if (it != listeners_.end()) out.push_back(it->second.wake);
  }
  return out;
}

void WatchHub::Wake(const std::vector<std::function<void()>>& listeners) {
  for (const auto& wake : listeners) wake();
}

void WatchHub::Listen(int64_t session_id, uint64_t generation, std::function<void()> wake) {
  absl::MutexLock lock(&mu_);
  listeners_[session_id] = Listener{generation, std::move(wake)};
}

void WatchHub::QueueLocked(int64_t session_id, const std::vector<WatchEvent>& events) {
  if (events.empty()) return;
  auto& queue = queued_[session_id];
  for (const WatchEvent& e : events) {
    v1::WatchEvent out;
    out.set_type(ToProto(e.type));
    out.set_path(e.path);
    out.set_zxid(e.zxid);
    out.set_sequence(++sequence_[session_id]);
    queue.push_back(std::move(out));
    if (queue.size() > kMaxQueued) queue.pop_front();
  }
}

void WatchHub::Fire(const Changes& changes) {
  if (changes.empty()) return;
  std::vector<std::function<void()>> wake;
  {
    absl::MutexLock lock(&mu_);
    std::vector<int64_t> sessions;
    for (auto& [session, events] : watches_.Fire(changes)) {
      QueueLocked(session, events);
      if (!events.empty()) sessions.push_back(session);
    }
    wake = ListenersLocked(sessions);
  }
  Wake(wake);
}

uint64_t WatchHub::Attach(int64_t session_id) {
  absl::MutexLock lock(&mu_);
  uint64_t generation = ++next_generation_;
  generation_[session_id] = generation;
  return generation;
}

void WatchHub::Detach(int64_t session_id, uint64_t generation) {
  absl::MutexLock lock(&mu_);
  auto it = generation_.find(session_id);
  if (it == generation_.end() || it->second != generation) return;
  generation_.erase(it);
  watches_.RemoveSession(session_id);
  queued_.erase(session_id);
  auto listener = listeners_.find(session_id);
  if (listener != listeners_.end() && listener->second.generation == generation) {
    listeners_.erase(listener);
  }
  // The numbering goes on: a client tracks it per member, and a later stream to this member
  // must not reuse numbers it has already seen.
}

void WatchHub::RemoveSession(int64_t session_id) {
  absl::MutexLock lock(&mu_);
  watches_.RemoveSession(session_id);
  queued_.erase(session_id);
  sequence_.erase(session_id);
  generation_.erase(session_id);
  listeners_.erase(session_id);
}

uint64_t WatchHub::Sequence(int64_t session_id) const {
  absl::MutexLock lock(&mu_);
  auto it = sequence_.find(session_id);
  return it == sequence_.end() ? 0 : it->second;
}

std::vector<v1::WatchEvent> WatchHub::Wait(int64_t session_id, uint64_t delivered,
                                           absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto pending = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = queued_.find(session_id);
    return it != queued_.end() && !it->second.empty() &&
           it->second.back().sequence() > delivered;
  };
  if (timeout > absl::ZeroDuration()) mu_.AwaitWithTimeout(absl::Condition(&pending), timeout);
  std::vector<v1::WatchEvent> out;
  auto it = queued_.find(session_id);
  if (it == queued_.end()) return out;
  // Delivered events leave the queue.
  while (!it->second.empty() && it->second.front().sequence() <= delivered) {
    it->second.pop_front();
  }
  for (const v1::WatchEvent& e : it->second) out.push_back(e);
  return out;
}

size_t WatchHub::watch_count() const {
  absl::MutexLock lock(&mu_);
  return watches_.WatchCount();
}

}  // namespace dcos::zk
