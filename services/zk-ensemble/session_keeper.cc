#include "services/zk-ensemble/session_keeper.h"

#include <grpcpp/create_channel.h>

#include "absl/strings/str_cat.h"
#include "libs/clock/clock.h"
#include "libs/log/log.h"
#include "libs/status/grpc_status.h"
#include "libs/status/status_macros.h"

namespace dcos::zk {

using internal::v1::Command;

SessionKeeper::SessionKeeper(ZkStateMachine* state_machine, const raft::AddressBook* addresses,
                             absl::Duration forward_interval, absl::Duration check_interval,
                             absl::Duration leader_grace, absl::Duration raft_tick,
                             clock::Clock* clock)
    : sm_(state_machine),
      addresses_(addresses),
      forward_interval_(forward_interval),
      check_interval_(check_interval),
      leader_grace_(leader_grace),
      raft_tick_(raft_tick),
      clock_(clock),
      leader_seen_(clock->Now()) {}

bool SessionKeeper::LeaderLost() {
  // Asked afresh (not only from the Run loop), so a busy machine that delays the loop does not
  // make a member that knows its leader look cut off.
  raft::RaftNode* node = node_.load();
  std::optional<raft::CoreStatus> status;
  if (node != nullptr && node->fatal().ok()) status = node->Status();
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  if (status.has_value() && (status->role == raft::Role::kLeader || status->leader != 0)) {
    leader_seen_ = now;
    return false;
  }
  // Between leaders but still heard by a quorum: an election, not a partition.
  if (status.has_value() && status->quorum_silent_ticks * raft_tick_ <= leader_grace_) {
    return false;
  }
  return now - leader_seen_ > leader_grace_;
}

SessionKeeper::~SessionKeeper() { Stop(); }

void SessionKeeper::Start(raft::RaftNode* node) {
  node_.store(node);
  thread_ = std::thread([this] { Run(); });
}

void SessionKeeper::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

void SessionKeeper::Touch(int64_t session_id) {
  absl::MutexLock lock(&mu_);
  expiry_.Touch(session_id, [this] { return sm_->Sessions(); }, clock_->Now());
}

absl::Status SessionKeeper::HandleForward(const internal::v1::TouchBatch& batch,
                                          internal::v1::TouchBatchResponse* response) {
  std::vector<int64_t> ids(batch.session_ids().begin(), batch.session_ids().end());
  std::vector<int64_t> refused;
  {
    absl::MutexLock lock(&mu_);
    DCOS_RETURN_IF_ERROR(
        expiry_.HandleForward(ids, [this] { return sm_->Sessions(); }, clock_->Now(), &refused));
  }
  for (int64_t id : refused) response->add_expired(id);
  return absl::OkStatus();
}

void SessionKeeper::ForwardPending(uint64_t leader) {
  std::vector<int64_t> ids;
  {
    absl::MutexLock lock(&mu_);
    ids = expiry_.TakePending();
  }
  if (ids.empty() || leader == 0) return;
  std::optional<std::string> address = addresses_->Get(leader);
  if (!address.has_value()) return;
  auto& stub = stubs_[leader];  // member ids are never reused, and addresses never change
  if (!stub) {
    stub = internal::v1::ZkInternal::NewStub(
        grpc::CreateChannel(*address, grpc::InsecureChannelCredentials()));
  }
  internal::v1::TouchBatch batch;
  for (int64_t id : ids) batch.add_session_ids(id);
  internal::v1::TouchBatchResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(1));
  grpc::Status s = stub->ForwardTouches(&context, batch, &response);
  if (!s.ok()) {
    // Lost pings only shorten a session's margin; the next batch carries fresh ones.
    log::Debug("forwarding pings to the leader failed").Field("error", s.error_message());
  }
}

void SessionKeeper::ExpireOverdue() {
  raft::RaftNode* node = node_.load();
  std::vector<int64_t> expired;
  {
    absl::MutexLock lock(&mu_);
    expired = expiry_.TakeExpired(clock_->Now());
  }
  for (int64_t id : expired) {
    log::Info("session expired").Field("session", id);
    Command c;
    c.set_time_micros(absl::ToUnixMicros(clock_->Now()));
    c.mutable_expire_session()->set_session_id(id);
    node->Propose(c.SerializeAsString(), [id](absl::StatusOr<uint64_t> r) {
      if (!r.ok()) log::Warn("expiring a session failed").Field("session", id).Field("error", r.status());
    });
  }
}

void SessionKeeper::Run() {
  absl::Duration step = std::min(forward_interval_, check_interval_);
  while (!stop_.WaitForNotificationWithTimeout(step)) {
    raft::RaftNode* node = node_.load();
    if (node == nullptr || !node->fatal().ok()) continue;
    raft::CoreStatus status = node->Status();
    bool leading = status.role == raft::Role::kLeader;
    {
      absl::MutexLock lock(&mu_);
      const absl::Time now = clock_->Now();
      if (leading || status.leader != 0) leader_seen_ = now;
      expiry_.Observe(leading, status.term, [this] { return sm_->Sessions(); }, now);
    }
    if (leading) {
      ExpireOverdue();
    } else {
      ForwardPending(status.leader);
    }
  }
}

grpc::Status ZkInternalService::ForwardTouches(grpc::ServerContext*,
                                               const internal::v1::TouchBatch* request,
                                               internal::v1::TouchBatchResponse* response) {
  return status::ToGrpc(keeper_->HandleForward(*request, response));
}

}  // namespace dcos::zk
