#pragma once

// RaftMember: one Raft member hosted in a service binary built on libs/runtime — its durable
// storage (FileLogStorage in raft.dir), its transport (GrpcTransport to the peers, and the
// dcos.raft.v1.RaftTransport service on the binary's own gRPC server), and its RaftNode.
// Every replicated service (dcos-zk, the test key-value store) wires Raft through this.
//
// Membership is dynamic: the members and their addresses come from the Raft configuration
// (each membership change names the member's address; snapshots hold them), so a restarted
// member knows the current ensemble from its own data directory whatever its flags say. The
// transport gains and drops peers as configurations apply, and the transport service accepts
// messages only from members in the address book (peer_addresses.h). raft.peers is the
// founding membership of a new ensemble and, afterwards, only a hint (see MemberAddresses).
//
// Joining: a member started with raft.join on an empty data directory has no configuration
// of its own. It never campaigns; it waits for the leader to add it (Ensemble.AddMember:
// learner, catch-up, voter), talking meanwhile to the members raft.peers names. Without
// raft.join an empty member founds a new ensemble of raft.peers (entry 1 of its log), which
// must never be done to join an existing one.
//
// Lifetime: Create in MainSpec::build (registers the transport service before the server
// starts), Start in Component::Start (recovers the storage, starts the node), Stop on
// shutdown. Thread-safety: node() may be read from any thread once Start returned;
// addresses() at any time.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/config/config.h"
#include "libs/raft/file_log_storage.h"
#include "libs/raft/grpc_transport.h"
#include "libs/raft/peer_addresses.h"
#include "libs/raft/raft_node.h"
#include "libs/raft/sink_proxy.h"
#include "libs/raft/transport_service.h"
#include "libs/runtime/service_runtime.h"

namespace dcos::raft {

struct MemberConfig {
  int64_t id = 0;                                 // raft.id: this member, > 0
  std::vector<std::string> peers;                 // raft.peers: "1=host:port,2=...", all members
  bool join = false;                              // raft.join: wait to be added (see above)
  std::string dir;                                // raft.dir: data directory
  absl::Duration tick = absl::Milliseconds(50);   // raft.tick
  int64_t election_ticks = 10;                    // raft.election_ticks
  int64_t snapshot_threshold = 10000;             // raft.snapshot_threshold
  int64_t cluster_id = 1;                         // raft.cluster_id
  // raft.segment_size: WAL segment size. Segments are zero-filled before use (so an fdatasync
  // commits no size change), and a fresh member's first write waits for its first segment:
  // 8 MiB (LogCabin's size) keeps that wait short.
  int64_t segment_size = 8 << 20;
};

// Registers the raft.* fields, writing into `config` (which holds the defaults).
void RegisterMemberConfig(config::Schema& schema, MemberConfig* config);

// "1=host:port" items -> id -> address. INVALID_ARGUMENT naming the bad item.
absl::StatusOr<std::map<uint64_t, std::string>> ParsePeers(const std::vector<std::string>& items);

class RaftMember {
 public:
  // Checks the configuration against the runtime (raft.id among raft.peers, grpc.listen equal
  // to this member's raft.peers address, since the transport is served on the same server)
  // and registers the RaftTransport service on `runtime`. INVALID_ARGUMENT naming the field.
  static absl::StatusOr<std::unique_ptr<RaftMember>> Create(const MemberConfig& config,
                                                            runtime::ServiceRuntime& runtime);
  ~RaftMember();

  // Who votes in a seeded ensemble: every raft.peers member (each seeded with the same data),
  // or this member alone (the others join later).
  enum class SeedVoters { kAllPeers, kSelfOnly };

  // Before Start, on an empty data directory: makes `data` the member's initial snapshot at
  // log `index` (term 1, `voters` with their addresses), as if the log up to `index` had been
  // applied — how a new ensemble starts from a backup. Durable when it returns; the snapshot's
  // rename into place is the one step that makes the directory non-empty, so a crash leaves it
  // either empty or seeded. FAILED_PRECONDITION if the directory already holds Raft state or
  // the member was started with raft.join.
  absl::Status SeedSnapshot(uint64_t index, const std::string& data,
                            SeedVoters voters = SeedVoters::kAllPeers);

  // Before Start: whether raft.dir holds Raft state (a term, a snapshot or entries). Errors of
  // opening and recovering the storage (e.g. DATA_LOSS).
  absl::StatusOr<bool> HoldsState() const;

  // Opens the storage, starts the transport and the node on `state_machine` (which must
  // outlive the member). A later storage failure turns the runtime NOT_SERVING.
  absl::Status Start(StateMachine* state_machine, runtime::ServiceRuntime& runtime,
                     NodeOptions options = {});

  // Null until Start succeeded.
  RaftNode* node() const { return node_.load(); }
  // Every member's address, this one's included: raft.peers until Start, then the
  // configuration's (kept current as it changes).
  const AddressBook& addresses() const { return addresses_; }
  // This member's own address (its raft.peers entry, which is grpc.listen).
  const std::string& self_address() const { return hints_.at(id()); }
  uint64_t id() const { return static_cast<uint64_t>(config_.id); }

  // Stops the node (waiting calls get UNAVAILABLE) and the transport. Idempotent.
  void Stop();

 private:
  RaftMember(MemberConfig config, std::map<uint64_t, std::string> peers);
  FileLogStorage::Options StorageOptions() const;
  // The configuration changed (or was recovered): update the address book and the transport.
  void OnConfiguration(const ConfState& conf);

  const MemberConfig config_;
  const std::map<uint64_t, std::string> hints_;  // raft.peers
  AddressBook addresses_;
  // What the transport was last given; OnConfiguration's calls never overlap (RaftNode).
  std::map<uint64_t, std::string> transport_peers_;
  // Whether a configuration this member learned ever included it: a joiner's first ones (a
  // snapshot from before its AddMember) do not, and it was not removed from them.
  bool was_member_ = false;
  SinkProxy proxy_;
  std::unique_ptr<RaftTransportService> transport_service_;
  std::unique_ptr<FileLogStorage> storage_;
  std::unique_ptr<GrpcTransport> transport_;
  std::unique_ptr<RaftNode> owned_node_;
  std::atomic<RaftNode*> node_{nullptr};
};

}  // namespace dcos::raft
