// ZooKeeper.Pipeline on three real dcos-zk processes: results come back in the order sent, a
// read sees the stream's earlier writes, each op fails exactly as its own RPC would (code,
// message and ZkError detail) without stopping the stream, a follower answers writes with the
// leader redirect and serves reads, a bad batch ends the stream with INVALID_ARGUMENT, a
// client that closes its side gets every result and then OK, and SIGTERM ends an open stream
// at once.

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/testing/harness.h"
#include "libs/zk/errors.h"
#include "protos/zk/v1/zookeeper.grpc.pb.h"
#include "tests/zk/zk_ensemble.h"
#include "tests/zk/zk_test_client.h"

namespace dcos::testing {
namespace {

namespace v1 = zk::v1;
using Stream = grpc::ClientReaderWriter<v1::PipelineRequest, v1::PipelineResponse>;

struct Pipe {
  std::unique_ptr<v1::ZooKeeper::Stub> stub;
  std::unique_ptr<grpc::ClientContext> ctx;
  std::unique_ptr<Stream> stream;
};

Pipe Open(const std::string& address) {
  Pipe p;
  p.stub = v1::ZooKeeper::NewStub(Channel(address));
  p.ctx = Context(absl::Seconds(30));
  p.stream = p.stub->Pipeline(p.ctx.get());
  return p;
}

// Sends `ops` as one batch and reads until there is a result for each (or the stream ends).
std::vector<v1::PipelineResult> RoundTrip(Pipe& p, const std::vector<v1::PipelineOp>& ops) {
  v1::PipelineRequest request;
  for (const v1::PipelineOp& op : ops) *request.add_ops() = op;
  std::vector<v1::PipelineResult> results;
  if (!p.stream->Write(request)) return results;
  v1::PipelineResponse response;
  while (results.size() < ops.size() && p.stream->Read(&response)) {
    for (const v1::PipelineResult& r : response.results()) results.push_back(r);
  }
  return results;
}

v1::PipelineOp Create(const std::string& path, const std::string& data) {
  v1::PipelineOp op;
  op.mutable_create()->set_path(path);
  op.mutable_create()->set_data(data);
  return op;
}
v1::PipelineOp Set(const std::string& path, const std::string& data) {
  v1::PipelineOp op;
  op.mutable_set_data()->set_path(path);
  op.mutable_set_data()->set_data(data);
  return op;
}
v1::PipelineOp Get(const std::string& path) {
  v1::PipelineOp op;
  op.mutable_get_data()->set_path(path);
  return op;
}
v1::PipelineOp Delete(const std::string& path) {
  v1::PipelineOp op;
  op.mutable_delete_()->set_path(path);
  return op;
}
v1::PipelineOp Exists(const std::string& path) {
  v1::PipelineOp op;
  op.mutable_exists()->set_path(path);
  return op;
}

absl::Status StatusOf(const v1::PipelineResult& r) {
  return zk::client::FromGrpcStatus(
      grpc::Status(static_cast<grpc::StatusCode>(r.code()), r.message(), r.details()));
}

// The member that accepts writes: the one whose pipeline create of `probe` is not redirected.
int Leader(ZkTestEnsemble& e, const std::string& probe) {
  int leader = 0;
  REQUIRE(WaitFor(
              [&] {
                for (int m = 1; m <= 3; ++m) {
                  Pipe p = Open(e.address(m));
                  std::vector<v1::PipelineResult> r = RoundTrip(p, {Create(probe, "")});
                  p.ctx->TryCancel();
                  if (r.size() == 1 && (r[0].code() == grpc::StatusCode::OK ||
                                        r[0].code() == grpc::StatusCode::ALREADY_EXISTS)) {
                    leader = m;
                    return true;
                  }
                }
                return false;
              },
              absl::Seconds(30), "a member that accepts writes")
              .ok());
  return leader;
}

// `ops` as one batch on the leader, again on the new leader while the first op is answered
// UNAVAILABLE (a leader change, as a loaded machine may cause: the batch then wrote nothing,
// since a member that does not lead redirects every write).
std::vector<v1::PipelineResult> OnLeader(ZkTestEnsemble& e, const std::vector<v1::PipelineOp>& ops) {
  std::vector<v1::PipelineResult> r;
  REQUIRE(WaitFor(
              [&] {
                Pipe p = Open(e.address(Leader(e, "/probe")));
                r = RoundTrip(p, ops);
                p.ctx->TryCancel();
                return r.size() == ops.size() && r[0].code() != grpc::StatusCode::UNAVAILABLE;
              },
              absl::Seconds(30), "the batch answered by a leader")
              .ok());
  return r;
}

TEST_CASE("zk pipeline: order, read-your-writes, per-op errors, redirects, bad batches, close") {
  // A long shutdown grace: SIGTERM must not wait for it (the last section).
  ZkTestEnsemble e({"--shutdown.grace=20s"});
  REQUIRE(e.StartAll().ok());
  const int leader = Leader(e, "/probe");
  const int follower = leader % 3 + 1;

  SECTION("one batch: results in order, each read sees the writes before it") {
    std::vector<v1::PipelineResult> r =
        OnLeader(e, {Create("/a", "one"), Get("/a"), Set("/a", "two"), Get("/a"),
                     Exists("/a"), Delete("/a"), Exists("/a"), Get("/a")});
    REQUIRE(r.size() == 8);
    for (int i = 0; i < 7; ++i) CHECK(r[static_cast<size_t>(i)].code() == 0);
    CHECK(r[0].create().path() == "/a");
    CHECK(r[1].get_data().data() == "one");
    CHECK(r[2].set_data().stat().version() == 1);
    CHECK(r[3].get_data().data() == "two");
    CHECK(r[4].exists().has_stat());
    CHECK_FALSE(r[6].exists().has_stat());
    // The last get fails as GetData would: NOT_FOUND with the ZkError detail naming the path.
    CHECK(r[7].code() == grpc::StatusCode::NOT_FOUND);
    CHECK(zk::client::ErrorCodeOf(StatusOf(r[7])) == v1::ERROR_CODE_NO_NODE);
    CHECK(r[7].response_case() == v1::PipelineResult::RESPONSE_NOT_SET);
    // Every write's zxid is above the one before.
    CHECK(r[2].set_data().header().zxid() > r[0].create().header().zxid());
    CHECK(r[5].delete_().header().zxid() > r[2].set_data().header().zxid());
  }

  SECTION("failed ops do not stop the stream") {
    v1::PipelineOp empty;
    std::vector<v1::PipelineResult> r =
        OnLeader(e, {Create("/b", "x"), Create("no-slash", "x"), empty, Create("/b", "y"),
                     Get("/b")});
    REQUIRE(r.size() == 5);
    CHECK(r[0].code() == 0);
    CHECK(r[1].code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK(zk::client::ErrorCodeOf(StatusOf(r[1])) == v1::ERROR_CODE_BAD_ARGUMENTS);
    CHECK(r[2].code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK(r[2].message().find("names no operation") != std::string::npos);
    CHECK(r[3].code() == grpc::StatusCode::ALREADY_EXISTS);
    CHECK(zk::client::ErrorCodeOf(StatusOf(r[3])) == v1::ERROR_CODE_NODE_EXISTS);
    CHECK(r[4].get_data().data() == "x");  // the failed create changed nothing
  }

  SECTION("a follower redirects writes and serves reads") {
    REQUIRE(OnLeader(e, {Create("/c", "seen")})[0].code() == 0);
    Pipe p = Open(e.address(follower));
    std::vector<v1::PipelineResult> r;
    REQUIRE(WaitFor(
                [&] {
                  r = RoundTrip(p, {Set("/c", "nope"), Get("/c")});
                  return r.size() == 2 && r[1].code() == 0;  // the follower has applied /c
                },
                absl::Seconds(10), "the follower to serve /c")
                .ok());
    CHECK(r[0].code() == grpc::StatusCode::UNAVAILABLE);
    CHECK(r[0].message().find("leader is member ") != std::string::npos);
    CHECK(r[1].get_data().data() == "seen");
  }

  SECTION("many batches back to back: every result, in order") {
    Pipe p = Open(e.address(leader));
    REQUIRE(RoundTrip(p, {Create("/n", "0")}).size() == 1);
    constexpr int kBatches = 50, kPerBatch = 40;
    for (int b = 0; b < kBatches; ++b) {
      v1::PipelineRequest request;
      for (int i = 0; i < kPerBatch; ++i) {
        int n = b * kPerBatch + i;
        *request.add_ops() = n % 2 == 0 ? Set("/n", absl::StrCat(n)) : Get("/n");
      }
      REQUIRE(p.stream->Write(request));
    }
    REQUIRE(p.stream->WritesDone());
    int n = 0;
    v1::PipelineResponse response;
    while (p.stream->Read(&response)) {
      for (const v1::PipelineResult& r : response.results()) {
        INFO("op " << n);
        REQUIRE(r.code() == 0);
        // Each get sees the set just before it, and nothing after.
        if (n % 2 == 1) REQUIRE(r.get_data().data() == absl::StrCat(n - 1));
        ++n;
      }
    }
    CHECK(n == kBatches * kPerBatch);
    // The client closed its side: the server finishes OK once everything is answered.
    CHECK(p.stream->Finish().ok());
  }

  SECTION("kill -9 of the leader while ops are in flight: every acknowledged write survives") {
    REQUIRE(OnLeader(e, {Create("/k", "")})[0].code() == 0);
    Pipe p = Open(e.address(leader));
    std::atomic<int> acked{0};
    std::vector<int> acknowledged;
    std::thread killer([&] {
      (void)WaitFor([&] { return acked.load() >= 300; }, absl::Seconds(30), "300 creates");
      CHECK(e.Kill(leader).ok());
    });
    constexpr int kBatch = 20;
    for (int next = 0; next < 100000; next += kBatch) {
      v1::PipelineRequest request;
      for (int i = 0; i < kBatch; ++i) *request.add_ops() = Create(absl::StrCat("/k/", next + i), "v");
      if (!p.stream->Write(request)) break;
      int answered = 0;
      v1::PipelineResponse response;
      while (answered < kBatch && p.stream->Read(&response)) {
        for (const v1::PipelineResult& r : response.results()) {
          if (r.code() == 0) {
            acknowledged.push_back(next + answered);
            acked.fetch_add(1);
          }
          ++answered;
        }
      }
      if (answered < kBatch) break;  // the stream broke with the leader
    }
    killer.join();
    (void)p.stream->Finish();
    std::printf("%zu creates acknowledged before the leader died\n", acknowledged.size());
    REQUIRE(acknowledged.size() >= 300);
    // Linearizable reads on the new leader: each acknowledged node is there.
    for (size_t from = 0; from < acknowledged.size(); from += 500) {
      std::vector<v1::PipelineOp> reads;
      for (size_t i = from; i < std::min(acknowledged.size(), from + 500); ++i) {
        v1::PipelineOp op = Exists(absl::StrCat("/k/", acknowledged[i]));
        op.mutable_exists()->mutable_read_options()->set_linearizable(true);
        reads.push_back(op);
      }
      std::vector<v1::PipelineResult> r;
      REQUIRE(WaitFor(
                  [&] {
                    for (int m = 1; m <= 3; ++m) {
                      if (m == leader) continue;
                      Pipe q = Open(e.address(m));
                      r = RoundTrip(q, reads);
                      q.ctx->TryCancel();
                      if (r.size() == reads.size() && r[0].code() == 0) return true;
                    }
                    return false;
                  },
                  absl::Seconds(30), "linearizable reads on the new leader")
                  .ok());
      for (size_t i = 0; i < r.size(); ++i) {
        INFO("/k/" << acknowledged[from + i]);
        REQUIRE(r[i].code() == 0);
        REQUIRE(r[i].exists().has_stat());
      }
    }
  }

  SECTION("an empty batch ends the stream with INVALID_ARGUMENT") {
    Pipe p = Open(e.address(leader));
    REQUIRE(p.stream->Write(v1::PipelineRequest()));
    v1::PipelineResponse response;
    CHECK_FALSE(p.stream->Read(&response));
    grpc::Status s = p.stream->Finish();
    CHECK(s.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK(s.error_message().find("1 to 10000") != std::string::npos);
  }

  SECTION("SIGTERM ends an open stream at once") {
    Pipe p = Open(e.address(follower));
    REQUIRE(RoundTrip(p, {Exists("/")}).size() == 1);
    // As a pipelining client does, a read is always waiting for results.
    grpc::Status ended;
    std::thread reader([&] {
      v1::PipelineResponse response;
      while (p.stream->Read(&response)) {
      }
      ended = p.stream->Finish();
    });
    absl::StatusOr<absl::Duration> took = e.Terminate(follower);
    reader.join();
    REQUIRE(took.ok());
    // Far below the 20 s grace: neither the stream nor the client's open connection held the
    // shutdown (libs/runtime closes connections once no call is in flight).
    std::printf("SIGTERM with a Pipeline stream open -> exit: %s\n",
                absl::FormatDuration(*took).c_str());
    CHECK(*took < absl::Seconds(3));
    CHECK(ended.error_code() == grpc::StatusCode::UNAVAILABLE);
  }
}

// The value of the first sample of `name` (with any labels) on a /metrics page; -1 if none.
double MetricValue(const std::string& page, const std::string& name) {
  for (absl::string_view line : absl::StrSplit(page, '\n')) {
    if (!absl::StartsWith(line, name)) continue;
    absl::string_view rest = line.substr(name.size());
    if (rest.empty() || (rest[0] != ' ' && rest[0] != '{')) continue;
    double v = 0;
    if (absl::SimpleAtod(line.substr(line.rfind(' ') + 1), &v)) return v;
  }
  return -1;
}

TEST_CASE("zk metrics: znodes, sessions, watches, outstanding ops and pipelines on /metrics") {
  ZkTestEnsemble e;
  const std::string metrics = absl::StrCat("127.0.0.1:", FreePort());
  e.SetMemberFlags(1, {"--metrics.listen=" + metrics});
  REQUIRE(e.StartAll().ok());
  auto value = [&](const std::string& name) {
    absl::StatusOr<std::string> page = HttpGet(metrics, "/metrics");
    return page.ok() ? MetricValue(*page, name) : -2;
  };
  // Member 1 has the tree every member has: "/" and "/zookeeper" at least.
  const double base = value("dcos_zk_znodes");
  REQUIRE(base >= 1);
  REQUIRE(OnLeader(e, {Create("/m1", ""), Create("/m2", "")})[0].code() == 0);
  CHECK(WaitFor([&] { return value("dcos_zk_znodes") == base + 3; },  // with /probe
                absl::Seconds(10), "member 1 to count the new znodes")
            .ok());
  CHECK(value("dcos_zk_sessions") == 0);
  CHECK(value("dcos_zk_attached_sessions") == 0);
  CHECK(value("dcos_zk_watches") == 0);
  CHECK(value("dcos_zk_outstanding_requests") == 0);
  {
    Pipe p = Open(e.address(1));
    REQUIRE(RoundTrip(p, {Get("/m1"), Exists("/m2")}).size() == 2);
    CHECK(value("dcos_zk_pipeline_streams") == 1);
    CHECK(value("dcos_zk_outstanding_requests") == 0);
    absl::StatusOr<std::string> page = HttpGet(metrics, "/metrics");
    REQUIRE(page.ok());
    CHECK(page->find("dcos_zk_pipeline_op_seconds_count{op=\"get_data\"} 1") != std::string::npos);
    CHECK(page->find("dcos_zk_pipeline_op_seconds_count{op=\"exists\"} 1") != std::string::npos);
    p.ctx->TryCancel();
  }
  CHECK(WaitFor([&] { return value("dcos_zk_pipeline_streams") == 0; }, absl::Seconds(10),
                "the stream gone from the gauge")
            .ok());
  // A session (replicated: every member counts it), then closed.
  auto client = ConnectTestClient(e, absl::Seconds(30));
  CHECK(WaitFor([&] { return value("dcos_zk_sessions") == 1; }, absl::Seconds(10),
                "member 1 to count the session")
            .ok());
  REQUIRE(client->Close().ok());
  CHECK(WaitFor([&] { return value("dcos_zk_sessions") == 0; }, absl::Seconds(10),
                "member 1 to drop the closed session")
            .ok());
}

}  // namespace
}  // namespace dcos::testing
