#include "services/mesos-dns/core/record_set.h"

#include <algorithm>

namespace dcos::dns::core {

const RRset* NameEntry::Find(RRType type) const {
  for (const RRset& set : rrsets) {
    if (set.type == type) return &set;
  }
  return nullptr;
}

RecordSet::RecordSet(Name domain, Shards shards, RRset soa, size_t name_count,
                     size_t record_count)
    : domain_(std::move(domain)),
      shards_(std::move(shards)),
      soa_(std::move(soa)),
      negative_soa_(soa_),
      name_count_(name_count),
      record_count_(record_count) {
  if (!soa_.data.empty()) {
    negative_soa_.ttl = std::min(soa_.ttl, std::get<SoaData>(soa_.data.front()).minimum);
  }
}

uint32_t RecordSet::serial() const {
  return soa_.data.empty() ? 0 : std::get<SoaData>(soa_.data.front()).serial;
}

const NameEntry* RecordSet::Lookup(const Name& name) const {
  // One hash of the name (lower-casing it on the way) picks the shard and probes it.
  const size_t hash = absl::Hash<Name>{}(name);
  const Shard& shard = *shards_[ShardOfHash(hash)];
  auto it = shard.find(name, hash);
  return it == shard.end() ? nullptr : it->get();
}

void RecordSet::ForEach(const std::function<void(const NameEntry&)>& fn) const {
  for (const auto& shard : shards_) {
    for (const auto& entry : *shard) fn(*entry);
  }
}

}  // namespace dcos::dns::core
