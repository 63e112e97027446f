#include "libs/raft/snapshot_file.h"

#include <cstring>
#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "libs/raft/wal_format.h"
#include "libs/status/status_macros.h"

namespace dcos::raft::snapshot_file {
namespace {

constexpr char kMagic[8] = {'D', 'C', 'O', 'S', 'S', 'N', 'P', '1'};
constexpr size_t kHeaderSize = 24;

bool ParseHex16(absl::string_view s, uint64_t* v) {
  if (s.size() != 16) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return absl::SimpleHexAtoi(s, v);
}

}  // namespace

std::string FileName(uint64_t index, uint64_t term) {
  return absl::StrFormat("%016x-%016x.snap", index, term);
}

bool ParseFileName(absl::string_view name, uint64_t* index, uint64_t* term) {
  if (name.size() != 38 || name[16] != '-' || name.substr(33) != ".snap") return false;
  return ParseHex16(name.substr(0, 16), index) && ParseHex16(name.substr(17, 16), term);
}

absl::Status Write(Env* env, const std::string& dir, const ::dcos::raft::v1::SnapshotMetadata& meta,
                   absl::string_view data) {
  std::string final_path = JoinPath(dir, FileName(meta.index(), meta.term()));
  std::string tmp_path = final_path + ".tmp";
  std::string header(kHeaderSize, '\0');
  std::memcpy(header.data(), kMagic, 8);
  std::string meta_bytes = meta.SerializeAsString();
  uint32_t meta_len = static_cast<uint32_t>(meta_bytes.size());
  uint64_t data_len = data.size();
  for (int i = 0; i < 4; ++i) header[12 + i] = static_cast<char>((meta_len >> (8 * i)) & 0xff);
  for (int i = 0; i < 8; ++i) header[16 + i] = static_cast<char>((data_len >> (8 * i)) & 0xff);
  header += meta_bytes;
  uint32_t crc = wal::ExtendCrc(0, absl::string_view(header).substr(12));
  crc = wal::Mask(wal::ExtendCrc(crc, data));
  for (int i = 0; i < 4; ++i) header[8 + i] = static_cast<char>((crc >> (8 * i)) & 0xff);

  absl::Status s = [&]() -> absl::Status {
    DCOS_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> f, env->NewWritableFile(tmp_path, true));
    DCOS_RETURN_IF_ERROR(f->Append(header));
    DCOS_RETURN_IF_ERROR(f->Append(data));  // no copy of the (possibly large) data
    DCOS_RETURN_IF_ERROR(f->Sync());
    DCOS_RETURN_IF_ERROR(f->Close());
    return env->RenameFile(tmp_path, final_path);
  }();
  if (!s.ok()) {
    (void)env->RemoveFile(tmp_path);
    return s;
  }
  return env->SyncDir(dir);
}

absl::StatusOr<Contents> Read(Env* env, const std::string& path) {
  DCOS_ASSIGN_OR_RETURN(std::string file, env->ReadFile(path));
  auto corrupt = [&](absl::string_view why) {
    return absl::DataLossError(absl::StrCat("raft snapshot ", path, ": ", why));
  };
  if (file.size() < kHeaderSize || std::memcmp(file.data(), kMagic, 8) != 0) {
    return corrupt("bad header");
  }
  auto get = [&](size_t off, int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) {
      v |= static_cast<uint64_t>(static_cast<uint8_t>(file[off + i])) << (8 * i);
    }
    return v;
  };
  uint32_t crc = static_cast<uint32_t>(get(8, 4));
  uint64_t meta_len = get(12, 4);
  uint64_t data_len = get(16, 8);
  if (kHeaderSize + meta_len + data_len != file.size()) {
    return corrupt(absl::StrCat("size ", file.size(), " does not match its header (",
                                kHeaderSize + meta_len + data_len, ")"));
  }
  if (wal::MaskedCrc(absl::string_view(file).substr(12)) != crc) return corrupt("checksum mismatch");
  Contents out;
  if (!out.metadata.ParseFromArray(file.data() + kHeaderSize, static_cast<int>(meta_len))) {
    return corrupt("malformed metadata");
  }
  uint64_t index, term;
  std::string name = path.substr(path.rfind('/') + 1);
  if (ParseFileName(name, &index, &term) &&
      (index != out.metadata.index() || term != out.metadata.term())) {
    return corrupt("metadata does not match the file name");
  }
  // Moves the data to the front of the buffer we already own rather than copying it out.
  file.erase(0, kHeaderSize + meta_len);
  out.data = std::move(file);
  return out;
}

}  // namespace dcos::raft::snapshot_file
