#pragma once

// EnsembleService: dcos.zk.v1.Ensemble, the Exhibitor-style administration of a dcos-zk
// ensemble.
//
// - Status: this member's own report plus each peer's (asked over ZkInternal.LocalStatus with
//   a short deadline; a peer that does not answer is listed as unreachable), aggregated by
//   ensemble_status.h. Any member answers, with or without a quorum.
// - TransferLeadership: on the leader, hands leadership to a voter (the most up-to-date one
//   when none is named) and returns once that voter leads.
// - Backup: after a Raft read barrier (so every write acknowledged before the call is in it),
//   streams the tree without sessions or ephemeral nodes: header, data chunks, SHA-256 trailer.
// - AddMember / RemoveMember (ensemble_membership.cc), on the leader, one at a time: a new
//   member (started with raft.join) is added as a learner, caught up and promoted, or removed
//   again when it does not catch up in time; removing the leader hands leadership to another
//   voter first and then asks it to do the removal. Checked by membership_rules.h.
// - Restore (ensemble_restore.cc), on a member awaiting a restore (zk.restore_mode): the
//   stream is checked chunk by chunk (backup_stream.h) and, once all of it checks out, handed
//   to the RestoreTarget, which installs it and starts the member. While it waits, Status
//   shows the member alone (AwaitingRestoreStatus).
//
// Thread-safety: gRPC calls the handlers concurrently; they read the node's status, the
// address book and the state machine (which lock for themselves); `change_running_` lets one
// membership change run at a time and `restore_running_` one Restore, `stubs_mu_` guards the
// stub cache.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "absl/time/time.h"
#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "libs/raft/peer_addresses.h"
#include "libs/raft/raft_node.h"
#include "protos/zk/v1/ensemble.grpc.pb.h"
#include "services/zk-ensemble/backup_stream.h"
#include "services/zk-ensemble/command.grpc.pb.h"
#include "services/zk-ensemble/zk_state_machine.h"

namespace dcos::zk {

// A member started in restore mode, as Ensemble.Restore sees it (zk_server.cc implements it).
// Both calls may come from any thread.
class RestoreTarget {
 public:
  virtual ~RestoreTarget() = default;
  // True while the member waits for a restore: it runs no Raft node and has no state.
  virtual bool AwaitingRestore() const = 0;
  // Installs `backup` (verified) durably as the member's first state and starts the member on
  // it, a one-member ensemble. FAILED_PRECONDITION if it no longer awaits a restore;
  // INVALID_ARGUMENT if the tree does not restore; a storage error. After an error the member
  // still awaits a restore if nothing was installed (AwaitingRestore tells).
  virtual absl::Status Install(const Backup& backup) = 0;
};

struct EnsembleOptions {
  uint64_t cluster_id = 0;
  // Every member's address, this one included (kept current by the RaftMember); not owned.
  const raft::AddressBook* addresses = nullptr;
  // How long AddMember / RemoveMember keep asking before they call a majority unhealthy (a
  // member may be slow to answer Status for a moment).
  absl::Duration health_window = absl::Seconds(2);
  // How long AddMember waits for a new member to catch up before removing it again.
  absl::Duration add_member_timeout = absl::Seconds(30);
  // The Raft tick (AddMember's catch-up bound is counted in ticks).
  absl::Duration tick = absl::Milliseconds(20);
  // How long Status waits for a peer's report.
  absl::Duration status_timeout = absl::Milliseconds(500);
  // How long a read barrier (Backup) may take.
  absl::Duration request_timeout = absl::Seconds(5);
  // How long TransferLeadership waits for the target to lead.
  absl::Duration transfer_timeout = absl::Seconds(2);
  // A member more entries than this behind the leader's commit index is unhealthy.
  uint64_t healthy_max_lag = 1000;
  // Bytes per backup data chunk (at most 1 MiB).
  size_t backup_chunk_bytes = 256 << 10;
  // Set when the member was started in restore mode (not owned; outlives the service); null
  // otherwise, and Restore is then refused.
  RestoreTarget* restore = nullptr;
};

class EnsembleService final : public v1::Ensemble::Service {
 public:
  // `self_report` gives this member's own entry (the same as ZkInternal.LocalStatus).
  EnsembleService(EnsembleOptions options, ZkStateMachine* state_machine,
                  std::function<v1::Member()> self_report);
  ~EnsembleService() override;

  // The node, once started; until then leader-only calls are UNAVAILABLE.
  void SetNode(raft::RaftNode* node) { node_.store(node); }

  grpc::Status Status(grpc::ServerContext*, const v1::StatusRequest*,
                      v1::StatusResponse* response) override;
  grpc::Status AddMember(grpc::ServerContext*, const v1::AddMemberRequest*,
                         v1::AddMemberResponse*) override;
  grpc::Status RemoveMember(grpc::ServerContext*, const v1::RemoveMemberRequest*,
                            v1::RemoveMemberResponse*) override;
  grpc::Status TransferLeadership(grpc::ServerContext*, const v1::TransferLeadershipRequest*,
                                  v1::TransferLeadershipResponse* response) override;
  grpc::Status Backup(grpc::ServerContext*, const v1::BackupRequest*,
                      grpc::ServerWriter<v1::BackupChunk>* writer) override;
  grpc::Status Restore(grpc::ServerContext*, grpc::ServerReader<v1::BackupChunk>*,
                       v1::RestoreResponse*) override;

 private:
  // OK on the leader; the redirect otherwise.
  grpc::Status RequireLeader(raft::CoreStatus* status) const;
  absl::Status ReadBarrier() const;
  // Voters the ensemble view (Status: every member asked) calls healthy.
  std::set<uint64_t> HealthyVoters(const raft::ConfState& conf);
  // Runs `check` (a membership rule over fresh views) until it allows the change or
  // health_window has passed with the quorum refused; returns the last verdict.
  absl::Status CheckWithFreshViews(const std::function<absl::Status()>& check);
  // Hands leadership to `target` (0: the most up-to-date voter heard from lately, other than
  // `avoid`) and waits until this member hears from it. Returns the new leader.
  absl::StatusOr<uint64_t> HandOffLeadership(grpc::ServerContext* context, uint64_t target,
                                             uint64_t avoid);
  // Proposes a membership change and waits until it is applied here.
  absl::Status ProposeChange(const raft::ConfChange& change, absl::Duration timeout);
  // RemoveMember at member `leader` (after this one handed leadership to it).
  grpc::Status ForwardRemove(uint64_t leader, const v1::RemoveMemberRequest& request);
  internal::v1::ZkInternal::Stub* InternalStub(uint64_t id, const std::string& address);
  // Restore's checks before it reads the stream: OK when this member awaits a restore.
  grpc::Status CheckRestorable() const;

  const EnsembleOptions options_;
  ZkStateMachine* const sm_;
  const std::function<v1::Member()> self_report_;
  mutable absl::Mutex stubs_mu_;
  // By member id (ids are never reused, so neither are their addresses).
  std::map<uint64_t, std::unique_ptr<internal::v1::ZkInternal::Stub>> stubs_
      ABSL_GUARDED_BY(stubs_mu_);
  std::atomic<raft::RaftNode*> node_{nullptr};
  std::atomic<bool> change_running_{false};
  std::atomic<bool> restore_running_{false};
};

}  // namespace dcos::zk
