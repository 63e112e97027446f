#include "services/zk-ensemble/backup_file.h"

#include <catch2/catch.hpp>

namespace dcos::zk {
namespace {

std::string File(const std::string& data, uint32_t format = 1, bool trailer = true,
                 int64_t total = -1) {
  std::string out;
  v1::BackupChunk header;
  header.mutable_header()->set_format_version(format);
  header.mutable_header()->set_zxid(42);
  header.mutable_header()->set_total_bytes(total < 0 ? data.size() : static_cast<uint64_t>(total));
  AppendChunk(header, &out);
  for (size_t i = 0; i < data.size(); i += 3) {
    v1::BackupChunk chunk;
    chunk.set_data(data.substr(i, 3));
    AppendChunk(chunk, &out);
  }
  if (trailer) {
    v1::BackupChunk t;
    t.mutable_trailer()->set_sha256(Sha256(data));
    AppendChunk(t, &out);
  }
  return out;
}

TEST_CASE("backup file: a whole backup round-trips") {
  absl::StatusOr<Backup> b = ParseBackup(File("the tree's bytes"));
  REQUIRE(b.ok());
  CHECK(b->header.zxid() == 42);
  CHECK(b->data == "the tree's bytes");
}

TEST_CASE("backup file: damaged files are refused with the reason") {
  // The chunks' own checks (order, format, size, SHA-256) are backup_stream_test's; here the
  // framing and that ParseBackup applies them.
  CHECK(ParseBackup("").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(ParseBackup(File("abc", /*format=*/2)).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(ParseBackup(File("abcdef", 1, /*trailer=*/false)).status().code() ==
        absl::StatusCode::kDataLoss);
  CHECK(ParseBackup(File("abcdef", 1, true, /*total=*/5)).status().code() ==
        absl::StatusCode::kDataLoss);
  std::string flipped = File("abcdefgh");
  flipped[flipped.size() / 2] ^= 0x01;  // inside the data: the checksum catches it
  CHECK_FALSE(ParseBackup(flipped).ok());
  std::string truncated = File("abcdefgh");
  truncated.resize(truncated.size() - 5);
  CHECK(SplitChunks(truncated).status().code() == absl::StatusCode::kDataLoss);
  CHECK_FALSE(ParseBackup(truncated).ok());
  CHECK(SplitChunks("\xff\xff\xff\xff\xff").status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("backup file: SplitChunks gives the chunks as written, unchecked") {
  std::string out;
  v1::BackupChunk data;
  data.set_data("x");
  AppendChunk(data, &out);
  AppendChunk(data, &out);
  absl::StatusOr<std::vector<v1::BackupChunk>> chunks = SplitChunks(out);
  REQUIRE(chunks.ok());
  REQUIRE(chunks->size() == 2);
  CHECK((*chunks)[1].data() == "x");
  CHECK(ParseBackup(out).status().code() == absl::StatusCode::kInvalidArgument);  // no header
  CHECK(SplitChunks(File("abcdefgh"))->size() == 1 + 3 + 1);
}

}  // namespace
}  // namespace dcos::zk
