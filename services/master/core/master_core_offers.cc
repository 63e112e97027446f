// MasterCore: offers — allocation cycles into OFFERS events, rescind and offer timeout,
// decline with refuse filters, and Accept: offers validated and used once, LAUNCH operations
// validated task by task against what is left of the offered resources, the rest declined.

#include <set>

#include "absl/strings/str_cat.h"
#include "libs/resources/resources.h"
#include "services/master/core/master_core.h"
#include "services/master/core/proto_time.h"

namespace dcos::master {
namespace {

using common::v1::TaskInfo;
using common::v1::TaskStatus;

// Task ids become sandbox directory names: no separators, no dot names, printable.
absl::Status ValidateTaskId(const std::string& id) {
  if (id.empty()) return absl::InvalidArgumentError("task_id: required");
  if (id.size() > 255) return absl::InvalidArgumentError("task_id: longer than 255 bytes");
  if (id == "." || id == "..") return absl::InvalidArgumentError("task_id: may not be . or ..");
  for (char c : id) {
    if (c == '/' || c == '\\' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return absl::InvalidArgumentError(
          "task_id: may not contain '/', '\\' or control characters");
    }
  }
  return absl::OkStatus();
}

ResourceList ToList(const resources::Resources& r) {
  google::protobuf::RepeatedPtrField<common::v1::Resource> protos;
  r.ToProto(&protos);
  return ResourceList(protos.begin(), protos.end());
}

}  // namespace

void MasterCore::Allocate(absl::Time now) {
  std::map<std::string, v1::Event> events;
  for (Allocation& a : allocator_->Allocate(now)) {
    auto agent = agents_.find(a.agent_id);
    auto framework = frameworks_.find(a.framework_id);
    if (agent == agents_.end() || framework == frameworks_.end() ||
        !framework->second.connected) {
      // Stale: give it straight back.
      allocator_->Recover(a.framework_id, a.agent_id, a.role, a.resources, std::nullopt, now);
      continue;
    }
    OfferRecord record;
    record.created = now;
    common::v1::Offer& o = record.offer;
    o.mutable_id()->set_value(NextId("O"));
    o.mutable_framework_id()->set_value(a.framework_id);
    o.mutable_agent_id()->set_value(a.agent_id);
    o.set_hostname(agent->second.info.address().hostname());
    *o.mutable_agent_address() = agent->second.info.address();
    o.set_allocation_role(a.role);
    for (common::v1::Resource& r : a.resources) *o.add_resources() = std::move(r);
    *o.mutable_attributes() = agent->second.info.attributes();
    const std::string id = o.id().value();
    agent->second.offers.insert(id);
    framework->second.offers.insert(id);
    *events[a.framework_id].mutable_offers()->add_offers() = o;
    offers_[id] = std::move(record);
  }
  for (auto& [fid, e] : events) SendToFramework(fid, std::move(e));
}

void MasterCore::RemoveOffer(const std::string& offer_id) {
  auto it = offers_.find(offer_id);
  if (it == offers_.end()) return;
  auto agent = agents_.find(it->second.offer.agent_id().value());
  if (agent != agents_.end()) agent->second.offers.erase(offer_id);
  auto f = frameworks_.find(it->second.offer.framework_id().value());
  if (f != frameworks_.end()) f->second.offers.erase(offer_id);
  offers_.erase(it);
}

void MasterCore::RescindOffer(const std::string& offer_id, bool recover, absl::Time now) {
  auto it = offers_.find(offer_id);
  if (it == offers_.end()) return;
  const common::v1::Offer& o = it->second.offer;
  v1::Event e;
  *e.mutable_rescind()->mutable_offer_id() = o.id();
  SendToFramework(o.framework_id().value(), std::move(e));
  if (recover) {
    allocator_->Recover(o.framework_id().value(), o.agent_id().value(), o.allocation_role(),
                        ResourceList(o.resources().begin(), o.resources().end()), std::nullopt,
                        now);
    allocation_wanted_ = true;
  }
  RemoveOffer(offer_id);
}

void MasterCore::CheckOffers(absl::Time now) {
  if (!config_.offer_timeout.has_value()) return;
  std::vector<std::string> expired;
  for (const auto& [id, offer] : offers_) {
    if (now >= offer.created + *config_.offer_timeout) expired.push_back(id);
  }
  for (const std::string& id : expired) RescindOffer(id, /*recover=*/true, now);
}

absl::Status MasterCore::Decline(const v1::DeclineRequest& request, absl::Time now) {
  absl::Status ok = CheckSubscribed(request.framework_id(), request.stream_id());
  if (!ok.ok()) return ok;
  absl::Duration refuse = request.filters().has_refuse() ? FromProto(request.filters().refuse())
                                                         : config_.default_refuse;
  for (const common::v1::OfferID& id : request.offer_ids()) {
    auto it = offers_.find(id.value());
    if (it == offers_.end() ||
        it->second.offer.framework_id().value() != request.framework_id().value()) {
      continue;  // unknown offers are ignored
    }
    const common::v1::Offer& o = it->second.offer;
    allocator_->Recover(o.framework_id().value(), o.agent_id().value(), o.allocation_role(),
                        ResourceList(o.resources().begin(), o.resources().end()), refuse, now);
    RemoveOffer(id.value());
  }
  allocation_wanted_ = true;
  return absl::OkStatus();
}

absl::Status MasterCore::Accept(const v1::AcceptRequest& request, absl::Time now) {
  absl::Status ok = CheckSubscribed(request.framework_id(), request.stream_id());
  if (!ok.ok()) return ok;
  if (request.offer_ids().empty()) return absl::InvalidArgumentError("offer_ids: required");
  for (int i = 0; i < request.operations_size(); ++i) {
    const v1::Operation& op = request.operations(i);
    if (op.has_reserve() || op.has_unreserve()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "operations[", i, "]: RESERVE and UNRESERVE are not supported (static reservations "
          "only)"));
    }
    if (!op.has_launch()) {
      return absl::InvalidArgumentError(absl::StrCat("operations[", i, "]: empty operation"));
    }
  }
  const std::string& fid = request.framework_id().value();
  const FrameworkRecord& framework = frameworks_.at(fid);

  // The offers: each used at most once, all of this framework, all on one agent.
  std::string agent_id;
  std::string role;
  std::string invalid;
  std::set<std::string> seen;
  resources::Resources offered;
  std::vector<std::string> usable;
  for (const common::v1::OfferID& id : request.offer_ids()) {
    auto it = offers_.find(id.value());
    if (!seen.insert(id.value()).second) {
      invalid = absl::StrCat("offer ", id.value(), " is named twice");
      continue;
    }
    if (it == offers_.end()) {
      invalid = absl::StrCat("offer ", id.value(), " is unknown, used or rescinded");
      continue;
    }
    const common::v1::Offer& o = it->second.offer;
    if (o.framework_id().value() != fid) {
      invalid = absl::StrCat("offer ", id.value(), " belongs to another framework");
      continue;
    }
    if (!agent_id.empty() && o.agent_id().value() != agent_id) {
      invalid = "the offers are of different agents";
    }
    if (!role.empty() && o.allocation_role() != role) {
      invalid = "the offers are for different roles";
    }
    agent_id = o.agent_id().value();
    role = o.allocation_role();
    usable.push_back(id.value());
    absl::StatusOr<resources::Resources> r = resources::Resources::FromProto(o.resources());
    if (r.ok()) offered += *r;
  }
  std::optional<absl::Duration> refuse =
      request.filters().has_refuse() ? FromProto(request.filters().refuse())
                                     : config_.default_refuse;
  // Every usable offer is consumed by this call, whatever happens to its tasks.
  struct Consumed {
    std::string agent, role;
    ResourceList resources;
  };
  std::vector<Consumed> consumed;
  for (const std::string& id : usable) {
    const common::v1::Offer& o = offers_.at(id).offer;
    consumed.push_back({o.agent_id().value(), o.allocation_role(),
                        ResourceList(o.resources().begin(), o.resources().end())});
    RemoveOffer(id);
  }
  auto give_back = [&] {
    for (const Consumed& c : consumed) {
      allocator_->Recover(fid, c.agent, c.role, c.resources, refuse, now);
    }
    allocation_wanted_ = true;
  };

  auto fail_all = [&](const std::string& why) {
    for (const v1::Operation& op : request.operations()) {
      for (const TaskInfo& t : op.launch().task_infos()) {
        common::v1::Task task;
        *task.mutable_task_id() = t.task_id();
        task.mutable_agent_id()->set_value(agent_id);
        common::v1::TaskState state =
            PartitionAware(fid) ? common::v1::TASK_DROPPED : common::v1::TASK_LOST;
        SendUpdate(fid, MasterStatus(task, state, TaskStatus::REASON_INVALID_OFFERS, why, now));
      }
    }
  };
  if (!invalid.empty()) {
    fail_all(invalid);
    give_back();  // what the usable offers held, offer by offer
    return absl::OkStatus();
  }
  auto agent = agents_.find(agent_id);
  if (agent == agents_.end() || agent->second.state != v1::Agent::STATE_ACTIVE ||
      !agent->second.connected) {
    fail_all("the agent of the offers is no longer available");
    if (agent != agents_.end() && agent->second.state == v1::Agent::STATE_ACTIVE) give_back();
    return absl::OkStatus();
  }

  resources::Resources remaining = offered;
  std::set<std::string> launched_here;
  for (const v1::Operation& op : request.operations()) {
    for (const TaskInfo& t : op.launch().task_infos()) {
      common::v1::Task task;
      *task.mutable_task_id() = t.task_id();
      task.mutable_agent_id()->set_value(agent_id);
      auto reject = [&](const std::string& why) {
        SendUpdate(fid, MasterStatus(task, common::v1::TASK_ERROR,
                                     TaskStatus::REASON_TASK_INVALID, why, now));
      };
      absl::Status id_ok = ValidateTaskId(t.task_id().value());
      if (!id_ok.ok()) {
        reject(std::string(id_ok.message()));
        continue;
      }
      if (tasks_.count({fid, t.task_id().value()}) > 0 ||
          !launched_here.insert(t.task_id().value()).second) {
        reject("task_id: a task with this id is already running in the framework");
        continue;
      }
      if (!t.agent_id().value().empty() && t.agent_id().value() != agent_id) {
        reject("agent_id: not the agent of the offers");
        continue;
      }
      if (t.command().value().empty() && t.command().arguments().empty()) {
        reject("command: a command (value or arguments) is required");
        continue;
      }
      absl::StatusOr<resources::Resources> wanted =
          resources::Resources::FromProto(t.resources(), "resources");
      if (!wanted.ok()) {
        reject(std::string(wanted.status().message()));
        continue;
      }
      if (wanted->ScalarMilli("cpus") <= 0 && wanted->ScalarMilli("mem") <= 0) {
        reject("resources: a task needs cpus or mem");
        continue;
      }
      if (!remaining.Contains(*wanted)) {
        reject(absl::StrCat("resources: ", wanted->ToString(), " are not within what is left of ",
                            "the offers (", remaining.ToString(), ")"));
        continue;
      }
      remaining -= *wanted;
      task.set_name(t.name());
      task.mutable_framework_id()->set_value(fid);
      task.mutable_executor_id()->set_value(t.task_id().value());
      task.set_state(common::v1::TASK_STAGING);
      task.set_status_update_state(common::v1::TASK_STAGING);
      *task.mutable_resources() = t.resources();
      *task.mutable_labels() = t.labels();
      *task.mutable_discovery() = t.discovery();
      *task.mutable_health_check() = t.health_check();
      *task.mutable_kill_policy() = t.kill_policy();
      task.set_user(framework.info.user());
      TaskKey key{fid, t.task_id().value()};
      agent->second.tasks.insert(key);
      AddTask(tasks_.lower_bound(key), std::move(key), std::move(task), role);
      v1::MasterMessage m;
      *m.mutable_run_task()->mutable_framework_info() = framework.info;
      TaskInfo* info = m.mutable_run_task()->mutable_task();
      *info = t;
      info->mutable_agent_id()->set_value(agent_id);
      outbox_.to_agents.emplace_back(agent_id, std::move(m));
    }
  }
  if (!remaining.empty()) {
    allocator_->Recover(fid, agent_id, role, ToList(remaining), refuse, now);
    allocation_wanted_ = true;
  }
  return absl::OkStatus();
}

}  // namespace dcos::master
