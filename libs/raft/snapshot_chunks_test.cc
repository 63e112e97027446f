// Pure pieces of the gRPC transport: snapshot chunking and assembly, envelope checks, backoff.

#include "libs/raft/snapshot_chunks.h"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "libs/raft/backoff.h"
#include "libs/raft/transport_service.h"

namespace dcos::raft {
namespace {

using ::dcos::raft::v1::Envelope;
using ::dcos::raft::v1::Message;
using ::dcos::raft::v1::SnapshotChunk;

Message SnapMessage(uint64_t from, uint64_t to, uint64_t index) {
  Message m;
  m.set_type(::dcos::raft::v1::MESSAGE_TYPE_SNAP);
  m.set_from(from);
  m.set_to(to);
  m.set_term(3);
  m.mutable_snapshot()->set_index(index);
  m.mutable_snapshot()->set_term(2);
  return m;
}

std::vector<SnapshotChunk> Chunks(uint64_t cluster, const Message& m, const std::string& data,
                                  size_t chunk_bytes) {
  SnapshotChunker chunker(cluster, m, data, chunk_bytes);
  std::vector<SnapshotChunk> out;
  SnapshotChunk c;
  while (chunker.Next(&c)) out.push_back(c);
  return out;
}

ReceiverIdentity Identity() { return ReceiverIdentity{7, 2, [](uint64_t id) { return id == 1; }}; }

std::string Pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + 7) % 251);
  return s;
}

TEST_CASE("Sha256 matches the FIPS 180-2 test vector", "[snapshot]") {
  const std::string expected(
      "\xba\x78\x16\xbf\x8f\x01\xcf\xea\x41\x41\x40\xde\x5d\xae\x22\x23"
      "\xb0\x03\x61\xa3\x96\x17\x7a\x9c\xb4\x10\xff\x61\xf2\x00\x15\xad",
      32);
  CHECK(Sha256::Of("abc") == expected);
  Sha256 incremental;
  incremental.Update("a");
  incremental.Update("bc");
  CHECK(incremental.Finish() == expected);
}

TEST_CASE("chunks of a snapshot reassemble into the same data", "[snapshot]") {
  for (size_t size : {size_t{0}, size_t{1}, size_t{1000}, size_t{1024}, size_t{5000}}) {
    std::string data = Pattern(size);
    std::vector<SnapshotChunk> chunks = Chunks(7, SnapMessage(1, 2, 42), data, 1024);
    // header + ceil(size / 1024) data chunks + trailer
    CHECK(chunks.size() == 2 + (size + 1023) / 1024);
    SnapshotAssembler assembler(Identity(), 1 << 20);
    for (const SnapshotChunk& c : chunks) REQUIRE(assembler.Add(c).ok());
    REQUIRE(assembler.Finish().ok());
    CHECK(assembler.data() == data);
    CHECK(assembler.message().snapshot().index() == 42);
  }
}

TEST_CASE("the assembler refuses bad streams with the documented codes", "[snapshot]") {
  std::string data = Pattern(3000);
  std::vector<SnapshotChunk> good = Chunks(7, SnapMessage(1, 2, 42), data, 1024);

  auto run = [](const std::vector<SnapshotChunk>& chunks, uint64_t limit = 1 << 20) {
    SnapshotAssembler assembler(Identity(), limit);
    for (const SnapshotChunk& c : chunks) {
      absl::Status s = assembler.Add(c);
      if (!s.ok()) return s;
    }
    return assembler.Finish();
  };

  SECTION("a flipped byte: DATA_LOSS") {
    std::vector<SnapshotChunk> bad = good;
    (*bad[2].mutable_data())[10] ^= 1;
    CHECK(run(bad).code() == absl::StatusCode::kDataLoss);
  }
  SECTION("a wrong checksum: DATA_LOSS") {
    std::vector<SnapshotChunk> bad = good;
    bad.back().mutable_trailer()->set_sha256(std::string(32, 'x'));
    CHECK(run(bad).code() == absl::StatusCode::kDataLoss);
  }
  SECTION("a missing data chunk: DATA_LOSS") {
    std::vector<SnapshotChunk> bad = good;
    bad.erase(bad.begin() + 2);
    CHECK(run(bad).code() == absl::StatusCode::kDataLoss);
  }
  SECTION("more data than declared: DATA_LOSS") {
    std::vector<SnapshotChunk> bad = good;
    bad.insert(bad.begin() + 2, bad[1]);
    CHECK(run(bad).code() == absl::StatusCode::kDataLoss);
  }
  SECTION("data before the header: INVALID_ARGUMENT") {
    std::vector<SnapshotChunk> bad(good.begin() + 1, good.end());
    CHECK(run(bad).code() == absl::StatusCode::kInvalidArgument);
  }
  SECTION("two headers: INVALID_ARGUMENT") {
    std::vector<SnapshotChunk> bad = good;
    bad.insert(bad.begin() + 1, bad[0]);
    CHECK(run(bad).code() == absl::StatusCode::kInvalidArgument);
  }
  SECTION("a chunk after the trailer: INVALID_ARGUMENT") {
    std::vector<SnapshotChunk> bad = good;
    bad.push_back(good[1]);
    CHECK(run(bad).code() == absl::StatusCode::kInvalidArgument);
  }
  SECTION("no trailer: INVALID_ARGUMENT") {
    std::vector<SnapshotChunk> bad(good.begin(), good.end() - 1);
    CHECK(run(bad).code() == absl::StatusCode::kInvalidArgument);
  }
  SECTION("above the size limit: RESOURCE_EXHAUSTED before any data") {
    CHECK(run(good, 2000).code() == absl::StatusCode::kResourceExhausted);
  }
  SECTION("another cluster, another member or a stranger: FAILED_PRECONDITION") {
    CHECK(run(Chunks(8, SnapMessage(1, 2, 42), data, 1024)).code() ==
          absl::StatusCode::kFailedPrecondition);
    CHECK(run(Chunks(7, SnapMessage(1, 3, 42), data, 1024)).code() ==
          absl::StatusCode::kFailedPrecondition);
    CHECK(run(Chunks(7, SnapMessage(5, 2, 42), data, 1024)).code() ==
          absl::StatusCode::kFailedPrecondition);
  }
  SECTION("a header that is not a MsgSnap: INVALID_ARGUMENT") {
    Message m = SnapMessage(1, 2, 42);
    m.set_type(::dcos::raft::v1::MESSAGE_TYPE_APP);
    CHECK(run(Chunks(7, m, data, 1024)).code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("CheckEnvelope accepts only envelopes for this member", "[envelope]") {
  Envelope e;
  e.set_cluster_id(7);
  e.set_from(1);
  e.set_to(2);
  Message* m = e.add_messages();
  m->set_type(::dcos::raft::v1::MESSAGE_TYPE_APP);
  m->set_from(1);
  m->set_to(2);
  CHECK(CheckEnvelope(e, Identity()).ok());
  CHECK(CheckEnvelope(Envelope(e), ReceiverIdentity{7, 2, nullptr}).ok());

  Envelope bad = e;
  bad.set_cluster_id(8);
  CHECK(CheckEnvelope(bad, Identity()).code() == absl::StatusCode::kFailedPrecondition);
  bad = e;
  bad.set_to(3);
  CHECK(CheckEnvelope(bad, Identity()).code() == absl::StatusCode::kFailedPrecondition);
  bad = e;
  bad.set_from(5);
  bad.mutable_messages(0)->set_from(5);
  CHECK(CheckEnvelope(bad, Identity()).code() == absl::StatusCode::kFailedPrecondition);
  bad = e;
  bad.mutable_messages(0)->set_to(3);
  CHECK(CheckEnvelope(bad, Identity()).code() == absl::StatusCode::kInvalidArgument);
  bad = e;
  bad.mutable_messages(0)->set_type(::dcos::raft::v1::MESSAGE_TYPE_SNAP_STATUS);
  CHECK(CheckEnvelope(bad, Identity()).code() == absl::StatusCode::kInvalidArgument);
  bad = e;
  bad.set_from(0);
  CHECK(CheckEnvelope(bad, ReceiverIdentity{7, 2, nullptr}).code() ==
        absl::StatusCode::kInvalidArgument);
}

TEST_CASE("Backoff doubles from the start to the cap, jittered, and resets", "[backoff]") {
  Backoff backoff(absl::Milliseconds(50), absl::Seconds(1), 42);
  const int64_t expected_ms[] = {50, 100, 200, 400, 800, 1000, 1000};
  for (int64_t ms : expected_ms) {
    absl::Duration d = backoff.Next();
    CHECK(d >= absl::Milliseconds(ms) * 0.8);
    CHECK(d <= std::min(absl::Seconds(1), absl::Milliseconds(ms) * 1.2));
  }
  backoff.Reset();
  CHECK(backoff.Next() <= absl::Milliseconds(60));
}

}  // namespace
}  // namespace dcos::raft
