#include "services/master/core/drf_port.h"

namespace dcos::master {
namespace {

resources::Resources FromProtos(
    const google::protobuf::RepeatedPtrField<common::v1::Resource>& protos,
    absl::Status* error) {
  absl::StatusOr<resources::Resources> r = resources::Resources::FromProto(protos);
  if (!r.ok()) {
    *error = r.status();
    return {};
  }
  return *std::move(r);
}

resources::Resources FromList(const ResourceList& list, absl::Status* error) {
  google::protobuf::RepeatedPtrField<common::v1::Resource> protos(list.begin(), list.end());
  return FromProtos(protos, error);
}

}  // namespace

DrfPort::DrfPort(allocator::AllocatorOptions options) : drf_(std::move(options)) {}

void DrfPort::Note(const absl::Status& status) {
  if (status.ok()) return;
  ++errors_;
  last_error_ = status;
}

void DrfPort::AddAgent(const std::string& agent_id, const common::v1::AgentInfo& info,
                       const std::vector<RoleResources>& used) {
  absl::Status error;
  resources::Resources total = FromProtos(info.resources(), &error);
  std::vector<allocator::Allocation> allocations;
  allocations.reserve(used.size());
  for (const RoleResources& u : used) {
    absl::StatusOr<resources::Resources> sum = resources::Resources::SumOfProtos(u.tasks);
    if (!sum.ok()) {
      // Count what is valid: each task on its own, the bad ones noted and left out.
      sum.emplace();
      for (const auto* task : u.tasks) *sum += FromProtos(*task, &error);
    }
    allocations.push_back({u.framework_id, u.role, *std::move(sum)});
  }
  Note(error);
  Note(drf_.AddAgent(agent_id, total, allocations));
}

void DrfPort::RemoveAgent(const std::string& agent_id) { Note(drf_.RemoveAgent(agent_id)); }

void DrfPort::SetAgentActive(const std::string& agent_id, bool active) {
  Note(drf_.UpdateAgentActive(agent_id, active));
}

void DrfPort::AddFramework(const std::string& framework_id, const common::v1::FrameworkInfo& info,
                           bool active) {
  Note(drf_.AddFramework(framework_id,
                         std::vector<std::string>(info.roles().begin(), info.roles().end()),
                         active));
}

void DrfPort::RemoveFramework(const std::string& framework_id) {
  Note(drf_.RemoveFramework(framework_id));
}

void DrfPort::SetFrameworkActive(const std::string& framework_id, bool active) {
  Note(active ? drf_.ActivateFramework(framework_id) : drf_.DeactivateFramework(framework_id));
}

void DrfPort::Suppress(const std::string& framework_id, const std::vector<std::string>& roles) {
  Note(drf_.Suppress(framework_id, roles));
}

void DrfPort::Revive(const std::string& framework_id, const std::vector<std::string>& roles) {
  Note(drf_.Revive(framework_id, roles));
}

void DrfPort::Recover(const std::string& framework_id, const std::string& agent_id,
                      const std::string& role, const ResourceList& list,
                      std::optional<absl::Duration> refuse, absl::Time now) {
  absl::Status error;
  resources::Resources r = FromList(list, &error);
  Note(error);
  Note(drf_.Recover(framework_id, agent_id, role, r, refuse, now));
}

std::vector<Allocation> DrfPort::Allocate(absl::Time now) {
  std::vector<Allocation> out;
  absl::Time started = absl::Now();
  std::vector<allocator::Offer> offers = drf_.Allocate(now);
  last_allocation_seconds_ = absl::ToDoubleSeconds(absl::Now() - started);
  ++allocations_;
  for (allocator::Offer& o : offers) {
    google::protobuf::RepeatedPtrField<common::v1::Resource> protos;
    o.resources.ToProto(&protos);
    out.push_back({std::move(o.framework_id), std::move(o.agent_id), std::move(o.role),
                   ResourceList(protos.begin(), protos.end())});
  }
  return out;
}

void DrfPort::SetWeight(const std::string& role, double weight) {
  Note(drf_.SetWeight(role, weight));
}

void DrfPort::SetQuota(const std::string& role, const ResourceList& guarantee) {
  absl::Status error;
  resources::Resources quota = FromList(guarantee, &error);
  Note(error);
  if (error.ok()) Note(drf_.SetQuota(role, quota));
}

std::vector<v1::Role> DrfPort::Roles() const {
  std::vector<v1::Role> out;
  for (const allocator::RoleSummary& r : drf_.Roles()) {
    v1::Role role;
    role.set_name(r.name);
    role.set_weight(r.weight);
    r.quota.ToProto(role.mutable_quota_guarantee());
    r.reserved.ToProto(role.mutable_reserved());
    r.allocated.ToProto(role.mutable_allocated());
    for (const std::string& f : r.frameworks) role.add_frameworks()->set_value(f);
    out.push_back(std::move(role));
  }
  return out;
}

}  // namespace dcos::master
