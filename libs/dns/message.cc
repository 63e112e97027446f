#include "libs/dns/message.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace dcos::dns {
namespace {

std::string Ipv6Text(const std::array<uint8_t, 16>& a) {
  // Full form with zero groups shortened per group ("fd00:0:0:0:0:0:0:1"); enough for tests.
  std::string out;
  for (int g = 0; g < 8; ++g) {
    if (g > 0) out += ':';
    absl::StrAppend(&out, absl::Hex((a[2 * g] << 8) | a[2 * g + 1]));
  }
  return out;
}

struct TextVisitor {
  std::string operator()(const AData& d) const {
    return absl::StrCat(d.address[0], ".", d.address[1], ".", d.address[2], ".", d.address[3]);
  }
  std::string operator()(const AaaaData& d) const { return Ipv6Text(d.address); }
  std::string operator()(const NameData& d) const { return d.name.ToText(); }
  std::string operator()(const SoaData& d) const {
    return absl::StrCat(d.mname.ToText(), " ", d.rname.ToText(), " ", d.serial, " ", d.refresh,
                        " ", d.retry, " ", d.expire, " ", d.minimum);
  }
  std::string operator()(const SrvData& d) const {
    return absl::StrCat(d.priority, " ", d.weight, " ", d.port, " ", d.target.ToText());
  }
  std::string operator()(const OpaqueData& d) const {
    // RFC 3597 §5 generic form.
    return absl::StrCat("\\# ", d.bytes.size(), d.bytes.empty() ? "" : " ",
                        absl::BytesToHexString(d.bytes));
  }
};

std::string ClassText(RRClass c) {
  switch (c) {
    case RRClass::kIN: return "IN";
    case RRClass::kCH: return "CH";
    case RRClass::kNONE: return "NONE";
    case RRClass::kANY: return "ANY";
  }
  return absl::StrCat("CLASS", static_cast<uint16_t>(c));
}

void AppendSection(std::string& out, const char* title, const std::vector<ResourceRecord>& rrs) {
  if (rrs.empty()) return;
  absl::StrAppend(&out, ";; ", title, " SECTION:\n");
  for (const ResourceRecord& rr : rrs) absl::StrAppend(&out, RecordToText(rr), "\n");
}

}  // namespace

bool RDataMatchesType(const RData& data, RRType type) {
  switch (type) {
    case RRType::kA: return std::holds_alternative<AData>(data);
    case RRType::kAAAA: return std::holds_alternative<AaaaData>(data);
    case RRType::kNS:
    case RRType::kCNAME:
    case RRType::kPTR: return std::holds_alternative<NameData>(data);
    case RRType::kSOA: return std::holds_alternative<SoaData>(data);
    case RRType::kSRV: return std::holds_alternative<SrvData>(data);
    default: return std::holds_alternative<OpaqueData>(data);
  }
}

std::string RDataToText(const RData& data) { return std::visit(TextVisitor{}, data); }

std::string RecordToText(const ResourceRecord& record) {
  return absl::StrCat(record.name.ToText(), " ", record.ttl, " ", ClassText(record.klass), " ",
                      RRTypeName(record.type), " ", RDataToText(record.data));
}

std::string MessageToText(const Message& m) {
  const Header& h = m.header;
  std::string out = absl::StrFormat(
      ";; opcode: %d, status: %s, id: %d\n;; flags:%s%s%s%s%s%s%s; QUERY: %d, ANSWER: %d, "
      "AUTHORITY: %d, ADDITIONAL: %d\n",
      static_cast<int>(h.opcode), RcodeName(h.rcode), h.id, h.qr ? " qr" : "",
      h.aa ? " aa" : "", h.tc ? " tc" : "", h.rd ? " rd" : "", h.ra ? " ra" : "",
      h.ad ? " ad" : "", h.cd ? " cd" : "", m.questions.size(), m.answers.size(),
      m.authority.size(), m.additional.size() + (m.edns ? 1 : 0));
  if (m.edns) {
    absl::StrAppend(&out, ";; EDNS: version: ", m.edns->version,
                    ", flags:", m.edns->dnssec_ok ? " do" : "", "; udp: ",
                    m.edns->udp_payload_size, "; options: ", m.edns->options.size(), "\n");
  }
  if (!m.questions.empty()) {
    absl::StrAppend(&out, ";; QUESTION SECTION:\n");
    for (const Question& q : m.questions) {
      absl::StrAppend(&out, ";", q.name.ToText(), " ", ClassText(q.klass), " ",
                      RRTypeName(q.type), "\n");
    }
  }
  AppendSection(out, "ANSWER", m.answers);
  AppendSection(out, "AUTHORITY", m.authority);
  AppendSection(out, "ADDITIONAL", m.additional);
  return out;
}

std::vector<RRset> GroupIntoRRsets(const std::vector<ResourceRecord>& records) {
  std::vector<RRset> out;
  for (const ResourceRecord& rr : records) {
    if (out.empty() || out.back().type != rr.type || out.back().klass != rr.klass ||
        out.back().ttl != rr.ttl || out.back().name != rr.name) {
      out.push_back(RRset{rr.name, rr.type, rr.klass, rr.ttl, {}});
    }
    out.back().data.push_back(rr.data);
  }
  return out;
}

}  // namespace dcos::dns
