#include "services/zk-ensemble/session_keeper.h"

#include <grpcpp/create_channel.h>

#include "absl/strings/str_cat.h"
#include "libs/clock/clock.h"
#include "libs/log/log.h"
#include "libs/status/grpc_status.h"

namespace dcos::zk {

using internal::v1::Command;

SessionKeeper::SessionKeeper(ZkStateMachine* state_machine, const raft::AddressBook* addresses,
                             absl::Duration forward_interval, absl::Duration check_interval)
    : sm_(state_machine),
      addresses_(addresses),
      forward_interval_(forward_interval),
      check_interval_(check_interval) {}

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
  if (view_term_ != 0) {
    if (!view_.Contains(session_id) && !view_.IsExpiring(session_id)) {
      SyncViewLocked(view_term_, clock::RealClock::Default()->Now());
    }
    (void)view_.Touch(session_id, clock::RealClock::Default()->Now());
  } else {
    pending_.Touch(session_id);
  }
}

void SessionKeeper::SyncViewLocked(uint64_t term, absl::Time now) {
  SessionTable table = sm_->Sessions();
  if (term != view_term_) {
    view_ = LeaderView();
    view_.BecomeLeader(table, now);
    view_term_ = term;
    return;
  }
  for (int64_t id : table.SessionIds()) {
    if (!view_.Contains(id) && !view_.IsExpiring(id)) {
      absl::StatusOr<SessionInfo> info = table.Get(id);
      if (info.ok()) view_.Add(id, info->timeout, now);
    }
  }
  std::vector<int64_t> gone;
  for (int64_t id : view_.Expired(absl::InfiniteFuture())) {
    if (!table.Exists(id)) gone.push_back(id);
  }
  for (int64_t id : gone) view_.Remove(id);
}

absl::Status SessionKeeper::HandleForward(const internal::v1::TouchBatch& batch,
                                          internal::v1::TouchBatchResponse* response) {
  absl::MutexLock lock(&mu_);
  if (view_term_ == 0) return absl::UnavailableError("not the leader");
  absl::Time now = clock::RealClock::Default()->Now();
  for (int64_t id : batch.session_ids()) {
    if (!view_.Contains(id) && !view_.IsExpiring(id)) SyncViewLocked(view_term_, now);
    if (!view_.Touch(id, now).ok()) response->add_expired(id);
  }
  return absl::OkStatus();
}

void SessionKeeper::ForwardPending(uint64_t leader) {
  std::vector<int64_t> ids;
  {
    absl::MutexLock lock(&mu_);
    ids = pending_.Take();
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
    expired = view_.TakeExpired(clock::RealClock::Default()->Now());
  }
  for (int64_t id : expired) {
    log::Info("session expired").Field("session", id);
    Command c;
    c.set_time_micros(absl::ToUnixMicros(clock::RealClock::Default()->Now()));
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
      if (leading) {
        SyncViewLocked(status.term, clock::RealClock::Default()->Now());
        // Pings collected while this member was a follower count too.
        for (int64_t id : pending_.Take()) (void)view_.Touch(id, clock::RealClock::Default()->Now());
      } else {
        view_term_ = 0;
      }
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
