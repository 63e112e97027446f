#pragma once

// Helpers for the codec's tests: a byte-level packet builder for hand-made (often hostile)
// packets, and shorthands for names and records.

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "libs/dns/message.h"

namespace dcos::dns::testing {

// Appends raw wire pieces; no validation at all (that is the point).
class PacketBuilder {
 public:
  // A 12-byte header.
  PacketBuilder& Header(uint16_t id, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns,
                        uint16_t ar);
  PacketBuilder& U8(uint8_t v);
  PacketBuilder& U16(uint16_t v);
  PacketBuilder& U32(uint32_t v);
  PacketBuilder& Bytes(absl::string_view bytes);
  // Length-prefixed labels, then a zero byte unless `terminate` is false.
  PacketBuilder& Labels(std::initializer_list<absl::string_view> labels, bool terminate = true);
  // A compression pointer to `offset`.
  PacketBuilder& Pointer(uint16_t offset);
  // TYPE, CLASS, TTL, RDLENGTH.
  PacketBuilder& RecordHeader(uint16_t type, uint16_t klass, uint32_t ttl, uint16_t rdlength);

  size_t size() const { return bytes_.size(); }
  const std::vector<uint8_t>& bytes() const { return bytes_; }
  absl::Span<const uint8_t> span() const { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
};

// Name::FromText that must succeed.
Name N(absl::string_view text);

// Records of class IN.
ResourceRecord A(absl::string_view name, uint32_t ttl, absl::string_view ipv4);
ResourceRecord Aaaa(absl::string_view name, uint32_t ttl, std::initializer_list<uint8_t> bytes);
ResourceRecord Srv(absl::string_view name, uint32_t ttl, uint16_t priority, uint16_t weight,
                   uint16_t port, absl::string_view target);
ResourceRecord Ns(absl::string_view name, uint32_t ttl, absl::string_view target);
ResourceRecord Soa(absl::string_view name, uint32_t ttl, absl::string_view mname,
                   absl::string_view rname, uint32_t serial, uint32_t minimum);

// A query for `name`/`type` with RD set, optionally with EDNS0.
Message Query(absl::string_view name, RRType type, uint16_t id = 0x1234,
              std::optional<Edns> edns = std::nullopt);

}  // namespace dcos::dns::testing
