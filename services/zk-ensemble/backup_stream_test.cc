#include "services/zk-ensemble/backup_stream.h"

#include <vector>

#include <catch2/catch.hpp>

namespace dcos::zk {
namespace {

using Code = absl::StatusCode;

v1::BackupChunk Header(uint64_t total_bytes, uint32_t format = kBackupFormat) {
  v1::BackupChunk c;
  c.mutable_header()->set_format_version(format);
  c.mutable_header()->set_zxid(42);
  c.mutable_header()->set_znode_count(3);
  c.mutable_header()->set_total_bytes(total_bytes);
  return c;
}

v1::BackupChunk Data(const std::string& bytes) {
  v1::BackupChunk c;
  c.set_data(bytes);
  return c;
}

v1::BackupChunk Trailer(const std::string& of) {
  v1::BackupChunk c;
  c.mutable_trailer()->set_sha256(Sha256(of));
  return c;
}

// A whole stream of `data` in chunks of 3 bytes.
std::vector<v1::BackupChunk> Stream(const std::string& data) {
  std::vector<v1::BackupChunk> chunks = {Header(data.size())};
  for (size_t i = 0; i < data.size(); i += 3) chunks.push_back(Data(data.substr(i, 3)));
  chunks.push_back(Trailer(data));
  return chunks;
}

// Feeds `chunks`; the first error of Add, else Finish's status.
absl::Status Feed(const std::vector<v1::BackupChunk>& chunks, BackupAssembler& a) {
  for (const v1::BackupChunk& c : chunks) {
    absl::Status added = a.Add(c);
    if (!added.ok()) return added;
  }
  return a.Finish().status();
}

Code CodeOf(const std::vector<v1::BackupChunk>& chunks) {
  BackupAssembler a;
  return Feed(chunks, a).code();
}

TEST_CASE("backup stream: a whole stream gives back the header and the data") {
  BackupAssembler a;
  for (const v1::BackupChunk& c : Stream("the tree's bytes")) REQUIRE(a.Add(c).ok());
  REQUIRE(a.header().has_value());
  CHECK(a.header()->zxid() == 42);
  absl::StatusOr<Backup> b = a.Finish();
  REQUIRE(b.ok());
  CHECK(b->header.znode_count() == 3);
  CHECK(b->data == "the tree's bytes");
  // An empty tree is a valid backup too (no data chunks).
  CHECK(CodeOf(Stream("")) == Code::kOk);
}

TEST_CASE("backup stream: chunks out of order are INVALID_ARGUMENT") {
  std::vector<v1::BackupChunk> s = Stream("abcdef");
  CHECK(CodeOf({}) == Code::kInvalidArgument);                         // nothing sent
  CHECK(CodeOf({s[1], s[0], s[2], s[3]}) == Code::kInvalidArgument);  // data first
  CHECK(CodeOf({s[3]}) == Code::kInvalidArgument);                    // trailer first
  CHECK(CodeOf({s[0], s[0], s[1], s[2], s[3]}) == Code::kInvalidArgument);  // two headers
  CHECK(CodeOf({s[0], s[1], s[2], s[3], s[2]}) == Code::kInvalidArgument);  // after the trailer
  CHECK(CodeOf({s[0], v1::BackupChunk(), s[1], s[2], s[3]}) == Code::kInvalidArgument);
  CHECK(CodeOf({Header(6, /*format=*/2), s[1], s[2], s[3]}) == Code::kInvalidArgument);
  v1::BackupChunk zero = Header(6);
  zero.mutable_header()->set_zxid(0);
  CHECK(CodeOf({zero, s[1], s[2], s[3]}) == Code::kInvalidArgument);
  CHECK(CodeOf({Header(kMaxBackupChunkBytes + 1), Data(std::string(kMaxBackupChunkBytes + 1, 'x'))}) ==
        Code::kInvalidArgument);
}

TEST_CASE("backup stream: size and checksum mismatches are DATA_LOSS") {
  std::vector<v1::BackupChunk> s = Stream("abcdef");
  CHECK(CodeOf({s[0], s[1], s[2]}) == Code::kDataLoss);        // no trailer: truncated
  CHECK(CodeOf({s[0], s[1], s[3]}) == Code::kDataLoss);        // a chunk missing
  CHECK(CodeOf({Header(5), s[1], s[2], s[3]}) == Code::kDataLoss);  // more than declared
  CHECK(CodeOf({Header(7), s[1], s[2], s[3]}) == Code::kDataLoss);  // less than declared
  CHECK(CodeOf({s[0], s[1], Data("dex"), s[3]}) == Code::kDataLoss);  // altered
  CHECK(CodeOf({s[0], s[1], s[2], Trailer("abcdeF")}) == Code::kDataLoss);
}

TEST_CASE("backup stream: more data than declared is refused at once") {
  BackupAssembler a;
  REQUIRE(a.Add(Header(4)).ok());
  REQUIRE(a.Add(Data("abc")).ok());
  CHECK(a.Add(Data("de")).code() == Code::kDataLoss);
}

TEST_CASE("backup stream: a declared size above the limit is RESOURCE_EXHAUSTED") {
  BackupAssembler a(/*max_bytes=*/10);
  CHECK(a.Add(Header(11)).code() == Code::kResourceExhausted);
  BackupAssembler b(/*max_bytes=*/10);
  CHECK(Feed(Stream("0123456789"), b).ok());
}

TEST_CASE("backup stream: after an error every call returns it") {
  BackupAssembler a;
  std::vector<v1::BackupChunk> s = Stream("abcdef");
  absl::Status first = a.Add(s[1]);
  CHECK(first.code() == Code::kInvalidArgument);
  CHECK(a.Add(s[0]) == first);
  CHECK(a.Add(s[3]) == first);
  CHECK(a.Finish().status() == first);
}

TEST_CASE("backup stream: Finish hands the backup out once") {
  BackupAssembler a;
  REQUIRE(Feed(Stream("abc"), a).ok());
  CHECK(a.Finish().status().code() == Code::kFailedPrecondition);
}

TEST_CASE("restore: a backup of the restoring ensemble itself is FAILED_PRECONDITION") {
  v1::BackupHeader header;
  header.set_cluster_id(7);
  CHECK(CheckRestoreCluster(header, 8).ok());
  absl::Status same = CheckRestoreCluster(header, 7);
  CHECK(same.code() == Code::kFailedPrecondition);
  CHECK(same.message().find("ensemble 7") != absl::string_view::npos);
  CHECK(same.message().find("raft.cluster_id") != absl::string_view::npos);
}

}  // namespace
}  // namespace dcos::zk
