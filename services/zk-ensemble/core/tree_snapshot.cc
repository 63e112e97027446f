// ZnodeTree::Snapshot and ZnodeTree::Restore.
//
// Format 1, all integers little-endian:
//   "DCZKTREE"                     8-byte magic
//   u32 format_version             1
//   u64 node_count
//   node_count records, pre-order from "/" with children in bytewise order:
//     u32 path_length, path bytes
//     u8  kind                     0 persistent or ephemeral, 1 container
//     i64 czxid, mzxid, pzxid
//     i64 ctime_ms, mtime_ms       milliseconds since the Unix epoch
//     i32 version, cversion, aversion
//     i64 ephemeral_owner
//     u32 data_length, data bytes
//   u32 crc32                      zlib CRC-32 of every byte before it
// data_length and num_children of Stat are derived, not stored.

#include <zlib.h>

#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "services/zk-ensemble/core/path.h"
#include "services/zk-ensemble/core/tree.h"
#include "services/zk-ensemble/core/snapshot_codec.h"

namespace dcos::zk {
namespace {

constexpr char kMagic[8] = {'D', 'C', 'Z', 'K', 'T', 'R', 'E', 'E'};
constexpr uint32_t kFormatVersion = 1;
// Smallest record: 4 + 1 ("/") + 1 + 5*8 + 3*4 + 8 + 4.
constexpr size_t kMinRecordBytes = 70;

using codec::Crc32;
using codec::Put;
using codec::PutBytes;
using codec::Reader;

absl::Status Corrupt(absl::string_view why) {
  return absl::DataLossError(absl::StrCat("znode tree snapshot is corrupt: ", why));
}

}  // namespace

std::string ZnodeTree::Snapshot() const {
  std::string out(kMagic, sizeof(kMagic));
  size_t size = sizeof(kMagic) + 4 + 8 + 4;
  for (const auto& [path, node] : nodes_) size += kMinRecordBytes + path.size() + node.data.size();
  out.reserve(size);
  Put<uint32_t>(kFormatVersion, &out);
  Put<uint64_t>(nodes_.size(), &out);
  // Iterative pre-order walk: each child is pushed after its parent is written.
  std::vector<std::string> stack = {"/"};
  while (!stack.empty()) {
    std::string path = std::move(stack.back());
    stack.pop_back();
    const Node& node = *Find(path);
    PutBytes(path, &out);
    out.push_back(node.container ? 1 : 0);
    const Stat& s = node.stat;
    Put<int64_t>(s.czxid, &out);
    Put<int64_t>(s.mzxid, &out);
    Put<int64_t>(s.pzxid, &out);
    Put<int64_t>(absl::ToUnixMillis(s.ctime), &out);
    Put<int64_t>(absl::ToUnixMillis(s.mtime), &out);
    Put<int32_t>(s.version, &out);
    Put<int32_t>(s.cversion, &out);
    Put<int32_t>(s.aversion, &out);
    Put<int64_t>(s.ephemeral_owner, &out);
    PutBytes(node.data, &out);
    for (auto it = node.children.rbegin(); it != node.children.rend(); ++it) {
      stack.push_back(JoinPath(path, *it));
    }
  }
  Put<uint32_t>(Crc32(out), &out);
  return out;
}

absl::StatusOr<ZnodeTree> ZnodeTree::Restore(absl::string_view bytes, TreeConfig config) {
  constexpr size_t kHeader = sizeof(kMagic) + 4 + 8;
  if (bytes.size() < kHeader + 4) return Corrupt("truncated header");
  absl::string_view body = bytes.substr(0, bytes.size() - 4);
  uint32_t stored_crc;
  Reader trailer(bytes.substr(bytes.size() - 4));
  trailer.Get(&stored_crc);
  if (std::memcmp(body.data(), kMagic, sizeof(kMagic)) != 0) return Corrupt("bad magic");
  Reader in(body.substr(sizeof(kMagic)));
  uint32_t format;
  uint64_t count;
  in.Get(&format);
  in.Get(&count);
  if (format != kFormatVersion) {
    return absl::DataLossError(
        absl::StrCat("znode tree snapshot has unknown format version ", format));
  }
  if (Crc32(body) != stored_crc) return Corrupt("checksum mismatch");
  if (count > in.remaining() / kMinRecordBytes) return Corrupt("node count too large");

  ZnodeTree tree(config);
  tree.nodes_.clear();
  tree.ephemerals_.clear();
  tree.containers_.clear();
  tree.data_bytes_ = 0;
  tree.ephemeral_count_ = 0;
  for (uint64_t i = 0; i < count; ++i) {
    absl::string_view path, data;
    uint8_t kind;
    int64_t ctime_ms, mtime_ms;
    Node node;
    Stat& s = node.stat;
    if (!in.GetBytes(&path) || !in.Get(&kind) || !in.Get(&s.czxid) || !in.Get(&s.mzxid) ||
        !in.Get(&s.pzxid) || !in.Get(&ctime_ms) || !in.Get(&mtime_ms) || !in.Get(&s.version) ||
        !in.Get(&s.cversion) || !in.Get(&s.aversion) || !in.Get(&s.ephemeral_owner) ||
        !in.GetBytes(&data)) {
      return Corrupt(absl::StrCat("truncated record ", i));
    }
    if (kind > 1) return Corrupt(absl::StrCat("record ", i, " has unknown kind ", static_cast<int>(kind)));
    node.container = kind == 1;
    s.ctime = absl::FromUnixMillis(ctime_ms);
    s.mtime = absl::FromUnixMillis(mtime_ms);
    node.data.assign(data.data(), data.size());
    std::string p(path);
    if (!ValidatePath(p, SIZE_MAX).ok()) {
      return Corrupt(absl::StrCat("record ", i, " has an invalid path"));
    }
    if ((i == 0) != (p == "/")) return Corrupt("the root must come first, once");
    if (tree.Find(p) != nullptr) return Corrupt(absl::StrCat("duplicate node ", p));
    if (node.container && s.ephemeral_owner != 0) {
      return Corrupt(absl::StrCat("node ", p, " is both ephemeral and a container"));
    }
    if (p == "/") {
      if (node.container || s.ephemeral_owner != 0) return Corrupt("the root has a kind");
      tree.data_bytes_ += node.data.size();
      tree.nodes_.emplace(p, std::move(node));
      continue;
    }
    const Node* parent = tree.Find(ParentPath(p));
    if (parent == nullptr) return Corrupt(absl::StrCat("node ", p, " comes before its parent"));
    if (parent->stat.ephemeral_owner != 0) {
      return Corrupt(absl::StrCat("node ", p, " is the child of an ephemeral node"));
    }
    tree.Insert(p, std::move(node));
  }
  if (in.remaining() != 0) return Corrupt("trailing bytes after the last record");
  if (tree.Find(kReservedRoot) == nullptr) {
    return Corrupt(absl::StrCat("no ", kReservedRoot, " node"));
  }
  return tree;
}

}  // namespace dcos::zk
