#pragma once

// Contender: one node in a queue directory -- the shared part of leader election and the
// lock. Its node is ephemeral and sequential; the lowest sequence is first (leads, holds the
// lock), and each other contender watches only the node just before its own (no herd effect
// when the first one goes).
//
// A value type: it holds names, never the client; every call takes the client.

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "libs/zk/client.h"
#include "libs/zk/recipes/sequential.h"

namespace dcos::zk::recipes {

class Contender {
 public:
  // Creates the node `dir`/<kind><tag>-<sequence> with `data` (dir and its parents are created
  // if missing). A create whose outcome is unknown (CONNECTION_LOSS) is resolved by looking
  // for the tag among dir's children, and repeated only if it is not there. Errors: the
  // client's; SESSION_EXPIRED; BAD_ARGUMENTS without a session.
  static absl::StatusOr<Contender> Enter(client::ZkClient& zk, const std::string& dir,
                                         const std::string& kind, const std::string& data,
                                         uint64_t tag);

  const std::string& dir() const { return dir_; }
  // The node's name ("n_<tag>-0000000003") and path.
  const std::string& name() const { return name_; }
  std::string path() const;
  // zxid of the node's creation: increases with the sequence (a fencing token).
  int64_t czxid() const { return czxid_; }

  // Where the node stands now among dir's children of the same kind. present = false: the
  // node is gone (its session ended, or it was deleted).
  absl::StatusOr<Place> Check(client::ZkClient& zk, bool linearizable = false) const;

  // Deletes the node; a node already gone is fine.
  absl::Status Leave(client::ZkClient& zk) const;

 private:
  Contender(std::string dir, std::string kind, std::string name, int64_t czxid)
      : dir_(std::move(dir)), kind_(std::move(kind)), name_(std::move(name)), czxid_(czxid) {}

  std::string dir_;
  std::string kind_;
  std::string name_;
  int64_t czxid_;
};

}  // namespace dcos::zk::recipes
