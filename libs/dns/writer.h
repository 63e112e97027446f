#pragma once

// Writing DNS messages (RFC 1035 §4.1) with name compression (§4.1.4) and truncation to a size
// limit (RFC 2181 §9, RFC 6891 §7).
//
// Compression: every name written (owner names and the names inside NS, CNAME, PTR and SOA
// data) ends in a pointer to the longest suffix already in the message, matched without regard
// to ASCII case; the case of what is written is kept as given. SRV targets are written in full
// (RFC 2782 forbids compressing them) but later names may point into them.
//
// Truncation: RRsets are added whole or not at all. An answer or authority RRset that does not
// fit is dropped together with every later answer and authority RRset, and the TC bit is set
// (unless disabled: Mesos-DNS's SetTruncateBit). An additional-section RRset that does not fit
// is dropped without TC (RFC 2181 §9). Room for the OPT record is reserved from the start, so a
// truncated EDNS0 answer still carries it (RFC 6891 §7).
//
// MessageWriter is reusable (Start() keeps its buffers' capacity) and thread-compatible: one
// per thread.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "libs/dns/message.h"

namespace dcos::dns {

struct WriterOptions {
  // The most bytes the message may take; clamped to [512, 65535].
  size_t limit = kMaxUdpNoEdns;
  // Set TC when answer or authority RRsets were dropped.
  bool set_tc_on_truncation = true;
};

class MessageWriter {
 public:
  MessageWriter() = default;
  MessageWriter(const MessageWriter&) = delete;
  MessageWriter& operator=(const MessageWriter&) = delete;

  // Begins a message in `out` (cleared first). `header.rcode` above 15 needs `edns` (its high
  // bits travel in the OPT record); without it only the low 4 bits are written. The writer
  // keeps `out` until the next Start(); the caller keeps it alive until Finish().
  void Start(const Header& header, const WriterOptions& options, const std::optional<Edns>& edns,
             std::vector<uint8_t>* out);

  // Adds a question. False (nothing written, message marked truncated) if it does not fit,
  // which cannot happen for one question within the 512-byte minimum.
  bool AddQuestion(const Question& question);

  // Adds `rrset` to `section`. Sections must be filled in order (answer, authority, additional);
  // adding to an earlier section after a later one is a programming error and aborts. The
  // records are written starting at data[rotate % size] and wrapping around (a cheap round
  // robin over an immutable RRset). Returns whether it was written; see the class comment for
  // what happens when it does not fit. An RRset with no data writes nothing and returns true.
  bool AddRRset(Section section, const RRset& rrset, size_t rotate = 0);

  // True once an answer or authority RRset (or a question) has been dropped.
  bool truncated() const { return truncated_; }
  // Bytes written so far, without the reserved OPT record.
  size_t size() const { return out_ == nullptr ? 0 : out_->size(); }

  // Writes the section counts, the TC bit and the OPT record. The message is then complete in
  // the `out` given to Start(). Returns its size.
  size_t Finish();

 private:
  struct Suffix {
    uint64_t hash;    // of the lower-cased labels from here to the end
    uint16_t offset;  // where those labels start in the message
  };

  void WriteU8(uint8_t v) { out_->push_back(v); }
  void WriteU16(uint16_t v);
  void WriteU32(uint32_t v);
  // Returns where the name can be found in the message (for a pointer to it), or 0 if it
  // cannot be pointed at (the root, or past 16 KB).
  uint16_t WriteName(const Name& name, bool compress);
  // `owner`: where the owner name already is, or 0 to write it. Returns where it is.
  uint16_t WriteRecord(const RRset& rrset, const RData& data, uint16_t owner);
  void WriteRData(const RData& data);
  // Offset of an earlier copy of `name`'s labels [from, end) or 0 if none.
  uint16_t FindSuffix(const Name& name, const std::vector<size_t>& label_offsets, size_t from,
                      uint64_t hash) const;
  bool MatchesAt(size_t offset, const Name& name, const std::vector<size_t>& label_offsets,
                 size_t from) const;
  void Remember(uint64_t hash, size_t offset);
  void Forget(size_t keep);

  std::vector<uint8_t>* out_ = nullptr;
  WriterOptions options_;
  std::optional<Edns> edns_;
  size_t budget_ = 0;  // limit minus the OPT record's size
  bool truncated_ = false;
  uint8_t extended_rcode_ = 0;  // the RCODE's high 8 bits, for the OPT record
  int section_ = -1;  // the last section added to
  uint16_t counts_[4] = {0, 0, 0, 0};
  std::vector<Suffix> suffixes_;
  // hash -> index into suffixes_, built once suffixes_ grows past a linear scan's worth.
  absl::flat_hash_map<uint64_t, size_t> index_;
  std::vector<size_t> scratch_offsets_;
};

// The whole message at once: questions, then each section grouped into RRsets
// (GroupIntoRRsets), truncated to `options.limit`. The TC bit in the result is the one the
// writer decided; m.header.tc is ignored. InvalidArgument if header.rcode is over 15 without
// m.edns, or over 4095.
absl::StatusOr<std::vector<uint8_t>> Encode(const Message& m,
                                            const WriterOptions& options = WriterOptions{
                                                kMaxMessageSize, true});

}  // namespace dcos::dns
