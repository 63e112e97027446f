// GrpcTransport and RaftTransportService on real loopback gRPC servers, with a recording sink.

#include "libs/raft/grpc_transport.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "libs/raft/snapshot_chunks.h"
#include "libs/raft/transport_service.h"
#include "libs/raft/transport_test_util.h"
#include "libs/testing/harness.h"

namespace dcos::raft {
namespace {

using ::dcos::raft::v1::Envelope;
using ::dcos::raft::v1::Message;
using ::dcos::raft::v1::SnapshotChunk;
using ::dcos::testing::WaitFor;

const uint64_t kCluster = TestClusterId();
const absl::Duration kWait = absl::Seconds(10);

std::vector<uint64_t> Indexes(const std::vector<Message>& messages, uint64_t from) {
  std::vector<uint64_t> out;
  for (const Message& m : messages) {
    if (m.from() == from) out.push_back(m.index());
  }
  return out;
}

std::vector<uint64_t> Range(uint64_t first, uint64_t last) {
  std::vector<uint64_t> out;
  for (uint64_t i = first; i <= last; ++i) out.push_back(i);
  return out;
}

TEST_CASE("Create refuses bad options", "[transport]") {
  RecordingSink sink;
  GrpcTransport::Options options;
  options.self = 1;
  options.cluster_id = kCluster;
  CHECK(GrpcTransport::Create(options).status().code() == absl::StatusCode::kInvalidArgument);
  options.sink = &sink;
  options.backoff_max = absl::Milliseconds(1);
  CHECK(GrpcTransport::Create(options).status().code() == absl::StatusCode::kInvalidArgument);
  options.backoff_max = absl::Seconds(1);
  CHECK(GrpcTransport::Create(options).ok());
}

TEST_CASE("three members exchange messages, in order per sender", "[transport]") {
  Member m1(1), m2(2), m3(3);
  std::vector<Member*> members = {&m1, &m2, &m3};
  std::vector<std::unique_ptr<GrpcTransport>> transports;
  for (Member* self : members) {
    std::map<uint64_t, std::string> peers;
    for (Member* other : members) peers[other->id()] = other->address();  // self is ignored
    transports.push_back(NewTransport(self->id(), &self->sink(), peers));
  }
  const uint64_t kCount = 500;
  for (uint64_t i = 1; i <= kCount; ++i) {
    for (Member* from : members) {
      std::vector<Message> batch;
      for (Member* to : members) {
        if (to != from) batch.push_back(App(from->id(), to->id(), i));
      }
      transports[from->id() - 1]->Send(std::move(batch));
    }
  }
  for (Member* m : members) {
    REQUIRE(WaitFor([&] { return m->sink().received_count() == 2 * kCount; }, kWait,
                    "all messages delivered")
                .ok());
    std::vector<Message> got = m->sink().received();
    for (Member* from : members) {
      if (from != m) CHECK(Indexes(got, from->id()) == Range(1, kCount));
    }
    CHECK(m->sink().unreachable(1) + m->sink().unreachable(2) + m->sink().unreachable(3) == 0);
  }
  REQUIRE(WaitFor([&] { return transports[0]->Stats(2)->messages_sent == kCount; }, kWait,
                  "sender's count")
              .ok());
  auto stats = transports[0]->Stats(2);
  CHECK(stats->connected);
  CHECK(stats->messages_dropped == 0);
  CHECK_FALSE(transports[0]->Stats(9).has_value());
}

TEST_CASE("thousands of messages share few envelopes", "[transport]") {
  Member m2(2);
  RecordingSink sink1;
  auto t1 = NewTransport(1, &sink1, {{2, m2.address()}});
  const uint64_t kCount = 3000;
  for (uint64_t i = 1; i <= kCount; ++i) t1->Send({App(1, 2, i, 16)});
  REQUIRE(WaitFor([&] { return m2.sink().received_count() == kCount; }, kWait, "delivery").ok());
  CHECK(Indexes(m2.sink().received(), 1) == Range(1, kCount));
  REQUIRE(WaitFor([&] { return t1->Stats(2)->messages_sent == kCount; }, kWait, "count").ok());
  auto stats = t1->Stats(2);
  INFO("envelopes: " << stats->envelopes_sent);
  CHECK(stats->envelopes_sent < kCount);
}

TEST_CASE("a batch above the envelope limit is split and stays in order", "[transport]") {
  Member m2(2);
  RecordingSink sink1;
  GrpcTransport::Options options;
  options.self = 1;
  options.cluster_id = kCluster;
  options.sink = &sink1;
  options.peers = {{2, m2.address()}};
  options.max_envelope_bytes = 64 << 10;
  auto t1 = GrpcTransport::Create(std::move(options));
  REQUIRE(t1.ok());
  std::vector<Message> batch;
  const uint64_t kCount = 200;  // 200 x 2 KiB = 400 KiB: at least 7 envelopes of 64 KiB
  for (uint64_t i = 1; i <= kCount; ++i) batch.push_back(App(1, 2, i, 2048));
  batch.push_back(App(1, 2, kCount + 1, 100 << 10));  // alone above the limit: dropped
  (*t1)->Send(std::move(batch));
  REQUIRE(WaitFor([&] { return m2.sink().received_count() == kCount; }, kWait, "delivery").ok());
  CHECK(Indexes(m2.sink().received(), 1) == Range(1, kCount));
  // The sender counts a write once it completes, which may be after the receiver has it.
  REQUIRE(WaitFor([&] { return (*t1)->Stats(2)->messages_dropped == 1; }, kWait, "drop").ok());
  CHECK((*t1)->Stats(2)->envelopes_sent >= 7);
}

TEST_CASE("a peer that is down is reported unreachable; once it starts, messages flow",
          "[transport]") {
  ReservedPort reserved;
  const int port = reserved.port();
  RecordingSink sink1;
  auto t1 = NewTransport(1, &sink1, {{2, absl::StrCat("127.0.0.1:", port)}});
  REQUIRE(WaitFor([&] { return sink1.unreachable(2) >= 1; }, kWait, "unreachable report").ok());
  t1->Send({App(1, 2, 1)});  // queued or dropped: Raft would retransmit

  reserved.Release();
  Member m2(2, port);
  uint64_t index = 100;
  REQUIRE(WaitFor(
              [&] {
                t1->Send({App(1, 2, ++index)});
                return m2.sink().received_count() > 0;
              },
              kWait, "delivery after the peer started")
              .ok());
  CHECK(t1->Stats(2)->stream_failures >= 1);

  // The peer restarts: the broken stream is noticed, reported and replaced.
  m2.Shutdown();
  reserved.Reserve();
  int reports = sink1.unreachable(2);
  REQUIRE(WaitFor(
              [&] {
                t1->Send({App(1, 2, ++index)});
                return sink1.unreachable(2) > reports;
              },
              kWait, "unreachable after the peer stopped")
              .ok());
  reserved.Release();
  Member m2b(2, port);
  REQUIRE(WaitFor(
              [&] {
                t1->Send({App(1, 2, ++index)});
                return m2b.sink().received_count() > 0;
              },
              kWait, "delivery after the peer restarted")
              .ok());
}

TEST_CASE("SetPeer moves a peer to a new address; unknown peers are unreachable",
          "[transport]") {
  Member a(2), b(2);
  RecordingSink sink1;
  auto t1 = NewTransport(1, &sink1, {{2, a.address()}});
  t1->Send({App(1, 2, 1)});
  REQUIRE(WaitFor([&] { return a.sink().received_count() == 1; }, kWait, "delivery to a").ok());
  t1->SetPeer(2, b.address());
  uint64_t index = 1;
  REQUIRE(WaitFor(
              [&] {
                t1->Send({App(1, 2, ++index)});
                return b.sink().received_count() > 0;
              },
              kWait, "delivery to b")
              .ok());
  CHECK(sink1.unreachable(2) == 0);

  t1->RemovePeer(2);
  CHECK_FALSE(t1->Stats(2).has_value());
  t1->Send({App(1, 2, 1000)});
  CHECK(sink1.unreachable(2) == 1);
}

TEST_CASE("a snapshot of several MiB arrives intact", "[transport][snapshot]") {
  Member m2(2);
  RecordingSink sink1;
  auto t1 = NewTransport(1, &sink1, {{2, m2.address()}});
  std::string data(5 * (1 << 20) + 12345, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i * 7919) >> 3);
  Message snap;
  snap.set_type(::dcos::raft::v1::MESSAGE_TYPE_SNAP);
  snap.set_from(1);
  snap.set_to(2);
  snap.set_term(4);
  snap.mutable_snapshot()->set_index(1234);
  snap.mutable_snapshot()->set_term(3);
  snap.mutable_snapshot()->mutable_conf_state()->add_voters(1);
  t1->SendSnapshot(snap, data);
  t1->Send({App(1, 2, 1)});  // the message stream is not blocked by the snapshot
  REQUIRE(WaitFor([&] { return !sink1.snapshot_reports().empty(); }, kWait, "report").ok());
  CHECK(sink1.snapshot_reports() == std::vector<std::pair<uint64_t, bool>>{{2, true}});
  auto snapshots = m2.sink().snapshots();
  REQUIRE(snapshots.size() == 1);
  CHECK(snapshots[0].first.snapshot().index() == 1234);
  CHECK(snapshots[0].second == data);
  REQUIRE(WaitFor([&] { return m2.sink().received_count() == 1; }, kWait, "message").ok());

  snap.set_to(9);  // an unknown peer: fails at once
  t1->SendSnapshot(snap, "x");
  CHECK(sink1.snapshot_reports() ==
        std::vector<std::pair<uint64_t, bool>>{{2, true}, {9, false}});
}

// Hand-made streams against the service, checking status codes.
class RawClient {
 public:
  explicit RawClient(const std::string& address)
      : stub_(::dcos::raft::v1::RaftTransport::NewStub(
            grpc::CreateChannel(address, grpc::InsecureChannelCredentials()))) {}

  grpc::Status SendSnapshot(const std::vector<SnapshotChunk>& chunks) {
    grpc::ClientContext context;
    ::dcos::raft::v1::SendSnapshotResponse response;
    auto writer = stub_->SendSnapshot(&context, &response);
    for (const SnapshotChunk& c : chunks) {
      if (!writer->Write(c)) break;
    }
    writer->WritesDone();
    return writer->Finish();
  }

  grpc::Status Send(const std::vector<Envelope>& envelopes) {
    grpc::ClientContext context;
    ::dcos::raft::v1::SendResponse response;
    auto writer = stub_->Send(&context, &response);
    for (const Envelope& e : envelopes) {
      if (!writer->Write(e)) break;
    }
    writer->WritesDone();
    return writer->Finish();
  }

 private:
  std::unique_ptr<::dcos::raft::v1::RaftTransport::Stub> stub_;
};

std::vector<SnapshotChunk> SnapshotStream(const std::string& data) {
  Message snap;
  snap.set_type(::dcos::raft::v1::MESSAGE_TYPE_SNAP);
  snap.set_from(1);
  snap.set_to(2);
  snap.mutable_snapshot()->set_index(5);
  SnapshotChunker chunker(kCluster, snap, data, 1 << 20);
  std::vector<SnapshotChunk> chunks;
  SnapshotChunk c;
  while (chunker.Next(&c)) chunks.push_back(c);
  return chunks;
}

TEST_CASE("the service refuses corrupt, disordered and oversized snapshots",
          "[service][snapshot]") {
  Member m2(2, 0, kCluster, /*max_snapshot_bytes=*/4 << 20);
  RawClient client(m2.address());
  std::string data(3 << 20, 'd');
  std::vector<SnapshotChunk> good = SnapshotStream(data);

  std::vector<SnapshotChunk> corrupt = good;
  corrupt.back().mutable_trailer()->set_sha256(std::string(32, '\0'));
  CHECK(client.SendSnapshot(corrupt).error_code() == grpc::StatusCode::DATA_LOSS);

  std::vector<SnapshotChunk> flipped = good;
  (*flipped[1].mutable_data())[0] ^= 0x40;
  CHECK(client.SendSnapshot(flipped).error_code() == grpc::StatusCode::DATA_LOSS);

  std::vector<SnapshotChunk> disordered(good.begin() + 1, good.end());
  CHECK(client.SendSnapshot(disordered).error_code() == grpc::StatusCode::INVALID_ARGUMENT);

  CHECK(client.SendSnapshot(SnapshotStream(std::string(5 << 20, 'd'))).error_code() ==
        grpc::StatusCode::RESOURCE_EXHAUSTED);
  CHECK(m2.sink().snapshots().empty());

  CHECK(client.SendSnapshot(good).ok());
  CHECK(m2.sink().snapshots().size() == 1);
}

TEST_CASE("a wrong cluster id is refused", "[service]") {
  Member m2(2);
  RawClient client(m2.address());
  Envelope e;
  e.set_cluster_id(kCluster + 1);
  e.set_from(1);
  e.set_to(2);
  *e.add_messages() = App(1, 2, 1);
  CHECK(client.Send({e}).error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  e.set_cluster_id(kCluster);
  e.set_to(3);
  e.mutable_messages(0)->set_to(3);
  CHECK(client.Send({e}).error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  e.set_to(2);
  e.mutable_messages(0)->set_to(4);
  CHECK(client.Send({e}).error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  e.mutable_messages(0)->set_to(2);
  CHECK(client.Send({e}).ok());
  CHECK(m2.sink().received_count() == 1);

  // A transport of another ensemble: refused, reported unreachable, nothing delivered.
  RecordingSink sink1;
  auto t1 = NewTransport(1, &sink1, {{2, m2.address()}}, kCluster + 1);
  t1->Send({App(1, 2, 1)});
  REQUIRE(WaitFor([&] { return sink1.unreachable(2) >= 1; }, kWait, "refusal reported").ok());
  CHECK(m2.sink().received_count() == 1);
}

TEST_CASE("Stop returns promptly while peers are unreachable", "[transport]") {
  BlackHole hole;
  ReservedPort refusing;
  RecordingSink sink1;
  auto t1 = NewTransport(1, &sink1,
                         {{2, hole.address()}, {3, absl::StrCat("127.0.0.1:", refusing.port())}});
  // Enough to fill any HTTP/2 window the hole will never open, and a snapshot behind it.
  std::vector<Message> batch;
  for (uint64_t i = 1; i <= 200; ++i) batch.push_back(App(1, 2, i, 4096));
  t1->Send(batch);
  Message snap;
  snap.set_type(::dcos::raft::v1::MESSAGE_TYPE_SNAP);
  snap.set_from(1);
  snap.set_to(2);
  t1->SendSnapshot(snap, std::string(4 << 20, 's'));
  REQUIRE(WaitFor([&] { return sink1.unreachable(3) >= 1; }, kWait, "refusing peer").ok());

  auto start = std::chrono::steady_clock::now();
  t1->Stop();
  auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(elapsed < std::chrono::seconds(2));
  t1->Send({App(1, 2, 1)});  // after Stop: dropped quietly
  t1.reset();
}

}  // namespace
}  // namespace dcos::raft
