#pragma once

// RecordSet: an immutable snapshot of every record dcos-dns serves, looked up by name. Built
// and updated by RecordBuilder; read by the responder on any number of threads at once.
//
// A snapshot is a fixed array of shards (by name hash), each an immutable hash set of
// immutable name entries, all held by shared_ptr. A new snapshot shares every shard that did
// not change with the previous one, so publishing a change costs the copies of the few shards
// it touched (tens of entries each at 10,000 tasks), not of the whole set. A driver keeps the
// current snapshot in one shared_ptr and swaps it atomically; readers hold the snapshot they
// loaded for as long as they use entries from it.
//
// Thread-safety: immutable after construction; safe to share.

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "libs/dns/message.h"

namespace dcos::dns::core {

// Everything at one name: its RRsets (class IN, sorted by type) — none for an empty
// non-terminal, a name that exists only because names below it do (RFC 8020: NOERROR, not
// NXDOMAIN).
struct NameEntry {
  Name name;
  // absl::Hash<Name>{}(name), computed once: shard copies rehash every entry.
  size_t hash = 0;
  std::vector<RRset> rrsets;
  // The A/AAAA RRsets of the in-zone targets of this name's SRV and NS records, resolved when
  // the snapshot is built (kept up to date with the targets), for the additional section.
  std::vector<RRset> additional;

  // The RRset of `type`, or null.
  const RRset* Find(RRType type) const;
};

class RecordSet {
 public:
  static constexpr int kShardBits = 10;
  static constexpr size_t kShards = size_t{1} << kShardBits;

  struct EntryHash {
    using is_transparent = void;
    size_t operator()(const Name& n) const { return absl::Hash<Name>{}(n); }
    size_t operator()(const std::shared_ptr<const NameEntry>& e) const { return e->hash; }
  };
  struct EntryEq {
    using is_transparent = void;
    static const Name& N(const Name& n) { return n; }
    static const Name& N(const std::shared_ptr<const NameEntry>& e) { return e->name; }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const { return N(a) == N(b); }
  };
  using Shard = absl::flat_hash_set<std::shared_ptr<const NameEntry>, EntryHash, EntryEq>;
  using Shards = std::array<std::shared_ptr<const Shard>, kShards>;

  // `shards`: every element non-null. `soa`: the apex SOA RRset (one record), also present in
  // the shards.
  RecordSet(Name domain, Shards shards, RRset soa, size_t name_count, size_t record_count);

  // The zone apex, lower-case.
  const Name& domain() const { return domain_; }
  // True if `name` is the domain or below it.
  bool InZone(const Name& name) const { return name.IsSubdomainOf(domain_); }

  // The entry at `name` (any case), or null if no such name exists. Valid while this
  // RecordSet lives.
  const NameEntry* Lookup(const Name& name) const;

  // The apex SOA RRset.
  const RRset& soa() const { return soa_; }
  uint32_t serial() const;
  // The SOA RRset to put in the authority section of negative answers: TTL min(SOA TTL,
  // SOA MINIMUM) (RFC 2308 §3, §5).
  const RRset& negative_soa() const { return negative_soa_; }

  size_t name_count() const { return name_count_; }
  size_t record_count() const { return record_count_; }

  // Calls `fn` for every entry, in no particular order.
  void ForEach(const std::function<void(const NameEntry&)>& fn) const;

  // Shard of a name (exposed for the builder). Taken from the hash's top bits: the shards'
  // hash sets use the low bits, which must not be the same for every entry of a shard.
  static size_t ShardOf(const Name& name) { return ShardOfHash(absl::Hash<Name>{}(name)); }
  static size_t ShardOfHash(size_t hash) {
    return static_cast<uint64_t>(hash) >> (64 - kShardBits);
  }
  const Shards& shards() const { return shards_; }

 private:
  Name domain_;
  Shards shards_;
  RRset soa_;
  RRset negative_soa_;
  size_t name_count_;
  size_t record_count_;
};

}  // namespace dcos::dns::core
