#pragma once

// Reading DNS messages from the wire (RFC 1035 §4.1, RFC 6891 §6). Everything here treats its
// input as hostile: every read is bounds-checked, compression pointers must point strictly
// before the run of labels they end (which rules out loops and forward pointers) and are
// limited in number, names are limited to 255 bytes and labels to 63, record data must have
// exactly the length it claims, counts in the header are believed only as far as the bytes go,
// and trailing bytes after the last record are an error. Every malformed input yields
// InvalidArgument with a message naming what and where (byte offset); nothing reads outside the
// given span, and nothing allocates more than a small multiple of the input size.

#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "libs/dns/message.h"

namespace dcos::dns {

// The fixed 12-byte header with its four section counts.
struct WireHeader {
  Header header;  // rcode holds only the header's 4 bits
  uint16_t qdcount = 0;
  uint16_t ancount = 0;
  uint16_t nscount = 0;
  uint16_t arcount = 0;
};

// Most compression pointers followed while reading one name. A name has at most 127 labels, so
// a legitimate encoder never needs more than that.
inline constexpr int kMaxCompressionHops = 127;

// InvalidArgument if `packet` is shorter than 12 bytes.
absl::StatusOr<WireHeader> ParseHeader(absl::Span<const uint8_t> packet);

// The whole message: header, questions, the three record sections, and the OPT record (taken
// out of the additional section into Message::edns; its extended RCODE merged into
// header.rcode). InvalidArgument for anything malformed, including an OPT record outside the
// additional section, with a non-root owner, or more than one of them.
absl::StatusOr<Message> ParseMessage(absl::Span<const uint8_t> packet);

// Reads the possibly compressed name that starts at `*offset`, whose own (not pointed-to) bytes
// must end before `end` (<= packet.size()). On success advances `*offset` past those bytes.
absl::StatusOr<Name> ParseName(absl::Span<const uint8_t> packet, size_t* offset, size_t end);

}  // namespace dcos::dns
