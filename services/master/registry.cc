#include "services/master/registry.h"

#include <algorithm>

#include "services/master/registry_entry.h"

namespace dcos::master {
namespace {

void Erase(std::vector<common::v1::AgentInfo>* list, const std::string& id) {
  list->erase(std::remove_if(list->begin(), list->end(),
                             [&](const common::v1::AgentInfo& a) { return a.id().value() == id; }),
              list->end());
}

}  // namespace

void ApplyRegistryOps(const std::vector<RegistryOp>& ops, RegistryContents* contents) {
  for (const RegistryOp& op : ops) {
    if (op.kind == RegistryOp::Kind::kSetPolicy) {
      contents->policy = op.policy;
      continue;
    }
    const std::string& id = op.agent.id().value();
    Erase(&contents->admitted, id);
    Erase(&contents->unreachable, id);
    switch (op.kind) {
      case RegistryOp::Kind::kAdmit:
      case RegistryOp::Kind::kMarkReachable:
        contents->admitted.push_back(op.agent);
        break;
      case RegistryOp::Kind::kMarkUnreachable:
        contents->unreachable.push_back(op.agent);
        break;
      case RegistryOp::Kind::kMarkGone:
        contents->gone.push_back(op.agent);
        break;
      case RegistryOp::Kind::kSetPolicy:
        break;  // above
    }
    if (op.kind == RegistryOp::Kind::kMarkGone || !HasRegistryState(op.state)) {
      contents->states.erase(id);
    } else {
      contents->states[id] = op.state;
    }
  }
}

absl::Status InMemoryRegistry::Apply(const std::vector<RegistryOp>& ops) {
  absl::MutexLock lock(&mu_);
  ApplyRegistryOps(ops, &contents_);
  return absl::OkStatus();
}

absl::StatusOr<RegistryContents> InMemoryRegistry::Load() {
  absl::MutexLock lock(&mu_);
  return contents_;
}

}  // namespace dcos::master
