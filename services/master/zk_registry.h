#pragma once

// ZkRegistry: the registry in dcos-zk, under `root` (default /mesos/registry):
//
//   <root>/admitted/<agent id>      data: the AgentInfo (binary proto), then its drain and
//   <root>/unreachable/<agent id>         deactivation if any (registry_entry.h)
//   <root>/gone/<agent id>
//   <root>/policy                   data: the RolePolicy (binary proto): every role weight and
//                                   quota, once an operator has set one (absent before)
//
// Load fails (DATA_LOSS, naming the node and what is wrong) on an entry that does not parse or
// names another agent: a new leader must not guess which agents exist (nor miss a gone one).
//
// Apply writes one Multi per batch (all or nothing), skipping ops that change nothing (a
// recovered agent re-registering with the same info costs no write). Every Multi starts with
// a check that `fence` exists — the leader's own election node — so a master whose session
// ended (and so lost its leadership) cannot write: its Multi fails and it stops.
//
// A standby keeps a warm copy (Prefetch, on a thread of its own, every second or so): each
// directory's entries as read at one pzxid (the zxid of its last child create or delete). A
// new leader's Load lists each directory linearizably, as always, and takes the warm entries
// of a directory whose pzxid and listing are unchanged instead of reading them again: every
// registry write is a create or a delete of an entry (a changed entry is deleted and created
// again), so an unchanged pzxid means unchanged entries. A hand edit of an entry's data
// (`dcos zk set`) is the one change a warm copy misses until that directory changes again.
//
// Thread-compatible, but for Prefetch, which may run on another thread at any time before and
// during Load (Load's own threads only read dcos-zk).

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/synchronization/mutex.h"
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

  // Refreshes the warm copy: the directories whose pzxid moved since the copy was read, once
  // it has stayed put for one call (not while the leader is writing a burst). For a standby;
  // an error leaves the copy as it was. Thread-safe against Load.
  absl::Status Prefetch();
  // Directories Load took from the warm copy (for tests and logs).
  int warm_dirs_used() const { return warm_dirs_used_.load(); }

 private:
  // One registry node: its data and what was parsed from it.
  struct Entry {
    std::string data;
    common::v1::AgentInfo info;
    v1::AgentRegistryState state;
  };
  // One directory: its children's ids and their entries, in the listing's order, and the
  // directory's pzxid at the listing.
  struct Entries {
    std::vector<std::string> ids;
    std::vector<Entry> entries;
    int64_t pzxid = -1;
  };
  // The listing of a directory (ids, pzxid), created if missing when `create`.
  absl::StatusOr<Entries> ListDir(const std::string& dir, bool linearizable, bool create) const;
  std::string PathOf(const std::string& dir, const std::string& id) const;
  // Thread-safe (reads only): the policy node, linearizably (nullopt data: no node).
  absl::StatusOr<std::optional<std::string>> ReadPolicy() const;
  // Thread-safe (reads only): the listing (the directory created if missing), then ReadAll.
  absl::StatusOr<Entries> ReadDir(const std::string& dir) const;
  // Every node of `dir` named in `ids`, read kReadsPerCall per MultiRead, up to
  // kCallsInFlight at once, and parsed by the thread that read it; the first error naming its
  // path.
  absl::StatusOr<std::vector<Entry>> ReadAll(const std::string& dir,
                                             const std::vector<std::string>& ids) const;

  zk::client::ZkClient* const zk_;
  const std::string root_;
  const std::string fence_;
  // What the registry holds: id -> (directory, data).
  std::map<std::string, std::pair<std::string, std::string>> mirror_;
  // The policy node's data; nullopt while the node does not exist.
  std::optional<std::string> policy_data_;

  mutable absl::Mutex warm_mu_;
  // Directory -> its entries as read at one pzxid (Prefetch; taken by Load).
  mutable std::map<std::string, std::unique_ptr<Entries>> warm_ ABSL_GUARDED_BY(warm_mu_);
  // Directory -> the pzxid Prefetch saw last (it reads once a pzxid is seen twice).
  std::map<std::string, int64_t> seen_pzxid_ ABSL_GUARDED_BY(warm_mu_);
  mutable std::atomic<int> warm_dirs_used_{0};
};

}  // namespace dcos::master
