#include "libs/raft/wal_format.h"

#include <zlib.h>

#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace dcos::raft::wal {
namespace {

using ::dcos::raft::v1::Entry;
using ::dcos::raft::v1::HardState;

constexpr uint32_t kMaskDelta = 0xa282ead8u;
constexpr char kSegmentMagic[8] = {'D', 'C', 'O', 'S', 'W', 'A', 'L', '1'};
// Version 2 added the previous segment's end to the segment header; version 1 segments (written
// before) are still read.
constexpr uint32_t kFormatVersion = 2;
constexpr uint32_t kOldestReadableVersion = 1;

void PutFixed32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
void PutFixed64(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
uint32_t GetFixed32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}
uint64_t GetFixed64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}

size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}
char* PutVarint(char* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}
// Reads a varint from `in`, advancing it. False if malformed or truncated.
bool GetVarint(absl::string_view* in, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift <= 63 && !in->empty(); shift += 7) {
    uint8_t byte = static_cast<uint8_t>((*in)[0]);
    in->remove_prefix(1);
    result |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return true;
    }
  }
  return false;
}

bool KnownType(uint8_t t) { return t >= 1 && t <= 3; }

// Reads a length-prefixed message from `in`.
template <typename Message>
bool GetMessage(absl::string_view* in, Message* msg) {
  uint64_t len;
  if (!GetVarint(in, &len) || len > in->size()) return false;
  if (!msg->ParseFromArray(in->data(), static_cast<int>(len))) return false;
  in->remove_prefix(len);
  return true;
}

}  // namespace

uint32_t ExtendCrc(uint32_t crc, absl::string_view data) {
  // zlib takes uInt lengths; feed large buffers in pieces.
  uLong c = crc;
  const Bytef* p = reinterpret_cast<const Bytef*>(data.data());
  size_t left = data.size();
  while (left > 0) {
    uInt n = static_cast<uInt>(std::min<size_t>(left, 1u << 30));
    c = crc32(c, p, n);
    p += n;
    left -= n;
  }
  return static_cast<uint32_t>(c);
}

uint32_t Mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + kMaskDelta; }

uint32_t MaskedCrc(absl::string_view data) { return Mask(ExtendCrc(0, data)); }

void SealFrame(RecordType type, std::string* frame) {
  char* h = frame->data();
  size_t length = frame->size() - kFrameHeaderSize;
  PutFixed32(h + 4, MaskedCrc(absl::string_view(h + kFrameHeaderSize, length)));
  PutFixed32(h + 8, static_cast<uint32_t>(length));
  h[12] = static_cast<char>(type);
  h[13] = h[14] = h[15] = 0;
  PutFixed32(h, MaskedCrc(absl::string_view(h + 4, 12)));
}

std::string EncodeSegmentHeader(uint64_t seq, const HardState* hard_state,
                                std::optional<uint64_t> previous_end) {
  size_t hs_size = hard_state == nullptr ? 0 : hard_state->ByteSizeLong();
  std::string frame(kFrameHeaderSize + 8 + 4 + 8 + 1 + VarintSize(hs_size) + hs_size + 1 + 8, '\0');
  char* p = frame.data() + kFrameHeaderSize;
  std::memcpy(p, kSegmentMagic, 8);
  PutFixed32(p + 8, kFormatVersion);
  PutFixed64(p + 12, seq);
  p[20] = hard_state == nullptr ? 0 : 1;
  p = PutVarint(p + 21, hs_size);
  if (hard_state != nullptr) hard_state->SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(p));
  p += hs_size;
  p[0] = previous_end.has_value() ? 1 : 0;
  PutFixed64(p + 1, previous_end.value_or(0));
  SealFrame(RecordType::kSegmentHeader, &frame);
  return frame;
}

std::string EncodeBatch(const std::vector<Entry>& entries, const HardState* hard_state) {
  size_t total = kFrameHeaderSize + 1;
  size_t hs_size = 0;
  if (hard_state != nullptr) {
    hs_size = hard_state->ByteSizeLong();
    total += VarintSize(hs_size) + hs_size;
  }
  for (const Entry& e : entries) {
    size_t n = e.ByteSizeLong();  // caches the size for SerializeWithCachedSizesToArray
    total += VarintSize(n) + n;
  }
  std::string frame(total, '\0');
  char* p = frame.data() + kFrameHeaderSize;
  *p++ = hard_state == nullptr ? 0 : 1;
  if (hard_state != nullptr) {
    p = PutVarint(p, hs_size);
    p = reinterpret_cast<char*>(
        hard_state->SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(p)));
  }
  for (const Entry& e : entries) {
    p = PutVarint(p, static_cast<uint64_t>(e.GetCachedSize()));
    p = reinterpret_cast<char*>(e.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(p)));
  }
  SealFrame(RecordType::kBatch, &frame);
  return frame;
}

std::string EncodeSnapshotMarker(uint64_t index, uint64_t term) {
  std::string frame(kFrameHeaderSize + 16, '\0');
  PutFixed64(frame.data() + kFrameHeaderSize, index);
  PutFixed64(frame.data() + kFrameHeaderSize + 8, term);
  SealFrame(RecordType::kSnapshotMarker, &frame);
  return frame;
}

bool ParseFrame(absl::string_view data, uint64_t offset, Frame* frame, std::string* why) {
  if (offset + kFrameHeaderSize > data.size()) {
    *why = absl::StrCat("incomplete frame header (", data.size() - offset, " bytes)");
    return false;
  }
  const char* h = data.data() + offset;
  if (GetFixed32(h) != MaskedCrc(absl::string_view(h + 4, 12))) {
    bool zeros = true;
    for (size_t i = 0; i < kFrameHeaderSize; ++i) zeros = zeros && h[i] == 0;
    *why = zeros ? "zero-filled space" : "frame header checksum mismatch";
    return false;
  }
  uint8_t type = static_cast<uint8_t>(h[12]);
  uint32_t length = GetFixed32(h + 8);
  if (!KnownType(type) || h[13] != 0 || h[14] != 0 || h[15] != 0 || length > kMaxPayload) {
    *why = absl::StrCat("invalid frame header (type ", type, ", length ", length, ")");
    return false;
  }
  if (offset + kFrameHeaderSize + length > data.size()) {
    *why = absl::StrCat("incomplete frame (", length, " byte payload, ",
                        data.size() - offset - kFrameHeaderSize, " present)");
    return false;
  }
  absl::string_view payload = data.substr(offset + kFrameHeaderSize, length);
  if (GetFixed32(h + 4) != MaskedCrc(payload)) {
    *why = "payload checksum mismatch";
    return false;
  }
  frame->type = static_cast<RecordType>(type);
  frame->offset = offset;
  frame->payload = payload;
  return true;
}

std::optional<uint64_t> FindValidFrameAfter(absl::string_view data, uint64_t from) {
  Frame frame;
  std::string why;
  for (uint64_t off = from + 1; off + kFrameHeaderSize <= data.size(); ++off) {
    const char* h = data.data() + off;
    // Cheap filters before any checksum: type byte and the three zero bytes.
    if (!KnownType(static_cast<uint8_t>(h[12])) || h[13] != 0 || h[14] != 0 || h[15] != 0) {
      continue;
    }
    if (ParseFrame(data, off, &frame, &why)) return off;
  }
  return std::nullopt;
}

absl::StatusOr<SegmentScan> ScanSegment(absl::string_view data, const std::string& path,
                                        bool is_last) {
  SegmentScan scan;
  uint64_t offset = 0;
  std::string why;
  while (offset < data.size()) {
    Frame frame;
    if (!ParseFrame(data, offset, &frame, &why)) {
      const uint64_t garbage_end = offset + NonZeroEnd(data.substr(offset));
      if (garbage_end == offset) break;  // the preallocated, still zero end of the segment
      scan.garbage_end = garbage_end;
      if (std::optional<uint64_t> next = FindValidFrameAfter(data, offset)) {
        return absl::DataLossError(absl::StrCat("raft log segment ", path, ": corrupt record at offset ",
                                                offset, " (", why, ") followed by a valid record at offset ",
                                                *next));
      }
      if (!is_last) {
        return absl::DataLossError(absl::StrCat("raft log segment ", path, ": corrupt record at offset ",
                                                offset, " (", why, ") in a segment that is not the last"));
      }
      scan.torn_tail = absl::StrCat(why, " at offset ", offset);
      break;
    }
    scan.frames.push_back(frame);
    offset += kFrameHeaderSize + frame.payload.size();
    scan.valid_end = offset;
    scan.garbage_end = offset;
  }
  return scan;
}

uint64_t NonZeroEnd(absl::string_view data) {
  size_t end = data.size();
  // Eight bytes at a time where aligned to the end; the zero check is most of a large segment.
  while (end >= 8) {
    uint64_t word;
    std::memcpy(&word, data.data() + end - 8, 8);
    if (word != 0) break;
    end -= 8;
  }
  while (end > 0 && data[end - 1] == 0) --end;
  return end;
}

absl::StatusOr<SegmentHeader> DecodeSegmentHeader(absl::string_view payload) {
  if (payload.size() < 21 || std::memcmp(payload.data(), kSegmentMagic, 8) != 0) {
    return absl::DataLossError("segment header: bad magic");
  }
  uint32_t version = GetFixed32(payload.data() + 8);
  if (version < kOldestReadableVersion || version > kFormatVersion) {
    return absl::DataLossError(absl::StrCat("segment header: unsupported format version ", version));
  }
  SegmentHeader header;
  header.seq = GetFixed64(payload.data() + 12);
  bool has_hs = payload[20] != 0;
  absl::string_view rest = payload.substr(21);
  HardState hs;
  if (!GetMessage(&rest, &hs)) return absl::DataLossError("segment header: malformed hard state");
  if (has_hs) header.hard_state = hs;
  if (version >= 2) {
    if (rest.size() != 9 || static_cast<uint8_t>(rest[0]) > 1) {
      return absl::DataLossError("segment header: malformed previous segment end");
    }
    if (rest[0] == 1) header.previous_end = GetFixed64(rest.data() + 1);
    rest.remove_prefix(9);
  }
  if (!rest.empty()) return absl::DataLossError("segment header: trailing bytes");
  return header;
}

absl::StatusOr<Batch> DecodeBatch(absl::string_view payload) {
  if (payload.empty()) return absl::DataLossError("batch: empty");
  Batch batch;
  bool has_hs = payload[0] != 0;
  payload.remove_prefix(1);
  if (has_hs) {
    HardState hs;
    if (!GetMessage(&payload, &hs)) return absl::DataLossError("batch: malformed hard state");
    batch.hard_state = hs;
  }
  while (!payload.empty()) {
    Entry e;
    if (!GetMessage(&payload, &e)) {
      return absl::DataLossError(absl::StrCat("batch: malformed entry #", batch.entries.size()));
    }
    batch.entries.push_back(std::move(e));
  }
  return batch;
}

absl::StatusOr<SnapshotMarker> DecodeSnapshotMarker(absl::string_view payload) {
  if (payload.size() != 16) return absl::DataLossError("snapshot marker: bad size");
  return SnapshotMarker{GetFixed64(payload.data()), GetFixed64(payload.data() + 8)};
}

std::string SegmentFileName(uint64_t seq) { return absl::StrFormat("%016x.wal", seq); }

bool ParseSegmentFileName(absl::string_view name, uint64_t* seq) {
  if (name.size() != 20 || name.substr(16) != ".wal") return false;
  for (char c : name.substr(0, 16)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return absl::SimpleHexAtoi(name.substr(0, 16), seq);
}

}  // namespace dcos::raft::wal
