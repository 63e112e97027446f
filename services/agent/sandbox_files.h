#pragma once

// Reading sandboxes for the Agent API (ListFiles, ReadFile): a path inside a sandbox is
// resolved without leaving it (".." may not climb out; symlinks are followed only if they stay
// inside), directories are listed sorted by name, files read from an offset, at most 1 MiB a
// call.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "protos/agent/v1/agent_state.pb.h"

namespace dcos::agent {

// The most ReadFile returns per call.
inline constexpr uint64_t kMaxReadBytes = 1 << 20;

// A virtual sandbox path "/frameworks/<fw>/executors/<ex>/runs/<container>[/rest]", split.
// `container` may be "latest". INVALID_ARGUMENT naming `field` when the path has another shape.
struct VirtualPath {
  std::string framework_id;
  std::string executor_id;
  std::string container_id;
  std::string rest;  // inside the sandbox, "" for the sandbox itself
};
absl::StatusOr<VirtualPath> ParseVirtualPath(const std::string& path, const std::string& field);

// `relative` (inside `sandbox`) made absolute, with "." and ".." resolved and symlinks checked
// to stay inside. INVALID_ARGUMENT naming `field` when it would leave the sandbox; NOT_FOUND
// when it does not exist.
absl::StatusOr<std::string> ResolveInSandbox(const std::string& sandbox,
                                             const std::string& relative,
                                             const std::string& field);

// The entries of directory `path` (or just the file `path`), each named `virtual_path` + "/" +
// its name (or `virtual_path` for a file), sorted by name.
absl::StatusOr<std::vector<agent::v1::FileInfo>> ListPath(const std::string& path,
                                                          const std::string& virtual_path);

// Up to `length` bytes (unset: kMaxReadBytes; capped at it) of regular file `path` from
// `offset`, and its size. INVALID_ARGUMENT for a directory.
struct FileChunk {
  std::string data;
  uint64_t size = 0;
};
absl::StatusOr<FileChunk> ReadChunk(const std::string& path, uint64_t offset,
                                    std::optional<uint64_t> length);

}  // namespace dcos::agent
