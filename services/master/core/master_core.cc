#include "services/master/core/master_core.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace dcos::master {

MasterCore::MasterCore(MasterCoreConfig config, AllocatorPort* allocator, absl::Time now)
    : config_(std::move(config)),
      allocator_(allocator),
      rng_(config_.seed),
      last_allocation_(now - config_.allocation_interval),
      removal_tokens_(config_.agent_removal_burst),
      removal_refill_(now) {
  ApplyPolicy(config_.policy);
}

Outbox MasterCore::TakeOutbox() {
  Outbox out = std::move(outbox_);
  outbox_ = Outbox();
  return out;
}

std::string MasterCore::NextId(const char* kind) {
  return absl::StrFormat("%s-%s%04d", config_.master_info.id(), kind, next_id_++);
}

std::string MasterCore::RandomHex(size_t bytes) {
  std::string out;
  for (size_t i = 0; i < bytes; i += 8) {
    uint64_t v = rng_();
    out += absl::StrFormat("%016x", v);
  }
  return out.substr(0, bytes * 2);
}

void MasterCore::EmitOperatorEvent(v1::OperatorEvent event) {
  if (operator_events_) outbox_.to_operators.push_back(std::move(event));
}

void MasterCore::Tick(absl::Time now) {
  CheckAgents(now);
  CheckFrameworks(now);
  CheckOffers(now);
  // Every allocation_interval, and sooner after an event that freed or added resources
  // (batched: at most one event-driven cycle per twentieth of the interval).
  bool due = now >= last_allocation_ + config_.allocation_interval;
  bool soon = allocation_wanted_ && now >= last_allocation_ + config_.allocation_interval / 20;
  if (due || soon) {
    Allocate(now);
    last_allocation_ = now;
    allocation_wanted_ = false;
  }
}

}  // namespace dcos::master
