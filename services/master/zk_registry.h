#pragma once

// ZkRegistry: the registry in dcos-zk, under `root` (default /mesos/registry):
//
//   <root>/admitted/<agent id>      data: the AgentInfo (binary proto), then its drain and
//   <root>/unreachable/<agent id>         deactivation if any (registry_entry.h)
//   <root>/gone/<agent id>
//
// Load fails (DATA_LOSS, naming the node and what is wrong) on an entry that does not parse or
// names another agent: a new leader must not guess which agents exist (nor miss a gone one).
//
// Apply writes one Multi per batch (all or nothing), skipping ops that change nothing (a
// recovered agent re-registering with the same info costs no write). Every Multi starts with
// a check that `fence` exists — the leader's own election node — so a master whose session
// ended (and so lost its leadership) cannot write: its Multi fails and it stops.
//
// Thread-compatible: the driver's loop calls it (Load's own threads only read dcos-zk).

#include <map>
#include <string>
#include <utility>

#include "libs/zk/client.h"
#include "services/master/registry.h"

namespace dcos::master {

class ZkRegistry final : public Registry {
 public:
  ZkRegistry(zk::client::ZkClient* zk, std::string root, std::string fence);

  absl::Status Apply(const std::vector<RegistryOp>& ops) override;
  // Creates the directories if missing, then reads them: the three side by side, each one
  // linearizable listing, then its entries many per MultiRead with several MultiReads in
  // flight (a new leader takes over only once this returns).
  absl::StatusOr<RegistryContents> Load() override;

 private:
  // One registry node: its data and what was parsed from it.
  struct Entry {
    std::string data;
    common::v1::AgentInfo info;
    v1::AgentRegistryState state;
  };
  // One directory: its children's ids and their entries, in the listing's order.
  struct Entries {
    std::vector<std::string> ids;
    std::vector<Entry> entries;
  };
  std::string PathOf(const std::string& dir, const std::string& id) const;
  // Thread-safe (reads only): the listing (the directory created if missing), then ReadAll.
  absl::StatusOr<Entries> ReadDir(const std::string& dir) const;
  // Every node, read kReadsPerCall per MultiRead, up to kCallsInFlight at once, and parsed
  // by the thread that read it; the first error naming its path.
  absl::StatusOr<std::vector<Entry>> ReadAll(const std::vector<std::string>& paths) const;

  zk::client::ZkClient* const zk_;
  const std::string root_;
  const std::string fence_;
  // What the registry holds: id -> (directory, data).
  std::map<std::string, std::pair<std::string, std::string>> mirror_;
};

}  // namespace dcos::master
