#pragma once

// Helpers shared by the FileLogStorage recovery tests (they assert with Catch2).

#include <catch2/catch.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "libs/raft/env.h"
#include "libs/raft/file_log_storage.h"
#include "libs/raft/wal_format.h"

namespace dcos::raft::testing {

inline constexpr char kSegment1[] = "/wal/0000000000000001.wal";

// Tests that inject faults need the file operations in a fixed order, so by default segments
// are prepared in the calling thread (`background` false).
inline std::unique_ptr<FileLogStorage> OpenStorage(Env* env, const std::string& dir,
                                                   uint64_t segment_size = 64 << 10,
                                                   bool background = false) {
  FileLogStorage::Options options;
  options.segment_size = segment_size;
  options.prepare_in_background = background;
  auto s = FileLogStorage::Open(env, dir, options);
  REQUIRE(s.ok());
  return *std::move(s);
}

inline PersistentState MustLoad(LogStorage* s) {
  auto st = s->Load();
  INFO(st.status().ToString());
  REQUIRE(st.ok());
  return *std::move(st);
}

inline std::string ReadRaw(const std::string& path) {
  auto data = Env::Default()->ReadFile(path);
  REQUIRE(data.ok());
  return *data;
}

inline void WriteRaw(const std::string& path, const std::string& data) {
  auto f = Env::Default()->NewWritableFile(path, true);
  REQUIRE(f.ok());
  REQUIRE((*f)->Append(data).ok());
  REQUIRE((*f)->Sync().ok());
}

inline std::vector<std::string> ListRaw(const std::string& dir) {
  auto names = Env::Default()->ListDir(dir);
  REQUIRE(names.ok());
  return *names;
}

// Removes every file of `dir`/wal but the first segment (to retry a case on it alone).
inline void KeepOnlyFirstSegment(const std::string& dir) {
  for (const std::string& name : ListRaw(dir + "/wal")) {
    if ("/wal/" + name != kSegment1) REQUIRE(Env::Default()->RemoveFile(dir + "/wal/" + name).ok());
  }
}

// The end of the last valid frame of a segment's content.
inline uint64_t LogicalEnd(const std::string& data) {
  auto scan = wal::ScanSegment(data, "segment", /*is_last=*/true);
  REQUIRE(scan.ok());
  return scan->valid_end;
}

// Every segment in `dir` holds nothing but zeros after its last frame.
inline void CheckOnlyZerosAfterFrames(const std::string& dir) {
  for (const std::string& name : ListRaw(dir + "/wal")) {
    uint64_t seq;
    if (!wal::ParseSegmentFileName(name, &seq)) continue;
    INFO("segment " << name);
    std::string data = ReadRaw(dir + "/wal/" + name);
    auto scan = wal::ScanSegment(data, name, /*is_last=*/true);
    REQUIRE(scan.ok());
    CHECK_FALSE(scan->torn_tail.has_value());
    CHECK(wal::NonZeroEnd(data) <= scan->valid_end);
  }
}

}  // namespace dcos::raft::testing
