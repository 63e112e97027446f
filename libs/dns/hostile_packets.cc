#include "libs/dns/hostile_packets.h"

namespace dcos::dns::testing {
namespace {

// Header and one question for "a." (at offset 12), then the given record counts.
PacketBuilder WithQuestion(uint16_t an, uint16_t ns, uint16_t ar) {
  PacketBuilder p;
  p.Header(1, 0x8000, 1, an, ns, ar).Labels({"a"}).U16(1).U16(1);
  return p;
}

PacketBuilder Headed(uint16_t qd) {
  PacketBuilder p;
  p.Header(1, 0, qd, 0, 0, 0);
  return p;
}

}  // namespace

PacketBuilder PointerChain(int records) {
  PacketBuilder p;
  p.Header(1, 0, 1, static_cast<uint16_t>(records), 0, 0).U8(0).U16(1).U16(1);
  uint16_t previous = 12;
  for (int i = 0; i < records; ++i) {
    const uint16_t here = static_cast<uint16_t>(p.size());
    p.Pointer(previous).RecordHeader(1, 1, 0, 4).U32(0);
    previous = here;
  }
  return p;
}

std::vector<HostilePacket> HostilePackets() {
  const std::string l63(63, 'a');
  std::vector<HostilePacket> out;
  auto add = [&out](std::string name, std::string what, const PacketBuilder& p,
                    std::string error) {
    out.push_back(HostilePacket{std::move(name), std::move(what), p.bytes(), std::move(error)});
  };
  PacketBuilder p;

  // Headers and questions.
  p = PacketBuilder();
  p.U16(1).U16(0).U16(1);
  add("short-header", "6 bytes", p, "shorter than a header");
  add("qdcount-lie", "QDCOUNT 2, one question",
      Headed(2).Labels({"a"}).U16(1).U16(1), "truncated name");
  p = PacketBuilder();
  p.Header(1, 0, 0xffff, 0xffff, 0xffff, 0xffff);
  add("huge-counts", "every count 65535, no body", p, "truncated name at offset 12");
  add("question-cut", "a question without its type and class",
      Headed(1).Labels({"a"}).U16(1), "truncated question");
  add("trailing-byte", "a byte after the last section",
      Headed(1).Labels({"a"}).U16(1).U16(1).U8(0), "1 trailing bytes");
  p = PacketBuilder();
  p.Header(1, 0, 1, 1, 0, 0).Labels({"a"}).U16(1).U16(1);
  add("ancount-lie", "ANCOUNT 1, no record", p, "truncated name");
  p = PacketBuilder();
  p.Header(0x4242, 0x0100, 1, 0, 0, 0).Labels({"web", "marathon"}, false);
  add("name-cut", "a question name without its end", p, "truncated name");

  // Names.
  add("pointer-self", "a pointer to itself", Headed(1).Pointer(12).U16(1).U16(1),
      "not pointing backwards");
  p = Headed(2).Labels({"a"}, false).Pointer(20).U16(1).U16(1);
  p.Labels({"b"}, false).Pointer(12).U16(1).U16(1);
  add("pointer-mutual", "two names pointing at each other", p, "not pointing backwards");
  add("pointer-loop", "a pointer back into the run of labels it ends",
      Headed(1).Labels({"a", "b"}, false).Pointer(14).U16(1).U16(1), "not pointing backwards");
  p = Headed(3).Labels({"x", "y"}).U16(1).U16(1).Pointer(14).U16(1).U16(1);
  const uint16_t third = static_cast<uint16_t>(p.size());
  p.Labels({"z"}, false).Pointer(third + 2).U16(1).U16(1);
  add("pointer-own-position", "a pointer to its own position after a valid pointer", p,
      "not pointing backwards");
  add("pointer-forward", "a pointer to a later name",
      Headed(1).Pointer(18).U16(1).U16(1).Labels({"a"}), "not pointing backwards");
  add("pointer-header", "a pointer into the header",
      Headed(1).Labels({"a"}, false).Pointer(4).U16(1).U16(1), "into the header");
  add("pointer-past-end", "a pointer past the end",
      Headed(1).Labels({"a"}, false).Pointer(0x3fff).U16(1).U16(1), "not pointing backwards");
  add("pointer-truncated", "half a pointer", Headed(1).Labels({"a"}, false).U8(0xC0),
      "truncated compression pointer");
  add("pointer-chain", "130 chained pointers", PointerChain(130),
      "too many compression pointers");
  add("label-truncated", "a label running past the end", Headed(1).U8(10).Bytes("abc"),
      "truncated label");
  add("label-64", "a 64-byte label (length byte 0x40, a reserved label type)",
      Headed(1).U8(64).Bytes(std::string(64, 'a')).U8(0).U16(1).U16(1), "reserved label type");
  add("label-type", "label type 10", Headed(1).U8(0x80).U8(0).U16(1).U16(1),
      "reserved label type");
  add("name-257", "a name of 257 bytes", Headed(1).Labels({l63, l63, l63, l63}).U16(1).U16(1),
      "longer than 255");
  p = Headed(2).Labels({l63, l63, l63}).U16(1).U16(1);
  p.Labels({l63}, false).Pointer(12).U16(1).U16(1);
  add("name-257-compressed", "a name over 255 bytes only through compression", p,
      "longer than 255");

  // Records.
  add("record-header", "a record header cut short", WithQuestion(1, 0, 0).Pointer(12).U16(1).U16(1),
      "truncated record header");
  add("rdata-truncated", "RDLENGTH beyond the packet",
      WithQuestion(1, 0, 0).Pointer(12).RecordHeader(1, 1, 0, 10).U32(0),
      "truncated record data");
  add("a-length", "an A record of 5 bytes",
      WithQuestion(1, 0, 0).Pointer(12).RecordHeader(1, 1, 0, 5).U32(0).U8(0),
      "A record with RDLENGTH 5");
  add("aaaa-length", "an AAAA record of 4 bytes",
      WithQuestion(1, 0, 0).Pointer(12).RecordHeader(28, 1, 0, 4).U32(0),
      "AAAA record with RDLENGTH 4");
  add("ns-overrun", "an NS name running past RDLENGTH",
      WithQuestion(1, 0, 0).Pointer(12).RecordHeader(2, 1, 0, 3).Labels({"abc"}),
      "truncated label");
  add("ns-short", "an NS name shorter than RDLENGTH",
      WithQuestion(1, 0, 0).Pointer(12).RecordHeader(2, 1, 0, 4).Pointer(12).U16(0),
      "does not fill its RDLENGTH");
  add("srv-short", "an SRV record shorter than its fixed part",
      WithQuestion(1, 0, 0).Pointer(12).RecordHeader(33, 1, 0, 6).U16(0).U16(0).U16(80),
      "SRV record with RDLENGTH 6");
  add("srv-target", "an SRV target past RDLENGTH",
      WithQuestion(1, 0, 0).Pointer(12).RecordHeader(33, 1, 0, 8).U16(0).U16(0).U16(80).Labels(
          {"x"}),
      "truncated name");
  add("soa-length", "an SOA record with 19 bytes of numbers",
      WithQuestion(1, 0, 0)
          .Pointer(12)
          .RecordHeader(6, 1, 0, 2 + 2 + 19)
          .Pointer(12)
          .Pointer(12)
          .Bytes(std::string(19, '\0')),
      "SOA RDATA of the wrong length");
  add("opt-in-answer", "an OPT record in the answer section",
      WithQuestion(1, 0, 0).U8(0).RecordHeader(41, 512, 0, 0),
      "OPT record outside the additional section");
  add("opt-twice", "two OPT records",
      WithQuestion(0, 0, 2).U8(0).RecordHeader(41, 512, 0, 0).U8(0).RecordHeader(41, 512, 0, 0),
      "second OPT record");
  add("opt-owner", "an OPT record with a non-root owner",
      WithQuestion(0, 0, 1).Pointer(12).RecordHeader(41, 512, 0, 0), "non-root owner");
  add("opt-option", "an EDNS option running past the OPT record",
      WithQuestion(0, 0, 1).U8(0).RecordHeader(41, 512, 0, 6).U16(10).U16(8).U16(0),
      "truncated EDNS option at");
  add("opt-option-header", "an EDNS option header cut short",
      WithQuestion(0, 0, 1).U8(0).RecordHeader(41, 512, 0, 2).U16(10),
      "truncated EDNS option header");
  return out;
}

}  // namespace dcos::dns::testing
