#include "tests/raft/kv_cluster.h"

#include <signal.h>

#include <chrono>
#include <filesystem>

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/testing/harness.h"

namespace dcos::testing::raftkv {
namespace {

absl::Status FromGrpc(const grpc::Status& s) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

void SetDeadline(grpc::ClientContext* context, absl::Duration timeout) {
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::microseconds(absl::ToInt64Microseconds(timeout)));
}

}  // namespace

KvCluster::KvCluster(std::string dir, int size, std::vector<std::string> extra_flags)
    : dir_(std::move(dir)) {
  std::vector<std::string> peers;
  for (int id = 1; id <= size; ++id) {
    Member m;
    m.id = id;
    m.address = absl::StrCat("127.0.0.1:", FreePort());
    peers.push_back(absl::StrCat(id, "=", m.address));
    members_.push_back(std::move(m));
  }
  std::string peer_flag = "--raft.peers=" + absl::StrJoin(peers, ",");
  for (Member& m : members_) {
    std::string data = absl::StrCat(dir_, "/member-", m.id);
    std::filesystem::create_directories(data);
    m.flags = {"--grpc.listen=" + m.address, absl::StrCat("--raft.id=", m.id), peer_flag,
               "--raft.dir=" + data};
    m.flags.insert(m.flags.end(), extra_flags.begin(), extra_flags.end());
  }
  absl::MutexLock lock(&mu_);
  stubs_.resize(members_.size());
}

KvCluster::~KvCluster() {
  // TestProcess's destructor SIGKILLs and reaps.
  for (Member& m : members_) m.process.reset();
}

absl::Status KvCluster::Start(int id) {
  Member& m = members_[Index(id)];
  if (m.process != nullptr) return absl::FailedPreconditionError("already running");
  ++m.runs;
  absl::StatusOr<std::unique_ptr<TestProcess>> p = TestProcess::Start(
      {absl::StrCat("member-", id, ".run-", m.runs), Runfile("tests/raft/dcos-raft-kv"), m.flags,
       dir_});
  if (!p.ok()) return p.status();
  m.process = std::move(*p);
  grpc::ChannelArguments args;
  // A private subchannel with a short reconnect backoff: restarted members are reached at once.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 50);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 50);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 250);
  auto stub = std::shared_ptr<v1::Kv::Stub>(v1::Kv::NewStub(
      grpc::CreateCustomChannel(m.address, grpc::InsecureChannelCredentials(), args)));
  absl::MutexLock lock(&mu_);
  stubs_[Index(id)] = std::move(stub);
  return absl::OkStatus();
}

absl::Status KvCluster::Kill(int id) {
  Member& m = members_[Index(id)];
  if (m.process == nullptr) return absl::FailedPreconditionError("not running");
  m.process->Signal(SIGKILL);
  absl::StatusOr<int> code = m.process->WaitExit(absl::Seconds(10));
  if (!code.ok()) return code.status();
  m.process.reset();
  return absl::OkStatus();
}

absl::Status KvCluster::KillAll() {
  for (Member& m : members_) {
    if (m.process != nullptr) m.process->Signal(SIGKILL);
  }
  for (Member& m : members_) {
    if (m.process == nullptr) continue;
    absl::StatusOr<int> code = m.process->WaitExit(absl::Seconds(10));
    if (!code.ok()) return code.status();
    m.process.reset();
  }
  return absl::OkStatus();
}

absl::Status KvCluster::WaitServing(int id, absl::Duration timeout) {
  return ::dcos::testing::WaitServing(address(id), grpc::InsecureChannelCredentials(), timeout);
}

int KvCluster::FindLeader() {
  int leader = 0;
  uint64_t term = 0;
  for (int id = 1; id <= size(); ++id) {
    absl::StatusOr<v1::StatusResponse> s = Status(id, absl::Milliseconds(500));
    if (s.ok() && s->role() == "leader" && s->term() >= term) {
      leader = id;
      term = s->term();
    }
  }
  return leader;
}

absl::StatusOr<int> KvCluster::WaitLeader(absl::Duration timeout) {
  int leader = 0;
  absl::Status waited = WaitFor([&] { return (leader = FindLeader()) != 0; }, timeout,
                                "a member to become leader");
  if (!waited.ok()) return waited;
  return leader;
}

absl::StatusOr<v1::StatusResponse> KvCluster::WaitConverged(absl::Duration timeout) {
  v1::StatusResponse leader_status;
  std::string last;
  absl::Status waited = WaitFor(
      [&] {
        std::vector<v1::StatusResponse> all;
        bool have_leader = false;
        for (int id = 1; id <= size(); ++id) {
          if (!running(id)) continue;
          absl::StatusOr<v1::StatusResponse> s = Status(id, absl::Milliseconds(500));
          if (!s.ok()) return false;
          if (s->role() == "leader") {
            have_leader = true;
            leader_status = *s;
          }
          all.push_back(*s);
        }
        last = absl::StrJoin(all, "; ", [](std::string* out, const v1::StatusResponse& s) {
          absl::StrAppend(out, s.ShortDebugString());
        });
        if (!have_leader) return false;
        for (const v1::StatusResponse& s : all) {
          if (s.applied() != s.commit() || s.commit() != all[0].commit() ||
              s.last_index() != all[0].last_index() || s.applied() != all[0].applied()) {
            return false;
          }
        }
        return true;
      },
      timeout, "all members to converge");
  if (!waited.ok()) return absl::DeadlineExceededError(absl::StrCat(waited.message(), ": ", last));
  return leader_status;
}

std::shared_ptr<v1::Kv::Stub> KvCluster::Stub(int id) {
  absl::MutexLock lock(&mu_);
  return stubs_[Index(id)];
}

absl::StatusOr<v1::StatusResponse> KvCluster::Status(int id, absl::Duration timeout) {
  std::shared_ptr<v1::Kv::Stub> stub = Stub(id);
  if (stub == nullptr) return absl::UnavailableError("never started");
  grpc::ClientContext context;
  SetDeadline(&context, timeout);
  v1::StatusResponse reply;
  absl::Status s = FromGrpc(stub->Status(&context, v1::StatusRequest(), &reply));
  if (!s.ok()) return s;
  return reply;
}

absl::StatusOr<uint64_t> KvCluster::Put(int id, const std::string& key, const std::string& value,
                                        absl::Duration timeout) {
  std::shared_ptr<v1::Kv::Stub> stub = Stub(id);
  if (stub == nullptr) return absl::UnavailableError("never started");
  grpc::ClientContext context;
  SetDeadline(&context, timeout);
  v1::PutRequest request;
  request.set_key(key);
  request.set_value(value);
  v1::PutResponse reply;
  absl::Status s = FromGrpc(stub->Put(&context, request, &reply));
  if (!s.ok()) return s;
  return reply.index();
}

absl::StatusOr<v1::GetResponse> KvCluster::Get(int id, const std::string& key, bool linearizable,
                                               absl::Duration timeout) {
  std::shared_ptr<v1::Kv::Stub> stub = Stub(id);
  if (stub == nullptr) return absl::UnavailableError("never started");
  grpc::ClientContext context;
  SetDeadline(&context, timeout);
  v1::GetRequest request;
  request.set_key(key);
  request.set_linearizable(linearizable);
  v1::GetResponse reply;
  absl::Status s = FromGrpc(stub->Get(&context, request, &reply));
  if (!s.ok()) return s;
  return reply;
}

}  // namespace dcos::testing::raftkv
