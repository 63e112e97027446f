#include "libs/dns/name.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "libs/dns/types.h"

namespace dcos::dns {
namespace {

absl::Status CheckLabel(absl::string_view label) {
  if (label.empty()) return absl::InvalidArgumentError("empty label");
  if (label.size() > kMaxLabelLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("label of ", label.size(), " bytes (limit ", kMaxLabelLength, ")"));
  }
  return absl::OkStatus();
}

// Appends one label to a wire form under construction (without the final zero byte).
absl::Status AppendLabel(std::string& wire, absl::string_view label) {
  if (absl::Status s = CheckLabel(label); !s.ok()) return s;
  // +1 length byte, +1 for the terminating zero byte still to come.
  if (wire.size() + 1 + label.size() + 1 > kMaxNameWireLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("name longer than ", kMaxNameWireLength, " bytes in wire form"));
  }
  wire.push_back(static_cast<char>(label.size()));
  wire.append(label.data(), label.size());
  return absl::OkStatus();
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

bool EqualsIgnoreCase(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

Name::Name() : wire_(1, '\0') {}

absl::StatusOr<Name> Name::FromText(absl::string_view text) {
  if (text.empty()) return absl::InvalidArgumentError("empty name");
  if (text == ".") return Name();
  auto error = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("name \"", text, "\": ", why));
  };
  std::string wire;
  std::string label;
  uint8_t count = 0;
  bool after_separator = false;  // the last thing read was an unescaped '.'
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    after_separator = false;
    if (c == '.') {
      if (absl::Status s = AppendLabel(wire, label); !s.ok()) return error(s.message());
      ++count;
      label.clear();
      after_separator = true;
      ++i;
    } else if (c != '\\') {
      label.push_back(c);
      ++i;
    } else if (i + 1 >= text.size()) {
      return error("dangling '\\'");
    } else if (!IsDigit(text[i + 1])) {
      label.push_back(text[i + 1]);
      i += 2;
    } else {
      if (i + 3 >= text.size() || !IsDigit(text[i + 2]) ||
          !IsDigit(text[i + 3])) {
        return error("bad \\DDD escape");
      }
      int v = (text[i + 1] - '0') * 100 + (text[i + 2] - '0') * 10 + (text[i + 3] - '0');
      if (v > 255) return error("\\DDD escape over 255");
      label.push_back(static_cast<char>(v));
      i += 4;
    }
  }
  if (!after_separator) {
    if (absl::Status s = AppendLabel(wire, label); !s.ok()) return error(s.message());
    ++count;
  }
  wire.push_back('\0');
  return Name(std::move(wire), count);
}

absl::StatusOr<Name> Name::FromWire(absl::string_view wire) {
  size_t pos = 0;
  uint8_t count = 0;
  while (true) {
    if (pos >= wire.size()) return absl::InvalidArgumentError("name: missing final zero byte");
    uint8_t len = static_cast<uint8_t>(wire[pos]);
    if (len == 0) break;
    if (len > kMaxLabelLength) {
      return absl::InvalidArgumentError(absl::StrCat("name: label length byte 0x",
                                                     absl::Hex(len), " (pointer or >63)"));
    }
    pos += 1 + len;
    ++count;
  }
  if (pos + 1 != wire.size()) return absl::InvalidArgumentError("name: trailing bytes");
  if (wire.size() > kMaxNameWireLength) {
    return absl::InvalidArgumentError(absl::StrCat("name longer than ", kMaxNameWireLength,
                                                   " bytes in wire form"));
  }
  return Name(std::string(wire), count);
}

absl::StatusOr<Name> Name::FromLabels(const std::vector<absl::string_view>& labels) {
  std::string wire;
  for (absl::string_view l : labels) {
    if (absl::Status s = AppendLabel(wire, l); !s.ok()) return s;
  }
  wire.push_back('\0');
  return Name(std::move(wire), static_cast<uint8_t>(labels.size()));
}

size_t Name::LabelOffset(size_t i) const {
  size_t pos = 0;
  for (size_t k = 0; k < i; ++k) pos += 1 + static_cast<uint8_t>(wire_[pos]);
  return pos;
}

absl::string_view Name::label(size_t i) const {
  size_t pos = LabelOffset(i);
  return absl::string_view(wire_).substr(pos + 1, static_cast<uint8_t>(wire_[pos]));
}

std::vector<absl::string_view> Name::labels() const {
  std::vector<absl::string_view> out;
  out.reserve(label_count_);
  size_t pos = 0;
  for (size_t k = 0; k < label_count_; ++k) {
    uint8_t len = static_cast<uint8_t>(wire_[pos]);
    out.push_back(absl::string_view(wire_).substr(pos + 1, len));
    pos += 1 + len;
  }
  return out;
}

std::string Name::ToText() const {
  if (IsRoot()) return ".";
  std::string out;
  out.reserve(wire_.size() + 8);
  for (absl::string_view l : labels()) {
    for (char c : l) {
      unsigned char u = static_cast<unsigned char>(c);
      if (c == '.' || c == '\\') {
        out.push_back('\\');
        out.push_back(c);
      } else if (u <= 0x20 || u >= 0x7f) {
        out.push_back('\\');
        out.push_back(static_cast<char>('0' + u / 100));
        out.push_back(static_cast<char>('0' + (u / 10) % 10));
        out.push_back(static_cast<char>('0' + u % 10));
      } else {
        out.push_back(c);
      }
    }
    out.push_back('.');
  }
  return out;
}

bool Name::IsSubdomainOf(const Name& zone) const {
  if (zone.label_count_ > label_count_) return false;
  absl::string_view tail = absl::string_view(wire_).substr(LabelOffset(label_count_ -
                                                                       zone.label_count_));
  return EqualsIgnoreCase(tail, zone.wire_);
}

Name Name::Parent() const { return Suffix(1); }

Name Name::Suffix(size_t n) const {
  return Name(wire_.substr(LabelOffset(n)), static_cast<uint8_t>(label_count_ - n));
}

absl::StatusOr<Name> Name::Child(absl::string_view label) const {
  if (absl::Status s = CheckLabel(label); !s.ok()) return s;
  if (wire_.size() + 1 + label.size() > kMaxNameWireLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("name longer than ", kMaxNameWireLength, " bytes in wire form"));
  }
  std::string wire;
  wire.reserve(wire_.size() + 1 + label.size());
  wire.push_back(static_cast<char>(label.size()));
  wire.append(label.data(), label.size());
  wire.append(wire_);
  return Name(std::move(wire), static_cast<uint8_t>(label_count_ + 1));
}

Name Name::Lowercased() const {
  std::string lower(wire_);
  for (char& c : lower) c = AsciiLower(c);
  return Name(std::move(lower), label_count_);
}

size_t Name::LowerInto(char* out) const {
  // Length bytes (0..63) are never ASCII letters, so the whole wire form lower-cases safely.
  for (size_t i = 0; i < wire_.size(); ++i) out[i] = AsciiLower(wire_[i]);
  return wire_.size();
}

bool operator==(const Name& a, const Name& b) {
  return a.label_count_ == b.label_count_ && EqualsIgnoreCase(a.wire_, b.wire_);
}

}  // namespace dcos::dns
