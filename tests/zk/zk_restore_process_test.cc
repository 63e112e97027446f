// Ensemble.Restore with real dcos-zk processes and the real dcos binary: a backup of a
// three-member ensemble (`dcos zk backup`) is restored (`dcos zk restore`) into a member
// started with --zk.restore_mode, which then serves the same tree with the same Stats as a
// one-member ensemble; damaged or disordered streams, a concurrent Restore and a backup of its
// own ensemble are refused and change nothing; the restored state survives kill -9; two
// members added with `dcos zk member add` get the data; a member that is not in restore mode
// (or was restored already) refuses Restore.

#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/testing/harness.h"
#include "libs/testing/process.h"
#include "libs/zk/client.h"
#include "protos/zk/v1/ensemble.grpc.pb.h"
#include "protos/zk/v1/zookeeper.grpc.pb.h"
#include "services/zk-ensemble/backup_file.h"
#include "tests/zk/zk_ensemble.h"

namespace dcos::testing {
namespace {

using zk::v1::BackupChunk;
using zk::v1::Ensemble;
using zk::v1::StatusResponse;
using zk::v1::ZooKeeper;

// Every node of a member's tree: path -> data and Stat (as text, so a difference shows in the
// failure).
using Dump = std::map<std::string, std::pair<std::string, std::string>>;

// One state of `path` (MultiRead): its data and Stat, then each child's.
bool DumpNode(ZooKeeper::Stub& stub, const std::string& path, bool linearizable, Dump* out) {
  auto ctx = Context();
  zk::v1::MultiReadRequest request;
  request.add_ops()->mutable_get_data()->set_path(path);
  request.add_ops()->mutable_get_children()->set_path(path);
  request.mutable_read_options()->set_linearizable(linearizable);
  zk::v1::MultiReadResponse response;
  if (!stub.MultiRead(ctx.get(), request, &response).ok() || response.results_size() != 2 ||
      !response.results(0).has_data() || !response.results(1).has_children()) {
    return false;
  }
  const auto& data = response.results(0).data();
  (*out)[path] = {data.data(), data.stat().ShortDebugString()};
  for (const std::string& child : response.results(1).children().children()) {
    if (!DumpNode(stub, path == "/" ? "/" + child : path + "/" + child, linearizable, out)) {
      return false;
    }
  }
  return true;
}

// The tree of the member at `address`, read locally (or linearizably); empty if it does not
// answer.
Dump DumpTree(const std::string& address, bool linearizable = false) {
  Dump out;
  auto stub = ZooKeeper::NewStub(Channel(address));
  if (!DumpNode(*stub, "/", linearizable, &out)) return {};
  return out;
}

// The paths where `got` and `want` differ, one line each.
std::string Differences(const Dump& got, const Dump& want) {
  std::string out;
  for (const auto& [path, node] : want) {
    auto g = got.find(path);
    if (g == got.end()) {
      absl::StrAppend(&out, path, ": missing\n");
    } else if (g->second != node) {
      absl::StrAppend(&out, path, ": want ", node.second, " got ", g->second.second, "\n");
    }
  }
  for (const auto& [path, node] : got) {
    if (want.count(path) == 0) absl::StrAppend(&out, path, ": not expected\n");
  }
  return out;
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << bytes;
  REQUIRE(f.good());
}

// `dcos <args>` as a process: its exit code and output.
std::pair<int, std::string> Dcos(const std::string& dir, std::vector<std::string> args) {
  static int runs = 0;
  auto p = TestProcess::Start({absl::StrCat("dcos-", ++runs), Runfile("tools/dcos/dcos"),
                               std::move(args), dir});
  REQUIRE(p.ok());
  absl::StatusOr<int> code = (*p)->WaitExit(absl::Seconds(90));
  REQUIRE(code.ok());
  return {*code, (*p)->Log()};
}

// A Restore call with `chunks`, as a client that may send anything.
grpc::Status RestoreChunks(const std::string& address, const std::vector<BackupChunk>& chunks) {
  auto ctx = Context(absl::Seconds(30));
  zk::v1::RestoreResponse response;
  auto writer = Ensemble::NewStub(Channel(address))->Restore(ctx.get(), &response);
  for (const BackupChunk& chunk : chunks) {
    if (!writer->Write(chunk)) break;
  }
  writer->WritesDone();
  return writer->Finish();
}

// Member 1 of `e` still awaits a restore: Status says so (it alone, not serving) and
// ZooKeeper calls are UNAVAILABLE saying why.
void RequireAwaiting(const ZkTestEnsemble& e) {
  StatusResponse status;
  REQUIRE(e.Status(1, &status).ok());
  CHECK(status.awaiting_restore());
  REQUIRE(status.members_size() == 1);
  CHECK(status.members(0).serving_state() == zk::v1::Member::SERVING_STATE_NOT_SERVING);
  CHECK(absl::StrContains(status.members(0).description(), "awaiting a restore"));
  auto ctx = Context();
  zk::v1::GetDataRequest get;
  get.set_path("/");
  zk::v1::GetDataResponse data;
  grpc::Status read = ZooKeeper::NewStub(Channel(e.address(1)))->GetData(ctx.get(), get, &data);
  CHECK(read.error_code() == grpc::StatusCode::UNAVAILABLE);
  CHECK(absl::StrContains(read.error_message(), "awaits a restore"));
}

// Waits until member `asked` of `e` reports a quorum and `voters` healthy voters.
bool WaitHealthy(const ZkTestEnsemble& e, int asked, int voters) {
  absl::Status s = WaitFor(
      [&] {
        StatusResponse r;
        if (!e.Status(asked, &r).ok() || r.awaiting_restore() || !r.has_quorum()) return false;
        if (r.members_size() != voters) return false;
        for (const zk::v1::Member& m : r.members()) {
          if (!m.healthy() || m.role() == zk::v1::Member::ROLE_LEARNER) return false;
        }
        return true;
      },
      absl::Seconds(30), absl::StrCat(voters, " healthy voters as seen by member ", asked));
  INFO(s.ToString());
  return s.ok();
}

// Waits until member `id` of `e` holds exactly `want` (read locally).
bool WaitTree(const ZkTestEnsemble& e, int id, const Dump& want) {
  Dump last;
  absl::Status s = WaitFor(
      [&] {
        last = DumpTree(e.address(id));
        return last == want;
      },
      absl::Seconds(30), absl::StrCat("member ", id, "'s tree"));
  if (!s.ok()) UNSCOPED_INFO(Differences(last, want));
  return s.ok();
}

TEST_CASE("restore: dcos zk restore into a restore-mode member, damaged streams, add, kill -9") {
  // The source: three members with a tree of a few hundred KiB (several data chunks), and a
  // session with an ephemeral node, open while the backup is taken.
  ZkTestEnsemble source;
  REQUIRE(source.StartAll().ok());
  zk::client::ZkClient::Options o;
  o.ensemble = {source.address(1), source.address(2), source.address(3)};
  o.retry_budget = absl::Seconds(20);
  o.session.emplace();
  absl::StatusOr<std::unique_ptr<zk::client::ZkClient>> client = zk::client::ZkClient::Connect(o);
  REQUIRE(client.ok());
  zk::client::ZkClient& c = **client;
  REQUIRE(c.Create("/app", "hello").ok());
  REQUIRE(c.Create("/app/config", "v0").ok());
  REQUIRE(c.SetData("/app/config", "v1").ok());
  REQUIRE(c.SetData("/app/config", "v2", /*version=*/1).ok());
  REQUIRE(c.Create("/app/gone", "").ok());
  REQUIRE(c.Delete("/app/gone").ok());
  REQUIRE(c.Create("/queue", "").ok());
  for (int i = 0; i < 5; ++i) {
    REQUIRE(c.Create("/queue/item-", absl::StrCat(i), zk::v1::CREATE_MODE_PERSISTENT_SEQUENTIAL)
                .ok());
  }
  REQUIRE(c.Create("/bulk", "").ok());
  for (int i = 0; i < 300; ++i) {
    REQUIRE(c.Create(absl::StrCat("/bulk/n", i), std::string(1000, static_cast<char>('a' + i % 26)))
                .ok());
  }
  REQUIRE(c.Create("/eph", "").ok());
  REQUIRE(c.Create("/eph/mine", "", zk::v1::CREATE_MODE_EPHEMERAL).ok());

  const std::string file = source.dir() + "/tree.backup";
  {
    auto [code, output] = Dcos(source.dir(), {"--zk=" + source.Joined(), "zk", "backup", file});
    INFO(output);
    REQUIRE(code == 0);
  }
  absl::StatusOr<std::string> bytes = ReadFile(file);
  REQUIRE(bytes.ok());
  absl::StatusOr<zk::Backup> backup = zk::ParseBackup(*bytes);
  REQUIRE(backup.ok());
  absl::StatusOr<std::vector<BackupChunk>> chunks = zk::SplitChunks(*bytes);
  REQUIRE(chunks.ok());
  REQUIRE(chunks->size() >= 4);  // header, at least two data chunks, trailer
  const int64_t zxid = backup->header.zxid();
  // What a restore must give: the source's tree (nothing was written since the backup), less
  // the ephemeral node, whose removal from the backup also changed its parent's Stat.
  Dump source_tree = DumpTree(source.address(1), /*linearizable=*/true);
  REQUIRE(source_tree.count("/bulk/n299") == 1);
  REQUIRE(source_tree.count("/eph/mine") == 1);
  source_tree.erase("/eph");
  source_tree.erase("/eph/mine");

  // The new ensemble: member 1 in restore mode, 2 and 3 to join later; its own cluster id.
  ZkTestEnsemble restored({"--raft.cluster_id=2"});
  restored.SetMemberFlags(1, {"--zk.restore_mode"});
  restored.SetMemberFlags(2, {"--raft.join"});
  restored.SetMemberFlags(3, {"--raft.join"});
  REQUIRE(restored.Start(1).ok());
  REQUIRE(WaitFor(
              [&] {
                StatusResponse r;
                return restored.Status(1, &r).ok() && r.awaiting_restore();
              },
              absl::Seconds(30), "member 1 awaiting a restore")
              .ok());
  RequireAwaiting(restored);
  const std::string target = restored.address(1);

  {
    // A member that is not in restore mode refuses Restore.
    grpc::Status s = RestoreChunks(source.address(1), *chunks);
    CHECK(s.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
    CHECK(absl::StrContains(s.error_message(), "not started in restore mode"));
  }

  // Damaged and disordered streams: refused, nothing changes.
  {
    std::vector<BackupChunk> flipped = *chunks;
    std::string& data = *flipped[1].mutable_data();
    data[data.size() / 2] ^= 0x01;
    grpc::Status s = RestoreChunks(target, flipped);
    CHECK(s.error_code() == grpc::StatusCode::DATA_LOSS);
    CHECK(absl::StrContains(s.error_message(), "nothing was restored"));
    RequireAwaiting(restored);
  }
  {
    std::vector<BackupChunk> truncated(chunks->begin(), chunks->end() - 1);  // no trailer
    CHECK(RestoreChunks(target, truncated).error_code() == grpc::StatusCode::DATA_LOSS);
    std::vector<BackupChunk> missing = *chunks;
    missing.erase(missing.begin() + 1);  // a data chunk left out
    CHECK(RestoreChunks(target, missing).error_code() == grpc::StatusCode::DATA_LOSS);
    RequireAwaiting(restored);
  }
  {
    std::vector<BackupChunk> disordered = *chunks;
    std::swap(disordered[0], disordered[1]);
    CHECK(RestoreChunks(target, disordered).error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    std::vector<BackupChunk> future = *chunks;
    future[0].mutable_header()->set_format_version(2);
    CHECK(RestoreChunks(target, future).error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK(RestoreChunks(target, {}).error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    RequireAwaiting(restored);
  }
  {
    // A backup of the ensemble this member would be part of: not a new ensemble.
    std::vector<BackupChunk> same = *chunks;
    same[0].mutable_header()->set_cluster_id(2);
    grpc::Status s = RestoreChunks(target, same);
    CHECK(s.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
    CHECK(absl::StrContains(s.error_message(), "raft.cluster_id"));
    RequireAwaiting(restored);
  }
  {
    // Through the CLI: a file with a flipped byte inside the data.
    std::string damaged = *bytes;
    damaged[damaged.size() / 2] ^= 0x01;
    std::string damaged_file = source.dir() + "/damaged.backup";
    WriteFile(damaged_file, damaged);
    auto [code, output] = Dcos(source.dir(), {"--zk=" + target, "zk", "restore", damaged_file});
    INFO(output);
    CHECK(code == 1);
    CHECK(absl::StrContains(output, "DATA_LOSS"));
    RequireAwaiting(restored);
  }
  {
    // Two at once: while one call is open, another is refused; the first, cut short, too.
    auto ctx = Context(absl::Seconds(30));
    zk::v1::RestoreResponse response;
    auto first = Ensemble::NewStub(Channel(target))->Restore(ctx.get(), &response);
    REQUIRE(first->Write((*chunks)[0]));
    REQUIRE(WaitFor(
                [&] {
                  StatusResponse r;
                  return restored.Status(1, &r).ok() && r.members_size() == 1 &&
                         absl::StrContains(r.members(0).description(), "receiving");
                },
                absl::Seconds(10), "the first Restore under way")
                .ok());
    auto [code, output] = Dcos(source.dir(), {"--zk=" + target, "zk", "restore", file});
    INFO(output);
    CHECK(code == 1);
    CHECK(absl::StrContains(output, "another Restore is under way"));
    first->WritesDone();
    CHECK(first->Finish().error_code() == grpc::StatusCode::DATA_LOSS);
    RequireAwaiting(restored);
  }

  // The real restore, through the CLI binary.
  {
    auto [code, output] = Dcos(source.dir(), {"--zk=" + target, "zk", "restore", file});
    INFO(output);
    REQUIRE(code == 0);
    CHECK(absl::StrContains(output, absl::StrCat("Restored zxid ", zxid)));
    CHECK(absl::StrContains(output, "cluster 2"));
  }
  REQUIRE(WaitHealthy(restored, 1, 1));
  Dump got = DumpTree(target);
  CHECK(got.count("/eph") == 1);
  CHECK(got.count("/eph/mine") == 0);
  got.erase("/eph");
  INFO(Differences(got, source_tree));
  CHECK(got == source_tree);
  {
    // The restored ensemble's writes come after the backup's zxid.
    auto ctx = Context();
    zk::v1::CreateRequest create;
    create.set_path("/after");
    zk::v1::CreateResponse created;
    REQUIRE(ZooKeeper::NewStub(Channel(target))->Create(ctx.get(), create, &created).ok());
    CHECK(created.header().zxid() > zxid);
  }
  const Dump want = DumpTree(target);
  REQUIRE(want.count("/after") == 1);
  // Restored once: no second time.
  CHECK(RestoreChunks(target, *chunks).error_code() == grpc::StatusCode::FAILED_PRECONDITION);

  // Durable: kill -9 of the lone member and a restart with the same flags (restore mode is
  // ignored once the directory holds state).
  REQUIRE(restored.Kill(1).ok());
  REQUIRE(restored.Start(1).ok());
  REQUIRE(WaitHealthy(restored, 1, 1));
  CHECK(WaitTree(restored, 1, want));

  // Two members join the restored one and get the data.
  for (int id : {2, 3}) {
    REQUIRE(restored.Start(id).ok());
    auto [code, output] = Dcos(source.dir(), {"--zk=" + target, "--timeout=60s", "zk", "member",
                                              "add", std::to_string(id), restored.address(id)});
    INFO(output);
    REQUIRE(code == 0);
  }
  REQUIRE(WaitHealthy(restored, 1, 3));
  CHECK(WaitTree(restored, 2, want));
  CHECK(WaitTree(restored, 3, want));

  // kill -9 of the restored member in the three: it comes back with the data.
  REQUIRE(restored.Kill(1).ok());
  REQUIRE(restored.Start(1).ok());
  REQUIRE(WaitHealthy(restored, 2, 3));
  CHECK(WaitTree(restored, 1, want));
  CHECK(RestoreChunks(target, *chunks).error_code() == grpc::StatusCode::FAILED_PRECONDITION);
}

}  // namespace
}  // namespace dcos::testing
