// The Ensemble admin API of three real dcos-zk processes: the status view (with members down
// and without quorum), leadership transfer, and a backup that holds every acknowledged write
// and no ephemeral node.

#include <openssl/evp.h>

#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>
#include <grpcpp/create_channel.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/testing/harness.h"
#include "libs/testing/process.h"
#include "protos/zk/v1/ensemble.grpc.pb.h"
#include "protos/zk/v1/zookeeper.grpc.pb.h"
#include "services/zk-ensemble/core/tree.h"
#include "tests/zk/zk_ensemble.h"
#include "tools/dcos/cli.h"

namespace dcos::testing {
namespace {

using zk::v1::Ensemble;
using zk::v1::Member;
using zk::v1::StatusResponse;

grpc::Status Status(ZkTestEnsemble& zk, int id, StatusResponse* out) { return zk.Status(id, out); }

// Waits until member `asked` reports a quorum with every listed member healthy; returns the
// leader's id (0 on timeout).
int WaitAllHealthy(ZkTestEnsemble& zk, int asked) {
  int leader = 0;
  absl::Status s = WaitFor(
      [&] {
        StatusResponse r;
        if (!Status(zk, asked, &r).ok() || !r.has_quorum() || !r.leader().known()) return false;
        for (const Member& m : r.members()) {
          if (!m.healthy()) return false;
        }
        return absl::SimpleAtoi(r.leader().leader_id(), &leader);
      },
      absl::Seconds(20), "every member healthy");
  return s.ok() ? leader : 0;
}

TEST_CASE("ensemble status: every member, one leader, down members and lost quorum") {
  ZkTestEnsemble zk;
  REQUIRE(zk.StartAll().ok());
  int leader = WaitAllHealthy(zk, 1);
  REQUIRE(leader != 0);

  StatusResponse r;
  REQUIRE(Status(zk, 2, &r).ok());
  CHECK(r.answered_by() == 2);
  REQUIRE(r.members_size() == 3);
  int leaders = 0;
  for (int i = 0; i < 3; ++i) {
    const Member& m = r.members(i);
    CHECK(m.id() == static_cast<uint64_t>(i + 1));
    CHECK(absl::StrCat(m.client_address().ip(), ":", m.client_address().port()) ==
          zk.address(i + 1));
    CHECK(m.serving_state() == Member::SERVING_STATE_SERVING);
    CHECK(m.term() >= 1);
    CHECK(m.applied_index() >= 1);
    CHECK(m.znode_count() >= 2);  // "/" and "/zookeeper"
    if (m.role() == Member::ROLE_LEADER) ++leaders;
  }
  CHECK(leaders == 1);
  CHECK(r.leader().address().port() > 0);

  // The CLI shows the same view: exit 0 with a quorum, one row per member.
  {
    std::ostringstream out, err;
    int code = cli::Run({"--zk=" + zk.Joined(), "zk", "status"},
                        [](const char*) -> const char* { return nullptr; }, out, err);
    INFO(out.str() << err.str());
    CHECK(code == 0);
    CHECK(absl::StrContains(out.str(), "quorum yes"));
    CHECK(absl::StrContains(out.str(), "leader"));
    for (int i = 1; i <= 3; ++i) CHECK(absl::StrContains(out.str(), zk.address(i)));
  }

  // One follower down: still a quorum, the dead one is listed as unreachable.
  int follower = leader == 1 ? 2 : 1;
  int other = 6 - leader - follower;
  REQUIRE(zk.Kill(follower).ok());
  REQUIRE(Status(zk, other, &r).ok());
  CHECK(r.has_quorum());
  CHECK(r.members(follower - 1).role() == Member::ROLE_UNREACHABLE);
  CHECK(r.members(follower - 1).serving_state() == Member::SERVING_STATE_DOWN);
  CHECK_FALSE(r.members(follower - 1).healthy());

  // Two down: the last member still answers, without a quorum.
  REQUIRE(zk.Kill(leader).ok());
  REQUIRE(WaitFor(
              [&] {
                StatusResponse s;
                return Status(zk, other, &s).ok() && !s.has_quorum() && !s.leader().known();
              },
              absl::Seconds(10), "the survivor to report no quorum")
              .ok());
  {
    std::ostringstream out, err;
    int code = cli::Run({"--zk=" + zk.address(other), "zk", "status"},
                        [](const char*) -> const char* { return nullptr; }, out, err);
    CHECK(code == 1);
    CHECK(absl::StrContains(out.str(), "quorum NO"));
    CHECK(absl::StrContains(out.str(), "unreachable"));
  }

  // Both back: healthy again.
  REQUIRE(zk.Start(follower).ok());
  REQUIRE(zk.Start(leader).ok());
  CHECK(WaitAllHealthy(zk, other) != 0);
}

TEST_CASE("ensemble transfer: leader-only, to a named voter or the best one, errors named") {
  ZkTestEnsemble zk;
  REQUIRE(zk.StartAll().ok());
  int leader = WaitAllHealthy(zk, 1);
  REQUIRE(leader != 0);
  int follower = leader == 3 ? 1 : leader + 1;

  // A follower refuses and names the leader.
  {
    auto ctx = Context();
    zk::v1::TransferLeadershipRequest req;
    zk::v1::TransferLeadershipResponse resp;
    grpc::Status s = Ensemble::NewStub(Channel(zk.address(follower)))
                         ->TransferLeadership(ctx.get(), req, &resp);
    CHECK(s.error_code() == grpc::StatusCode::UNAVAILABLE);
    CHECK(s.error_message().find(zk.address(leader)) != std::string::npos);
  }
  // An unknown member.
  {
    auto ctx = Context();
    zk::v1::TransferLeadershipRequest req;
    req.set_target_id(42);
    zk::v1::TransferLeadershipResponse resp;
    grpc::Status s = Ensemble::NewStub(Channel(zk.address(leader)))
                         ->TransferLeadership(ctx.get(), req, &resp);
    CHECK(s.error_code() == grpc::StatusCode::NOT_FOUND);
  }
  // To the named follower.
  {
    auto ctx = Context();
    zk::v1::TransferLeadershipRequest req;
    req.set_target_id(static_cast<uint64_t>(follower));
    zk::v1::TransferLeadershipResponse resp;
    grpc::Status s = Ensemble::NewStub(Channel(zk.address(leader)))
                         ->TransferLeadership(ctx.get(), req, &resp);
    REQUIRE(s.ok());
    CHECK(resp.new_leader_id() == static_cast<uint64_t>(follower));
    StatusResponse r;
    REQUIRE(WaitFor([&] {
              return Status(zk, follower, &r).ok() &&
                     r.leader().leader_id() == absl::StrCat(follower);
            }, absl::Seconds(5), "the new leader in the status").ok());
  }
  // And on to whichever voter is best.
  {
    REQUIRE(WaitAllHealthy(zk, follower) == follower);
    auto ctx = Context();
    zk::v1::TransferLeadershipRequest req;
    zk::v1::TransferLeadershipResponse resp;
    grpc::Status s = Ensemble::NewStub(Channel(zk.address(follower)))
                         ->TransferLeadership(ctx.get(), req, &resp);
    REQUIRE(s.ok());
    CHECK(resp.new_leader_id() != static_cast<uint64_t>(follower));
    CHECK(resp.new_leader_id() >= 1);
    CHECK(resp.new_leader_id() <= 3);
  }
}

TEST_CASE("ensemble backup: every acknowledged write, no ephemeral node, checksummed") {
  ZkTestEnsemble zk;
  REQUIRE(zk.StartAll().ok());
  int leader = WaitAllHealthy(zk, 1);
  REQUIRE(leader != 0);
  auto store = zk::v1::ZooKeeper::NewStub(Channel(zk.address(leader)));
  int64_t last_zxid = 0;
  for (int i = 0; i < 50; ++i) {
    auto ctx = Context();
    zk::v1::CreateRequest req;
    req.set_path(absl::StrCat("/backup-", i));
    req.set_data(std::string(100, static_cast<char>('a' + i % 26)));
    zk::v1::CreateResponse resp;
    REQUIRE(store->Create(ctx.get(), req, &resp).ok());
    last_zxid = resp.header().zxid();
  }
  int64_t session = 0;
  {
    auto ctx = Context();
    zk::v1::CreateSessionRequest req;
    req.mutable_requested_timeout()->set_seconds(10);
    zk::v1::CreateSessionResponse resp;
    REQUIRE(store->CreateSession(ctx.get(), req, &resp).ok());
    session = resp.session_id();
  }
  {
    auto ctx = Context();
    zk::v1::CreateRequest req;
    req.set_path("/backup-0/ephemeral");
    req.set_session_id(session);
    req.set_mode(zk::v1::CREATE_MODE_EPHEMERAL);
    zk::v1::CreateResponse resp;
    REQUIRE(store->Create(ctx.get(), req, &resp).ok());
    last_zxid = resp.header().zxid();
  }

  // From a follower: the read barrier makes it include the leader's latest writes.
  int follower = leader == 1 ? 2 : 1;
  auto ctx = Context();
  auto reader = Ensemble::NewStub(Channel(zk.address(follower)))->Backup(ctx.get(), {});
  zk::v1::BackupChunk chunk;
  REQUIRE(reader->Read(&chunk));
  REQUIRE(chunk.has_header());
  zk::v1::BackupHeader header = chunk.header();
  std::string data;
  zk::v1::BackupTrailer trailer;
  while (reader->Read(&chunk)) {
    if (chunk.has_trailer()) {
      trailer = chunk.trailer();
      break;
    }
    REQUIRE(chunk.chunk_case() == zk::v1::BackupChunk::kData);
    data += chunk.data();
  }
  REQUIRE(reader->Finish().ok());
  CHECK(header.format_version() == 1);
  CHECK(header.zxid() >= last_zxid);
  CHECK(header.total_bytes() == data.size());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr);
  CHECK(trailer.sha256() == std::string(reinterpret_cast<char*>(digest), size));

  absl::StatusOr<zk::ZnodeTree> tree = zk::ZnodeTree::Restore(data);
  REQUIRE(tree.ok());
  CHECK(header.znode_count() == tree->NodeCount());
  for (int i = 0; i < 50; ++i) {
    absl::StatusOr<std::optional<zk::Stat>> stat = tree->Exists(absl::StrCat("/backup-", i));
    REQUIRE(stat.ok());
    CHECK(stat->has_value());
  }
  absl::StatusOr<std::optional<zk::Stat>> ephemeral = tree->Exists("/backup-0/ephemeral");
  REQUIRE(ephemeral.ok());
  CHECK_FALSE(ephemeral->has_value());

  // The CLI writes the same to a file; a new ensemble starts from it.
  std::string file = zk.dir() + "/tree.backup";
  {
    std::ostringstream out, err;
    int code = cli::Run({"--zk=" + zk.Joined(), "zk", "backup", file},
                        [](const char*) -> const char* { return nullptr; }, out, err);
    INFO(out.str() << err.str());
    REQUIRE(code == 0);
    CHECK(absl::StrContains(out.str(), "Backup of zxid"));
  }
  // A new ensemble: another cluster id than the backed-up one's (1, the default).
  ZkTestEnsemble restored({"--zk.restore_from=" + file, "--raft.cluster_id=2"});
  REQUIRE(restored.StartAll().ok());
  int restored_leader = WaitAllHealthy(restored, 1);
  REQUIRE(restored_leader != 0);
  auto read = zk::v1::ZooKeeper::NewStub(Channel(restored.address(2)));
  for (int i : {0, 17, 49}) {
    auto ctx2 = Context();
    zk::v1::GetDataRequest req;
    req.set_path(absl::StrCat("/backup-", i));
    req.mutable_read_options()->set_linearizable(true);
    zk::v1::GetDataResponse resp;
    grpc::Status s = read->GetData(ctx2.get(), req, &resp);
    REQUIRE(s.ok());
    CHECK(resp.data() == std::string(100, static_cast<char>('a' + i % 26)));
    CHECK(resp.header().zxid() >= header.zxid());
  }
  {
    auto ctx2 = Context();
    zk::v1::ExistsRequest req;
    req.set_path("/backup-0/ephemeral");
    zk::v1::ExistsResponse resp;
    REQUIRE(read->Exists(ctx2.get(), req, &resp).ok());
    CHECK_FALSE(resp.has_stat());
  }
  // The restored ensemble takes writes after the backup's zxid.
  {
    auto ctx2 = Context();
    zk::v1::CreateRequest req;
    req.set_path("/after-restore");
    zk::v1::CreateResponse resp;
    REQUIRE(zk::v1::ZooKeeper::NewStub(Channel(restored.address(restored_leader)))
                ->Create(ctx2.get(), req, &resp)
                .ok());
    CHECK(resp.header().zxid() > header.zxid());
  }

  // A lone member at a free address, started with --zk.restore_from=`backup` (and `flags`)
  // on the data directory `name`.
  std::string lone;
  auto start_lone = [&](const std::string& name, const std::string& backup,
                        std::vector<std::string> flags) {
    lone = absl::StrCat("127.0.0.1:", FreePort());
    std::vector<std::string> args = {"--raft.id=1", "--raft.peers=1=" + lone,
                                     "--grpc.listen=" + lone, "--raft.dir=" + zk.dir() + "/" + name,
                                     "--metrics.listen=", "--zk.restore_from=" + backup};
    args.insert(args.end(), flags.begin(), flags.end());
    auto p = TestProcess::Start({name, Runfile("services/zk-ensemble/dcos-zk"), args, zk.dir()});
    REQUIRE(p.ok());
    return std::move(*p);
  };
  // Its exit code and log, once it exited.
  auto refused = [](TestProcess& p) -> std::pair<int, std::string> {
    absl::StatusOr<int> code = p.WaitExit(absl::Seconds(20));
    REQUIRE(code.ok());
    return {*code, p.Log()};
  };

  // A damaged file is refused at start, naming the field.
  std::string damaged = zk.dir() + "/damaged.backup";
  {
    std::ofstream f(damaged, std::ios::binary);
    f << "not a backup";
  }
  auto [damaged_code, damaged_log] = refused(*start_lone("zk-damaged", damaged, {}));
  CHECK(damaged_code != 0);
  CHECK(absl::StrContains(damaged_log, "zk.restore_from"));

  // So is a backup of the member's own ensemble (the same refusal as Ensemble.Restore's).
  auto [same_code, same_log] =
      refused(*start_lone("zk-same-cluster", file, {"--raft.cluster_id=1"}));
  CHECK(same_code != 0);
  CHECK(absl::StrContains(same_log, "zk.restore_from: " + file));
  CHECK(absl::StrContains(same_log, "the backup comes from ensemble 1"));
  CHECK(absl::StrContains(same_log, "raft.cluster_id"));
  // Nothing was written: started again with another id, the same member restores the file.
  auto again = start_lone("zk-same-cluster", file, {"--raft.cluster_id=3"});
  REQUIRE(WaitServing(lone, grpc::InsecureChannelCredentials(), absl::Seconds(30)).ok());
  REQUIRE(WaitFor(
              [&] {
                auto ctx2 = Context();
                zk::v1::GetDataRequest req;
                req.set_path("/backup-17");
                req.mutable_read_options()->set_linearizable(true);
                zk::v1::GetDataResponse resp;
                return zk::v1::ZooKeeper::NewStub(Channel(lone))
                    ->GetData(ctx2.get(), req, &resp)
                    .ok();
              },
              absl::Seconds(10), "the restored tree on the lone member")
              .ok());
}

}  // namespace
}  // namespace dcos::testing
