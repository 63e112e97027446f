#pragma once

// Responder: turns one query packet into the response packet, from a RecordSet snapshot. Pure:
// no sockets, no clock; the server loop calls it for every packet it reads.
//
// What it answers (authoritative for the record set's domain):
//   - not even a header (under 12 bytes), or a response (QR set)      -> dropped, no answer
//   - malformed after the header                                       -> FORMERR (header only)
//   - opcode other than QUERY                                          -> NOTIMP
//   - EDNS version above 0                                             -> BADVERS (RFC 6891)
//   - not exactly one question, or QTYPE OPT                           -> FORMERR
//   - class other than IN or ANY                                       -> REFUSED
//   - AXFR / IXFR (zone transfers are not offered; see the lookup API) -> REFUSED
//   - a name outside the domain: kForward when forwarding is on (the caller relays the query
//     upstream), else REFUSED
//   - a name in the domain that does not exist                         -> NXDOMAIN, AA, SOA in
//     the authority section with the negative TTL (RFC 2308)
//   - a name that exists without the type (incl. empty non-terminals)  -> NOERROR, AA, no
//     answer, SOA in authority (NODATA)
//   - otherwise the RRset (ANY: every RRset of the name), AA; SRV and NS answers carry the
//     targets' A/AAAA records in the additional section when they are in the zone.
// Size limits: UDP answers fit 512 bytes, or with EDNS0 the client's advertised size capped at
// max_udp_payload; TCP answers 65,535. Whole RRsets that do not fit are dropped with TC set
// (see libs/dns/writer.h). A query with EDNS0 gets an OPT record back (our payload size, the
// DO bit echoed). RD is echoed; RA is set as configured.
//
// Thread-compatible: a Responder holds a reusable writer; use one per thread.

#include <cstdint>
#include <vector>

#include "absl/types/span.h"
#include "libs/dns/writer.h"
#include "services/mesos-dns/core/record_set.h"

namespace dcos::dns::core {

struct ResponderOptions {
  // Names outside the domain are handed back for forwarding (`externalon`); else REFUSED.
  bool forwarding_enabled = true;
  // RA in answers (`recurseon`).
  bool recursion_available = true;
  // TC on answers that had to be cut (`SetTruncateBit`).
  bool set_truncate_bit = true;
  // Our EDNS0 UDP payload size: advertised, and the most a UDP answer may take (1232: the
  // DNS flag day 2020 value that avoids IP fragmentation).
  uint16_t max_udp_payload = 1232;
};

enum class Transport { kUdp, kTcp };

enum class Disposition {
  kReply,    // `out` holds the response
  kForward,  // a name outside the domain: forward the query upstream (out untouched)
  kDrop,     // nothing to send
};

struct Outcome {
  Disposition disposition = Disposition::kDrop;
  Rcode rcode = Rcode::kNoError;  // of the reply
  bool has_question = false;      // the query had exactly one question, of type qtype
  RRType qtype = RRType::kA;
  bool truncated = false;
};

class Responder {
 public:
  explicit Responder(ResponderOptions options) : options_(options) {}

  // Answers `packet`. `rotate` picks where each answer RRset starts (round robin over the
  // records of a name; pass e.g. a per-thread counter).
  Outcome Answer(const RecordSet& records, absl::Span<const uint8_t> packet, Transport transport,
                 uint32_t rotate, std::vector<uint8_t>* out);

  // A response with only a header, the question and `rcode` (e.g. SERVFAIL when every upstream
  // failed for a forwarded query). `query` is the parsed query.
  void AnswerWithError(const Message& query, Rcode rcode, Transport transport,
                       std::vector<uint8_t>* out);

  const ResponderOptions& options() const { return options_; }

 private:
  // Starts the response to `query` (one question echoed when `echo_question`).
  void Begin(const Message& query, Rcode rcode, Transport transport, bool echo_question,
             std::vector<uint8_t>* out, bool authoritative = false);

  ResponderOptions options_;
  MessageWriter writer_;
};

}  // namespace dcos::dns::core
