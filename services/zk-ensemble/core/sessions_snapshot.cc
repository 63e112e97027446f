// SessionTable::Snapshot and SessionTable::Restore.
//
// Format 2 (written), all integers little-endian:
//   "DCZKSESS"               8-byte magic
//   u32 format_version       2
//   i64 max_created_id       the largest id ever created (0 if none)
//   u64 session_count
//   session_count records of 41 bytes, by ascending id:
//     i64 session_id
//     i64 timeout_ms
//     i64 last_heard_ms      milliseconds since the Unix epoch
//     u8  password_length    kSessionPasswordBytes, or 0: none recorded (accepts any)
//     16 bytes password      zeros when password_length is 0
//   u32 crc32                zlib CRC-32 of every byte before it
//
// Format 1 (still read): the same without password_length and password (24-byte records);
// its sessions have no password recorded.

#include <cstring>

#include "absl/strings/str_cat.h"
#include "services/zk-ensemble/core/sessions.h"
#include "services/zk-ensemble/core/snapshot_codec.h"

namespace dcos::zk {
namespace {

constexpr char kMagic[8] = {'D', 'C', 'Z', 'K', 'S', 'E', 'S', 'S'};
constexpr uint32_t kFormatV1 = 1;
constexpr uint32_t kFormatV2 = 2;
constexpr size_t kHeaderBytes = sizeof(kMagic) + 4 + 8 + 8;
constexpr size_t kV1RecordBytes = 3 * 8;
constexpr size_t kV2RecordBytes = kV1RecordBytes + 1 + kSessionPasswordBytes;

absl::Status Corrupt(absl::string_view why) {
  return absl::DataLossError(absl::StrCat("session table snapshot is corrupt: ", why));
}

// A format-2 record's password: `length` (0 or kSessionPasswordBytes) bytes of the
// kSessionPasswordBytes that follow; false if the length is neither or unused bytes are not
// zero (one table, one encoding).
bool ReadPassword(codec::Reader& in, uint8_t length, std::string* password) {
  char bytes[kSessionPasswordBytes];
  for (char& b : bytes) in.Get(&b);
  if (length == kSessionPasswordBytes) {
    password->assign(bytes, sizeof(bytes));
    return true;
  }
  password->clear();
  if (length != 0) return false;
  for (char b : bytes) {
    if (b != 0) return false;
  }
  return true;
}

}  // namespace

std::string SessionTable::Snapshot() const {
  std::string out(kMagic, sizeof(kMagic));
  out.reserve(kHeaderBytes + sessions_.size() * kV2RecordBytes + 4);
  codec::Put<uint32_t>(kFormatV2, &out);
  codec::Put<int64_t>(max_created_id_, &out);
  codec::Put<uint64_t>(sessions_.size(), &out);
  for (const auto& [id, s] : sessions_.by_id()) {
    codec::Put<int64_t>(id, &out);
    codec::Put<int64_t>(absl::ToInt64Milliseconds(s.timeout), &out);
    codec::Put<int64_t>(absl::ToUnixMillis(s.last_heard), &out);
    auto password = passwords_.find(id);
    if (password == passwords_.end()) {
      codec::Put<uint8_t>(0, &out);
      out.append(kSessionPasswordBytes, '\0');
    } else {
      codec::Put<uint8_t>(kSessionPasswordBytes, &out);
      out.append(password->second);
    }
  }
  codec::Put<uint32_t>(codec::Crc32(out), &out);
  return out;
}

absl::StatusOr<SessionTable> SessionTable::Restore(absl::string_view bytes,
                                                   SessionConfig config) {
  absl::StatusOr<SessionTable> made = New(config);
  if (!made.ok()) return made.status();
  SessionTable table = *std::move(made);

  if (bytes.size() < kHeaderBytes + 4) return Corrupt("truncated header");
  if (std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) return Corrupt("bad magic");
  absl::string_view body = bytes.substr(0, bytes.size() - 4);
  uint32_t stored_crc = 0;
  codec::Reader(bytes.substr(bytes.size() - 4)).Get(&stored_crc);
  codec::Reader in(body.substr(sizeof(kMagic)));
  uint32_t format = 0;
  int64_t max_created = 0;
  uint64_t count = 0;
  in.Get(&format);
  in.Get(&max_created);
  in.Get(&count);
  if (format != kFormatV1 && format != kFormatV2) {
    return absl::DataLossError(
        absl::StrCat("session table snapshot has unknown format version ", format));
  }
  if (codec::Crc32(body) != stored_crc) return Corrupt("checksum mismatch");
  if (max_created < 0) return Corrupt("negative max_created_id");
  const size_t record_bytes = format == kFormatV1 ? kV1RecordBytes : kV2RecordBytes;
  if (count > in.remaining() / record_bytes || in.remaining() != count * record_bytes) {
    return Corrupt(absl::StrCat("session count ", count, " does not match the size"));
  }
  table.max_created_id_ = max_created;
  int64_t previous = 0;
  for (uint64_t i = 0; i < count; ++i) {
    int64_t id = 0, timeout_ms = 0, last_heard_ms = 0;
    in.Get(&id);
    in.Get(&timeout_ms);
    in.Get(&last_heard_ms);
    std::string password;
    if (format == kFormatV2) {
      uint8_t length = 0;
      in.Get(&length);
      if (!ReadPassword(in, length, &password)) {
        return Corrupt(absl::StrCat("record ", i, ": bad password field"));
      }
    }
    if (id <= previous) return Corrupt(absl::StrCat("record ", i, ": ids not ascending"));
    if (id > max_created) {
      return Corrupt(absl::StrCat("record ", i, ": id above max_created_id"));
    }
    if (timeout_ms < 1 || timeout_ms > absl::ToInt64Milliseconds(kMaxSessionTimeoutLimit)) {
      return Corrupt(absl::StrCat("record ", i, ": timeout out of range"));
    }
    previous = id;
    table.sessions_.Put(id, SessionLiveness{absl::Milliseconds(timeout_ms),
                                            absl::FromUnixMillis(last_heard_ms)});
    if (!password.empty()) table.passwords_[id] = std::move(password);
  }
  return table;
}

}  // namespace dcos::zk
