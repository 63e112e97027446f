#pragma once

// Value types shared by the znode tree and the watch manager: Stat, CreateMode, and the
// Changes a write reports (what the watch manager turns into events).

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace dcos::zk {

// dcos.zk.v1.CreateMode, same numbers.
enum class CreateMode : int {
  kUnspecified = 0,  // read as kPersistent
  kPersistent = 1,
  kEphemeral = 2,
  kPersistentSequential = 3,
  kEphemeralSequential = 4,
  kContainer = 5,
};

bool IsSequential(CreateMode mode);
bool IsEphemeral(CreateMode mode);
// True for the six values above.
bool IsKnownCreateMode(CreateMode mode);

// ZooKeeper's Stat (dcos.zk.v1.Stat). Times have millisecond precision (the tree truncates
// the time it is given). zxids are the Raft indexes of the writes; 0 = "before any write".
struct Stat {
  int64_t czxid = 0;   // write that created the node
  int64_t mzxid = 0;   // write that last set its data (= czxid if never set)
  int64_t pzxid = 0;   // write that last created or deleted a direct child (= czxid if none)
  absl::Time ctime = absl::UnixEpoch();
  absl::Time mtime = absl::UnixEpoch();
  int32_t version = 0;    // data changes since creation
  int32_t cversion = 0;   // creates + deletes of direct children since creation
  int32_t aversion = 0;   // ACL changes; always 0 (no ACLs in v1)
  int64_t ephemeral_owner = 0;  // owning session if ephemeral, else 0
  int32_t data_length = 0;
  int32_t num_children = 0;

  bool operator==(const Stat&) const = default;
};

// One effect of an applied write, in the order the write made them.
struct Change {
  enum class Type {
    kCreated,          // `path` was created
    kDeleted,          // `path` was deleted
    kDataChanged,      // `path`'s data was set
    kChildrenChanged,  // `path` (a parent) gained or lost a direct child
  };
  Type type;
  std::string path;

  bool operator==(const Change&) const = default;
};

// Everything one transaction (one zxid) changed. A create of /a/b reports
// {kCreated /a/b, kChildrenChanged /a}; a delete {kDeleted, kChildrenChanged parent}; a set
// {kDataChanged}. A Multi reports its ops' changes in op order. Failed writes report none.
struct Changes {
  int64_t zxid = 0;
  std::vector<Change> list;

  bool empty() const { return list.empty(); }
  bool operator==(const Changes&) const = default;
};

}  // namespace dcos::zk
