// Session passwords on three real dcos-zk processes: someone who knows a session's id but not
// its password can neither attach to it nor close it — answered exactly as for a session that
// is gone — while its owner (libs/zk, which presents the password) keeps it; after the session
// moved to another member (kill -9 of its member), and after a restart of every member (the
// password then comes back from snapshots and the log). The right password closes it.

#include <filesystem>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "libs/testing/harness.h"
#include "libs/zk/client.h"
#include "libs/zk/errors.h"
#include "protos/zk/v1/zookeeper.grpc.pb.h"
#include "tests/zk/zk_client_recorder.h"
#include "tests/zk/zk_ensemble.h"
#include "tests/zk/zk_test_client.h"

namespace dcos::testing {
namespace {

using zk::client::SessionState;
namespace v1 = zk::v1;

std::unique_ptr<v1::ZooKeeper::Stub> Stub(const std::string& address) {
  return v1::ZooKeeper::NewStub(Channel(address));
}

// Opens a Session stream at `address` and attaches: OK once Attached comes back (the stream
// is then ended by the client), else the status the stream ended with.
grpc::Status Attach(const std::string& address, int64_t session, const std::string& password) {
  auto stub = Stub(address);
  auto ctx = Context();
  auto stream = stub->Session(ctx.get());
  v1::SessionRequest attach;
  attach.mutable_attach()->set_session_id(session);
  attach.mutable_attach()->set_password(password);
  v1::SessionResponse response;
  if (stream->Write(attach) && stream->Read(&response) && response.has_attached()) {
    ctx->TryCancel();
    (void)stream->Finish();
    return grpc::Status::OK;
  }
  return stream->Finish();
}

grpc::Status Close(const std::string& address, int64_t session, const std::string& password) {
  auto ctx = Context();
  v1::CloseSessionRequest request;
  request.set_session_id(session);
  request.set_password(password);
  v1::CloseSessionResponse response;
  return Stub(address)->CloseSession(ctx.get(), request, &response);
}

// `call` repeated while the member cannot tell yet (UNAVAILABLE: no leader, or catching up
// after a restart); its first definite answer.
template <typename Call>
grpc::Status Definite(Call call) {
  grpc::Status s;
  (void)WaitFor(
      [&] {
        s = call();
        return s.error_code() != grpc::StatusCode::UNAVAILABLE &&
               s.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED;
      },
      absl::Seconds(20), "a definite answer");
  return s;
}

// The flags of this test: sessions that outlive a restart of the whole ensemble, and a
// snapshot every 5 entries so that sessions come back from snapshots, not only from the log.
std::vector<std::string> Flags() {
  return {"--zk.min_session_timeout=500ms", "--zk.max_session_timeout=60s",
          "--raft.snapshot_threshold=5"};
}

TEST_CASE("zk passwords: a wrong password neither attaches nor closes; moves and restarts too") {
  ZkTestEnsemble e(Flags());
  REQUIRE(e.StartAll().ok());
  Recorder rec;
  auto owner = ConnectTestClient(e, absl::Seconds(30), rec.Listener());
  REQUIRE(rec.WaitStateCount(SessionState::kConnected, 1, absl::Seconds(10)).ok());
  REQUIRE(owner->Create("/owned", "x", v1::CREATE_MODE_EPHEMERAL).ok());
  const int64_t session = owner->session_id();
  const std::string password = owner->session_password();
  REQUIRE(password.size() == 16);

  // A session that is gone, for what such a session answers; each session has its own
  // password.
  auto other = ConnectTestClient(e, absl::Seconds(30));
  const int64_t gone = other->session_id();
  CHECK(other->session_password().size() == 16);
  CHECK(other->session_password() != password);
  REQUIRE(other->Close().ok());

  std::string flipped = password;
  flipped[0] = static_cast<char>(flipped[0] ^ 1);
  const std::vector<std::string> wrong = {"", std::string(16, '\0'), flipped, "guess"};

  // Every member has a leader with a quorum (no member cut off any more: none will end the
  // owner's stream now) and the owner is attached, its recorder caught up.
  auto settle = [&] {
    REQUIRE(WaitFor(
                [&] {
                  for (int m = 1; m <= 3; ++m) {
                    v1::StatusResponse status;
                    if (!e.Status(m, &status).ok() || !status.has_quorum()) return false;
                  }
                  return owner->session_state() == SessionState::kConnected &&
                         rec.Count(SessionState::kConnected) ==
                             rec.Count(SessionState::kDisconnected) + 1;
                },
                absl::Seconds(30), "a settled ensemble, the owner attached")
                .ok());
  };

  // Every member refuses every wrong password, answering as it answers for the gone session
  // (the id aside), and the owner notices nothing.
  auto refused_everywhere = [&](const std::string& stage) {
    INFO(stage);
    settle();
    const size_t disconnects = rec.Count(SessionState::kDisconnected);
    for (int m = 1; m <= 3; ++m) {
      const std::string& address = e.address(m);
      INFO("member " << m);
      grpc::Status gone_attach = Definite([&] { return Attach(address, gone, ""); });
      REQUIRE(gone_attach.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
      REQUIRE(gone_attach.error_message().find("SESSION_EXPIRED") != std::string::npos);
      const std::string expected = absl::StrReplaceAll(
          gone_attach.error_message(), {{absl::StrCat(gone), absl::StrCat(session)}});
      for (const std::string& guess : wrong) {
        INFO("password of " << guess.size() << " bytes");
        grpc::Status attach = Definite([&] { return Attach(address, session, guess); });
        CHECK(attach.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
        CHECK(attach.error_message() == expected);
        CHECK(IsSessionExpired(zk::client::FromGrpcStatus(attach)));
        grpc::Status close = Definite([&] { return Close(address, session, guess); });
        CHECK(close.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
        CHECK(close.error_message() == expected);
        CHECK(IsSessionExpired(zk::client::FromGrpcStatus(close)));
      }
    }
    CHECK(owner->session_state() == SessionState::kConnected);
    CHECK(rec.Count(SessionState::kDisconnected) == disconnects);  // never moved away
    auto owned = owner->Exists("/owned", /*linearizable=*/true);
    REQUIRE(owned.ok());
    CHECK(owned->has_value());
  };
  refused_everywhere("fresh");

  // Writes enough for every member to take snapshots holding the session.
  for (int i = 0; i < 20; ++i) REQUIRE(owner->Create(absl::StrCat("/n", i), "").ok());

  // The session moves: kill -9 of its member; the owner attaches elsewhere with its password.
  const int attached = e.IdOf(owner->connected_address());
  REQUIRE(attached != 0);
  REQUIRE(e.Kill(attached).ok());
  REQUIRE(rec.WaitStateCount(SessionState::kConnected, 2, absl::Seconds(15)).ok());
  CHECK(e.IdOf(owner->connected_address()) != attached);
  REQUIRE(e.Start(attached).ok());
  REQUIRE(WaitServing(e.address(attached), grpc::InsecureChannelCredentials(),
                      absl::Seconds(30))
              .ok());
  refused_everywhere("moved");

  // Every member restarts: the session table comes back from a snapshot and the log.
  for (int m = 1; m <= 3; ++m) {
    INFO("member " << m);
    CHECK_FALSE(std::filesystem::is_empty(absl::StrCat(e.dir(), "/m", m, "/snap")));
    REQUIRE(e.Terminate(m).ok());
  }
  for (int m = 1; m <= 3; ++m) REQUIRE(e.Start(m).ok());
  REQUIRE(rec.WaitStateCount(SessionState::kConnected, 3, absl::Seconds(30)).ok());
  refused_everywhere("restarted");

  // The right password closes it, at whichever member leads: the owner hears it.
  REQUIRE(WaitFor(
              [&] {
                for (int m = 1; m <= 3; ++m) {
                  if (Close(e.address(m), session, password).ok()) return true;
                }
                return false;
              },
              absl::Seconds(10), "CloseSession with the right password")
              .ok());
  REQUIRE(rec.WaitStateCount(SessionState::kExpired, 1, absl::Seconds(10)).ok());
  auto admin = ConnectTestClient(e, std::nullopt);
  auto owned = admin->Exists("/owned", /*linearizable=*/true);
  REQUIRE(owned.ok());
  CHECK_FALSE(owned->has_value());
  // Gone now for the right password too.
  grpc::Status late = Definite([&] { return Attach(e.address(1), session, password); });
  CHECK(late.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
}

}  // namespace
}  // namespace dcos::testing
