#pragma once

// Znode paths: validation as ZooKeeper's PathUtils.validatePath does it, and splitting.

#include <cstddef>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"

namespace dcos::zk {

// The reserved subtree: "/zookeeper" and everything below it is read-only for clients.
inline constexpr absl::string_view kReservedRoot = "/zookeeper";

// OK if `path` is a valid znode path no longer than `max_bytes`, else an
// INVALID_ARGUMENT / BAD_ARGUMENTS status (see errors.h) that says what is wrong:
// - absolute ("/" or "/a/b"); no trailing "/" except "/" itself;
// - no empty, "." or ".." components;
// - valid UTF-8 with none of the characters ZooKeeper forbids: U+0000-U+001F, U+007F-U+009F,
//   U+D800-U+F8FF, U+FFF0-U+FFFF.
absl::Status ValidatePath(absl::string_view path, size_t max_bytes);

// The parent of a valid path other than "/": "/a" for "/a/b", "/" for "/a". Also works on
// a sequential-create prefix such as "/a/lock-" or "/a/" (everything before the last "/").
absl::string_view ParentPath(absl::string_view path);

// The last component: "b" for "/a/b"; "" for "/".
absl::string_view BaseName(absl::string_view path);

// parent + "/" + name, without a double slash when parent is "/".
std::string JoinPath(absl::string_view parent, absl::string_view name);

// True for "/zookeeper" and paths below it.
bool IsReservedPath(absl::string_view path);

// True if `ancestor` is a proper ancestor of `path` ("/" is an ancestor of every other path).
bool IsProperAncestor(absl::string_view ancestor, absl::string_view path);

}  // namespace dcos::zk
