#include "services/agent/zk_master_detector.h"

#include "libs/log/log.h"
#include "libs/masters/master_address.h"

namespace dcos::agent {

ZkMasterDetector::ZkMasterDetector(masters::ZkLeaderOptions options) {
  source_ = masters::ZkLeaderSource::Start(
      std::move(options),
      [this](std::optional<common::v1::MasterInfo> leader) { OnReport(leader); });
}

ZkMasterDetector::~ZkMasterDetector() { source_.reset(); }

void ZkMasterDetector::OnReport(const std::optional<common::v1::MasterInfo>& leader) {
  std::string address = leader.has_value() ? masters::MasterAddress(*leader) : "";
  absl::MutexLock lock(&mu_);
  if (address == leader_) return;
  leader_ = address;
  redirect_.clear();  // dcos-zk's news is newer than any standby's answer
  log::Info("dcos-zk names the leading master").Field("master", address.empty() ? "-" : address);
  if (on_change_) on_change_(address);
}

std::string ZkMasterDetector::Leader() {
  absl::MutexLock lock(&mu_);
  if (!redirect_.empty()) {
    std::string next = std::move(redirect_);
    redirect_.clear();
    return next;
  }
  return leader_;
}

void ZkMasterDetector::Redirect(const std::string& address) {
  absl::MutexLock lock(&mu_);
  redirect_ = address;
}

void ZkMasterDetector::SetOnChange(std::function<void(const std::string& leader)> on_change) {
  absl::MutexLock lock(&mu_);
  on_change_ = std::move(on_change);
}

}  // namespace dcos::agent
