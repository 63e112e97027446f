#pragma once

// The parts of a DNS message (RFC 1035 §4.1) as plain values: what the parser produces and the
// writer consumes. Record data of the types the servers deal in is decoded (A, AAAA, NS, CNAME,
// PTR, SOA, SRV); any other type is kept as opaque bytes and round-trips unchanged (RFC 3597).
// The OPT pseudo-record (RFC 6891) is not a record here but Message::edns.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "libs/dns/name.h"
#include "libs/dns/types.h"

namespace dcos::dns {

struct Header {
  uint16_t id = 0;
  bool qr = false;  // a response
  Opcode opcode = Opcode::kQuery;
  bool aa = false;  // authoritative answer
  bool tc = false;  // truncated
  bool rd = false;  // recursion desired
  bool ra = false;  // recursion available
  bool ad = false;  // authentic data (RFC 4035)
  bool cd = false;  // checking disabled (RFC 4035)
  // The full 12-bit code: the header's 4 bits and, with EDNS0, the OPT record's 8 high bits.
  Rcode rcode = Rcode::kNoError;

  friend bool operator==(const Header&, const Header&) = default;
};

struct Question {
  Name name;
  RRType type = RRType::kA;
  RRClass klass = RRClass::kIN;

  friend bool operator==(const Question&, const Question&) = default;
};

// Record data, one struct per decoded type.
struct AData {
  std::array<uint8_t, 4> address{};
  friend bool operator==(const AData&, const AData&) = default;
};
struct AaaaData {
  std::array<uint8_t, 16> address{};
  friend bool operator==(const AaaaData&, const AaaaData&) = default;
};
// NS, CNAME and PTR: one domain name.
struct NameData {
  Name name;
  friend bool operator==(const NameData&, const NameData&) = default;
};
struct SoaData {
  Name mname;  // primary name server
  Name rname;  // mailbox of the person responsible, '@' written as the first '.'
  uint32_t serial = 0;
  uint32_t refresh = 0;  // seconds
  uint32_t retry = 0;    // seconds
  uint32_t expire = 0;   // seconds
  uint32_t minimum = 0;  // seconds; the negative-caching TTL (RFC 2308 §4)
  friend bool operator==(const SoaData&, const SoaData&) = default;
};
struct SrvData {
  uint16_t priority = 0;
  uint16_t weight = 0;
  uint16_t port = 0;
  Name target;  // never compressed on the wire (RFC 2782)
  friend bool operator==(const SrvData&, const SrvData&) = default;
};
// Any other type: the RDATA bytes as received.
struct OpaqueData {
  std::string bytes;
  friend bool operator==(const OpaqueData&, const OpaqueData&) = default;
};

using RData = std::variant<AData, AaaaData, NameData, SoaData, SrvData, OpaqueData>;

// The RData alternative that carries `type` on the wire (A -> AData, NS/CNAME/PTR -> NameData,
// ...; anything else -> OpaqueData). Used by the parser and to check a record is well-formed.
bool RDataMatchesType(const RData& data, RRType type);

struct ResourceRecord {
  Name name;
  RRType type = RRType::kA;
  RRClass klass = RRClass::kIN;
  uint32_t ttl = 0;  // seconds
  RData data;

  friend bool operator==(const ResourceRecord&, const ResourceRecord&) = default;
};

// Records of one name, type and class: the unit that is added to a response and dropped on
// truncation as a whole (RFC 2181 §5, §9). All share one TTL (RFC 2181 §5.2).
struct RRset {
  Name name;
  RRType type = RRType::kA;
  RRClass klass = RRClass::kIN;
  uint32_t ttl = 0;  // seconds
  std::vector<RData> data;

  friend bool operator==(const RRset&, const RRset&) = default;
};

struct EdnsOption {
  uint16_t code = 0;
  std::string data;
  friend bool operator==(const EdnsOption&, const EdnsOption&) = default;
};

// The OPT pseudo-record's content (RFC 6891 §6.1).
struct Edns {
  // Largest UDP payload the sender can take. Values under 512 are read as 512 by the servers
  // (§6.2.3) but kept here as received.
  uint16_t udp_payload_size = 1232;
  uint8_t version = 0;
  bool dnssec_ok = false;  // the DO bit (RFC 3225)
  std::vector<EdnsOption> options;

  friend bool operator==(const Edns&, const Edns&) = default;
};

struct Message {
  Header header;
  std::vector<Question> questions;
  std::vector<ResourceRecord> answers;
  std::vector<ResourceRecord> authority;
  std::vector<ResourceRecord> additional;  // without the OPT record
  std::optional<Edns> edns;

  friend bool operator==(const Message&, const Message&) = default;
};

// dig-like text of a record's data ("10.0.0.1", "0 1 31000 web.marathon.mesos.", ...), for
// tests, logs and the lookup API.
std::string RDataToText(const RData& data);
// "<name> <ttl> IN <type> <rdata>".
std::string RecordToText(const ResourceRecord& record);
// The whole message in a dig-like layout, for test failure messages.
std::string MessageToText(const Message& message);

// Groups consecutive records of equal name (case-insensitively), type, class and TTL into
// RRsets. (Records of one RRset should share a TTL, RFC 2181 §5.2; where they do not, each run
// of one TTL becomes its own RRset, so that nothing is changed on the way through.)
std::vector<RRset> GroupIntoRRsets(const std::vector<ResourceRecord>& records);

}  // namespace dcos::dns
