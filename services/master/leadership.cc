#include "services/master/leadership.h"

#include "absl/strings/str_cat.h"
#include "libs/status/grpc_status.h"

namespace dcos::master {

void Leadership::SetLeader(std::optional<common::v1::MasterInfo> leader, absl::Time now) {
  absl::MutexLock lock(&mu_);
  bool was = leader_.has_value() && leader_->id() == self_.id();
  leader_ = std::move(leader);
  bool is = leader_.has_value() && leader_->id() == self_.id();
  if (is && !was) elected_time_ = now;
}

void Leadership::SetRecovering(bool recovering) {
  absl::MutexLock lock(&mu_);
  recovering_ = recovering;
}

bool Leadership::recovering() const {
  absl::MutexLock lock(&mu_);
  return recovering_;
}

bool Leadership::elected() const {
  absl::MutexLock lock(&mu_);
  return leader_.has_value() && leader_->id() == self_.id();
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
