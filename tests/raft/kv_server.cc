#include "tests/raft/kv_server.h"

#include <atomic>
#include <thread>
#include <utility>

#include <grpcpp/security/credentials.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "libs/clock/clock.h"
#include "libs/log/log.h"
#include "libs/raft/env.h"
#include "libs/raft/file_log_storage.h"
#include "libs/raft/grpc_transport.h"
#include "libs/raft/sink_proxy.h"
#include "libs/raft/raft_node.h"
#include "libs/raft/transport_service.h"
#include "libs/status/grpc_status.h"
#include "tests/raft/kv.grpc.pb.h"
#include "tests/raft/kv_state_machine.h"

namespace dcos::testing::raftkv {
namespace {

using raft::RaftNode;
using v1::GetRequest;
using v1::GetResponse;
using v1::PutRequest;
using v1::PutResponse;
using v1::StatusRequest;
using v1::StatusResponse;

// The result of one RaftNode callback, waited for by a gRPC handler with a bound. Shared with
// the callback, which may run after the handler gave up.
template <typename T>
struct Waiter {
  absl::Notification done;
  T result;
};

// The Kv gRPC service. Handlers run on gRPC threads; the node pointer is published once the
// node has started (before that every call is UNAVAILABLE). The state machine is thread-safe.
class KvService final : public v1::Kv::Service {
 public:
  KvService(KvStateMachine* sm, absl::Duration timeout) : sm_(sm), timeout_(timeout) {}

  void SetNode(RaftNode* node) { node_.store(node); }

  grpc::Status Put(grpc::ServerContext*, const PutRequest* request, PutResponse* reply) override {
    RaftNode* node = node_.load();
    if (node == nullptr) return Unavailable("starting");
    raft::CoreStatus s = node->Status();
    if (s.role != raft::Role::kLeader) {
      return Unavailable(absl::StrCat("not the leader; leader=", s.leader));
    }
    auto w = std::make_shared<Waiter<absl::StatusOr<uint64_t>>>();
    node->Propose(EncodePut(request->key(), request->value()),
                  [w](absl::StatusOr<uint64_t> r) {
                    w->result = std::move(r);
                    w->done.Notify();
                  });
    if (!w->done.WaitForNotificationWithTimeout(timeout_)) {
      return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                          "the write was not committed in time; its outcome is unknown");
    }
    if (!w->result.ok()) return status::ToGrpc(w->result.status());
    reply->set_index(*w->result);
    return grpc::Status::OK;
  }

  grpc::Status Get(grpc::ServerContext*, const GetRequest* request, GetResponse* reply) override {
    RaftNode* node = node_.load();
    if (node == nullptr) return Unavailable("starting");
    if (request->linearizable()) {
      auto w = std::make_shared<Waiter<absl::Status>>();
      node->ReadIndex([w](absl::Status s) {
        w->result = std::move(s);
        w->done.Notify();
      });
      if (!w->done.WaitForNotificationWithTimeout(timeout_)) {
        return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "no read point in time");
      }
      if (!w->result.ok()) return status::ToGrpc(w->result);
    }
    KvStateMachine::Read read = sm_->Get(request->key());
    reply->set_found(read.value.has_value());
    if (read.value) reply->set_value(*read.value);
    reply->set_applied(read.applied);
    return grpc::Status::OK;
  }

  grpc::Status Status(grpc::ServerContext*, const StatusRequest*, StatusResponse* reply) override {
    RaftNode* node = node_.load();
    if (node == nullptr) return Unavailable("starting");
    raft::CoreStatus s = node->Status();
    reply->set_id(s.id);
    reply->set_role(raft::RoleName(s.role));
    reply->set_leader(s.leader);
    reply->set_term(s.term);
    reply->set_commit(s.commit);
    reply->set_applied(sm_->applied());
    reply->set_last_index(s.last_index);
    reply->set_key_count(sm_->Size());
    return grpc::Status::OK;
  }

 private:
  static grpc::Status Unavailable(const std::string& why) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, why);
  }

  KvStateMachine* const sm_;
  const absl::Duration timeout_;
  std::atomic<RaftNode*> node_{nullptr};
};

// One member. Built on the main thread (services registered), started after the server
// listens; Start recovers the storage and starts the node, then makes the server ready. A
// watcher thread turns health NOT_SERVING if the node stops on a storage error.
class KvComponent final : public runtime::Component {
 public:
  KvComponent(KvConfig config, std::map<uint64_t, std::string> peers)
      : config_(std::move(config)),
        peers_(std::move(peers)),
        service_(&sm_, config_.request_timeout) {
    raft::RaftTransportService::Options so;
    so.identity.cluster_id = static_cast<uint64_t>(config_.cluster_id);
    so.identity.self = static_cast<uint64_t>(config_.id);
    so.identity.is_peer = [this](uint64_t id) { return peers_.count(id) > 0; };
    so.sink = &proxy_;
    transport_service_ = std::make_unique<raft::RaftTransportService>(std::move(so));
  }

  ~KvComponent() override {
    StopAll();
    proxy_.Set(nullptr);
  }

  KvService& service() { return service_; }
  raft::RaftTransportService& transport_service() { return *transport_service_; }

  absl::Status Start(runtime::ServiceRuntime& runtime) override {
    const uint64_t self = static_cast<uint64_t>(config_.id);
    absl::StatusOr<std::unique_ptr<raft::FileLogStorage>> storage =
        raft::FileLogStorage::Open(raft::Env::Default(), config_.dir, {});
    if (!storage.ok()) return storage.status();
    storage_ = std::move(*storage);

    raft::GrpcTransport::Options to;
    to.self = self;
    to.cluster_id = static_cast<uint64_t>(config_.cluster_id);
    to.sink = &proxy_;
    to.credentials = grpc::InsecureChannelCredentials();
    for (const auto& [id, address] : peers_) {
      if (id != self) to.peers[id] = address;
    }
    to.metrics = &runtime.metrics();
    absl::StatusOr<std::unique_ptr<raft::GrpcTransport>> transport =
        raft::GrpcTransport::Create(std::move(to));
    if (!transport.ok()) return transport.status();
    transport_ = std::move(*transport);

    raft::NodeOptions no;
    no.on_fatal = [&runtime](const absl::Status& error) {
      log::Error("raft member failed; NOT_SERVING").Field("error", error);
      runtime.SetReady(false);
    };
    no.raft.id = self;
    for (const auto& [id, address] : peers_) no.raft.initial_voters.push_back(id);
    no.raft.election_ticks = static_cast<int>(config_.election_ticks);
    no.raft.seed = self;
    no.tick_interval = config_.tick;
    no.snapshot_threshold = static_cast<uint64_t>(config_.snapshot_threshold);
    absl::StatusOr<std::unique_ptr<RaftNode>> node =
        RaftNode::Start(std::move(no), storage_.get(), &sm_, transport_.get(),
                        clock::RealClock::Default(), &runtime.metrics());
    if (!node.ok()) return node.status();
    node_ = std::move(*node);
    proxy_.Set(node_.get());
    service_.SetNode(node_.get());
    raft::CoreStatus s = node_->Status();
    log::Info("raft member started")
        .Field("member", s.id)
        .Field("term", s.term)
        .Field("last_index", s.last_index)
        .Field("snapshot_index", s.snapshot_index)
        .Field("applied", sm_.applied())
        .Field("keys", sm_.Size());
    runtime.SetReady(true);
    return absl::OkStatus();
  }

  void BeginShutdown() override { StopAll(); }

 private:
  // Idempotent: ends the node (waiting handlers get UNAVAILABLE) and the
  // transport's calls.
  void StopAll() {
    if (node_) node_->Stop();
    if (transport_) transport_->Stop();
  }

  const KvConfig config_;
  const std::map<uint64_t, std::string> peers_;
  raft::SinkProxy proxy_;
  KvStateMachine sm_;
  KvService service_;
  std::unique_ptr<raft::RaftTransportService> transport_service_;
  std::unique_ptr<raft::FileLogStorage> storage_;
  std::unique_ptr<raft::GrpcTransport> transport_;
  std::unique_ptr<RaftNode> node_;
};

}  // namespace

void RegisterKvConfig(config::Schema& schema, KvConfig* config) {
  schema.Int("raft.id", &config->id, "this member's Raft id").Range(1, 1 << 20).Required();
  schema.StringList("raft.peers", &config->peers,
                    "every member as id=host:port, its gRPC (and Raft transport) address")
      .Required();
  schema.String("raft.dir", &config->dir, "data directory (write-ahead log, snapshots)")
      .Required();
  schema.Duration("raft.tick", &config->tick, "Raft tick interval")
      .DurationRange(absl::Milliseconds(1), absl::Seconds(10));
  schema.Int("raft.election_ticks", &config->election_ticks,
             "followers campaign after [n, 2n) ticks without a leader")
      .Range(2, 1000);
  schema.Int("raft.snapshot_threshold", &config->snapshot_threshold,
             "applied entries between snapshots (log compaction)")
      .Range(int64_t{1}, int64_t{1} << 40);
  schema.Int("raft.cluster_id", &config->cluster_id, "id of the ensemble, same on every member")
      .Range(int64_t{1}, int64_t{1} << 40);
  schema.Duration("raft.request_timeout", &config->request_timeout,
                  "how long Put and linearizable Get wait for Raft")
      .DurationRange(absl::Milliseconds(10), absl::Minutes(10));
}

absl::StatusOr<std::map<uint64_t, std::string>> ParsePeers(const std::vector<std::string>& items) {
  std::map<uint64_t, std::string> peers;
  for (const std::string& item : items) {
    std::pair<std::string, std::string> kv = absl::StrSplit(item, absl::MaxSplits('=', 1));
    uint64_t id = 0;
    if (!absl::SimpleAtoi(kv.first, &id) || id == 0 || kv.second.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("raft.peers: \"", item, "\" is not id=host:port"));
    }
    if (!peers.emplace(id, kv.second).second) {
      return absl::InvalidArgumentError(absl::StrCat("raft.peers: member ", id, " twice"));
    }
  }
  return peers;
}

absl::StatusOr<std::unique_ptr<runtime::Component>> BuildKv(const KvConfig& config,
                                                            runtime::ServiceRuntime& runtime) {
  absl::StatusOr<std::map<uint64_t, std::string>> peers = ParsePeers(config.peers);
  if (!peers.ok()) return peers.status();
  auto self = peers->find(static_cast<uint64_t>(config.id));
  if (self == peers->end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("raft.id ", config.id, " is not in raft.peers"));
  }
  if (self->second != runtime.options().grpc_listen) {
    return absl::InvalidArgumentError(absl::StrCat(
        "grpc.listen ", runtime.options().grpc_listen, " must be this member's raft.peers address ",
        self->second, " (the Raft transport is served on the same server)"));
  }
  auto component = std::make_unique<KvComponent>(config, *std::move(peers));
  runtime.AddService(&component->service(), "dcos.testing.raftkv.v1.Kv");
  runtime.AddService(&component->transport_service(), "dcos.raft.v1.RaftTransport");
  return component;
}

}  // namespace dcos::testing::raftkv
