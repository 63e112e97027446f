#include "libs/dns/wire_test_util.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace dcos::dns::testing {

PacketBuilder& PacketBuilder::Header(uint16_t id, uint16_t flags, uint16_t qd, uint16_t an,
                                     uint16_t ns, uint16_t ar) {
  return U16(id).U16(flags).U16(qd).U16(an).U16(ns).U16(ar);
}

PacketBuilder& PacketBuilder::U8(uint8_t v) {
  bytes_.push_back(v);
  return *this;
}

PacketBuilder& PacketBuilder::U16(uint16_t v) { return U8(static_cast<uint8_t>(v >> 8)).U8(v & 0xff); }

PacketBuilder& PacketBuilder::U32(uint32_t v) {
  return U16(static_cast<uint16_t>(v >> 16)).U16(static_cast<uint16_t>(v));
}

PacketBuilder& PacketBuilder::Bytes(absl::string_view b) {
  bytes_.insert(bytes_.end(), b.begin(), b.end());
  return *this;
}

PacketBuilder& PacketBuilder::Labels(std::initializer_list<absl::string_view> labels,
                                     bool terminate) {
  for (absl::string_view l : labels) U8(static_cast<uint8_t>(l.size())).Bytes(l);
  if (terminate) U8(0);
  return *this;
}

PacketBuilder& PacketBuilder::Pointer(uint16_t offset) { return U16(0xC000 | offset); }

PacketBuilder& PacketBuilder::RecordHeader(uint16_t type, uint16_t klass, uint32_t ttl,
                                           uint16_t rdlength) {
  return U16(type).U16(klass).U32(ttl).U16(rdlength);
}

Name N(absl::string_view text) {
  absl::StatusOr<Name> n = Name::FromText(text);
  if (!n.ok()) {
    std::fprintf(stderr, "bad test name %s: %s\n", std::string(text).c_str(),
                 n.status().ToString().c_str());
    std::abort();
  }
  return *std::move(n);
}

ResourceRecord A(absl::string_view name, uint32_t ttl, absl::string_view ipv4) {
  AData a;
  int i = 0;
  for (absl::string_view part : absl::StrSplit(ipv4, '.')) {
    int v = 0;
    if (i >= 4 || !absl::SimpleAtoi(part, &v)) std::abort();
    a.address[i++] = static_cast<uint8_t>(v);
  }
  return ResourceRecord{N(name), RRType::kA, RRClass::kIN, ttl, a};
}

ResourceRecord Aaaa(absl::string_view name, uint32_t ttl, std::initializer_list<uint8_t> bytes) {
  AaaaData a;
  size_t i = 0;
  for (uint8_t b : bytes) a.address[i++] = b;
  return ResourceRecord{N(name), RRType::kAAAA, RRClass::kIN, ttl, a};
}

ResourceRecord Srv(absl::string_view name, uint32_t ttl, uint16_t priority, uint16_t weight,
                   uint16_t port, absl::string_view target) {
  return ResourceRecord{N(name), RRType::kSRV, RRClass::kIN, ttl,
                        SrvData{priority, weight, port, N(target)}};
}

ResourceRecord Ns(absl::string_view name, uint32_t ttl, absl::string_view target) {
  return ResourceRecord{N(name), RRType::kNS, RRClass::kIN, ttl, NameData{N(target)}};
}

ResourceRecord Soa(absl::string_view name, uint32_t ttl, absl::string_view mname,
                   absl::string_view rname, uint32_t serial, uint32_t minimum) {
  return ResourceRecord{N(name), RRType::kSOA, RRClass::kIN, ttl,
                        SoaData{N(mname), N(rname), serial, 60, 600, 86400, minimum}};
}

Message Query(absl::string_view name, RRType type, uint16_t id, std::optional<Edns> edns) {
  Message m;
  m.header.id = id;
  m.header.rd = true;
  m.questions.push_back(Question{N(name), type, RRClass::kIN});
  m.edns = std::move(edns);
  return m;
}

}  // namespace dcos::dns::testing
