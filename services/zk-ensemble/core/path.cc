#include "services/zk-ensemble/core/path.h"

#include <cstdint>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/zk-ensemble/core/errors.h"

namespace dcos::zk {
namespace {

absl::Status BadPath(absl::string_view path, absl::string_view why) {
  // Quote the path with escapes: it may hold the very characters that make it invalid.
  return ZkStatus(ZkCode::kBadArguments, "",
                  absl::StrCat("invalid path \"", absl::CHexEscape(path), "\": ", why));
}

// Decodes one UTF-8 code point at *pos (advancing it); -1 if the bytes there are not valid
// UTF-8 (overlong forms, surrogates and values above U+10FFFF are invalid).
int32_t DecodeUtf8(absl::string_view s, size_t* pos) {
  auto byte = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  uint8_t b0 = byte(*pos);
  int len;
  int32_t cp;
  if (b0 < 0x80) {
    ++*pos;
    return b0;
  } else if ((b0 & 0xe0) == 0xc0) {
    len = 2;
    cp = b0 & 0x1f;
  } else if ((b0 & 0xf0) == 0xe0) {
    len = 3;
    cp = b0 & 0x0f;
  } else if ((b0 & 0xf8) == 0xf0) {
    len = 4;
    cp = b0 & 0x07;
  } else {
    return -1;
  }
  if (s.size() - *pos < static_cast<size_t>(len)) return -1;
  for (int i = 1; i < len; ++i) {
    uint8_t b = byte(*pos + i);
    if ((b & 0xc0) != 0x80) return -1;
    cp = (cp << 6) | (b & 0x3f);
  }
  static constexpr int32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return -1;
  *pos += len;
  return cp;
}

bool ForbiddenCodePoint(int32_t cp) {
  return (cp >= 0x00 && cp <= 0x1f) || (cp >= 0x7f && cp <= 0x9f) ||
         (cp >= 0xd800 && cp <= 0xf8ff) || (cp >= 0xfff0 && cp <= 0xffff);
}

}  // namespace

absl::Status ValidatePath(absl::string_view path, size_t max_bytes) {
  if (path.empty()) return BadPath(path, "empty");
  if (path.size() > max_bytes) {
    return ZkStatus(ZkCode::kBadArguments, "",
                    absl::StrFormat("path of %d bytes is longer than the limit of %d bytes",
                                    path.size(), max_bytes));
  }
  if (path[0] != '/') return BadPath(path, "must start with /");
  if (path.size() == 1) return absl::OkStatus();
  if (path.back() == '/') return BadPath(path, "must not end with /");
  size_t pos = 0;
  while (pos < path.size()) {
    int32_t cp = DecodeUtf8(path, &pos);
    if (cp < 0) return BadPath(path, absl::StrCat("not valid UTF-8 at byte ", pos));
    if (ForbiddenCodePoint(cp)) {
      return BadPath(path, absl::StrFormat("forbidden character U+%04X", cp));
    }
  }
  size_t start = 1;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == absl::string_view::npos) end = path.size();
    absl::string_view component = path.substr(start, end - start);
    if (component.empty()) return BadPath(path, "empty component");
    if (component == "." || component == "..") {
      return BadPath(path, "relative components (\".\" or \"..\") are not allowed");
    }
    start = end + 1;
  }
  return absl::OkStatus();
}

absl::string_view ParentPath(absl::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == 0 || slash == absl::string_view::npos) return "/";
  return path.substr(0, slash);
}

absl::string_view BaseName(absl::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == absl::string_view::npos) return path;
  return path.substr(slash + 1);
}

std::string JoinPath(absl::string_view parent, absl::string_view name) {
  if (parent == "/") return absl::StrCat("/", name);
  return absl::StrCat(parent, "/", name);
}

bool IsReservedPath(absl::string_view path) {
  if (path.substr(0, kReservedRoot.size()) != kReservedRoot) return false;
  return path.size() == kReservedRoot.size() || path[kReservedRoot.size()] == '/';
}

bool IsProperAncestor(absl::string_view ancestor, absl::string_view path) {
  if (ancestor.size() >= path.size()) return false;
  if (ancestor == "/") return true;
  return path.substr(0, ancestor.size()) == ancestor && path[ancestor.size()] == '/';
}

}  // namespace dcos::zk
