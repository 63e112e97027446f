#pragma once

// WatchManager: the watches of the sessions attached to one member, and which events a
// transaction fires. Pure and deterministic (no I/O, threads or clock); the service owns it
// on its apply thread and delivers what Fire() returns, in that order, on each session's
// stream (ordering the events before the replies that read the new data is the service's job).
//
// Semantics (ZooKeeper 3.6's WatchManager):
// - Data watches (GetData on an existing node, Exists on any path) are one-shot and fire
//   NodeCreated, NodeDeleted or NodeDataChanged of their path.
// - Child watches (GetChildren) are one-shot and fire NodeChildrenChanged of their path, or
//   NodeDeleted when the node itself is deleted.
// - Persistent watches (AddWatch PERSISTENT) fire every one of those events of their path and
//   stay. Persistent recursive watches fire NodeCreated, NodeDeleted and NodeDataChanged of
//   their path and of every descendant, never NodeChildrenChanged, and stay.
// - A session gets at most one event per change, even when several of its watches match (a
//   delete fires one NodeDeleted for a session with both a data and a child watch on the
//   node, and consumes both one-shot watches).
// - A session holds a watch kind on a path at most once; adding it again does nothing.
//
// Thread-compatible: owned by one thread.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/zk-ensemble/core/types.h"

namespace dcos::zk {

// dcos.zk.v1.WatchEvent.Type, same numbers.
enum class WatchEventType : int {
  kNodeCreated = 1,
  kNodeDeleted = 2,
  kNodeDataChanged = 3,
  kNodeChildrenChanged = 4,
  kDataWatchRemoved = 5,
  kChildWatchRemoved = 6,
  kPersistentWatchRemoved = 7,
};

struct WatchEvent {
  WatchEventType type;
  std::string path;  // for recursive watches: the descendant that changed
  int64_t zxid = 0;  // of the change; 0 for *_WATCH_REMOVED

  bool operator==(const WatchEvent&) const = default;
};

// dcos.zk.v1.WatcherType, same numbers.
enum class WatcherType : int {
  kData = 1,        // data and exists watches
  kChildren = 2,
  kPersistent = 3,  // persistent and persistent recursive
  kAny = 4,
};

// A session's watches, by kind, each list sorted (for SetWatches after a reconnect, and
// for debugging like ZooKeeper's `wchc`).
struct SessionWatches {
  std::vector<std::string> data;
  std::vector<std::string> child;
  std::vector<std::string> persistent;
  std::vector<std::string> persistent_recursive;

  bool operator==(const SessionWatches&) const = default;
};

class WatchManager {
 public:
  // Session ids are non-zero; the service checks that (and that the session is alive).
  void AddDataWatch(int64_t session_id, absl::string_view path);
  void AddChildWatch(int64_t session_id, absl::string_view path);
  void AddPersistentWatch(int64_t session_id, absl::string_view path, bool recursive);

  // Removes the session's watches of `type` on `path` and returns one *_WATCH_REMOVED event
  // per watch removed (data, child, persistent, persistent recursive — in that order).
  // Errors: NOT_FOUND / NO_WATCHER if there was none; INVALID_ARGUMENT / BAD_ARGUMENTS for a
  // type outside the enum.
  absl::StatusOr<std::vector<WatchEvent>> RemoveWatches(int64_t session_id,
                                                        absl::string_view path,
                                                        WatcherType type);

  // Forgets every watch of the session (it closed, expired, or moved to another member).
  void RemoveSession(int64_t session_id);

  // The events `changes` fires, per session (ascending), each session's in the order of the
  // changes; fired one-shot watches are removed. Deterministic for equal inputs and state.
  std::map<int64_t, std::vector<WatchEvent>> Fire(const Changes& changes);

  SessionWatches WatchesOf(int64_t session_id) const;

  // Metrics: watches held, counting each (session, path, kind) once.
  size_t WatchCount() const { return data_count_ + child_count_ + persistent_count_ +
                                     recursive_count_; }
  size_t DataWatchCount() const { return data_count_; }
  size_t ChildWatchCount() const { return child_count_; }
  size_t PersistentWatchCount() const { return persistent_count_ + recursive_count_; }
  size_t SessionCount() const { return by_session_.size(); }  // sessions with any watch

 private:
  enum Bit : uint8_t {
    kDataBit = 1,
    kChildBit = 2,
    kPersistentBit = 4,
    kRecursiveBit = 8,
  };

  void Add(int64_t session_id, absl::string_view path, uint8_t bit);
  // Clears `bits` of (session, path); keeps the indexes and counters right.
  void Clear(int64_t session_id, const std::string& path, uint8_t bits);
  size_t* CounterOf(uint8_t bit);

  // Sessions that a data-type event (created / deleted / data changed) of `path` reaches;
  // consumes one-shot data watches.
  void DataTrigger(const std::string& path, absl::btree_set<int64_t>* sessions);
  // Sessions a child-type event of `path` reaches (child and persistent watches on `path`);
  // consumes one-shot child watches.
  void ChildTrigger(const std::string& path, absl::btree_set<int64_t>* sessions);

  // path -> session -> Bits
  absl::flat_hash_map<std::string, std::map<int64_t, uint8_t>> by_path_;
  // session -> paths with at least one bit
  std::map<int64_t, absl::btree_set<std::string>> by_session_;
  size_t data_count_ = 0;
  size_t child_count_ = 0;
  size_t persistent_count_ = 0;
  size_t recursive_count_ = 0;
};

}  // namespace dcos::zk
