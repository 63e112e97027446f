#include "services/mesos-dns/core/responder.h"

#include <algorithm>

#include "libs/dns/parser.h"

namespace dcos::dns::core {
namespace {

Header ResponseHeader(const Header& query, Rcode rcode, bool ra) {
  Header h;
  h.id = query.id;
  h.qr = true;
  h.opcode = query.opcode;
  h.rd = query.rd;
  h.cd = query.cd;
  h.ra = ra;
  h.rcode = rcode;
  return h;
}

}  // namespace

void Responder::Begin(const Message& query, Rcode rcode, Transport transport, bool echo_question,
                      std::vector<uint8_t>* out, bool authoritative) {
  Header header = ResponseHeader(query.header, rcode, options_.recursion_available);
  header.aa = authoritative;
  std::optional<Edns> edns;
  size_t limit = kMaxMessageSize;
  if (query.edns) {
    edns = Edns{options_.max_udp_payload, 0, query.edns->dnssec_ok, {}};
  }
  if (transport == Transport::kUdp) {
    limit = query.edns ? std::clamp<size_t>(query.edns->udp_payload_size, kMaxUdpNoEdns,
                                            std::max<size_t>(options_.max_udp_payload,
                                                             kMaxUdpNoEdns))
                       : kMaxUdpNoEdns;
  }
  writer_.Start(header, WriterOptions{limit, options_.set_truncate_bit}, edns, out);
  if (echo_question && query.questions.size() == 1) writer_.AddQuestion(query.questions[0]);
}

void Responder::AnswerWithError(const Message& query, Rcode rcode, Transport transport,
                                std::vector<uint8_t>* out) {
  Begin(query, rcode, transport, /*echo_question=*/true, out);
  writer_.Finish();
}

Outcome Responder::Answer(const RecordSet& records, absl::Span<const uint8_t> packet,
                          Transport transport, uint32_t rotate, std::vector<uint8_t>* out) {
  Outcome outcome;
  absl::StatusOr<WireHeader> wire_header = ParseHeader(packet);
  if (!wire_header.ok() || wire_header->header.qr) return outcome;  // kDrop

  auto reply = [&](Rcode rcode) {
    outcome.disposition = Disposition::kReply;
    outcome.rcode = rcode;
    outcome.truncated = writer_.truncated();
    writer_.Finish();
    return outcome;
  };

  absl::StatusOr<Message> parsed = ParseMessage(packet);
  if (!parsed.ok()) {
    Message query;
    query.header = wire_header->header;
    Begin(query, Rcode::kFormErr, transport, /*echo_question=*/false, out);
    return reply(Rcode::kFormErr);
  }
  const Message& query = *parsed;
  if (query.questions.size() == 1) {
    outcome.has_question = true;
    outcome.qtype = query.questions[0].type;
  }

  if (query.header.opcode != Opcode::kQuery) {
    Begin(query, Rcode::kNotImp, transport, /*echo_question=*/true, out);
    return reply(Rcode::kNotImp);
  }
  if (query.edns && query.edns->version > 0) {
    Begin(query, Rcode::kBadVers, transport, /*echo_question=*/true, out);
    return reply(Rcode::kBadVers);
  }
  if (query.questions.size() != 1 || query.questions[0].type == RRType::kOPT) {
    Begin(query, Rcode::kFormErr, transport, /*echo_question=*/true, out);
    return reply(Rcode::kFormErr);
  }
  const Question& question = query.questions[0];
  if ((question.klass != RRClass::kIN && question.klass != RRClass::kANY) ||
      question.type == RRType::kAXFR || question.type == RRType::kIXFR) {
    Begin(query, Rcode::kRefused, transport, /*echo_question=*/true, out);
    return reply(Rcode::kRefused);
  }
  if (!records.InZone(question.name)) {
    if (options_.forwarding_enabled) {
      outcome.disposition = Disposition::kForward;
      return outcome;
    }
    Begin(query, Rcode::kRefused, transport, /*echo_question=*/true, out);
    return reply(Rcode::kRefused);
  }

  const NameEntry* entry = records.Lookup(question.name);
  const Rcode rcode = entry == nullptr ? Rcode::kNXDomain : Rcode::kNoError;
  Begin(query, rcode, transport, /*echo_question=*/true, out, /*authoritative=*/true);
  bool answered = false;
  if (entry != nullptr) {
    for (const RRset& set : entry->rrsets) {
      if (question.type != RRType::kANY && set.type != question.type) continue;
      writer_.AddRRset(Section::kAnswer, set, rotate);
      answered = true;
    }
  }
  if (!answered) {
    writer_.AddRRset(Section::kAuthority, records.negative_soa());
  } else if (question.type == RRType::kSRV || question.type == RRType::kNS) {
    for (const RRset& set : entry->additional) writer_.AddRRset(Section::kAdditional, set);
  }
  return reply(rcode);
}

}  // namespace dcos::dns::core
