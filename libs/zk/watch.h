#pragma once

// The public types of dcos-zk sessions and watches, as ZkClient's callers see them.

#include <cstdint>
#include <functional>
#include <string>

namespace dcos::zk::client {

// Where a client's session stands. Connected and Disconnected may alternate; Expired and
// Closed are final (every later call of the client answers SESSION_EXPIRED).
enum class SessionState {
  // Attached to a member; pings answered.
  kConnected,
  // The member was lost; the client is re-attaching elsewhere. The session (and its ephemeral
  // nodes) may still be alive; it is if the client re-attaches within the session timeout.
  kDisconnected,
  // The ensemble expired the session, or the client could not reach it for a whole session
  // timeout (then the ensemble expires it, if it has not already). Ephemeral nodes are gone.
  kExpired,
  // Closed by the caller (ZkClient::Close).
  kClosed,
};

// "CONNECTED", "DISCONNECTED", "EXPIRED", "CLOSED".
const char* SessionStateName(SessionState state);

// What a one-shot watch reports. Types and numbers of dcos.zk.v1.WatchEvent.Type, plus the end
// of the session.
struct WatchEvent {
  enum class Type {
    kNodeCreated = 1,
    kNodeDeleted = 2,
    kNodeDataChanged = 3,
    kNodeChildrenChanged = 4,
    // The session expired before the watch fired: the watch is gone; re-read with a new client.
    kSessionExpired = 100,
  };
  Type type;
  // The watched node.
  std::string path;
  // zxid of the change that fired the watch (0 for kSessionExpired). A watch re-registered on
  // another member that finds the node already changed reports the zxid the member read at.
  int64_t zxid = 0;

  bool operator==(const WatchEvent&) const = default;
};

// "NodeCreated", "NodeDeleted", "NodeDataChanged", "NodeChildrenChanged", "SessionExpired"
// (ZooKeeper's names).
const char* WatchEventTypeName(WatchEvent::Type type);

// A watch callback: called once, on the client's event thread, in the order the events
// happened. It may call the client (reads from the event thread wait only for events already
// received, so they cannot deadlock), but should not block for long: later events wait.
using Watcher = std::function<void(const WatchEvent&)>;

// A session state callback, on the same event thread, in order with the watch events.
using SessionListener = std::function<void(SessionState)>;

}  // namespace dcos::zk::client
