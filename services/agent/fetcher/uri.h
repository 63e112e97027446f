#pragma once

// The pure parts of fetching a task's URIs (CommandInfo.uris, Mesos's fetcher): which scheme a
// URI has and where it points, the file it becomes in the sandbox, whether an archive member
// or an output name stays inside the sandbox, and what kind of archive a file is. No I/O.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "protos/common/v1/command.pb.h"

namespace dcos::agent::fetcher {

struct ParsedUri {
  enum class Scheme { kFile, kHttp, kHttps };
  Scheme scheme = Scheme::kFile;
  // kFile: the absolute local path. kHttp(s): the host (no brackets for IPv6), the port
  // (default 80/443) and the request target ("/path?query", "/" when none).
  std::string path;
  std::string host;
  uint16_t port = 0;
  std::string target;
};

// An absolute path ("/srv/app.tgz"), file:///abs/path (file://localhost/abs/path too),
// http://host[:port][/target] or https://... . INVALID_ARGUMENT naming what is wrong,
// UNIMPLEMENTED "unsupported scheme 'ftp'" for another scheme.
absl::StatusOr<ParsedUri> ParseUri(absl::string_view uri);

// True for a relative path that stays inside the directory it is resolved in: not empty, not
// absolute, no ".." component (after dropping "." and empty ones).
bool StaysInside(absl::string_view relative_path);

// The sandbox file name of `uri`: its output_file, else the last segment of its path (query
// and fragment dropped). INVALID_ARGUMENT when output_file would leave the sandbox, or the URI
// names no file (ends in '/').
absl::StatusOr<std::string> OutputName(const common::v1::CommandURI& uri);

enum class ArchiveKind { kNone, kTar, kTarGz, kTarBz2, kTarXz, kZip };

// By the file name's ending: .tar, .tar.gz/.tgz, .tar.bz2/.tbz2/.tbz, .tar.xz/.txz, .zip
// (case-insensitive). kNone otherwise.
ArchiveKind ArchiveKindOf(absl::string_view file_name);
const char* ArchiveKindName(ArchiveKind kind);

// What a task's uris[i] must be before the agent launches it (field names in the message,
// e.g. "task.command.uris[1].output_file: must stay inside the sandbox"). The scheme is not
// checked here: an unsupported one fails the task when it is fetched.
absl::Status ValidateUris(const google::protobuf::RepeatedPtrField<common::v1::CommandURI>& uris);

}  // namespace dcos::agent::fetcher
