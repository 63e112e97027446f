#include "services/zk-ensemble/core/errors.h"

#include <cstdint>
#include <optional>

#include "absl/strings/str_cat.h"

namespace dcos::zk {
namespace {

void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// Reads a varint at *pos; nullopt if truncated or longer than 10 bytes.
std::optional<uint64_t> GetVarint(absl::string_view in, size_t* pos) {
  uint64_t v = 0;
  for (int shift = 0; shift < 70 && *pos < in.size(); shift += 7) {
    uint8_t b = static_cast<uint8_t>(in[(*pos)++]);
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return v;
  }
  return std::nullopt;
}

}  // namespace

const char* ZkCodeName(ZkCode code) {
  switch (code) {
    case ZkCode::kOk: return "OK";
    case ZkCode::kSystemError: return "SYSTEM_ERROR";
    case ZkCode::kRuntimeInconsistency: return "RUNTIME_INCONSISTENCY";
    case ZkCode::kConnectionLoss: return "CONNECTION_LOSS";
    case ZkCode::kUnimplemented: return "UNIMPLEMENTED";
    case ZkCode::kOperationTimeout: return "OPERATION_TIMEOUT";
    case ZkCode::kBadArguments: return "BAD_ARGUMENTS";
    case ZkCode::kNoNode: return "NO_NODE";
    case ZkCode::kBadVersion: return "BAD_VERSION";
    case ZkCode::kNoChildrenForEphemerals: return "NO_CHILDREN_FOR_EPHEMERALS";
    case ZkCode::kNodeExists: return "NODE_EXISTS";
    case ZkCode::kNotEmpty: return "NOT_EMPTY";
    case ZkCode::kSessionExpired: return "SESSION_EXPIRED";
    case ZkCode::kSessionMoved: return "SESSION_MOVED";
    case ZkCode::kNoWatcher: return "NO_WATCHER";
    case ZkCode::kReconfigInProgress: return "RECONFIG_IN_PROGRESS";
    case ZkCode::kNewConfigNoQuorum: return "NEW_CONFIG_NO_QUORUM";
  }
  return "UNKNOWN";
}

absl::StatusCode CanonicalCodeOf(ZkCode code) {
  switch (code) {
    case ZkCode::kOk: return absl::StatusCode::kOk;
    case ZkCode::kNoNode:
    case ZkCode::kNoWatcher: return absl::StatusCode::kNotFound;
    case ZkCode::kNodeExists: return absl::StatusCode::kAlreadyExists;
    case ZkCode::kBadVersion:
    case ZkCode::kRuntimeInconsistency: return absl::StatusCode::kAborted;
    case ZkCode::kNotEmpty:
    case ZkCode::kNoChildrenForEphemerals:
    case ZkCode::kSessionExpired:
    case ZkCode::kSessionMoved:
    case ZkCode::kReconfigInProgress:  // one membership change at a time: retry after it
    case ZkCode::kNewConfigNoQuorum: return absl::StatusCode::kFailedPrecondition;
    case ZkCode::kBadArguments: return absl::StatusCode::kInvalidArgument;
    case ZkCode::kConnectionLoss: return absl::StatusCode::kUnavailable;
    case ZkCode::kOperationTimeout: return absl::StatusCode::kDeadlineExceeded;
    case ZkCode::kUnimplemented: return absl::StatusCode::kUnimplemented;
    case ZkCode::kSystemError: return absl::StatusCode::kInternal;
  }
  return absl::StatusCode::kInternal;
}

absl::Status ZkStatus(ZkCode code, absl::string_view path, absl::string_view detail) {
  if (code == ZkCode::kOk) code = ZkCode::kSystemError;  // precondition violated; stay an error
  std::string message = path.empty() ? absl::StrCat(ZkCodeName(code), ": ", detail)
                                     : absl::StrCat(ZkCodeName(code), " ", path, ": ", detail);
  absl::Status status(CanonicalCodeOf(code), message);
  status.SetPayload(kZkErrorPayloadUrl, absl::Cord(EncodeZkErrorPayload(code, path)));
  return status;
}

ZkCode ZkCodeOf(const absl::Status& status) {
  if (status.ok()) return ZkCode::kOk;
  auto payload = status.GetPayload(kZkErrorPayloadUrl);
  ZkCode code;
  std::string path;
  if (!payload || !DecodeZkErrorPayload(std::string(*payload), &code, &path) ||
      code == ZkCode::kOk) {
    return ZkCode::kSystemError;
  }
  return code;
}

std::string ZkPathOf(const absl::Status& status) {
  auto payload = status.GetPayload(kZkErrorPayloadUrl);
  ZkCode code;
  std::string path;
  if (!payload || !DecodeZkErrorPayload(std::string(*payload), &code, &path)) return "";
  return path;
}

std::string EncodeZkErrorPayload(ZkCode code, absl::string_view path) {
  std::string out;
  if (code != ZkCode::kOk) {
    out.push_back(0x08);  // field 1, varint
    PutVarint(static_cast<uint64_t>(static_cast<int64_t>(code)), &out);
  }
  if (!path.empty()) {
    out.push_back(0x12);  // field 2, length-delimited
    PutVarint(path.size(), &out);
    out.append(path.data(), path.size());
  }
  return out;
}

bool DecodeZkErrorPayload(absl::string_view bytes, ZkCode* code, std::string* path) {
  *code = ZkCode::kOk;
  path->clear();
  size_t pos = 0;
  while (pos < bytes.size()) {
    std::optional<uint64_t> key = GetVarint(bytes, &pos);
    if (!key) return false;
    uint64_t field = *key >> 3;
    switch (*key & 7) {
      case 0: {  // varint
        std::optional<uint64_t> v = GetVarint(bytes, &pos);
        if (!v) return false;
        if (field == 1) *code = static_cast<ZkCode>(static_cast<int32_t>(*v));
        break;
      }
      case 1:  // 64-bit
        if (bytes.size() - pos < 8) return false;
        pos += 8;
        break;
      case 2: {  // length-delimited
        std::optional<uint64_t> len = GetVarint(bytes, &pos);
        if (!len || *len > bytes.size() - pos) return false;
        if (field == 2) path->assign(bytes.data() + pos, *len);
        pos += *len;
        break;
      }
      case 5:  // 32-bit
        if (bytes.size() - pos < 4) return false;
        pos += 4;
        break;
      default:
        return false;
    }
    if (field == 0) return false;
  }
  return true;
}

}  // namespace dcos::zk
