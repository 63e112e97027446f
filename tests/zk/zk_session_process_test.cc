// ZkClient sessions and watches against three real dcos-zk processes: a session that survives
// kill -9 of its member (watches re-registered, changes made meanwhile reported), expiry of a
// frozen client (ephemerals deleted, watches fired, SESSION_EXPIRED ever after), the whole
// ensemble down for longer than the timeout, and ZooKeeper's order of a watch event before
// the data that changed.

#include <atomic>
#include <cstdio>
#include <fstream>

#include <catch2/catch.hpp>
#include <grpcpp/create_channel.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/testing/harness.h"
#include "libs/zk/client.h"
#include "libs/zk/errors.h"
#include "tests/zk/zk_client_recorder.h"
#include "tests/zk/zk_ensemble.h"
#include "tests/zk/zk_test_client.h"

namespace dcos::testing {
namespace {

using zk::client::SessionState;
using zk::client::WatchEvent;
using zk::client::ZkClient;
namespace v1 = zk::v1;

std::unique_ptr<ZkClient> Client(const ZkTestEnsemble& e, std::optional<absl::Duration> timeout,
                                 Recorder* recorder = nullptr) {
  return ConnectTestClient(e, timeout, recorder ? recorder->Listener() : nullptr);
}

bool Expired(const absl::Status& s) { return IsSessionExpired(s); }

// Deletes `path`, repeating a delete whose outcome was unknown (CONNECTION_LOSS during a
// failover) until a definite answer; NO_NODE on a repeat means the first one applied.
absl::Status DeleteSurely(ZkClient& zk, const std::string& path) {
  absl::Status s;
  for (int attempt = 0; attempt < 20; ++attempt) {
    s = zk.Delete(path);
    if (s.ok() || (attempt > 0 && zk::client::ErrorCodeOf(s) == v1::ERROR_CODE_NO_NODE)) {
      return absl::OkStatus();
    }
    if (s.code() != absl::StatusCode::kUnavailable &&
        s.code() != absl::StatusCode::kDeadlineExceeded) {
      return s;
    }
  }
  return s;
}

// The member's threads, from /proc/PID/status.
int Threads(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, "Threads:")) return std::stoi(line.substr(8));
  }
  return -1;
}

TEST_CASE("zk session: attached sessions cost the members no threads") {
  ZkTestEnsemble e(SessionTestFlags());
  REQUIRE(e.StartAll().ok());
  auto total = [&] {
    int n = 0;
    for (int id = 1; id <= 3; ++id) n += Threads(e.pid(id));
    return n;
  };
  // Warm up: the first sessions open every connection and gRPC's own threads.
  std::vector<std::unique_ptr<ZkClient>> clients;
  for (int i = 0; i < 3; ++i) clients.push_back(Client(e, absl::Seconds(10)));
  REQUIRE(clients.back()->Create("/warm", "x").ok());
  const int before = total();
  constexpr int kSessions = 60;
  for (int i = 0; i < kSessions; ++i) clients.push_back(Client(e, absl::Seconds(10)));
  // Every session is attached and live: each sees its own ephemeral node.
  for (size_t i = 3; i < clients.size(); ++i) {
    REQUIRE(clients[i]->Create(absl::StrCat("/s", i), "", v1::CREATE_MODE_EPHEMERAL).ok());
  }
  const int after = total();
  INFO("member threads before " << before << ", after " << kSessions << " more sessions " << after);
  std::printf("member threads: %d before, %d with %d more sessions attached\n", before, after,
              kSessions);
  // A thread (or two) per session would add 60-120; gRPC may start a few of its own.
  CHECK(after - before < kSessions / 3);
}

TEST_CASE("zk session: a member shutting down sends its sessions away at once") {
  std::vector<std::string> flags = SessionTestFlags();
  flags.push_back("--shutdown.grace=20s");
  ZkTestEnsemble e(flags);
  REQUIRE(e.StartAll().ok());
  zk::client::ZkClient::Options o;
  o.ensemble = e.addresses();
  o.seed = 0;  // attaches to member 1 (ensemble[seed % 3])
  o.session = zk::client::ZkClient::Options::Session{absl::Seconds(10), nullptr};
  auto client = zk::client::ZkClient::Connect(o);
  REQUIRE(client.ok());
  REQUIRE((*client)->Create("/eph", "x", v1::CREATE_MODE_EPHEMERAL).ok());
  const int64_t session = (*client)->session_id();
  // Its Session stream ends at once: the member exits long before the 20 s grace.
  absl::StatusOr<absl::Duration> took = e.Terminate(1);
  REQUIRE(took.ok());
  INFO("SIGTERM -> exit: " << absl::FormatDuration(*took));
  std::printf("SIGTERM -> exit of a member with a session attached: %s (grace 20 s)\n",
              absl::FormatDuration(*took).c_str());
  CHECK(*took < absl::Seconds(8));
  // The session lives on, on another member.
  CHECK((*client)->session_id() == session);
  auto exists = (*client)->Exists("/eph");
  REQUIRE(exists.ok());
  CHECK(exists->has_value());
}

TEST_CASE("zk session: survives kill -9 of its member; watches follow it") {
  ZkTestEnsemble e(SessionTestFlags());
  REQUIRE(e.StartAll().ok());
  auto admin = Client(e, std::nullopt);
  Recorder rec;
  auto a = Client(e, absl::Seconds(3), &rec);
  CHECK(a->session_timeout() == absl::Seconds(3));
  CHECK(a->session_id() != 0);
  REQUIRE(rec.WaitStateCount(SessionState::kConnected, 1, absl::Seconds(5)).ok());

  auto eph = a->CreateWithStat("/eph", "mine", v1::CREATE_MODE_EPHEMERAL);
  REQUIRE(eph.ok());
  CHECK(eph->second.ephemeral_owner() == a->session_id());
  REQUIRE(admin->Create("/w", "0").ok());
  REQUIRE(admin->Create("/gone", "x").ok());
  // Linearizable: a's member may not have applied admin's creates yet.
  REQUIRE(a->GetDataAndWatch("/w", rec.Watch("w"), /*linearizable=*/true).ok());
  REQUIRE(a->GetDataAndWatch("/gone", rec.Watch("gone"), true).ok());
  REQUIRE(a->ExistsAndWatch("/later", rec.Watch("later")).ok());

  int attached = e.IdOf(a->connected_address());
  REQUIRE(attached != 0);
  REQUIRE(e.Kill(attached).ok());
  absl::Time killed = absl::Now();
  // A change made while the session moves: the watch re-checked on the new member reports it.
  REQUIRE(DeleteSurely(*admin, "/gone").ok());
  REQUIRE(rec.WaitStateCount(SessionState::kConnected, 2, absl::Seconds(10)).ok());
  std::printf("session re-attached %lld ms after kill -9 of its member %d\n",
              static_cast<long long>(absl::ToInt64Milliseconds(absl::Now() - killed)), attached);
  CHECK(rec.Count(SessionState::kDisconnected) >= 1);
  CHECK(rec.Count(SessionState::kExpired) == 0);
  CHECK(e.IdOf(a->connected_address()) != attached);
  REQUIRE(rec.WaitEvent("gone NodeDeleted /gone", absl::Seconds(10)).ok());

  // Watches left before the kill fire for changes after it.
  REQUIRE(admin->SetData("/w", "1").ok());
  REQUIRE(rec.WaitEvent("w NodeDataChanged /w", absl::Seconds(10)).ok());
  REQUIRE(admin->Create("/later", "").ok());
  REQUIRE(rec.WaitEvent("later NodeCreated /later", absl::Seconds(10)).ok());

  // The session and its ephemeral node lived through it.
  auto still = admin->Exists("/eph", /*linearizable=*/true);
  REQUIRE(still.ok());
  REQUIRE(still->has_value());
  CHECK((*still)->ephemeral_owner() == a->session_id());
  REQUIRE(a->Create("/eph2", "", v1::CREATE_MODE_EPHEMERAL).ok());

  // Close: the ephemerals go at once; the client is done.
  REQUIRE(a->Close().ok());
  CHECK(rec.Count(SessionState::kClosed) == 1);
  CHECK(!admin->Exists("/eph", true)->has_value());
  CHECK(!admin->Exists("/eph2", true)->has_value());
  CHECK(Expired(a->GetData("/w").status()));
}

TEST_CASE("zk session: a frozen client's session expires; ephemerals go; SESSION_EXPIRED after") {
  ZkTestEnsemble e(SessionTestFlags());
  REQUIRE(e.StartAll().ok());
  Recorder ra, rb;
  auto a = Client(e, absl::Seconds(1), &ra);
  auto b = Client(e, absl::Seconds(5), &rb);
  REQUIRE(a->Create("/a-eph", "", v1::CREATE_MODE_EPHEMERAL).ok());
  REQUIRE(a->GetDataAndWatch("/a-eph", ra.Watch("a")).ok());
  auto seen = b->ExistsAndWatch("/a-eph", rb.Watch("b"), /*linearizable=*/true);
  REQUIRE(seen.ok());
  REQUIRE(seen->has_value());

  a->SuspendSessionForTesting(true);
  absl::Time frozen = absl::Now();
  REQUIRE(rb.WaitEvent("b NodeDeleted /a-eph", absl::Seconds(10)).ok());
  std::printf("ephemeral deleted %lld ms after its 1 s session froze\n",
              static_cast<long long>(absl::ToInt64Milliseconds(absl::Now() - frozen)));
  REQUIRE(ra.WaitStateCount(SessionState::kExpired, 1, absl::Seconds(5)).ok());
  // The client saw it expire no later than the ensemble could have expired it.
  CHECK(a->session_alive_until() == absl::InfinitePast());
  REQUIRE(WaitFor([&] { return ra.events().size() == 1; }, absl::Seconds(5), "a's watch").ok());
  CHECK((ra.HasEvent("a SessionExpired /a-eph") || ra.HasEvent("a NodeDeleted /a-eph")));
  CHECK(a->session_state() == SessionState::kExpired);

  // Every later call says so; no new session appears.
  int64_t id = a->session_id();
  CHECK(Expired(a->GetData("/").status()));
  CHECK(Expired(a->Create("/x", "").status()));
  CHECK(Expired(a->SetData("/", "").status()));
  CHECK(Expired(a->GetChildrenAndWatch("/", ra.Watch("late")).status()));
  CHECK(a->session_id() == id);
  CHECK(ra.Count(SessionState::kConnected) == 1);
  CHECK(rb.Count(SessionState::kExpired) == 0);

  // The ensemble ends b's session behind its back (someone with its id and password): b
  // hears it on its stream.
  REQUIRE(WaitFor(
              [&] {
                for (const std::string& address : e.addresses()) {  // the leader accepts it
                  auto stub = v1::ZooKeeper::NewStub(
                      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
                  grpc::ClientContext ctx;
                  v1::CloseSessionRequest close;
                  close.set_session_id(b->session_id());
                  close.set_password(b->session_password());
                  v1::CloseSessionResponse closed;
                  if (stub->CloseSession(&ctx, close, &closed).ok()) return true;
                }
                return false;
              },
              absl::Seconds(10), "CloseSession on the leader")
              .ok());
  REQUIRE(rb.WaitStateCount(SessionState::kExpired, 1, absl::Seconds(5)).ok());
  CHECK(Expired(b->Exists("/").status()));
}

TEST_CASE("zk session: the whole ensemble down past the timeout ends the session") {
  ZkTestEnsemble e(SessionTestFlags());
  REQUIRE(e.StartAll().ok());
  Recorder rec;
  auto a = Client(e, absl::Seconds(1), &rec);
  REQUIRE(a->Create("/e", "", v1::CREATE_MODE_EPHEMERAL).ok());
  for (int id = 1; id <= 3; ++id) REQUIRE(e.Kill(id).ok());
  absl::Time down = absl::Now();
  REQUIRE(rec.WaitStateCount(SessionState::kExpired, 1, absl::Seconds(10)).ok());
  absl::Duration took = absl::Now() - down;
  std::printf("session reported expired %lld ms after the ensemble went down\n",
              static_cast<long long>(absl::ToInt64Milliseconds(took)));
  CHECK(took < absl::Seconds(2));
  for (int id = 1; id <= 3; ++id) REQUIRE(e.Start(id).ok());
  CHECK(Expired(a->GetData("/").status()));
  // The ensemble expires it too (a new leader grants a fresh timeout first).
  auto admin = Client(e, std::nullopt);
  REQUIRE(WaitFor([&] {
            auto s = admin->Exists("/e", true);
            return s.ok() && !s->has_value();
          },
          absl::Seconds(20), "the ephemeral node to go")
              .ok());
}

TEST_CASE("zk watches: a watcher sees the event before its client sees the new data") {
  ZkTestEnsemble e(SessionTestFlags());
  REQUIRE(e.StartAll().ok());
  auto writer = Client(e, std::nullopt);
  Recorder states;
  auto reader = Client(e, absl::Seconds(5), &states);
  REQUIRE(writer->Create("/x", "0").ok());
  REQUIRE(writer->Create("/p", "").ok());
  REQUIRE(reader->Sync().ok());  // the reader's member has the creates
  std::atomic<int> fired{0};
  constexpr int kRounds = 30;
  for (int i = 1; i <= kRounds; ++i) {
    REQUIRE(reader
                ->GetDataAndWatch("/x",
                                  [&fired, i](const WatchEvent& ev) {
                                    if (ev.type == WatchEvent::Type::kNodeDataChanged) fired = i;
                                  })
                .ok());
    REQUIRE(writer->SetData("/x", absl::StrCat(i)).ok());
    // Local reads on the reader's member (often a follower that applies the write later).
    REQUIRE(WaitFor(
                [&] {
                  auto d = reader->GetData("/x");
                  if (!d.ok() || d->first != absl::StrCat(i)) return false;
                  INFO("reader at " << reader->connected_address() << " states "
                                    << states.states().size() << " round " << i);
                  CHECK(fired.load() == i);  // the event was delivered before this reply
                  return true;
                },
                absl::Seconds(10), "the reader to see the write")
                .ok());
  }
  // A child watch, and a data watch on a deleted node.
  Recorder rec;
  REQUIRE(reader->GetChildrenAndWatch("/p", rec.Watch("kids")).ok());
  REQUIRE(writer->Create("/p/c", "").ok());
  REQUIRE(rec.WaitEvent("kids NodeChildrenChanged /p", absl::Seconds(10)).ok());
  REQUIRE(reader->GetDataAndWatch("/x", rec.Watch("x")).ok());
  REQUIRE(writer->Delete("/x").ok());
  REQUIRE(rec.WaitEvent("x NodeDeleted /x", absl::Seconds(10)).ok());
  // GetData on a missing node leaves no watch.
  CHECK(zk::client::ErrorCodeOf(reader->GetDataAndWatch("/x", rec.Watch("none")).status()) ==
        v1::ERROR_CODE_NO_NODE);
  REQUIRE(writer->Create("/x", "again").ok());
  REQUIRE(reader->Sync().ok());
  CHECK(!rec.HasEvent("none NodeCreated /x"));
}

}  // namespace
}  // namespace dcos::testing
