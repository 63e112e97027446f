#include "libs/dns/parser.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/status/status_macros.h"

namespace dcos::dns {
namespace {

absl::Status Malformed(absl::string_view what, size_t offset) {
  return absl::InvalidArgumentError(absl::StrCat(what, " at offset ", offset));
}

// Sequential, bounds-checked reads from a packet.
class Reader {
 public:
  explicit Reader(absl::Span<const uint8_t> packet) : packet_(packet) {}

  size_t pos() const { return pos_; }
  void set_pos(size_t pos) { pos_ = pos; }
  size_t remaining() const { return packet_.size() - pos_; }
  absl::Span<const uint8_t> packet() const { return packet_; }

  absl::Status Need(size_t n, absl::string_view what) const {
    if (remaining() < n) return Malformed(absl::StrCat("truncated ", what), pos_);
    return absl::OkStatus();
  }
  // Callers check Need() first.
  uint8_t U8() { return packet_[pos_++]; }
  uint16_t U16() {
    uint16_t v = static_cast<uint16_t>((packet_[pos_] << 8) | packet_[pos_ + 1]);
    pos_ += 2;
    return v;
  }
  uint32_t U32() {
    uint32_t v = (uint32_t{packet_[pos_]} << 24) | (uint32_t{packet_[pos_ + 1]} << 16) |
                 (uint32_t{packet_[pos_ + 2]} << 8) | uint32_t{packet_[pos_ + 3]};
    pos_ += 4;
    return v;
  }
  std::string Bytes(size_t n) {
    std::string s(reinterpret_cast<const char*>(packet_.data() + pos_), n);
    pos_ += n;
    return s;
  }

 private:
  absl::Span<const uint8_t> packet_;
  size_t pos_ = 0;
};

absl::StatusOr<Name> ReadName(Reader& r, size_t end) {
  size_t offset = r.pos();
  DCOS_ASSIGN_OR_RETURN(Name name, ParseName(r.packet(), &offset, end));
  r.set_pos(offset);
  return name;
}

// Record data of `type`, which occupies exactly [r.pos(), end).
absl::StatusOr<RData> ReadRData(Reader& r, RRType type, size_t end) {
  const size_t start = r.pos();
  const size_t length = end - start;
  auto exact_end = [&](absl::string_view what) -> absl::Status {
    if (r.pos() != end) return Malformed(absl::StrCat(what, " does not fill its RDLENGTH"), start);
    return absl::OkStatus();
  };
  switch (type) {
    case RRType::kA: {
      if (length != 4) return Malformed(absl::StrCat("A record with RDLENGTH ", length), start);
      AData a;
      for (uint8_t& b : a.address) b = r.U8();
      return a;
    }
    case RRType::kAAAA: {
      if (length != 16) {
        return Malformed(absl::StrCat("AAAA record with RDLENGTH ", length), start);
      }
      AaaaData a;
      for (uint8_t& b : a.address) b = r.U8();
      return a;
    }
    case RRType::kNS:
    case RRType::kCNAME:
    case RRType::kPTR: {
      DCOS_ASSIGN_OR_RETURN(Name name, ReadName(r, end));
      DCOS_RETURN_IF_ERROR(exact_end("name in RDATA"));
      return NameData{std::move(name)};
    }
    case RRType::kSOA: {
      SoaData soa;
      DCOS_ASSIGN_OR_RETURN(soa.mname, ReadName(r, end));
      DCOS_ASSIGN_OR_RETURN(soa.rname, ReadName(r, end));
      if (end - r.pos() != 20) return Malformed("SOA RDATA of the wrong length", start);
      soa.serial = r.U32();
      soa.refresh = r.U32();
      soa.retry = r.U32();
      soa.expire = r.U32();
      soa.minimum = r.U32();
      return soa;
    }
    case RRType::kSRV: {
      if (length < 7) return Malformed(absl::StrCat("SRV record with RDLENGTH ", length), start);
      SrvData srv;
      srv.priority = r.U16();
      srv.weight = r.U16();
      srv.port = r.U16();
      // RFC 2782 forbids compressing the target, but decoders accept it (RFC 3597 §4).
      DCOS_ASSIGN_OR_RETURN(srv.target, ReadName(r, end));
      DCOS_RETURN_IF_ERROR(exact_end("SRV target"));
      return srv;
    }
    default:
      return OpaqueData{r.Bytes(length)};
  }
}

absl::Status ReadEdns(Reader& r, const Name& owner, uint16_t klass, uint32_t ttl, size_t end,
                      size_t record_start, Message& m) {
  if (!owner.IsRoot()) return Malformed("OPT record with a non-root owner", record_start);
  if (m.edns.has_value()) return Malformed("second OPT record", record_start);
  Edns edns;
  edns.udp_payload_size = klass;
  uint16_t extended_rcode = static_cast<uint16_t>(ttl >> 24);
  edns.version = static_cast<uint8_t>((ttl >> 16) & 0xff);
  edns.dnssec_ok = (ttl & 0x8000) != 0;
  while (r.pos() < end) {
    if (end - r.pos() < 4) return Malformed("truncated EDNS option header", r.pos());
    EdnsOption option;
    option.code = r.U16();
    uint16_t length = r.U16();
    if (end - r.pos() < length) return Malformed("truncated EDNS option", r.pos());
    option.data = r.Bytes(length);
    edns.options.push_back(std::move(option));
  }
  m.header.rcode = static_cast<Rcode>((extended_rcode << 4) |
                                      static_cast<uint16_t>(m.header.rcode));
  m.edns = std::move(edns);
  return absl::OkStatus();
}

absl::Status ReadSection(Reader& r, Section section, uint16_t count, Message& m) {
  std::vector<ResourceRecord>& out = section == Section::kAnswer      ? m.answers
                                     : section == Section::kAuthority ? m.authority
                                                                      : m.additional;
  for (uint16_t i = 0; i < count; ++i) {
    const size_t record_start = r.pos();
    DCOS_ASSIGN_OR_RETURN(Name name, ReadName(r, r.packet().size()));
    DCOS_RETURN_IF_ERROR(r.Need(10, "record header"));
    RRType type = static_cast<RRType>(r.U16());
    uint16_t klass = r.U16();
    uint32_t ttl = r.U32();
    uint16_t rdlength = r.U16();
    DCOS_RETURN_IF_ERROR(r.Need(rdlength, "record data"));
    const size_t end = r.pos() + rdlength;
    if (type == RRType::kOPT) {
      if (section != Section::kAdditional) {
        return Malformed("OPT record outside the additional section", record_start);
      }
      DCOS_RETURN_IF_ERROR(ReadEdns(r, name, klass, ttl, end, record_start, m));
      continue;
    }
    DCOS_ASSIGN_OR_RETURN(RData data, ReadRData(r, type, end));
    out.push_back(ResourceRecord{std::move(name), type, static_cast<RRClass>(klass), ttl,
                                 std::move(data)});
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Name> ParseName(absl::Span<const uint8_t> packet, size_t* offset, size_t end) {
  const size_t start = *offset;
  if (end > packet.size()) end = packet.size();
  std::string wire;
  size_t pos = start;
  size_t bound = end;           // labels of the current run must end before this
  size_t run_start = start;     // where the current run of labels began
  size_t after_name = 0;        // first byte after the name's own bytes, once known
  int hops = 0;
  while (true) {
    if (pos >= bound) return Malformed("truncated name", pos);
    const uint8_t len = packet[pos];
    if ((len & 0xC0) == 0xC0) {
      if (pos + 1 >= bound) return Malformed("truncated compression pointer", pos);
      const size_t target = (size_t{len & 0x3Fu} << 8) | packet[pos + 1];
      if (after_name == 0) after_name = pos + 2;
      if (target >= run_start) {
        return Malformed("compression pointer not pointing backwards", pos);
      }
      if (target < kHeaderSize) return Malformed("compression pointer into the header", pos);
      if (++hops > kMaxCompressionHops) return Malformed("too many compression pointers", pos);
      run_start = target;
      pos = target;
      // Pointed-to names may run up to the end of the message, never into the current run.
      bound = packet.size();
      continue;
    }
    if ((len & 0xC0) != 0) return Malformed("reserved label type", pos);
    if (len == 0) {
      wire.push_back('\0');
      if (after_name == 0) after_name = pos + 1;
      break;
    }
    if (pos + 1 + len > bound) return Malformed("truncated label", pos);
    if (wire.size() + 1 + len + 1 > kMaxNameWireLength) {
      return Malformed("name longer than 255 bytes", start);
    }
    wire.append(reinterpret_cast<const char*>(packet.data() + pos), 1 + len);
    pos += 1 + len;
  }
  *offset = after_name;
  // The bytes are well-formed by construction; FromWire re-checks them cheaply.
  return Name::FromWire(wire);
}

absl::StatusOr<WireHeader> ParseHeader(absl::Span<const uint8_t> packet) {
  if (packet.size() < kHeaderSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("message of ", packet.size(), " bytes is shorter than a header"));
  }
  Reader r(packet);
  WireHeader w;
  w.header.id = r.U16();
  const uint16_t flags = r.U16();
  w.header.qr = (flags & 0x8000) != 0;
  w.header.opcode = static_cast<Opcode>((flags >> 11) & 0xF);
  w.header.aa = (flags & 0x0400) != 0;
  w.header.tc = (flags & 0x0200) != 0;
  w.header.rd = (flags & 0x0100) != 0;
  w.header.ra = (flags & 0x0080) != 0;
  w.header.ad = (flags & 0x0020) != 0;
  w.header.cd = (flags & 0x0010) != 0;
  w.header.rcode = static_cast<Rcode>(flags & 0xF);
  w.qdcount = r.U16();
  w.ancount = r.U16();
  w.nscount = r.U16();
  w.arcount = r.U16();
  return w;
}

absl::StatusOr<Message> ParseMessage(absl::Span<const uint8_t> packet) {
  DCOS_ASSIGN_OR_RETURN(WireHeader w, ParseHeader(packet));
  Message m;
  m.header = w.header;
  Reader r(packet);
  r.set_pos(kHeaderSize);
  for (uint16_t i = 0; i < w.qdcount; ++i) {
    Question q;
    DCOS_ASSIGN_OR_RETURN(q.name, ReadName(r, packet.size()));
    DCOS_RETURN_IF_ERROR(r.Need(4, "question"));
    q.type = static_cast<RRType>(r.U16());
    q.klass = static_cast<RRClass>(r.U16());
    m.questions.push_back(std::move(q));
  }
  DCOS_RETURN_IF_ERROR(ReadSection(r, Section::kAnswer, w.ancount, m));
  DCOS_RETURN_IF_ERROR(ReadSection(r, Section::kAuthority, w.nscount, m));
  DCOS_RETURN_IF_ERROR(ReadSection(r, Section::kAdditional, w.arcount, m));
  if (r.remaining() != 0) {
    return Malformed(absl::StrCat(r.remaining(), " trailing bytes"), r.pos());
  }
  return m;
}

}  // namespace dcos::dns
