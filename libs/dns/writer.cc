#include "libs/dns/writer.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace dcos::dns {
namespace {

constexpr uint64_t kFnvOffset = 1469598103934665603ull;
constexpr uint64_t kFnvPrime = 1099511628211ull;
// Past this many remembered suffixes, lookups go through a hash index instead of a scan.
constexpr size_t kIndexThreshold = 256;
// Offsets a compression pointer can hold (14 bits).
constexpr size_t kMaxPointerOffset = 0x3FFF;
// Root owner, TYPE, CLASS, TTL, RDLENGTH.
constexpr size_t kOptFixedSize = 11;

uint64_t HashLabel(uint64_t h, absl::string_view label) {
  h = (h ^ label.size()) * kFnvPrime;
  for (char c : label) h = (h ^ static_cast<uint8_t>(AsciiLower(c))) * kFnvPrime;
  return h;
}

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "dcos::dns::MessageWriter: %s\n", what);
  std::abort();
}

}  // namespace

void MessageWriter::WriteU16(uint16_t v) {
  out_->push_back(static_cast<uint8_t>(v >> 8));
  out_->push_back(static_cast<uint8_t>(v));
}

void MessageWriter::WriteU32(uint32_t v) {
  WriteU16(static_cast<uint16_t>(v >> 16));
  WriteU16(static_cast<uint16_t>(v));
}

void MessageWriter::Start(const Header& header, const WriterOptions& options,
                          const std::optional<Edns>& edns, std::vector<uint8_t>* out) {
  out_ = out;
  out_->clear();
  options_ = options;
  options_.limit = std::clamp(options_.limit, kMaxUdpNoEdns, kMaxMessageSize);
  edns_ = edns;
  size_t opt_size = 0;
  if (edns_) {
    opt_size = kOptFixedSize;
    for (const EdnsOption& o : edns_->options) opt_size += 4 + o.data.size();
  }
  budget_ = options_.limit > opt_size + kHeaderSize ? options_.limit - opt_size : kHeaderSize;
  truncated_ = false;
  section_ = -1;
  std::fill(std::begin(counts_), std::end(counts_), 0);
  suffixes_.clear();
  index_.clear();

  WriteU16(header.id);
  const uint16_t rcode = static_cast<uint16_t>(header.rcode);
  extended_rcode_ = static_cast<uint8_t>(rcode >> 4);
  uint16_t flags = static_cast<uint16_t>((static_cast<uint16_t>(header.opcode) & 0xF) << 11) |
                   (rcode & 0xF);
  if (header.qr) flags |= 0x8000;
  if (header.aa) flags |= 0x0400;
  if (header.tc) flags |= 0x0200;
  if (header.rd) flags |= 0x0100;
  if (header.ra) flags |= 0x0080;
  if (header.ad) flags |= 0x0020;
  if (header.cd) flags |= 0x0010;
  WriteU16(flags);
  for (int i = 0; i < 4; ++i) WriteU16(0);
}

bool MessageWriter::AddQuestion(const Question& question) {
  if (out_ == nullptr) Fail("AddQuestion before Start");
  if (section_ >= 0) Fail("question added after records");
  const size_t mark = out_->size();
  const size_t keep = suffixes_.size();
  WriteName(question.name, /*compress=*/true);
  WriteU16(static_cast<uint16_t>(question.type));
  WriteU16(static_cast<uint16_t>(question.klass));
  if (truncated_ || out_->size() > budget_) {
    out_->resize(mark);
    Forget(keep);
    truncated_ = true;
    return false;
  }
  ++counts_[0];
  return true;
}

bool MessageWriter::AddRRset(Section section, const RRset& rrset, size_t rotate) {
  if (out_ == nullptr) Fail("AddRRset before Start");
  const int s = static_cast<int>(section);
  if (s < section_) Fail("sections added out of order");
  section_ = s;
  const size_t n = rrset.data.size();
  if (n == 0) return true;
  if (truncated_) return false;
  const size_t mark = out_->size();
  const size_t keep = suffixes_.size();
  uint16_t owner = 0;  // where the owner name is in the message, once written
  for (size_t i = 0; i < n; ++i) {
    owner = WriteRecord(rrset, rrset.data[(rotate + i) % n], owner);
    if (out_->size() > budget_) {
      out_->resize(mark);
      Forget(keep);
      if (section != Section::kAdditional) truncated_ = true;
      return false;
    }
  }
  counts_[1 + s] = static_cast<uint16_t>(counts_[1 + s] + n);
  return true;
}

size_t MessageWriter::Finish() {
  if (out_ == nullptr) Fail("Finish before Start");
  std::vector<uint8_t>& b = *out_;
  if (truncated_ && options_.set_tc_on_truncation) b[2] |= 0x02;
  uint16_t arcount = counts_[3];
  if (edns_) ++arcount;
  for (int i = 0; i < 4; ++i) {
    const uint16_t c = i == 3 ? arcount : counts_[i];
    b[4 + 2 * i] = static_cast<uint8_t>(c >> 8);
    b[5 + 2 * i] = static_cast<uint8_t>(c);
  }
  if (edns_) {
    WriteU8(0);  // root owner
    WriteU16(static_cast<uint16_t>(RRType::kOPT));
    WriteU16(edns_->udp_payload_size);
    // The header's RCODE keeps the low 4 bits; Start() saw the full code.
    WriteU32((uint32_t{extended_rcode_} << 24) | (uint32_t{edns_->version} << 16) |
             (edns_->dnssec_ok ? 0x8000u : 0u));
    size_t rdlength = 0;
    for (const EdnsOption& o : edns_->options) rdlength += 4 + o.data.size();
    WriteU16(static_cast<uint16_t>(rdlength));
    for (const EdnsOption& o : edns_->options) {
      WriteU16(o.code);
      WriteU16(static_cast<uint16_t>(o.data.size()));
      b.insert(b.end(), o.data.begin(), o.data.end());
    }
  }
  return b.size();
}

uint16_t MessageWriter::WriteRecord(const RRset& rrset, const RData& data, uint16_t owner) {
  // Every record of an RRset has the same owner: after the first, point at it directly.
  if (owner != 0) {
    WriteU16(static_cast<uint16_t>(0xC000 | owner));
  } else {
    owner = WriteName(rrset.name, /*compress=*/true);
  }
  WriteU16(static_cast<uint16_t>(rrset.type));
  WriteU16(static_cast<uint16_t>(rrset.klass));
  WriteU32(rrset.ttl);
  const size_t length_at = out_->size();
  WriteU16(0);
  WriteRData(data);
  const size_t rdlength = out_->size() - length_at - 2;
  (*out_)[length_at] = static_cast<uint8_t>(rdlength >> 8);
  (*out_)[length_at + 1] = static_cast<uint8_t>(rdlength);
  return owner;
}

void MessageWriter::WriteRData(const RData& data) {
  if (const auto* a = std::get_if<AData>(&data)) {
    out_->insert(out_->end(), a->address.begin(), a->address.end());
  } else if (const auto* aaaa = std::get_if<AaaaData>(&data)) {
    out_->insert(out_->end(), aaaa->address.begin(), aaaa->address.end());
  } else if (const auto* name = std::get_if<NameData>(&data)) {
    WriteName(name->name, /*compress=*/true);
  } else if (const auto* soa = std::get_if<SoaData>(&data)) {
    WriteName(soa->mname, /*compress=*/true);
    WriteName(soa->rname, /*compress=*/true);
    WriteU32(soa->serial);
    WriteU32(soa->refresh);
    WriteU32(soa->retry);
    WriteU32(soa->expire);
    WriteU32(soa->minimum);
  } else if (const auto* srv = std::get_if<SrvData>(&data)) {
    WriteU16(srv->priority);
    WriteU16(srv->weight);
    WriteU16(srv->port);
    WriteName(srv->target, /*compress=*/false);
  } else if (const auto* opaque = std::get_if<OpaqueData>(&data)) {
    out_->insert(out_->end(), opaque->bytes.begin(), opaque->bytes.end());
  }
}

uint16_t MessageWriter::WriteName(const Name& name, bool compress) {
  const absl::string_view wire = name.wire();
  const size_t n = name.label_count();
  std::vector<size_t>& offsets = scratch_offsets_;
  offsets.clear();
  for (size_t pos = 0; wire[pos] != 0; pos += 1 + static_cast<uint8_t>(wire[pos])) {
    offsets.push_back(pos);
  }
  // hashes[i]: labels i..n-1, lower-cased. A name has at most 127 labels.
  uint64_t hashes[128];
  uint64_t h = kFnvOffset;
  for (size_t i = n; i-- > 0;) {
    h = HashLabel(h, wire.substr(offsets[i] + 1, static_cast<uint8_t>(wire[offsets[i]])));
    hashes[i] = h;
  }
  size_t matched = n;
  uint16_t pointer = 0;
  if (compress) {
    for (size_t i = 0; i < n; ++i) {
      pointer = FindSuffix(name, offsets, i, hashes[i]);
      if (pointer != 0) {
        matched = i;
        break;
      }
    }
  }
  const size_t start = out_->size();
  for (size_t i = 0; i < matched; ++i) {
    Remember(hashes[i], out_->size());
    const size_t len = static_cast<uint8_t>(wire[offsets[i]]);
    out_->insert(out_->end(), wire.begin() + offsets[i], wire.begin() + offsets[i] + 1 + len);
  }
  if (matched < n) {
    WriteU16(static_cast<uint16_t>(0xC000 | pointer));
  } else {
    WriteU8(0);
  }
  if (matched == 0 && n > 0) return pointer;
  // The root name (one zero byte) is not worth pointing at.
  return n > 0 && start <= kMaxPointerOffset ? static_cast<uint16_t>(start) : 0;
}

uint16_t MessageWriter::FindSuffix(const Name& name, const std::vector<size_t>& label_offsets,
                                   size_t from, uint64_t hash) const {
  if (!index_.empty()) {
    auto it = index_.find(hash);
    if (it == index_.end()) return 0;
    const Suffix& s = suffixes_[it->second];
    return MatchesAt(s.offset, name, label_offsets, from) ? s.offset : 0;
  }
  for (const Suffix& s : suffixes_) {
    if (s.hash == hash && MatchesAt(s.offset, name, label_offsets, from)) return s.offset;
  }
  return 0;
}

bool MessageWriter::MatchesAt(size_t offset, const Name& name,
                              const std::vector<size_t>& label_offsets, size_t from) const {
  // Everything in the buffer was written by this writer: labels are well-formed and pointers
  // point backwards, so this walk terminates within the buffer.
  const std::vector<uint8_t>& b = *out_;
  const absl::string_view wire = name.wire();
  size_t p = offset;
  for (size_t i = from; i <= label_offsets.size(); ++i) {
    while ((b[p] & 0xC0) == 0xC0) p = ((b[p] & 0x3F) << 8) | b[p + 1];
    if (i == label_offsets.size()) return b[p] == 0;
    const size_t len = static_cast<uint8_t>(wire[label_offsets[i]]);
    if (b[p] != len) return false;
    for (size_t k = 0; k < len; ++k) {
      if (AsciiLower(static_cast<char>(b[p + 1 + k])) !=
          AsciiLower(wire[label_offsets[i] + 1 + k])) {
        return false;
      }
    }
    p += 1 + len;
  }
  return false;
}

void MessageWriter::Remember(uint64_t hash, size_t offset) {
  if (offset > kMaxPointerOffset) return;
  suffixes_.push_back(Suffix{hash, static_cast<uint16_t>(offset)});
  if (!index_.empty()) {
    index_.emplace(hash, suffixes_.size() - 1);
  } else if (suffixes_.size() > kIndexThreshold) {
    for (size_t i = 0; i < suffixes_.size(); ++i) index_.emplace(suffixes_[i].hash, i);
  }
}

void MessageWriter::Forget(size_t keep) {
  if (!index_.empty()) {
    for (size_t i = keep; i < suffixes_.size(); ++i) {
      auto it = index_.find(suffixes_[i].hash);
      if (it != index_.end() && it->second == i) index_.erase(it);
    }
  }
  suffixes_.resize(keep);
}

absl::StatusOr<std::vector<uint8_t>> Encode(const Message& m, const WriterOptions& options) {
  const uint16_t rcode = static_cast<uint16_t>(m.header.rcode);
  if (rcode > 0xFFF) return absl::InvalidArgumentError(absl::StrCat("RCODE ", rcode, " > 4095"));
  if (rcode > 0xF && !m.edns) {
    return absl::InvalidArgumentError(absl::StrCat("RCODE ", rcode, " needs EDNS0"));
  }
  std::vector<uint8_t> out;
  MessageWriter w;
  Header header = m.header;
  header.tc = false;
  w.Start(header, options, m.edns, &out);
  for (const Question& q : m.questions) w.AddQuestion(q);
  const std::vector<ResourceRecord>* sections[] = {&m.answers, &m.authority, &m.additional};
  for (int s = 0; s < 3; ++s) {
    for (const RRset& rrset : GroupIntoRRsets(*sections[s])) {
      w.AddRRset(static_cast<Section>(s), rrset);
    }
  }
  w.Finish();
  return out;
}

}  // namespace dcos::dns
