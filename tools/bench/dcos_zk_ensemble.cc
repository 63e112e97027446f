#include "tools/bench/dcos_zk_ensemble.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <utility>

#include <grpcpp/alarm.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/grpcpp.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "protos/zk/v1/zookeeper.grpc.pb.h"
#include "tools/bench/bench_process.h"
#include "tools/bench/dcos_zk_client.h"

namespace dcos::bench {
namespace {

using dcos::zk::v1::ZooKeeper;
using SteadyClock = std::chrono::steady_clock;

constexpr int kMembers = 3;


// The async client. Connection c reads from member c % 3 and writes to the leader over its
// own channel to each member. Two threads drain one CompletionQueue and run the callbacks.
// Thread-safe (ZkDriver's contract).
class DcosZkDriver final : public ZkDriver {
 public:
  DcosZkDriver(const std::vector<std::string>& addresses, int connections) {
    for (int c = 0; c < connections; ++c) {
      auto conn = std::make_unique<Conn>();
      conn->home.store(c % kMembers);
      for (const std::string& a : addresses) {
        conn->stubs.push_back(ZooKeeper::NewStub(OwnChannel(a)));
      }
      conns_.push_back(std::move(conn));
    }
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { Poll(); });
  }

  ~DcosZkDriver() override {
    cq_.Shutdown();
    for (auto& t : threads_) t.join();
  }

  int connections() const override { return static_cast<int>(conns_.size()); }

  std::string TakeFirstError() override {
    absl::MutexLock lock(&error_mu_);
    return std::exchange(first_error_, "");
  }

  void Issue(int conn, ZkOp op, const std::string& path, const std::string* data,
             Done done) override {
    Start(NewCall<Call>(conn, op, path, data, std::move(done)));
  }

 private:
  struct Conn {
    std::atomic<int> home{0};  // member index reads go to
    std::vector<std::unique_ptr<ZooKeeper::Stub>> stubs;  // one per member
  };

  // One request, across its attempts; the CompletionQueue tag. Deleted when `done` ran.
  struct Call : OpCall {
    bool waiting_alarm = false;
    std::unique_ptr<grpc::ClientContext> ctx;
    grpc::Status status;
    zk::v1::SetDataResponse set_response;
    zk::v1::GetDataResponse get_response;
    zk::v1::CreateResponse create_response;
    zk::v1::DeleteResponse delete_response;
    std::unique_ptr<grpc::ClientAsyncResponseReader<zk::v1::SetDataResponse>> set_reader;
    std::unique_ptr<grpc::ClientAsyncResponseReader<zk::v1::GetDataResponse>> get_reader;
    std::unique_ptr<grpc::ClientAsyncResponseReader<zk::v1::CreateResponse>> create_reader;
    std::unique_ptr<grpc::ClientAsyncResponseReader<zk::v1::DeleteResponse>> delete_reader;
    grpc::Alarm alarm;
  };

  void Start(Call* call) {
    ++call->attempts;
    Conn& conn = *conns_[static_cast<size_t>(call->conn)];
    call->target = call->op == ZkOp::kGet ? conn.home.load() : leader_.load();
    ZooKeeper::Stub& stub = *conn.stubs[static_cast<size_t>(call->target)];
    call->ctx = std::make_unique<grpc::ClientContext>();
    call->ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    switch (call->op) {
      case ZkOp::kSet: {
        zk::v1::SetDataRequest req;
        req.set_path(call->path);
        req.set_data(*call->data);
        call->set_reader = stub.PrepareAsyncSetData(call->ctx.get(), req, &cq_);
        call->set_reader->StartCall();
        call->set_reader->Finish(&call->set_response, &call->status, call);
        break;
      }
      case ZkOp::kGet: {
        zk::v1::GetDataRequest req;
        req.set_path(call->path);
        call->get_reader = stub.PrepareAsyncGetData(call->ctx.get(), req, &cq_);
        call->get_reader->StartCall();
        call->get_reader->Finish(&call->get_response, &call->status, call);
        break;
      }
      case ZkOp::kCreate: {
        zk::v1::CreateRequest req;
        req.set_path(call->path);
        req.set_data(*call->data);
        call->create_reader = stub.PrepareAsyncCreate(call->ctx.get(), req, &cq_);
        call->create_reader->StartCall();
        call->create_reader->Finish(&call->create_response, &call->status, call);
        break;
      }
      case ZkOp::kDelete: {
        zk::v1::DeleteRequest req;
        req.set_path(call->path);
        call->delete_reader = stub.PrepareAsyncDelete(call->ctx.get(), req, &cq_);
        call->delete_reader->StartCall();
        call->delete_reader->Finish(&call->delete_response, &call->status, call);
        break;
      }
    }
  }

  void Poll() {
    void* tag = nullptr;
    bool ok = false;
    while (cq_.Next(&tag, &ok)) {
      auto* call = static_cast<Call*>(tag);
      if (call->waiting_alarm) {
        call->waiting_alarm = false;
        Start(call);
        continue;
      }
      Finished(call);
    }
  }

  // An attempt ended: done, follow a redirect, or retry after a pause (no leader known yet,
  // or the member is down).
  void Finished(Call* call) {
    const grpc::Status& s = call->status;
    bool retry = false;
    bool pause = true;
    if (s.error_code() == grpc::StatusCode::UNAVAILABLE && call->attempts < 500) {
      retry = true;
      if (call->op == ZkOp::kGet) {
        conns_[static_cast<size_t>(call->conn)]->home.store((call->target + 1) % kMembers);
      } else {
        int leader = LeaderFromRedirect(s.error_message(), kMembers);
        if (leader >= 0) {
          leader_.store(leader);
          pause = false;
        } else {
          int expected = call->target;
          leader_.compare_exchange_strong(expected, (call->target + 1) % kMembers);
        }
      }
    }
    if (!retry) {
      if (!s.ok()) NoteError(absl::StrCat(OpName(call->op), " ", call->path, ": ",
                                          s.error_code(), " ", s.error_message()));
      Done done = std::move(call->done);
      bool ok = s.ok();
      delete call;
      done(ok);
      return;
    }
    if (!pause) {
      Start(call);
      return;
    }
    call->waiting_alarm = true;
    call->alarm.Set(&cq_, std::chrono::system_clock::now() + std::chrono::milliseconds(10), call);
  }

  void NoteError(std::string what) {
    absl::MutexLock lock(&error_mu_);
    if (first_error_.empty()) first_error_ = std::move(what);
  }

  std::vector<std::unique_ptr<Conn>> conns_;
  absl::Mutex error_mu_;
  std::string first_error_ ABSL_GUARDED_BY(error_mu_);
  std::atomic<int> leader_{0};  // member index writes go to
  grpc::CompletionQueue cq_;
  std::vector<std::thread> threads_;
};

class DcosZkEnsemble final : public ZkEnsemble {
 public:
  explicit DcosZkEnsemble(DcosZkOptions options) : options_(std::move(options)) {
    for (int i = 0; i < kMembers; ++i) addresses_.push_back(absl::StrCat("127.0.0.1:", FreePort()));
  }

  ~DcosZkEnsemble() override {
    for (auto& m : members_) {
      if (m != nullptr) m->Stop(absl::Seconds(3));
    }
  }

  std::string name() const override { return "dcos-zk"; }

  absl::Status Start() {
    std::vector<std::string> peers;
    for (int i = 0; i < kMembers; ++i) peers.push_back(absl::StrCat(i + 1, "=", addresses_[i]));
    for (int i = 0; i < kMembers; ++i) {
      std::vector<std::string> args = {
          absl::StrCat("--raft.id=", i + 1), "--raft.peers=" + absl::StrJoin(peers, ","),
          absl::StrCat("--raft.dir=", options_.dir, "/member-", i + 1),
          "--grpc.listen=" + addresses_[i], "--metrics.listen=", "--shutdown.grace=1s"};
      args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
      auto p = ChildProcess::Start(
          {absl::StrCat("dcos-zk-", i + 1), options_.binary, args, options_.dir});
      if (!p.ok()) return p.status();
      members_.push_back(std::move(*p));
    }
    for (int i = 0; i < kMembers; ++i) stubs_.push_back(ZooKeeper::NewStub(OwnChannel(addresses_[i])));
    absl::Time deadline = absl::Now() + absl::Seconds(60);
    while (absl::Now() < deadline && !g_stop_requested.load()) {
      for (auto& m : members_) {
        if (!m->Running()) {
          return absl::InternalError(absl::StrCat(m->name(), " exited at start; its log:\n",
                                                  m->LogTail(3000)));
        }
      }
      if (CreateOnLeader("/dcos-zk-bench-ready", absl::Seconds(1)).ok()) return absl::OkStatus();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return absl::DeadlineExceededError("no dcos-zk leader accepted a write within 60 s; see " +
                                       members_[0]->log_path());
  }

  absl::StatusOr<std::unique_ptr<ZkDriver>> Connect(int connections) override {
    if (options_.pipeline) return NewPipelineDriver(addresses_, connections);
    return std::unique_ptr<ZkDriver>(new DcosZkDriver(addresses_, connections));
  }

  std::vector<std::string> addresses() const override { return addresses_; }

  std::vector<pid_t> pids() override {
    std::vector<pid_t> out;
    for (auto& m : members_) out.push_back(m->pid());
    return out;
  }

  absl::StatusOr<absl::Duration> KillLeaderAndTimeFirstWrite() override {
    absl::StatusOr<int> leader = CreateOnLeader("/failover-before", absl::Seconds(10));
    if (!leader.ok()) return leader.status();
    auto killed = SteadyClock::now();
    members_[static_cast<size_t>(*leader)]->Kill();
    absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (absl::Now() < deadline && !g_stop_requested.load()) {
      if (CreateOnLeader("/failover-after", absl::Seconds(1)).ok()) {
        return absl::FromChrono(SteadyClock::now() - killed);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return absl::DeadlineExceededError("no write succeeded within 30 s of killing the leader");
  }

 private:
  // One pass over the live members (following a redirect at once): creates `path` (or finds
  // it there already) and returns the member that accepted it.
  absl::StatusOr<int> CreateOnLeader(const std::string& path, absl::Duration per_call) {
    int next = -1;
    for (int attempt = 0; attempt < kMembers + 1; ++attempt) {
      int m = next >= 0 ? next : attempt % kMembers;
      next = -1;
      if (!members_[static_cast<size_t>(m)]->Running()) continue;
      grpc::ClientContext ctx;
      ctx.set_deadline(absl::ToChronoTime(absl::Now() + per_call));
      zk::v1::CreateRequest req;
      req.set_path(path);
      zk::v1::CreateResponse resp;
      grpc::Status s = stubs_[static_cast<size_t>(m)]->Create(&ctx, req, &resp);
      if (s.ok() || s.error_code() == grpc::StatusCode::ALREADY_EXISTS) return m;
      int leader = LeaderFromRedirect(s.error_message(), kMembers);
      if (leader >= 0 && leader != m) next = leader;
    }
    return absl::UnavailableError("no member accepted the write");
  }

  DcosZkOptions options_;
  std::vector<std::string> addresses_;
  std::vector<std::unique_ptr<ChildProcess>> members_;
  std::vector<std::unique_ptr<ZooKeeper::Stub>> stubs_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<ZkEnsemble>> StartDcosZk(const DcosZkOptions& options) {
  if (access(options.binary.c_str(), X_OK) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(options.binary, " is not an executable; build it with "
                                     "`bazel build -c opt //services/zk-ensemble:dcos-zk` or "
                                     "pass --dcos_zk=PATH"));
  }
  auto ensemble = std::make_unique<DcosZkEnsemble>(options);
  absl::Status started = ensemble->Start();
  if (!started.ok()) return started;
  return std::unique_ptr<ZkEnsemble>(std::move(ensemble));
}

}  // namespace dcos::bench
