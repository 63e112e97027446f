#include "libs/zk/watch.h"

namespace dcos::zk::client {

const char* SessionStateName(SessionState state) {
  switch (state) {
    case SessionState::kConnected: return "CONNECTED";
    case SessionState::kDisconnected: return "DISCONNECTED";
    case SessionState::kExpired: return "EXPIRED";
    case SessionState::kClosed: return "CLOSED";
  }
  return "UNKNOWN";
}

const char* WatchEventTypeName(WatchEvent::Type type) {
  switch (type) {
    case WatchEvent::Type::kNodeCreated: return "NodeCreated";
    case WatchEvent::Type::kNodeDeleted: return "NodeDeleted";
    case WatchEvent::Type::kNodeDataChanged: return "NodeDataChanged";
    case WatchEvent::Type::kNodeChildrenChanged: return "NodeChildrenChanged";
    case WatchEvent::Type::kSessionExpired: return "SessionExpired";
  }
  return "Unknown";
}

}  // namespace dcos::zk::client
