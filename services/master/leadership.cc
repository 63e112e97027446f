#include "services/master/leadership.h"

#include "absl/strings/str_cat.h"
#include "libs/status/grpc_status.h"

namespace dcos::master {

void Leadership::Observed(std::optional<common::v1::MasterInfo> leader) {
  absl::MutexLock lock(&mu_);
  if (phase_ == Phase::kLeading || phase_ == Phase::kStopped) return;
  if (leader.has_value() && leader->id() == self_.id()) leader.reset();
  leader_ = std::move(leader);
}

void Leadership::Recover() {
  absl::MutexLock lock(&mu_);
  if (phase_ != Phase::kStandby) return;
  phase_ = Phase::kRecovering;
  leader_.reset();
}

void Leadership::Lead(absl::Time now) {
  absl::MutexLock lock(&mu_);
  if (phase_ == Phase::kStopped || phase_ == Phase::kLeading) return;
  phase_ = Phase::kLeading;
  leader_ = self_;
  elected_time_ = now;
}

void Leadership::Stop() {
  absl::MutexLock lock(&mu_);
  phase_ = Phase::kStopped;
  leader_.reset();
}

bool Leadership::recovering() const {
  absl::MutexLock lock(&mu_);
  return phase_ == Phase::kRecovering;
}

bool Leadership::elected() const {
  absl::MutexLock lock(&mu_);
  return phase_ == Phase::kLeading;
}

std::optional<common::v1::MasterInfo> Leadership::leader() const {
  absl::MutexLock lock(&mu_);
  return leader_;
}

absl::Time Leadership::elected_time() const {
  absl::MutexLock lock(&mu_);
  return elected_time_;
}

common::v1::LeaderInfo Leadership::Info() const {
  absl::MutexLock lock(&mu_);
  common::v1::LeaderInfo info;
  info.set_service("dcos-master");
  info.set_known(leader_.has_value());
  if (leader_.has_value()) {
    info.set_leader_id(leader_->id());
    *info.mutable_address() = leader_->address();
  }
  return info;
}

grpc::Status Leadership::Check() const {
  if (elected()) return grpc::Status::OK;
  common::v1::LeaderInfo info = Info();
  std::string where = info.known() ? absl::StrCat("the leader is ", info.address().ip(), ":",
                                                  info.address().port())
                                   : "no leader is elected yet; retry shortly";
  absl::Status s = absl::UnavailableError(absl::StrCat("not the leading master: ", where));
  s.SetPayload(status::TypeUrl("dcos.common.v1.LeaderInfo"), absl::Cord(info.SerializeAsString()));
  return status::ToGrpc(s);
}

grpc::Status Leadership::CheckStream() const {
  if (recovering()) return grpc::Status::OK;
  return Check();
}

}  // namespace dcos::master
