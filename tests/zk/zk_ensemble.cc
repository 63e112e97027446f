#include "tests/zk/zk_ensemble.h"

#include <signal.h>

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/testing/harness.h"
#include "protos/zk/v1/ensemble.grpc.pb.h"

namespace dcos::testing {

std::shared_ptr<grpc::Channel> Channel(const std::string& address) {
  return grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
}

std::unique_ptr<grpc::ClientContext> Context(absl::Duration timeout) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  return ctx;
}

grpc::Status ZkTestEnsemble::Status(int id, zk::v1::StatusResponse* out) const {
  auto ctx = Context();
  return zk::v1::Ensemble::NewStub(Channel(address(id)))->Status(ctx.get(), {}, out);
}

ZkTestEnsemble::ZkTestEnsemble(std::vector<std::string> extra_flags)
    : dir_(MakeTempDir("zk")), extra_flags_(std::move(extra_flags)) {
  for (int i = 1; i <= 3; ++i) addresses_.push_back(absl::StrCat("127.0.0.1:", FreePort()));
}

absl::Status ZkTestEnsemble::StartAll() {
  for (int id = 1; id <= 3; ++id) {
    absl::Status started = Start(id);
    if (!started.ok()) return started;
  }
  for (int id = 1; id <= 3; ++id) {
    absl::Status serving =
        WaitServing(address(id), grpc::InsecureChannelCredentials(), absl::Seconds(30));
    if (!serving.ok()) return serving;
  }
  return absl::OkStatus();
}

int ZkTestEnsemble::NewMember() {
  addresses_.push_back(absl::StrCat("127.0.0.1:", FreePort()));
  return static_cast<int>(addresses_.size());
}

absl::Status ZkTestEnsemble::Start(int id) {
  std::vector<std::string> peers;
  for (int i = 1; i <= 3; ++i) {
    auto o = peer_overrides_.find({id, i});
    peers.push_back(absl::StrCat(i, "=", o == peer_overrides_.end() ? address(i) : o->second));
  }
  if (id > 3) peers.push_back(absl::StrCat(id, "=", address(id)));
  std::vector<std::string> args = {
      absl::StrCat("--raft.id=", id), "--raft.peers=" + absl::StrJoin(peers, ","),
      absl::StrCat("--raft.dir=", dir_, "/m", id), "--raft.tick=20ms",
      "--grpc.listen=" + address(id), "--metrics.listen=", "--shutdown.grace=1s"};
  if (id > 3) args.push_back("--raft.join");
  args.insert(args.end(), extra_flags_.begin(), extra_flags_.end());
  if (auto own = member_flags_.find(id); own != member_flags_.end()) {
    args.insert(args.end(), own->second.begin(), own->second.end());
  }
  auto p = TestProcess::Start({absl::StrCat("zk", id, "-", ++starts_),
                               Runfile("services/zk-ensemble/dcos-zk"), args, dir_});
  if (!p.ok()) return p.status();
  procs_[id] = std::move(*p);
  return absl::OkStatus();
}

absl::Status ZkTestEnsemble::Kill(int id) {
  auto it = procs_.find(id);
  if (it == procs_.end()) return absl::NotFoundError(absl::StrCat("member ", id, " not started"));
  it->second->Signal(SIGKILL);
  return it->second->WaitExit(absl::Seconds(10)).status();
}

absl::StatusOr<absl::Duration> ZkTestEnsemble::Terminate(int id) {
  auto it = procs_.find(id);
  if (it == procs_.end()) return absl::NotFoundError(absl::StrCat("member ", id, " not started"));
  absl::Time start = absl::Now();
  it->second->Signal(SIGTERM);
  absl::Status exited = it->second->WaitExit(absl::Seconds(60)).status();
  if (!exited.ok()) return exited;
  return absl::Now() - start;
}

bool ZkTestEnsemble::Running(int id) {
  auto it = procs_.find(id);
  return it != procs_.end() && it->second->Running();
}

int ZkTestEnsemble::IdOf(const std::string& a) const {
  for (size_t i = 0; i < addresses_.size(); ++i) {
    if (addresses_[i] == a) return static_cast<int>(i + 1);
  }
  return 0;
}

std::string ZkTestEnsemble::Joined() const {
  return absl::StrJoin(addresses_.begin(), addresses_.begin() + 3, ",");
}

}  // namespace dcos::testing
