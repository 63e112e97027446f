#pragma once

// Path helpers of the recipes: joining names, a node's ancestors, and creating a recipe's
// directory (with its parents) if it is missing.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "libs/zk/client.h"

namespace dcos::zk::recipes {

// "/a" + "b" -> "/a/b"; "/" + "b" -> "/b".
std::string JoinPath(absl::string_view parent, absl::string_view name);

// The last segment: "/a/b" -> "b"; "/" -> "".
std::string NameOf(absl::string_view path);

// Every ancestor of `path` below the root and `path` itself, shortest first:
// "/a/b/c" -> {"/a", "/a/b", "/a/b/c"}; "/" -> {}.
std::vector<std::string> PathAndAncestors(absl::string_view path);

// Creates `path` and any missing ancestors as persistent nodes with no data. Nodes that
// exist are fine; a create whose outcome is unknown is checked with a read. Errors: the
// client's (BAD_ARGUMENTS for a bad path, NO_CHILDREN_FOR_EPHEMERALS, CONNECTION_LOSS, ...).
absl::Status EnsurePath(client::ZkClient& zk, const std::string& path);

}  // namespace dcos::zk::recipes
