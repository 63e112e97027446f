#pragma once

// Re-registering a watch after a client moved to another member (SetWatches, ZooKeeper's
// setWatches2): the client names its watches and the last zxid it saw; for each one-shot
// watch the member either registers it again or, when the watched condition already changed
// after that zxid, fires the event the client missed instead (the watch is then used up).
//
//   data watch   node gone                  -> NODE_DELETED
//                node changed (mzxid > seen) -> NODE_DATA_CHANGED
//   exist watch  node present now           -> NODE_CREATED
//   child watch  node gone                  -> NODE_DELETED
//                children changed (pzxid > seen) -> NODE_CHILDREN_CHANGED
//   otherwise the watch is registered again. Persistent watches are always registered.
//
// Pure: the caller looks the node up under the state machine's lock.

#include <cstdint>
#include <optional>

#include "services/zk-ensemble/core/types.h"
#include "services/zk-ensemble/core/watches.h"

namespace dcos::zk {

enum class RewatchKind { kData, kExist, kChild };

// The event to fire now, or nullopt to register the watch again. `stat`: the node now
// (nullopt if absent); `seen`: the client's last zxid.
std::optional<WatchEventType> Rewatch(RewatchKind kind, const std::optional<Stat>& stat,
                                      int64_t seen);

}  // namespace dcos::zk
