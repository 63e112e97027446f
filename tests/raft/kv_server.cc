#include "tests/raft/kv_server.h"

#include <atomic>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "libs/log/log.h"
#include "libs/raft/member.h"
#include "libs/raft/raft_node.h"
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

// One member: the key-value service over a RaftMember. Built on the main thread (services
// registered); Start recovers the storage, starts the node and makes the server ready.
class KvComponent final : public runtime::Component {
 public:
  KvComponent(std::unique_ptr<raft::RaftMember> member, absl::Duration request_timeout)
      : member_(std::move(member)), service_(&sm_, request_timeout) {}

  ~KvComponent() override { member_->Stop(); }

  KvService& service() { return service_; }

  absl::Status Start(runtime::ServiceRuntime& runtime) override {
    absl::Status started = member_->Start(&sm_, runtime);
    if (!started.ok()) return started;
    service_.SetNode(member_->node());
    log::Info("key-value store ready").Field("applied", sm_.applied()).Field("keys", sm_.Size());
    runtime.SetReady(true);
    return absl::OkStatus();
  }

  void BeginShutdown() override { member_->Stop(); }

 private:
  std::unique_ptr<raft::RaftMember> member_;
  KvStateMachine sm_;
  KvService service_;
};

}  // namespace

void RegisterKvConfig(config::Schema& schema, KvConfig* config) {
  raft::RegisterMemberConfig(schema, &config->member);
  schema.Duration("raft.request_timeout", &config->request_timeout,
                  "how long Put and linearizable Get wait for Raft")
      .DurationRange(absl::Milliseconds(10), absl::Minutes(10));
}

absl::StatusOr<std::unique_ptr<runtime::Component>> BuildKv(const KvConfig& config,
                                                            runtime::ServiceRuntime& runtime) {
  absl::StatusOr<std::unique_ptr<raft::RaftMember>> member =
      raft::RaftMember::Create(config.member, runtime);
  if (!member.ok()) return member.status();
  auto component = std::make_unique<KvComponent>(*std::move(member), config.request_timeout);
  runtime.AddService(&component->service(), "dcos.testing.raftkv.v1.Kv");
  return component;
}

}  // namespace dcos::testing::raftkv
