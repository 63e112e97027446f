#include "services/zk-ensemble/zk_service.h"

#include <openssl/rand.h>

#include <atomic>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "libs/clock/clock.h"
#include "libs/status/grpc_status.h"
#include "libs/status/status_macros.h"
#include "services/zk-ensemble/core/errors.h"
#include "services/zk-ensemble/core/path.h"
#include "services/zk-ensemble/leader_redirect.h"
#include "services/zk-ensemble/proto_duration.h"

namespace dcos::zk {
namespace {

using internal::v1::Command;

// A RaftNode callback's result, shared with the callback (which may run after a handler that
// gave up has returned).
template <typename T>
struct Waiter {  // for reads
  absl::Notification done;
  T result;
};

// A new session's password: kSessionPasswordBytes from OpenSSL's CSPRNG (seeded by the
// kernel). UNAVAILABLE if it has none to give (the client retries; nothing was proposed).
absl::StatusOr<std::string> NewSessionPassword() {
  std::string password(kSessionPasswordBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(password.data()),
                 static_cast<int>(password.size())) != 1) {
    return absl::UnavailableError("no random bytes for a session password; try again");
  }
  return password;
}

}  // namespace

// The read's context: zxid, watch registration and the session's event sequence, all taken
// under the state machine's lock together with the read.
template <typename Request>
ReadContext ReadContextFor(const Request& request, int64_t* zxid,
                                          uint64_t* watch_sequence) {
  ReadContext read;
  read.zxid = zxid;
  read.session_id = request.session_id();
  read.watch = request.watch();
  read.watch_sequence = watch_sequence;
  return read;
}

// Bad input is refused before it costs a log entry (the tree would refuse it again on apply).
static absl::Status CheckWrite(const std::string& path, size_t data_bytes, const TreeConfig& l) {
  absl::Status valid = ValidatePath(path, l.max_path_bytes);
  if (!valid.ok()) return valid;
  if (data_bytes > l.max_data_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("BAD_ARGUMENTS ", path, ": data of ", data_bytes,
                                                   " bytes is over the limit of ",
                                                   l.max_data_bytes));
  }
  return absl::OkStatus();
}

ZkService::ZkService(ZkStateMachine* state_machine, SessionKeeper* keeper, WatchHub* hub,
                     const raft::AddressBook* addresses, absl::Duration request_timeout,
                     TreeConfig limits, std::string not_started)
    : sm_(state_machine),
      keeper_(keeper),
      hub_(hub),
      addresses_(addresses),
      timeout_(request_timeout),
      limits_(limits),
      not_started_(std::move(not_started)) {}

absl::Status ZkService::Started() const {
  if (node_.load() == nullptr) return absl::UnavailableError(not_started_);
  return absl::OkStatus();
}

grpc::Status ZkService::Redirect(const absl::Status& status) const {
  raft::RaftNode* node = node_.load();
  return RedirectToLeader(status, node == nullptr ? 0 : node->Status().leader,
                          addresses_->All());
}

void ZkService::FillHeader(v1::ResponseHeader* header) const {
  header->set_zxid(sm_->last_zxid());
  raft::RaftNode* node = node_.load();
  if (node != nullptr) header->set_member_id(node->id());
}

struct ZkService::Pending {
  absl::Notification done;
  absl::StatusOr<WriteResult> result;
};

absl::Status ZkService::ProposeCommand(
    Command command, std::function<void(absl::StatusOr<WriteResult>)> done) {
  DCOS_RETURN_IF_ERROR(Started());
  raft::RaftNode* node = node_.load();
  command.set_time_micros(absl::ToUnixMicros(clock::RealClock::Default()->Now()));
  ZkStateMachine* sm = sm_;
  node->Propose(command.SerializeAsString(),
                [sm, done = std::move(done)](absl::StatusOr<uint64_t> index) {
                  // Runs on the Raft loop right after the entry was applied.
                  if (!index.ok()) return done(index.status());
                  std::optional<WriteResult> r = sm->TakeResult(*index);
                  if (!r.has_value()) {
                    return done(absl::InternalError("the write's result was not recorded"));
                  }
                  done(std::move(*r));
                });
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<ZkService::Pending>> ZkService::Propose(Command command) {
  auto pending = std::make_shared<Pending>();
  DCOS_RETURN_IF_ERROR(ProposeCommand(std::move(command), [pending](absl::StatusOr<WriteResult> r) {
    pending->result = std::move(r);
    pending->done.Notify();
  }));
  return pending;
}

absl::StatusOr<WriteResult> ZkService::Wait(const std::shared_ptr<Pending>& pending) {
  if (!pending->done.WaitForNotificationWithTimeout(timeout_)) {
    return absl::DeadlineExceededError(
        "the write was not committed in time; it may still be applied (outcome unknown)");
  }
  return std::move(pending->result);
}

void ZkService::FillReadHeader(int64_t zxid, uint64_t watch_sequence,
                               v1::ResponseHeader* header) const {
  FillHeader(header);
  header->set_zxid(zxid);  // the zxid of the state read, not the latest
  header->set_watch_sequence(watch_sequence);
}

absl::Status ZkService::SessionNotLive(int64_t session_id) {
  return ZkStatus(ZkCode::kSessionExpired, "",
                  absl::StrCat("session ", session_id, " is not live (expired or closed)"));
}

absl::Status ZkService::CheckWatch(int64_t session_id, bool watch) {
  if (!watch) return absl::OkStatus();
  if (session_id == 0) {
    return absl::InvalidArgumentError("a watch needs a session: set session_id");
  }
  // A session created a moment ago may not have reached this member yet: catch up with the
  // leader before calling it expired.
  if (!sm_->SessionLive(session_id)) {
    absl::Status caught_up = ReadBarrier(/*linearizable=*/true);
    if (!caught_up.ok()) return caught_up;  // unknown, not expired: the client retries
  }
  if (!sm_->SessionLive(session_id)) return SessionNotLive(session_id);
  return absl::OkStatus();
}

absl::Status ZkService::CheckSessionPassword(int64_t session_id, const std::string& password) {
  DCOS_RETURN_IF_ERROR(CheckWatch(session_id, /*watch=*/true));
  absl::Status checked = sm_->CheckSessionPassword(session_id, password);
  // The same answer as for a session that is gone (the table's own message differs).
  if (!checked.ok()) return SessionNotLive(session_id);
  return absl::OkStatus();
}

void ZkService::AfterReadPoint(std::function<void(absl::Status)> then) {
  if (absl::Status started = Started(); !started.ok()) return then(started);
  node_.load()->ReadIndex(std::move(then));
}

absl::Status ZkService::ReadBarrier(bool linearizable) {
  if (!linearizable) return absl::OkStatus();
  auto waiter = std::make_shared<Waiter<absl::Status>>();
  AfterReadPoint([waiter](absl::Status s) {
    waiter->result = std::move(s);
    waiter->done.Notify();
  });
  if (!waiter->done.WaitForNotificationWithTimeout(timeout_)) {
    return absl::DeadlineExceededError("no linearizable read point in time");
  }
  return waiter->result;
}

ZkService::Finisher ZkService::FinishReactor(grpc::ServerUnaryReactor* reactor) {
  outstanding_.fetch_add(1, std::memory_order_relaxed);
  return [this, reactor](grpc::Status status) {
    outstanding_.fetch_sub(1, std::memory_order_relaxed);
    reactor->Finish(std::move(status));
  };
}

void ZkService::SetMetrics(prometheus::Registry& registry) {
  auto& family = prometheus::BuildHistogram()
                     .Name("dcos_zk_pipeline_op_seconds")
                     .Help("Pipelined ops, from read to answered, by op")
                     .Register(registry);
  const prometheus::Histogram::BucketBoundaries buckets = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
  const std::pair<v1::PipelineOp::OpCase, const char*> ops[] = {
      {v1::PipelineOp::kCreate, "create"},       {v1::PipelineOp::kDelete, "delete"},
      {v1::PipelineOp::kSetData, "set_data"},    {v1::PipelineOp::kMulti, "multi"},
      {v1::PipelineOp::kExists, "exists"},       {v1::PipelineOp::kGetData, "get_data"},
      {v1::PipelineOp::kGetChildren, "get_children"}, {v1::PipelineOp::OP_NOT_SET, "none"}};
  for (const auto& [op, name] : ops) {
    pipeline_op_seconds_[static_cast<size_t>(op)] = &family.Add({{"op", name}}, buckets);
  }
}

template <typename Response, typename Take>
void ZkService::ProposeThen(Command command, Take take, Response* response, Finisher finish) {
  auto done = [this, take, response, finish](absl::StatusOr<WriteResult> r) {
    if (!r.ok()) return finish(Redirect(r.status()));
    if (!r->status.ok()) return finish(status::ToGrpc(r->status));
    take(*r, response);
    FillHeader(response->mutable_header());
    finish(grpc::Status::OK);
  };
  absl::Status proposed = ProposeCommand(std::move(command), std::move(done));
  if (!proposed.ok()) finish(Redirect(proposed));
}

template <typename Serve>
void ZkService::ReadThen(bool linearizable, bool watch, int64_t session, Serve serve,
                         Finisher finish) {
  if (absl::Status started = Started(); !started.ok()) return finish(Redirect(started));
  if (watch && session == 0) {
    return finish(
        status::ToGrpc(absl::InvalidArgumentError("a watch needs a session: set session_id")));
  }
  auto respond = [this, watch, session, serve, finish] {
    if (watch && !sm_->SessionLive(session)) return finish(status::ToGrpc(SessionNotLive(session)));
    finish(serve());
  };
  // A session created a moment ago may not have reached this member yet: catch up with the
  // leader before calling it expired.
  const bool catch_up = watch && !sm_->SessionLive(session);
  if (!linearizable && !catch_up) return respond();
  AfterReadPoint([this, linearizable, respond, finish](absl::Status reached) {
    if (!reached.ok()) {
      // No read point here: a linearizable read is sent to the leader; a watch's session
      // is unknown, not expired (the client retries).
      return finish(linearizable ? Redirect(reached) : status::ToGrpc(reached));
    }
    respond();
  });
}

template <typename Request, typename Response>
grpc::ServerUnaryReactor* ZkService::Unary(
    grpc::CallbackServerContext* context,
    void (ZkService::*start)(const Request&, Response*, Finisher), const Request* request,
    Response* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  (this->*start)(*request, response, FinishReactor(reactor));
  return reactor;
}

template <typename Request, typename Response, typename Read, typename Fill>
void ZkService::StartNodeRead(const Request& request, Response* response, Finisher finish,
                              Read read, Fill fill) {
  ReadThen(
      request.read_options().linearizable(), request.watch(), request.session_id(),
      [this, &request, response, read, fill]() -> grpc::Status {
        int64_t zxid = 0;
        uint64_t watch_sequence = 0;
        auto answer = read(request.path(), ReadContextFor(request, &zxid, &watch_sequence));
        if (!answer.ok()) return status::ToGrpc(answer.status());
        fill(*answer, response);
        FillReadHeader(zxid, watch_sequence, response->mutable_header());
        return grpc::Status::OK;
      },
      std::move(finish));
}

void ZkService::StartCreate(const v1::CreateRequest& request, v1::CreateResponse* response,
                            Finisher finish) {
  absl::Status valid = CheckWrite(request.path(), request.data().size(), limits_);
  if (!valid.ok()) return finish(status::ToGrpc(valid));
  Command command;
  *command.mutable_create() = request;
  ProposeThen(std::move(command),
              [](WriteResult& r, v1::CreateResponse* out) { *out = std::move(r.create); },
              response, std::move(finish));
}

grpc::ServerUnaryReactor* ZkService::Create(grpc::CallbackServerContext* context,
    const v1::CreateRequest* request, v1::CreateResponse* response) {
  return Unary(context, &ZkService::StartCreate, request, response);
}

void ZkService::StartDelete(const v1::DeleteRequest& request, v1::DeleteResponse* response,
                            Finisher finish) {
  absl::Status valid = CheckWrite(request.path(), 0, limits_);
  if (!valid.ok()) return finish(status::ToGrpc(valid));
  Command command;
  *command.mutable_delete_node() = request;
  ProposeThen(std::move(command), [](WriteResult&, v1::DeleteResponse*) {}, response,
              std::move(finish));
}

grpc::ServerUnaryReactor* ZkService::Delete(grpc::CallbackServerContext* context,
    const v1::DeleteRequest* request, v1::DeleteResponse* response) {
  return Unary(context, &ZkService::StartDelete, request, response);
}

void ZkService::StartSetData(const v1::SetDataRequest& request, v1::SetDataResponse* response,
                             Finisher finish) {
  absl::Status valid = CheckWrite(request.path(), request.data().size(), limits_);
  if (!valid.ok()) return finish(status::ToGrpc(valid));
  Command command;
  *command.mutable_set_data() = request;
  ProposeThen(std::move(command),
              [](WriteResult& r, v1::SetDataResponse* out) { *out = std::move(r.set_data); },
              response, std::move(finish));
}

grpc::ServerUnaryReactor* ZkService::SetData(grpc::CallbackServerContext* context,
    const v1::SetDataRequest* request, v1::SetDataResponse* response) {
  return Unary(context, &ZkService::StartSetData, request, response);
}

void ZkService::StartMulti(const v1::MultiRequest& request, v1::MultiResponse* response,
                           Finisher finish) {
  Command command;
  *command.mutable_multi() = request;
  ProposeThen(std::move(command),
              [](WriteResult& r, v1::MultiResponse* out) { *out = std::move(r.multi); }, response,
              std::move(finish));
}

grpc::ServerUnaryReactor* ZkService::Multi(grpc::CallbackServerContext* context,
    const v1::MultiRequest* request, v1::MultiResponse* response) {
  return Unary(context, &ZkService::StartMulti, request, response);
}

void ZkService::StartExists(const v1::ExistsRequest& request, v1::ExistsResponse* response,
                            Finisher finish) {
  StartNodeRead(
      request, response, std::move(finish),
      [this](const std::string& path, const ReadContext& read) { return sm_->Exists(path, read); },
      [](std::optional<Stat>& stat, v1::ExistsResponse* out) {
        // A missing node is not an error for Exists: OK with no stat (operations.proto).
        if (stat.has_value()) ToProto(*stat, out->mutable_stat());
      });
}

grpc::ServerUnaryReactor* ZkService::Exists(grpc::CallbackServerContext* context,
    const v1::ExistsRequest* request, v1::ExistsResponse* response) {
  return Unary(context, &ZkService::StartExists, request, response);
}

void ZkService::StartGetData(const v1::GetDataRequest& request, v1::GetDataResponse* response,
                             Finisher finish) {
  StartNodeRead(
      request, response, std::move(finish),
      [this](const std::string& path, const ReadContext& read) { return sm_->GetData(path, read); },
      [](NodeData& data, v1::GetDataResponse* out) {
        out->set_data(std::move(data.data));
        ToProto(data.stat, out->mutable_stat());
      });
}

grpc::ServerUnaryReactor* ZkService::GetData(grpc::CallbackServerContext* context,
    const v1::GetDataRequest* request, v1::GetDataResponse* response) {
  return Unary(context, &ZkService::StartGetData, request, response);
}

void ZkService::StartGetChildren(const v1::GetChildrenRequest& request,
                                 v1::GetChildrenResponse* response, Finisher finish) {
  StartNodeRead(
      request, response, std::move(finish),
      [this](const std::string& path, const ReadContext& read) {
        return sm_->GetChildren(path, read);
      },
      [](ChildrenList& children, v1::GetChildrenResponse* out) {
        for (std::string& c : children.children) out->add_children(std::move(c));
        ToProto(children.stat, out->mutable_stat());
      });
}

grpc::ServerUnaryReactor* ZkService::GetChildren(grpc::CallbackServerContext* context,
    const v1::GetChildrenRequest* request, v1::GetChildrenResponse* response) {
  return Unary(context, &ZkService::StartGetChildren, request, response);
}

// MultiRead's ops: 1 to kMaxOps, each a known read of a valid path.
static absl::Status CheckMultiRead(const v1::MultiReadRequest& request, const TreeConfig& limits) {
  constexpr int kMaxOps = 10000;
  if (request.ops_size() == 0 || request.ops_size() > kMaxOps) {
    return ZkStatus(ZkCode::kBadArguments, "",
                    absl::StrCat("ops: ", request.ops_size(), " ops; a MultiRead takes 1 to ",
                                 kMaxOps));
  }
  for (int i = 0; i < request.ops_size(); ++i) {
    const v1::ReadOp& op = request.ops(i);
    const std::string& path =
        op.has_get_data() ? op.get_data().path() : op.get_children().path();
    absl::Status valid = op.op_case() == v1::ReadOp::OP_NOT_SET
                             ? ZkStatus(ZkCode::kBadArguments, "", "no read given")
                             : ValidatePath(path, limits.max_path_bytes);
    if (!valid.ok()) {
      return ZkStatus(ZkCodeOf(valid), path, absl::StrCat("ops[", i, "]: ", valid.message()));
    }
  }
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* ZkService::MultiRead(grpc::CallbackServerContext* context,
                                               const v1::MultiReadRequest* request,
                                               v1::MultiReadResponse* response) {
  absl::Status valid = CheckMultiRead(*request, limits_);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!valid.ok()) {
    reactor->Finish(status::ToGrpc(valid));
    return reactor;
  }
  ReadThen(request->read_options().linearizable(), /*watch=*/false, /*session=*/0,
           [this, request, response]() -> grpc::Status {
    int64_t zxid = 0;
    sm_->ReadTree(
        [&](const ZnodeTree& tree) {
          for (const v1::ReadOp& op : request->ops()) {
            v1::ReadResult* out = response->add_results();
            absl::Status failed;
            if (op.has_get_data()) {
              absl::StatusOr<NodeData> data = tree.GetData(op.get_data().path());
              if (data.ok()) {
                out->mutable_data()->set_data(std::move(data->data));
                ToProto(data->stat, out->mutable_data()->mutable_stat());
              }
              failed = data.status();
            } else {
              absl::StatusOr<ChildrenList> children = tree.GetChildren(op.get_children().path());
              if (children.ok()) {
                for (std::string& c : children->children) {
                  out->mutable_children()->add_children(std::move(c));
                }
                ToProto(children->stat, out->mutable_children()->mutable_stat());
              }
              failed = children.status();
            }
            if (!failed.ok()) {
              out->mutable_error()->set_code(static_cast<v1::ErrorCode>(ZkCodeOf(failed)));
            }
          }
        },
        &zxid);
    FillReadHeader(zxid, 0, response->mutable_header());
    return grpc::Status::OK;
  }, FinishReactor(reactor));
  return reactor;
}

grpc::ServerUnaryReactor* ZkService::Sync(grpc::CallbackServerContext* context,
                                          const v1::SyncRequest*, v1::SyncResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  AfterReadPoint([this, reactor, response](absl::Status reached) {
    if (!reached.ok()) return reactor->Finish(Redirect(reached));
    FillHeader(response->mutable_header());
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

grpc::Status ZkService::CreateSession(grpc::ServerContext*, const v1::CreateSessionRequest* request,
                                      v1::CreateSessionResponse* response) {
  if (absl::Status started = Started(); !started.ok()) return Redirect(started);
  raft::RaftNode* node = node_.load();
  raft::CoreStatus status = node->Status();
  if (status.role != raft::Role::kLeader) return Redirect(absl::UnavailableError("not the leader"));
  absl::Duration requested =
      absl::Seconds(request->requested_timeout().seconds()) +
      absl::Nanoseconds(request->requested_timeout().nanos());
  absl::Duration timeout = sm_->NegotiateTimeout(requested);
  absl::StatusOr<std::string> password = NewSessionPassword();
  if (!password.ok()) return status::ToGrpc(password.status());
  absl::StatusOr<std::shared_ptr<Pending>> pending;
  int64_t id = 0;
  {
    absl::MutexLock lock(&id_mu_);
    int64_t term = static_cast<int64_t>(status.term);
    if (ids_ == nullptr || ids_->term() != term) ids_ = std::make_unique<SessionIdAllocator>(term);
    absl::StatusOr<int64_t> next = ids_->Next();
    if (!next.ok()) return status::ToGrpc(next.status());
    id = *next;
    Command c;
    c.mutable_create_session()->set_session_id(id);
    c.mutable_create_session()->set_timeout_ms(absl::ToInt64Milliseconds(timeout));
    c.mutable_create_session()->set_password(*password);
    pending = Propose(std::move(c));
  }
  if (!pending.ok()) return Redirect(pending.status());
  absl::StatusOr<WriteResult> r = Wait(*pending);
  if (!r.ok()) return Redirect(r.status());
  if (!r->status.ok()) return status::ToGrpc(r->status);
  response->set_session_id(id);
  response->set_password(*std::move(password));
  ToProto(timeout, response->mutable_negotiated_timeout());
  FillHeader(response->mutable_header());
  return grpc::Status::OK;
}

grpc::ServerUnaryReactor* ZkService::CloseSession(grpc::CallbackServerContext* context,
                                                  const v1::CloseSessionRequest* request,
                                                  v1::CloseSessionResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (absl::Status started = Started(); !started.ok()) {
    reactor->Finish(Redirect(started));
    return reactor;
  }
  // The password is checked here, against this member's applied table, not when the entry
  // is applied: members of an older version would apply it without a check, and the log
  // must apply alike everywhere. The session can only go away between check and apply.
  auto close = [this, reactor, request, response] {
    if (!sm_->CheckSessionPassword(request->session_id(), request->password()).ok()) {
      return reactor->Finish(status::ToGrpc(SessionNotLive(request->session_id())));
    }
    Command command;
    command.mutable_close_session()->set_session_id(request->session_id());
    ProposeThen(std::move(command), [](WriteResult&, v1::CloseSessionResponse*) {}, response,
                FinishReactor(reactor));
  };
  if (sm_->SessionLive(request->session_id())) {
    close();
    return reactor;
  }
  // Not known here yet (created a moment ago, this member behind): catch up first.
  AfterReadPoint([this, reactor, close](absl::Status reached) {
    if (!reached.ok()) return reactor->Finish(Redirect(reached));
    close();
  });
  return reactor;
}

absl::Status ZkService::CheckWatchRequest(int64_t session_id, const std::string& password,
                                          const std::string& path) {
  DCOS_RETURN_IF_ERROR(Started());
  DCOS_RETURN_IF_ERROR(CheckSessionPassword(session_id, password));
  return ValidatePath(path, limits_.max_path_bytes);
}

grpc::Status ZkService::AddWatch(grpc::ServerContext*, const v1::AddWatchRequest* request,
                                 v1::AddWatchResponse* response) {
  absl::Status checked =
      CheckWatchRequest(request->session_id(), request->password(), request->path());
  if (!checked.ok()) return status::ToGrpc(checked);
  if (request->mode() != v1::ADD_WATCH_MODE_PERSISTENT &&
      request->mode() != v1::ADD_WATCH_MODE_PERSISTENT_RECURSIVE) {
    return status::ToGrpc(ZkStatus(ZkCode::kBadArguments, request->path(),
                                   "mode must be PERSISTENT or PERSISTENT_RECURSIVE"));
  }
  int64_t zxid = 0;
  uint64_t sequence = 0;
  ReadContext read;
  read.zxid = &zxid;
  read.session_id = request->session_id();
  read.watch_sequence = &sequence;
  sm_->AddPersistentWatch(request->path(),
                          request->mode() == v1::ADD_WATCH_MODE_PERSISTENT_RECURSIVE, read);
  FillReadHeader(zxid, sequence, response->mutable_header());
  return grpc::Status::OK;
}

grpc::Status ZkService::RemoveWatches(grpc::ServerContext*, const v1::RemoveWatchesRequest* request,
                                      v1::RemoveWatchesResponse* response) {
  absl::Status checked =
      CheckWatchRequest(request->session_id(), request->password(), request->path());
  if (!checked.ok()) return status::ToGrpc(checked);
  absl::Status removed = hub_->Remove(request->session_id(), request->path(),
                                      static_cast<WatcherType>(request->type()));
  if (!removed.ok()) return status::ToGrpc(removed);
  FillReadHeader(sm_->last_zxid(), hub_->Sequence(request->session_id()),
                 response->mutable_header());
  return grpc::Status::OK;
}

}  // namespace dcos::zk
