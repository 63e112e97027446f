#include "services/mesos-dns/core/relay.h"

#include <algorithm>

#include "libs/dns/parser.h"

namespace dcos::dns::core {
namespace {

size_t ClientLimit(const Message& query, Transport transport, const ResponderOptions& options) {
  if (transport == Transport::kTcp) return kMaxMessageSize;
  if (!query.edns) return kMaxUdpNoEdns;
  return std::clamp<size_t>(query.edns->udp_payload_size, kMaxUdpNoEdns,
                            std::max<size_t>(options.max_udp_payload, kMaxUdpNoEdns));
}

}  // namespace

Rcode RelayUpstreamAnswer(absl::Span<const uint8_t> query_packet,
                          const absl::StatusOr<std::vector<uint8_t>>& upstream,
                          Transport transport, const ResponderOptions& options,
                          std::vector<uint8_t>* out) {
  absl::StatusOr<Message> query = ParseMessage(query_packet);
  if (!query.ok() || query->questions.size() != 1) {
    // Cannot happen for a query the Responder forwarded: FORMERR, or nothing without a header.
    out->clear();
    absl::StatusOr<WireHeader> header = ParseHeader(query_packet);
    if (!header.ok()) return Rcode::kFormErr;
    Message formerr;
    formerr.header = header->header;
    formerr.header.qr = true;
    formerr.header.rcode = Rcode::kFormErr;
    *out = *Encode(formerr);
    return Rcode::kFormErr;
  }
  Responder responder(options);
  auto servfail = [&]() {
    responder.AnswerWithError(*query, Rcode::kServFail, transport, out);
    return Rcode::kServFail;
  };
  if (!upstream.ok()) return servfail();
  absl::StatusOr<Message> answer = ParseMessage(*upstream);
  if (!answer.ok() || !answer->header.qr || answer->questions.size() != 1 ||
      answer->questions[0].name != query->questions[0].name ||
      answer->questions[0].type != query->questions[0].type ||
      answer->questions[0].klass != query->questions[0].klass) {
    return servfail();
  }
  const size_t limit = ClientLimit(*query, transport, options);
  if (upstream->size() <= limit && answer->edns.has_value() == query->edns.has_value()) {
    // As received, with the client's ID.
    out->assign(upstream->begin(), upstream->end());
    (*out)[0] = query_packet[0];
    (*out)[1] = query_packet[1];
    return answer->header.rcode;
  }
  // Re-encode: the client's ID and question spelling, our EDNS0 terms, cut to its limit.
  Message relayed = *std::move(answer);
  relayed.header.id = query->header.id;
  relayed.questions = query->questions;
  relayed.edns.reset();
  if (query->edns) relayed.edns = Edns{options.max_udp_payload, 0, query->edns->dnssec_ok, {}};
  if (static_cast<uint16_t>(relayed.header.rcode) > 0xF && !relayed.edns) return servfail();
  absl::StatusOr<std::vector<uint8_t>> wire =
      Encode(relayed, WriterOptions{limit, options.set_truncate_bit});
  if (!wire.ok()) return servfail();
  *out = *std::move(wire);
  return relayed.header.rcode;
}

}  // namespace dcos::dns::core
