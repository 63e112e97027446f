#pragma once

// A domain name: a sequence of labels kept in uncompressed wire form. Case is preserved as
// given; comparison and hashing ignore ASCII case (RFC 4343), so a Name can key a hash map that
// answers "WEB.Marathon.mesos" and "web.marathon.mesos" alike. Labels may hold any byte (RFC 2181
// §11); only the lengths are limited: 1..63 bytes a label, 255 bytes the whole wire form.
//
// A value type: copyable, movable, immutable once built (every "modifier" returns a new Name).
// Thread-compatible.

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace dcos::dns {

class Name {
 public:
  // The root name ".".
  Name();

  // Parses presentation form: labels separated by '.', an optional final '.', "." alone for the
  // root. "\." and "\\" escape a dot or backslash, "\DDD" (three decimal digits) any byte.
  // InvalidArgument: empty text, empty label ("a..b", ".a"), label over 63 bytes, name over 255
  // bytes in wire form, a bad escape.
  static absl::StatusOr<Name> FromText(absl::string_view text);

  // Takes an uncompressed wire form (length-prefixed labels ending with a zero byte), exactly.
  // InvalidArgument: anything else (compression pointers, trailing bytes, limits exceeded).
  static absl::StatusOr<Name> FromWire(absl::string_view wire);

  // Builds from labels, most specific first. InvalidArgument as for FromText.
  static absl::StatusOr<Name> FromLabels(const std::vector<absl::string_view>& labels);

  // The uncompressed wire form, with the terminating zero byte (1..255 bytes).
  absl::string_view wire() const { return wire_; }
  size_t label_count() const { return label_count_; }
  bool IsRoot() const { return label_count_ == 0; }

  // The labels, most specific first.
  std::vector<absl::string_view> labels() const;
  // Label `i` (0 = leftmost). Precondition: i < label_count().
  absl::string_view label(size_t i) const;

  // Absolute presentation form with the final dot ("web.marathon.mesos."; "." for the root),
  // escaping '.', '\' and bytes outside printable ASCII so that FromText reads it back.
  std::string ToText() const;

  // True if this name is `zone` or below it (case-insensitive). Every name is below the root.
  bool IsSubdomainOf(const Name& zone) const;

  // The name without its leftmost label. Precondition: !IsRoot().
  Name Parent() const;
  // The name with its `n` leftmost labels removed. Precondition: n <= label_count().
  Name Suffix(size_t n) const;

  // `label` + "." + this. InvalidArgument if the label is empty, over 63 bytes, or the result is
  // over 255 bytes.
  absl::StatusOr<Name> Child(absl::string_view label) const;

  // A copy with ASCII letters lower-cased.
  Name Lowercased() const;

  // Case-insensitive (ASCII) equality.
  friend bool operator==(const Name& a, const Name& b);
  friend bool operator!=(const Name& a, const Name& b) { return !(a == b); }

  // Consistent with operator==: equal names hash alike whatever their case.
  template <typename H>
  friend H AbslHashValue(H h, const Name& name) {
    char lower[kBufferSize];
    size_t n = name.LowerInto(lower);
    return H::combine(H::combine_contiguous(std::move(h), lower, n), n);
  }

 private:
  static constexpr size_t kBufferSize = 256;

  Name(std::string wire, uint8_t label_count) : wire_(std::move(wire)), label_count_(label_count) {}
  // Writes the lower-cased wire form into `out` (at least 255 bytes); returns its length.
  size_t LowerInto(char* out) const;
  // Byte offset of label `i`'s length byte in wire_.
  size_t LabelOffset(size_t i) const;

  std::string wire_;
  uint8_t label_count_ = 0;
};

// ASCII lower-casing of one byte (no locale).
inline char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

// Case-insensitive equality of two byte strings.
bool EqualsIgnoreCase(absl::string_view a, absl::string_view b);

}  // namespace dcos::dns
