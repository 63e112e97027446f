#pragma once

// Little-endian fixed-width encoding, a bounds-checked reader and a CRC-32, for the snapshot
// formats of the zk core (sessions_snapshot.cc). Internal to this package.

#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>

#include "absl/strings/string_view.h"

namespace dcos::zk::codec {

template <typename T>
void Put(T v, std::string* out) {
  using U = std::make_unsigned_t<T>;
  U u = static_cast<U>(v);
  char buf[sizeof(T)];
  for (size_t i = 0; i < sizeof(T); ++i) buf[i] = static_cast<char>((u >> (8 * i)) & 0xff);
  out->append(buf, sizeof(T));
}

inline void PutBytes(absl::string_view bytes, std::string* out) {
  Put<uint32_t>(static_cast<uint32_t>(bytes.size()), out);
  out->append(bytes.data(), bytes.size());
}

inline uint32_t Crc32(absl::string_view bytes) {
  return static_cast<uint32_t>(
      crc32_z(0L, reinterpret_cast<const Bytef*>(bytes.data()), bytes.size()));
}

// Reads fixed-width integers; every getter returns false (and reads nothing) at the end of
// input.
class Reader {
 public:
  explicit Reader(absl::string_view in) : in_(in) {}

  template <typename T>
  bool Get(T* v) {
    using U = std::make_unsigned_t<T>;
    if (in_.size() - pos_ < sizeof(T)) return false;
    U u = 0;
    for (size_t i = 0; i < sizeof(T); ++i) {
      u |= static_cast<U>(static_cast<uint8_t>(in_[pos_ + i])) << (8 * i);
    }
    pos_ += sizeof(T);
    *v = static_cast<T>(u);
    return true;
  }

  // A length-prefixed byte string (PutBytes); false when it runs past the end.
  bool GetBytes(absl::string_view* bytes) {
    uint32_t len;
    if (!Get(&len) || in_.size() - pos_ < len) return false;
    *bytes = in_.substr(pos_, len);
    pos_ += len;
    return true;
  }

  size_t remaining() const { return in_.size() - pos_; }

 private:
  absl::string_view in_;
  size_t pos_ = 0;
};

}  // namespace dcos::zk::codec
