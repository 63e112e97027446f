// MasterCore: frameworks — subscription (one live stream per framework id), disconnection and
// failover_timeout, heartbeats, suppress/revive, teardown and removal.

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "services/master/core/master_core.h"
#include "services/master/core/proto_time.h"

namespace dcos::master {
namespace {

using common::v1::FrameworkInfo;

constexpr absl::Duration kMaxFailoverTimeout = absl::Hours(24 * 365);

bool HasCapability(const FrameworkInfo& info, FrameworkInfo::Capability::Type type) {
  return std::any_of(info.capabilities().begin(), info.capabilities().end(),
                     [type](const FrameworkInfo::Capability& c) { return c.type() == type; });
}

absl::Status ValidateFrameworkInfo(const FrameworkInfo& info) {
  if (info.user().empty()) return absl::InvalidArgumentError("framework_info.user: required");
  if (info.name().empty()) return absl::InvalidArgumentError("framework_info.name: required");
  if (info.roles_size() > 1 &&
      !HasCapability(info, FrameworkInfo::Capability::TYPE_MULTI_ROLE)) {
    return absl::InvalidArgumentError(
        "framework_info.roles: several roles need the MULTI_ROLE capability");
  }
  for (const std::string& role : info.roles()) {
    if (role.empty() || role == "." || role == ".." || role[0] == '-' ||
        role.find_first_of("/ \t\n") != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("framework_info.roles: \"", role, "\" is not a valid role"));
    }
  }
  absl::Duration failover = FromProto(info.failover_timeout());
  if (failover < absl::ZeroDuration() || failover > kMaxFailoverTimeout) {
    return absl::InvalidArgumentError("framework_info.failover_timeout: must be 0..365 days");
  }
  return absl::OkStatus();
}

absl::Status NotSubscribed(const std::string& id) {
  absl::Status s = absl::FailedPreconditionError(
      absl::StrCat("FRAMEWORK_NOT_SUBSCRIBED: framework ", id, " has no live subscription"));
  return s;
}

}  // namespace

absl::StatusOr<MasterCore::Subscription> MasterCore::Subscribe(const FrameworkInfo& request,
                                                               absl::Time now) {
  absl::Status valid = ValidateFrameworkInfo(request);
  if (!valid.ok()) return valid;
  FrameworkInfo info = request;
  if (info.roles().empty()) info.add_roles("*");
  std::string id = info.id().value();
  if (!id.empty() && removed_frameworks_.count(id) > 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("framework ", id, " was removed and cannot subscribe again"));
  }
  if (id.empty()) {
    id = NextId("F");
    info.mutable_id()->set_value(id);
  }
  auto it = frameworks_.find(id);
  const bool known = it != frameworks_.end();
  if (known && it->second.connected) {
    // A newer subscription takes over: the old stream learns why and ends.
    v1::Event e;
    e.mutable_error()->set_message("framework failed over: another subscription took over");
    outbox_.to_frameworks.emplace_back(id + "/" + it->second.stream_id, std::move(e));
    outbox_.close_frameworks.push_back(id + "/" + it->second.stream_id);
  }
  FrameworkRecord& f = frameworks_[id];
  f.info = info;
  f.connected = true;
  f.active = true;
  f.recovered = false;
  f.stream_id = RandomHex(16);
  if (!known) {
    f.registered = now;
    allocator_->AddFramework(id, info, /*active=*/true);
  } else {
    f.reregistered = now;
    allocator_->SetFrameworkActive(id, true);
  }
  f.next_heartbeat = now + config_.framework_heartbeat_interval;

  v1::Event e;
  v1::Event::Subscribed* s = e.mutable_subscribed();
  s->mutable_framework_id()->set_value(id);
  ToProto(config_.framework_heartbeat_interval, s->mutable_heartbeat_interval());
  *s->mutable_master_info() = config_.master_info;
  s->set_stream_id(f.stream_id);
  outbox_.to_frameworks.emplace_back(id + "/" + f.stream_id, std::move(e));

  v1::OperatorEvent op;
  if (known) {
    *op.mutable_framework_updated()->mutable_framework() = FrameworkState(id, f);
  } else {
    *op.mutable_framework_added()->mutable_framework() = FrameworkState(id, f);
  }
  EmitOperatorEvent(std::move(op));
  allocation_wanted_ = true;
  return Subscription{id, f.stream_id};
}

void MasterCore::FrameworkDisconnected(const std::string& framework_id,
                                       const std::string& stream_id, absl::Time now) {
  auto it = frameworks_.find(framework_id);
  if (it == frameworks_.end() || !it->second.connected || it->second.stream_id != stream_id) {
    return;  // an older stream, already replaced
  }
  FrameworkRecord& f = it->second;
  f.connected = false;
  f.active = false;
  f.disconnected = now;
  allocator_->SetFrameworkActive(framework_id, false);
  std::vector<std::string> offers(f.offers.begin(), f.offers.end());
  for (const std::string& offer : offers) RescindOffer(offer, /*recover=*/true, now);
  v1::OperatorEvent op;
  *op.mutable_framework_updated()->mutable_framework() = FrameworkState(framework_id, f);
  EmitOperatorEvent(std::move(op));
}

absl::Status MasterCore::CheckSubscribed(const common::v1::FrameworkID& id,
                                         const std::string& stream_id) const {
  if (id.value().empty()) return absl::InvalidArgumentError("framework_id: required");
  auto it = frameworks_.find(id.value());
  if (it == frameworks_.end() || !it->second.connected) return NotSubscribed(id.value());
  if (it->second.stream_id != stream_id) {
    return absl::FailedPreconditionError(
        "STREAM_ID_MISMATCH: stream_id is not the current subscription's");
  }
  return absl::OkStatus();
}

void MasterCore::SendToFramework(const std::string& framework_id, v1::Event event) {
  auto it = frameworks_.find(framework_id);
  if (it == frameworks_.end() || !it->second.connected) return;
  outbox_.to_frameworks.emplace_back(framework_id + "/" + it->second.stream_id, std::move(event));
}

void MasterCore::CheckFrameworks(absl::Time now) {
  std::vector<std::string> expired;
  for (auto& [id, f] : frameworks_) {
    if (f.connected) {
      if (now >= f.next_heartbeat) {
        v1::Event e;
        e.mutable_heartbeat();
        outbox_.to_frameworks.emplace_back(id + "/" + f.stream_id, std::move(e));
        f.next_heartbeat = now + config_.framework_heartbeat_interval;
      }
    } else if (now >= f.disconnected + FromProto(f.info.failover_timeout())) {
      expired.push_back(id);
    }
  }
  for (const std::string& id : expired) RemoveFramework(id, "failover_timeout expired", now);
}

absl::Status MasterCore::Revive(const v1::ReviveRequest& request, absl::Time) {
  absl::Status ok = CheckSubscribed(request.framework_id(), request.stream_id());
  if (!ok.ok()) return ok;
  FrameworkRecord& f = frameworks_[request.framework_id().value()];
  std::vector<std::string> roles(request.roles().begin(), request.roles().end());
  if (roles.empty()) {
    f.suppressed_roles.clear();
  } else {
    for (const std::string& r : roles) f.suppressed_roles.erase(r);
  }
  allocator_->Revive(request.framework_id().value(), roles);
  allocation_wanted_ = true;
  return absl::OkStatus();
}

absl::Status MasterCore::Suppress(const v1::SuppressRequest& request, absl::Time) {
  absl::Status ok = CheckSubscribed(request.framework_id(), request.stream_id());
  if (!ok.ok()) return ok;
  FrameworkRecord& f = frameworks_[request.framework_id().value()];
  std::vector<std::string> roles(request.roles().begin(), request.roles().end());
  for (const std::string& r : roles.empty() ? std::vector<std::string>(f.info.roles().begin(),
                                                                       f.info.roles().end())
                                            : roles) {
    f.suppressed_roles.insert(r);
  }
  allocator_->Suppress(request.framework_id().value(), roles);
  return absl::OkStatus();
}

absl::Status MasterCore::Teardown(const v1::TeardownRequest& request, absl::Time now) {
  absl::Status ok = CheckSubscribed(request.framework_id(), request.stream_id());
  if (!ok.ok()) return ok;
  RemoveFramework(request.framework_id().value(), "torn down", now);
  return absl::OkStatus();
}

void MasterCore::RemoveFramework(const std::string& framework_id, const std::string& why,
                                 absl::Time now) {
  auto it = frameworks_.find(framework_id);
  if (it == frameworks_.end()) return;
  FrameworkRecord& f = it->second;
  if (f.connected) {
    v1::Event e;
    e.mutable_error()->set_message(absl::StrCat("framework removed: ", why));
    outbox_.to_frameworks.emplace_back(framework_id + "/" + f.stream_id, std::move(e));
    outbox_.close_frameworks.push_back(framework_id + "/" + f.stream_id);
  }
  std::vector<std::string> offers(f.offers.begin(), f.offers.end());
  for (const std::string& offer : offers) RescindOffer(offer, /*recover=*/true, now);
  // The agents kill its tasks; the master forgets them now (nobody is left to acknowledge).
  std::set<std::string> agents;
  std::vector<TaskKey> keys;
  for (auto [t, end] = FrameworkTasks(framework_id); t != end; ++t) keys.push_back(t->first);
  for (const TaskKey& key : keys) {
    auto task = tasks_.find(key);
    if (task == tasks_.end()) continue;
    agents.insert(task->second.task.agent_id().value());
    if (!IsTerminal(task->second.task.state())) {
      common::v1::TaskStatus status =
          MasterStatus(task->second.task, common::v1::TASK_KILLED,
                       common::v1::TaskStatus::REASON_FRAMEWORK_REMOVED, why, now);
      TransitionTask(key, status, common::v1::TASK_KILLED, now);
    }
    CompleteTask(key);
  }
  for (const std::string& agent : agents) {
    auto a = agents_.find(agent);
    if (a == agents_.end() || !a->second.connected) continue;
    v1::MasterMessage m;
    m.mutable_shutdown_framework()->mutable_framework_id()->set_value(framework_id);
    outbox_.to_agents.emplace_back(agent, std::move(m));
  }
  allocator_->RemoveFramework(framework_id);
  removed_frameworks_[framework_id] = f.info;
  removed_order_.push_back(framework_id);
  if (removed_order_.size() > config_.max_completed_frameworks) {
    // Forget the details of the oldest, but never let its id subscribe again.
    removed_frameworks_[removed_order_.front()].Clear();
    removed_order_.erase(removed_order_.begin());
  }
  v1::OperatorEvent op;
  *op.mutable_framework_removed()->mutable_framework_info() = f.info;
  EmitOperatorEvent(std::move(op));
  frameworks_.erase(it);
}

v1::Framework MasterCore::FrameworkState(const std::string& id, const FrameworkRecord& f) const {
  v1::Framework out;
  *out.mutable_framework_info() = f.info;
  out.set_connected(f.connected);
  out.set_active(f.active);
  out.set_recovered(f.recovered);
  ToProto(f.registered, out.mutable_registered_time());
  if (f.reregistered != absl::Time()) ToProto(f.reregistered, out.mutable_reregistered_time());
  if (!f.connected) ToProto(f.disconnected, out.mutable_unregistered_time());
  for (const std::string& r : f.suppressed_roles) out.add_suppressed_roles(r);
  for (const std::string& offer : f.offers) {
    auto o = offers_.find(offer);
    if (o == offers_.end()) continue;
    *out.add_offers() = o->second.offer;
    for (const common::v1::Resource& r : o->second.offer.resources()) {
      *out.add_offered_resources() = r;
    }
  }
  for (auto [t, end] = FrameworkTasks(id); t != end; ++t) {
    if (IsTerminal(t->second.task.state())) continue;
    for (const common::v1::Resource& r : t->second.task.resources()) {
      *out.add_allocated_resources() = r;
    }
  }
  return out;
}

}  // namespace dcos::master
