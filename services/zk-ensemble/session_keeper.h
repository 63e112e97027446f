#pragma once

// SessionKeeper: the live side of dcos-zk sessions on one member.
//
// Pings arrive on Session streams at whichever member a client is attached to. A follower
// collects them and forwards them to the leader every `forward_interval`; the leader records
// them in its view, which alone decides expiry: every `check_interval` the leader proposes an
// ExpireSession command for each session whose timeout passed without a ping reaching it. On
// becoming leader it grants every session a fresh timeout, so a failover never expires a
// healthy session. The decisions are core/session_expiry.h's; this class adds the thread, the
// clock and the forwarding RPC.
//
// Threading: Touch and HandleForward are called from gRPC threads; one background thread does
// the forwarding and the expiry checks. A mutex guards the view and the pending pings.

#include <atomic>
#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "libs/raft/peer_addresses.h"
#include "libs/raft/raft_node.h"
#include "services/zk-ensemble/command.grpc.pb.h"
#include "libs/clock/clock.h"
#include "services/zk-ensemble/core/session_expiry.h"
#include "services/zk-ensemble/zk_state_machine.h"

namespace dcos::zk {

class SessionKeeper {
 public:
  // `addresses` (the members' addresses, kept current by the RaftMember) and `clock` (not
  // owned) must outlive the keeper.
  SessionKeeper(ZkStateMachine* state_machine, const raft::AddressBook* addresses,
                absl::Duration forward_interval, absl::Duration check_interval,
                absl::Duration leader_grace, absl::Duration raft_tick,
                clock::Clock* clock = clock::RealClock::Default());
  ~SessionKeeper();

  // Starts the background thread on `node`; Stop joins it.
  void Start(raft::RaftNode* node);
  void Stop();

  // A ping for `session_id` (already checked live by the caller).
  void Touch(int64_t session_id);

  // True when this member is cut off from a quorum, so its pings would not reach a leader:
  // it has known no leader (not leading, no leader heard of) for longer than `leader_grace`
  // AND has heard from no quorum of voters for that long either (Raft's quorum_silent_ticks x
  // `raft_tick`). The Session stream then sends its clients to another member rather than let
  // their sessions expire here. A member in an election, however long it takes on a loaded
  // machine, and a member just started whom the leader has not reached yet, still hear from
  // a quorum (votes, pre-votes): their clients stay, and their pings reach the next leader,
  // which grants every session a fresh timeout. dcos-zk passes the longest election timeout,
  // 2 x raft.election_ticks x raft.tick, as the grace: a member between leaders hears a
  // campaign at least that often.
  bool LeaderLost();

  // The leader's side of ForwardTouches. UNAVAILABLE when not the leader.
  absl::Status HandleForward(const internal::v1::TouchBatch& batch,
                             internal::v1::TouchBatchResponse* response);

 private:
  void Run();
  void ForwardPending(uint64_t leader);
  void ExpireOverdue();

  ZkStateMachine* const sm_;
  const raft::AddressBook* const addresses_;
  const absl::Duration forward_interval_;
  const absl::Duration check_interval_;
  const absl::Duration leader_grace_;
  const absl::Duration raft_tick_;
  clock::Clock* const clock_;
  std::atomic<raft::RaftNode*> node_{nullptr};

  mutable absl::Mutex mu_;
  SessionExpiry expiry_ ABSL_GUARDED_BY(mu_);
  // The last time (clock_) this member led or knew a leader; set at construction too.
  absl::Time leader_seen_ ABSL_GUARDED_BY(mu_);
  std::map<uint64_t, std::unique_ptr<internal::v1::ZkInternal::Stub>> stubs_;  // Run thread only

  absl::Notification stop_;
  std::thread thread_;
};

// dcos.zk.internal.v1.ZkInternal, served on every member for the others.
class ZkInternalService final : public internal::v1::ZkInternal::Service {
 public:
  // `self_report` answers LocalStatus (this member's Ensemble.Status entry).
  ZkInternalService(SessionKeeper* keeper, std::function<v1::Member()> self_report)
      : keeper_(keeper), self_report_(std::move(self_report)) {}
  grpc::Status ForwardTouches(grpc::ServerContext*, const internal::v1::TouchBatch* request,
                              internal::v1::TouchBatchResponse* response) override;
  grpc::Status LocalStatus(grpc::ServerContext*, const internal::v1::LocalStatusRequest*,
                           v1::Member* response) override {
    *response = self_report_();
    return grpc::Status::OK;
  }

 private:
  SessionKeeper* const keeper_;
  const std::function<v1::Member()> self_report_;
};

}  // namespace dcos::zk
