#include "services/zk-ensemble/zk_service.h"

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

void ToProto(absl::Duration d, google::protobuf::Duration* out) {
  int64_t seconds = absl::ToInt64Seconds(d);
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(d - absl::Seconds(seconds))));
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

absl::StatusOr<std::shared_ptr<ZkService::Pending>> ZkService::Propose(Command command) {
  DCOS_RETURN_IF_ERROR(Started());
  raft::RaftNode* node = node_.load();
  command.set_time_micros(absl::ToUnixMicros(clock::RealClock::Default()->Now()));
  auto pending = std::make_shared<Pending>();
  ZkStateMachine* sm = sm_;
  node->Propose(command.SerializeAsString(), [pending, sm](absl::StatusOr<uint64_t> index) {
    // Runs on the Raft loop right after the entry was applied.
    if (!index.ok()) {
      pending->result = index.status();
    } else if (std::optional<WriteResult> r = sm->TakeResult(*index)) {
      pending->result = std::move(*r);
    } else {
      pending->result = absl::InternalError("the write's result was not recorded");
    }
    pending->done.Notify();
  });
  return pending;
}

absl::StatusOr<WriteResult> ZkService::Wait(const std::shared_ptr<Pending>& pending) {
  if (!pending->done.WaitForNotificationWithTimeout(timeout_)) {
    return absl::DeadlineExceededError(
        "the write was not committed in time; it may still be applied (outcome unknown)");
  }
  return std::move(pending->result);
}

absl::StatusOr<WriteResult> ZkService::Write(Command command) {
  absl::StatusOr<std::shared_ptr<Pending>> pending = Propose(std::move(command));
  if (!pending.ok()) return pending.status();
  return Wait(*pending);
}

template <typename Request>
grpc::Status ZkService::BeforeRead(const Request& request) {
  if (absl::Status started = Started(); !started.ok()) return Redirect(started);
  absl::Status watchable = CheckWatch(request.session_id(), request.watch());
  if (!watchable.ok()) return status::ToGrpc(watchable);
  absl::Status barrier = ReadBarrier(request.read_options().linearizable());
  if (!barrier.ok()) return Redirect(barrier);
  return grpc::Status::OK;
}

void ZkService::FillReadHeader(int64_t zxid, uint64_t watch_sequence,
                               v1::ResponseHeader* header) const {
  FillHeader(header);
  header->set_zxid(zxid);  // the zxid of the state read, not the latest
  header->set_watch_sequence(watch_sequence);
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
  if (!sm_->SessionLive(session_id)) {
    return ZkStatus(ZkCode::kSessionExpired, "",
                    absl::StrCat("session ", session_id, " is not live (expired or closed)"));
  }
  return absl::OkStatus();
}

absl::Status ZkService::ReadBarrier(bool linearizable) {
  if (!linearizable) return absl::OkStatus();
  DCOS_RETURN_IF_ERROR(Started());
  raft::RaftNode* node = node_.load();
  auto waiter = std::make_shared<Waiter<absl::Status>>();
  node->ReadIndex([waiter](absl::Status s) {
    waiter->result = std::move(s);
    waiter->done.Notify();
  });
  if (!waiter->done.WaitForNotificationWithTimeout(timeout_)) {
    return absl::DeadlineExceededError("no linearizable read point in time");
  }
  return waiter->result;
}

// Runs one write: `fill` puts the request into the command; `take` moves the applied result
// into the response. Redirects on a follower; the write's own error (with its ZkError) else.
template <typename Response, typename Fill, typename Take>
grpc::Status ZkService::RunWrite(Fill fill, Take take, Response* response) {
  Command c;
  fill(&c);
  absl::StatusOr<WriteResult> r = Write(std::move(c));
  if (!r.ok()) return Redirect(r.status());
  if (!r->status.ok()) return status::ToGrpc(r->status);
  take(*r, response);
  FillHeader(response->mutable_header());
  return grpc::Status::OK;
}

grpc::Status ZkService::Create(grpc::ServerContext*, const v1::CreateRequest* request,
                               v1::CreateResponse* response) {
  absl::Status valid = CheckWrite(request->path(), request->data().size(), limits_);
  if (!valid.ok()) return status::ToGrpc(valid);
  return RunWrite(
      [&](Command* c) { *c->mutable_create() = *request; },
      [](WriteResult& r, v1::CreateResponse* out) { *out = std::move(r.create); }, response);
}

grpc::Status ZkService::Delete(grpc::ServerContext*, const v1::DeleteRequest* request,
                               v1::DeleteResponse* response) {
  absl::Status valid = CheckWrite(request->path(), 0, limits_);
  if (!valid.ok()) return status::ToGrpc(valid);
  return RunWrite([&](Command* c) { *c->mutable_delete_node() = *request; },
                  [](WriteResult&, v1::DeleteResponse*) {}, response);
}

grpc::Status ZkService::SetData(grpc::ServerContext*, const v1::SetDataRequest* request,
                                v1::SetDataResponse* response) {
  absl::Status valid = CheckWrite(request->path(), request->data().size(), limits_);
  if (!valid.ok()) return status::ToGrpc(valid);
  return RunWrite(
      [&](Command* c) { *c->mutable_set_data() = *request; },
      [](WriteResult& r, v1::SetDataResponse* out) { *out = std::move(r.set_data); }, response);
}

grpc::Status ZkService::Multi(grpc::ServerContext*, const v1::MultiRequest* request,
                              v1::MultiResponse* response) {
  return RunWrite(
      [&](Command* c) { *c->mutable_multi() = *request; },
      [](WriteResult& r, v1::MultiResponse* out) { *out = std::move(r.multi); }, response);
}

grpc::Status ZkService::Exists(grpc::ServerContext*, const v1::ExistsRequest* request,
                               v1::ExistsResponse* response) {
  if (grpc::Status refused = BeforeRead(*request); !refused.ok()) return refused;
  int64_t zxid = 0;
  uint64_t watch_sequence = 0;
  absl::StatusOr<std::optional<Stat>> stat = sm_->Exists(request->path(), ReadContextFor(*request, &zxid, &watch_sequence));
  if (!stat.ok()) return status::ToGrpc(stat.status());
  // A missing node is not an error for Exists: OK with no stat (operations.proto).
  if (stat->has_value()) ToProto(**stat, response->mutable_stat());
  FillReadHeader(zxid, watch_sequence, response->mutable_header());
  return grpc::Status::OK;
}

grpc::Status ZkService::GetData(grpc::ServerContext*, const v1::GetDataRequest* request,
                                v1::GetDataResponse* response) {
  if (grpc::Status refused = BeforeRead(*request); !refused.ok()) return refused;
  int64_t zxid = 0;
  uint64_t watch_sequence = 0;
  absl::StatusOr<NodeData> data = sm_->GetData(request->path(), ReadContextFor(*request, &zxid, &watch_sequence));
  if (!data.ok()) return status::ToGrpc(data.status());
  response->set_data(std::move(data->data));
  ToProto(data->stat, response->mutable_stat());
  FillReadHeader(zxid, watch_sequence, response->mutable_header());
  return grpc::Status::OK;
}

grpc::Status ZkService::MultiRead(grpc::ServerContext*, const v1::MultiReadRequest* request,
                                  v1::MultiReadResponse* response) {
  constexpr int kMaxOps = 10000;
  if (request->ops_size() == 0 || request->ops_size() > kMaxOps) {
    return status::ToGrpc(ZkStatus(ZkCode::kBadArguments, "",
                                   absl::StrCat("ops: ", request->ops_size(),
                                                " ops; a MultiRead takes 1 to ", kMaxOps)));
  }
  for (int i = 0; i < request->ops_size(); ++i) {
    const v1::ReadOp& op = request->ops(i);
    const std::string& path =
        op.has_get_data() ? op.get_data().path() : op.get_children().path();
    absl::Status valid = op.op_case() == v1::ReadOp::OP_NOT_SET
                             ? ZkStatus(ZkCode::kBadArguments, "", "no read given")
                             : ValidatePath(path, limits_.max_path_bytes);
    if (!valid.ok()) {
      return status::ToGrpc(
          ZkStatus(ZkCodeOf(valid), path, absl::StrCat("ops[", i, "]: ", valid.message())));
    }
  }
  absl::Status barrier = Started();
  if (barrier.ok()) barrier = ReadBarrier(request->read_options().linearizable());
  if (!barrier.ok()) return Redirect(barrier);
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
              for (std::string& c : children->children) out->mutable_children()->add_children(std::move(c));
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
}

grpc::Status ZkService::GetChildren(grpc::ServerContext*, const v1::GetChildrenRequest* request,
                                    v1::GetChildrenResponse* response) {
  if (grpc::Status refused = BeforeRead(*request); !refused.ok()) return refused;
  int64_t zxid = 0;
  uint64_t watch_sequence = 0;
  absl::StatusOr<ChildrenList> children = sm_->GetChildren(request->path(), ReadContextFor(*request, &zxid, &watch_sequence));
  if (!children.ok()) return status::ToGrpc(children.status());
  for (std::string& c : children->children) response->add_children(std::move(c));
  ToProto(children->stat, response->mutable_stat());
  FillReadHeader(zxid, watch_sequence, response->mutable_header());
  return grpc::Status::OK;
}

grpc::Status ZkService::Sync(grpc::ServerContext*, const v1::SyncRequest*,
                             v1::SyncResponse* response) {
  absl::Status barrier = ReadBarrier(true);
  if (!barrier.ok()) return Redirect(barrier);
  FillHeader(response->mutable_header());
  return grpc::Status::OK;
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
    pending = Propose(std::move(c));
  }
  if (!pending.ok()) return Redirect(pending.status());
  absl::StatusOr<WriteResult> r = Wait(*pending);
  if (!r.ok()) return Redirect(r.status());
  if (!r->status.ok()) return status::ToGrpc(r->status);
  response->set_session_id(id);
  ToProto(timeout, response->mutable_negotiated_timeout());
  FillHeader(response->mutable_header());
  return grpc::Status::OK;
}

grpc::Status ZkService::CloseSession(grpc::ServerContext*, const v1::CloseSessionRequest* request,
                                     v1::CloseSessionResponse* response) {
  return RunWrite(
      [&](Command* c) { c->mutable_close_session()->set_session_id(request->session_id()); },
      [](WriteResult&, v1::CloseSessionResponse*) {}, response);
}

grpc::Status ZkService::Session(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<v1::SessionResponse, v1::SessionRequest>* stream) {
  v1::SessionRequest request;
  if (!stream->Read(&request)) return grpc::Status::OK;
  if (!request.has_attach()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "the first message of a Session stream must be Attach");
  }
  if (absl::Status started = Started(); !started.ok()) return Redirect(started);
  int64_t id = request.attach().session_id();
  // A member cut off from the leader sends clients elsewhere: their pings would not get
  // through, and their sessions would expire while they waited here.
  auto cut_off = [] {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        "this member has lost contact with the leader; try another member");
  };
  if (keeper_->LeaderLost()) return cut_off();
  auto expired = [id] {
    return status::ToGrpc(ZkStatus(ZkCode::kSessionExpired, "",
                                   absl::StrCat("session ", id, " is not live (expired or closed)")));
  };
  // A client never reads older state than it has seen: a member behind the client's zxid
  // catches up first, or sends the client elsewhere.
  const int64_t seen = request.attach().last_zxid_seen();
  if (!sm_->WaitForZxid(seen, std::min(timeout_, absl::Seconds(2)))) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        absl::StrCat("this member has applied up to zxid ", sm_->last_zxid(),
                                     ", behind the client's ", seen, "; try another member"));
  }
  // CheckWatch catches up with the leader first if the session is not known here yet.
  absl::Status live = CheckWatch(id, /*watch=*/true);
  if (!live.ok()) return status::ToGrpc(live);
  absl::StatusOr<SessionInfo> info = sm_->GetSession(id);
  if (!info.ok()) return expired();
  keeper_->Touch(id);
  v1::SessionResponse attached;
  attached.mutable_attached()->set_session_id(id);
  ToProto(info->timeout, attached.mutable_attached()->mutable_negotiated_timeout());
  FillHeader(attached.mutable_attached()->mutable_header());
  const uint64_t generation = hub_->Attach(id);
  if (!stream->Write(attached)) {
    hub_->Detach(id, generation);
    return grpc::Status::OK;
  }
  attached_.fetch_add(1);
  // When the stream ends, this member forgets the session's watches (the client re-registers
  // them with SetWatches wherever it attaches next).
  struct Detach {
    std::atomic<int64_t>* count;
    WatchHub* hub;
    int64_t id;
    uint64_t generation;
    ~Detach() {
      count->fetch_sub(1);
      hub->Detach(id, generation);
    }
  } detach{&attached_, hub_, id, generation};
  // Watch events go out from a second thread; writes on the stream are serialized.
  absl::Mutex write_mu;
  std::atomic<bool> done{false};
  std::thread events([&] {
    uint64_t delivered = 0;
    while (!done.load() && !context->IsCancelled()) {
      std::vector<v1::WatchEvent> batch = hub_->Wait(id, delivered, absl::Milliseconds(200));
      for (v1::WatchEvent& e : batch) {
        v1::SessionResponse out;
        delivered = e.sequence();
        *out.mutable_watch_event() = std::move(e);
        absl::MutexLock lock(&write_mu);
        if (!stream->Write(out)) {
          done.store(true);
          return;
        }
      }
    }
  });
  grpc::Status result = grpc::Status::OK;
  while (!context->IsCancelled() && stream->Read(&request)) {
    if (!sm_->SessionLive(id)) {
      result = expired();
      break;
    }
    if (request.has_ping()) {
      if (keeper_->LeaderLost()) {
        result = cut_off();
        break;
      }
      keeper_->Touch(id);
      v1::SessionResponse pong;
      FillHeader(pong.mutable_pong()->mutable_header());
      absl::MutexLock lock(&write_mu);
      if (!stream->Write(pong)) break;
    } else if (request.has_set_watches()) {
      sm_->SetWatches(id, request.set_watches());
    }
  }
  done.store(true);
  events.join();
  return result;
}

absl::Status ZkService::CheckWatchRequest(int64_t session_id, const std::string& path) {
  DCOS_RETURN_IF_ERROR(Started());
  DCOS_RETURN_IF_ERROR(CheckWatch(session_id, /*watch=*/true));
  return ValidatePath(path, limits_.max_path_bytes);
}

grpc::Status ZkService::AddWatch(grpc::ServerContext*, const v1::AddWatchRequest* request,
                                 v1::AddWatchResponse* response) {
  absl::Status checked = CheckWatchRequest(request->session_id(), request->path());
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
  absl::Status checked = CheckWatchRequest(request->session_id(), request->path());
  if (!checked.ok()) return status::ToGrpc(checked);
  absl::Status removed = hub_->Remove(request->session_id(), request->path(),
                                      static_cast<WatcherType>(request->type()));
  if (!removed.ok()) return status::ToGrpc(removed);
  FillReadHeader(sm_->last_zxid(), hub_->Sequence(request->session_id()),
                 response->mutable_header());
  return grpc::Status::OK;
}

}  // namespace dcos::zk
