#pragma once

// The on-disk record format of FileLogStorage's write-ahead log (see README.md, "On-disk
// format"). Pure functions over byte strings: no I/O.
//
// A segment file is a sequence of frames, then zeros up to the segment's preallocated size.
// Each frame is one write followed by one fdatasync, so a crash can tear at most the last frame
// of the last segment.
//
//   frame  := header(16 bytes) payload(length bytes)
//   header := u32 header_crc   masked CRC-32 (zlib) of header bytes 4..15
//             u32 payload_crc  masked CRC-32 of the payload
//             u32 length       payload bytes
//             u8  type         RecordType
//             u8[3] zero
//   (all integers little-endian)
//
// The header has its own checksum so a scan for "is there any valid frame after this corrupt
// one" costs O(bytes), and an all-zero header (preallocated or zero-filled space) never passes.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "protos/raft/v1/raft.pb.h"

namespace dcos::raft::wal {

enum class RecordType : uint8_t {
  // First frame of every segment: magic, format version, the segment's sequence number, the
  // hard state current when the segment was started (so deleting older segments never loses
  // the latest hard state) and, from format version 2, the logical end of the previous segment
  // (so recovery can tell that segment's unused zeros from acknowledged frames that were lost).
  kSegmentHeader = 1,
  // One LogStorage::Append call: optional hard state, then entries.
  kBatch = 2,
  // A snapshot (index, term) replaced the whole log: every earlier entry is discarded. Written
  // when a saved snapshot conflicts with the log (see FileLogStorage::SaveSnapshot).
  kSnapshotMarker = 3,
};

inline constexpr size_t kFrameHeaderSize = 16;
// Frames longer than this are rejected when written and treated as corrupt when read.
inline constexpr uint32_t kMaxPayload = 1u << 30;

// LevelDB-style masked CRC: storing the CRC of data that itself contains CRCs is weak, and a
// zero CRC over zeros must not validate.
uint32_t MaskedCrc(absl::string_view data);
uint32_t Mask(uint32_t crc);
// zlib crc32 continuing from `crc` (0 to start).
uint32_t ExtendCrc(uint32_t crc, absl::string_view data);

// Fills the 16-byte header at `frame[0..16)` for the payload at `frame[16..)`.
void SealFrame(RecordType type, std::string* frame);

// Whole frames, ready to write.
// `previous_end`: the byte offset where the previous segment's last frame ends; none for the
// first segment of a log.
std::string EncodeSegmentHeader(uint64_t seq, const ::dcos::raft::v1::HardState* hard_state,
                                std::optional<uint64_t> previous_end);
// Serializes straight into the frame buffer (one allocation, no intermediate copies).
std::string EncodeBatch(const std::vector<::dcos::raft::v1::Entry>& entries,
                        const ::dcos::raft::v1::HardState* hard_state);
std::string EncodeSnapshotMarker(uint64_t index, uint64_t term);

struct Frame {
  RecordType type;
  uint64_t offset;  // of the header in the segment
  absl::string_view payload;
};

// Parses the frame at `offset`. Returns false (and why) if there is no complete valid frame
// there: short header, bad header checksum, unknown type, length past the end, bad payload
// checksum.
bool ParseFrame(absl::string_view data, uint64_t offset, Frame* frame, std::string* why);

// The offset of the first valid frame starting after `from`, if any.
std::optional<uint64_t> FindValidFrameAfter(absl::string_view data, uint64_t from);

// Result of checking one segment's frames.
struct SegmentScan {
  std::vector<Frame> frames;
  // Bytes up to the end of the last valid frame: the segment's logical end.
  uint64_t valid_end = 0;
  // Set when non-zero bytes follow valid_end and no valid frame follows them (a torn write).
  std::optional<std::string> torn_tail;
  // One past the last non-zero byte after valid_end; valid_end when the rest is all zero.
  uint64_t garbage_end = 0;
};

// Splits `data` (the content of segment `path`) into frames. After the last valid frame, bytes
// that are all zero are the preallocated end of the segment (in any segment). Otherwise: an
// invalid frame followed by a valid one is DATA_LOSS naming the path and offset; an invalid
// tail is `torn_tail` and is an error only when !is_last (a segment is left only after its last
// frame was synced and everything after it is zero).
absl::StatusOr<SegmentScan> ScanSegment(absl::string_view data, const std::string& path,
                                        bool is_last);

// One past the last non-zero byte of `data`, or 0 if it is all zero.
uint64_t NonZeroEnd(absl::string_view data);

// Payload decoders. Any malformation is DATA_LOSS (the checksum passed, so the writer wrote it).
struct SegmentHeader {
  uint64_t seq = 0;
  std::optional<::dcos::raft::v1::HardState> hard_state;
  // The previous segment's logical end; none for a first segment, and in format version 1
  // (which did not record it).
  std::optional<uint64_t> previous_end;
};
absl::StatusOr<SegmentHeader> DecodeSegmentHeader(absl::string_view payload);

struct Batch {
  std::optional<::dcos::raft::v1::HardState> hard_state;
  std::vector<::dcos::raft::v1::Entry> entries;
};
absl::StatusOr<Batch> DecodeBatch(absl::string_view payload);

struct SnapshotMarker {
  uint64_t index = 0;
  uint64_t term = 0;
};
absl::StatusOr<SnapshotMarker> DecodeSnapshotMarker(absl::string_view payload);

// Segment file names: 16 lowercase hex digits of the sequence number, ".wal".
std::string SegmentFileName(uint64_t seq);
bool ParseSegmentFileName(absl::string_view name, uint64_t* seq);

}  // namespace dcos::raft::wal
