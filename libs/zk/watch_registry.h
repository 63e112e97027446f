#pragma once

// WatchRegistry: a session's one-shot watches on the client side, and which of them an event
// fires. Pure: no I/O, threads or clock; ZkSession guards it with its mutex and runs the
// callbacks it returns on the event thread.
//
// How a watch lives. A read with a watch is answered by a member, which registers the watch
// there and puts in the reply the number of the last event it had queued for the session
// (watch_sequence, S). The client then adds the watch here, tagged with that member and S:
// - Events come numbered on the session's stream. An event from member M fires the live
//   watches held by M whose S is below the event's number and whose kind it concerns
//   (created: data and exists watches; deleted: all; data changed: data and exists; children
//   changed: child watches). Fired watches are removed.
// - The event that fires a new watch may arrive before the read's reply is processed: the
//   registry keeps each member's recent events, and Add fires at once on one numbered after S.
// - A watch held by a member the session is not attached to (the read went elsewhere, or the
//   stream moved or broke since) is stale: events may be lost. ZkSession re-checks stale
//   watches on the attached member with a read that watches again (Rechecked): if the node
//   changed since the watch's zxid the watch fires with the matching event, else it becomes
//   live there. (dcos-zk's SetWatches would do the same in one message; it does not exist yet.)
//
// Numbering: events of a session are numbered per member, increasing across that member's
// streams (dcos-zk's WatchHub). The registry relies on that only to keep an event that a
// member sends again on a new stream from firing a watch registered after it.
//
// Thread-compatible.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "libs/zk/watch.h"
#include "protos/zk/v1/session.pb.h"
#include "protos/zk/v1/znode.pb.h"

namespace dcos::zk::client {

enum class WatchKind {
  kData,    // GetData, or Exists on a node that exists
  kExists,  // Exists on a node that does not exist
  kChild,   // GetChildren
};

// The event a re-checked watch reports, if the node changed since `since_zxid`: `now` is the
// node's Stat read at `read_zxid` (nullopt: the node does not exist).
// - data:   gone, or re-created after since_zxid -> deleted; modified after -> data changed.
// - exists: now exists -> created.
// - child:  gone or re-created -> deleted; a child added or removed after -> children changed.
std::optional<WatchEvent> RecheckOutcome(WatchKind kind, const std::string& path,
                                         int64_t since_zxid, const std::optional<v1::Stat>& now,
                                         int64_t read_zxid);

class WatchRegistry {
 public:
  // Recent events kept per member for watches added after them.
  static constexpr size_t kRecentEvents = 1024;

  struct Fired {
    Watcher watcher;
    WatchEvent event;
  };

  // The read that left a watch on the server.
  struct Read {
    size_t member = 0;      // the member that answered (ZkClient's member index)
    int64_t zxid = 0;       // the state it read
    uint64_t sequence = 0;  // its watch_sequence
    // The member is the one the session is attached to, and was for the whole read.
    bool current = false;
  };

  // Adds a watch of `kind` on `path` left by `read`. Returns the watch itself if a recent
  // event of that member already fires it (then it is not kept).
  std::vector<Fired> Add(WatchKind kind, const std::string& path, const Read& read,
                         Watcher watcher);

  // An event received from member `member`'s stream: the live watches it fires.
  std::vector<Fired> OnEvent(size_t member, const v1::WatchEvent& event);
  // The highest event number received from `member` (0: none).
  uint64_t max_seen(size_t member) const;

  // The session attached to a new stream (on `member`): every watch is stale, and events kept
  // from earlier streams of that member are dropped.
  void Reattached(size_t member);

  // The stale watches, one entry per (kind, path), with the oldest zxid among them.
  struct Stale {
    WatchKind kind;
    std::string path;
    int64_t zxid;
  };
  std::vector<Stale> StaleWatches() const;
  bool HasStale() const { return stale_ > 0; }

  // (kind, path) was read again with a watch, by `read`, finding `stat` (nullopt: no node).
  // Each stale watch of (kind, path) fires if RecheckOutcome says the node changed since its
  // zxid; the others become live on read.member (if read.current; else they stay stale).
  std::vector<Fired> Rechecked(WatchKind kind, const std::string& path, const Read& read,
                               const std::optional<v1::Stat>& stat);

  // The session is over: every watch, with an event of `type` (then the registry is empty).
  std::vector<Fired> TakeAll(WatchEvent::Type type);

  size_t size() const;

 private:
  struct Entry {
    WatchKind kind;
    size_t member;
    int64_t zxid;
    uint64_t min_sequence;  // fired only by events numbered above it
    bool stale;
    Watcher watcher;
  };

  // Fires, from `member`'s recent events numbered above `sequence`, a watch of `kind` on
  // `path`: the event, or nullopt.
  std::optional<WatchEvent> FromRecent(size_t member, uint64_t sequence, WatchKind kind,
                                       const std::string& path) const;

  std::map<std::string, std::vector<Entry>> by_path_;
  std::map<size_t, std::deque<v1::WatchEvent>> recent_;
  std::map<size_t, uint64_t> max_seen_;
  size_t stale_ = 0;  // entries with stale set
};

}  // namespace dcos::zk::client
