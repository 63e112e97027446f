#pragma once

// Unpacking a fetched archive into the sandbox with Debian's own tools, run directly (argv,
// no shell): /bin/tar for .tar, .tar.gz/.tgz, .tar.bz2, .tar.xz (GNU tar picks the
// decompressor), unzip for .zip where it is installed. The member list is read first and the
// archive refused if a member would land outside the sandbox (an absolute name, a ".."
// component) or is a link pointing out of it; members are written with the fetcher's user as
// owner (--no-same-owner). The tools' own complaints go to the fetcher's stderr (the sandbox's
// stderr file).
//
// Blocking; run in the fetcher process.

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "services/agent/fetcher/uri.h"

namespace dcos::agent::fetcher {

// INVALID_ARGUMENT naming the member that escapes; FAILED_PRECONDITION when the tool is
// missing ("unzip is not installed") or fails ("tar exited with status 2").
absl::Status ExtractArchive(const std::string& archive, ArchiveKind kind,
                            const std::string& directory);

// The pure check of a member list (one name per line, as `tar -t` / `unzip -Z1` print it):
// the first name that leaves the directory, or "" when all stay.
std::string FirstEscapingMember(absl::string_view listing);

// The pure check of a symlink: a link at `member` (relative to the directory) whose target
// is `target` stays inside the directory.
bool LinkStaysInside(absl::string_view member, absl::string_view target);

}  // namespace dcos::agent::fetcher
