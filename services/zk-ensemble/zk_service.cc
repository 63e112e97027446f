#include "services/zk-ensemble/zk_service.h"

#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "libs/clock/clock.h"
#include "libs/status/grpc_status.h"
#include "protos/common/v1/errors.pb.h"
#include "services/zk-ensemble/core/path.h"

namespace dcos::zk {
namespace {

using internal::v1::Command;

// A RaftNode callback's result, shared with the callback (which may run after a handler that
// gave up has returned).
template <typename T>
struct Waiter {
  absl::Notification done;
  T result;
};

grpc::Status Unimplemented(const std::string& what) {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                      what + " is not implemented yet in dcos-zk (sessions and watches come next)");
}

bool IsEphemeral(v1::CreateMode mode) {
  return mode == v1::CREATE_MODE_EPHEMERAL || mode == v1::CREATE_MODE_EPHEMERAL_SEQUENTIAL;
}

}  // namespace

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

ZkService::ZkService(ZkStateMachine* state_machine, std::map<uint64_t, std::string> peers,
                     absl::Duration request_timeout, TreeConfig limits)
    : sm_(state_machine), peers_(std::move(peers)), timeout_(request_timeout), limits_(limits) {}

grpc::Status ZkService::Redirect(const absl::Status& status) const {
  if (status.code() != absl::StatusCode::kUnavailable) return status::ToGrpc(status);
  raft::RaftNode* node = node_.load();
  uint64_t leader = node == nullptr ? 0 : node->Status().leader;
  auto it = peers_.find(leader);
  bool known = leader != 0 && it != peers_.end();
  std::string where = known ? absl::StrCat("leader is member ", leader, " at ", it->second)
                            : "no leader is known (election in progress); retry shortly";
  // The leader's address also travels as a dcos.common.v1.LeaderInfo detail, so clients can
  // redirect without parsing the message.
  dcos::common::v1::LeaderInfo info;
  info.set_service("dcos-zk");
  info.set_known(known);
  if (known) {
    info.set_leader_id(absl::StrCat(leader));
    std::pair<std::string, std::string> host_port =
        absl::StrSplit(it->second, absl::MaxSplits(':', 1));
    uint32_t port = 0;
    (void)absl::SimpleAtoi(host_port.second, &port);
    info.mutable_address()->set_hostname(host_port.first);
    info.mutable_address()->set_ip(host_port.first);
    info.mutable_address()->set_port(port);
  }
  absl::Status redirect = absl::UnavailableError(absl::StrCat("not the leader: ", where));
  redirect.SetPayload(status::TypeUrl("dcos.common.v1.LeaderInfo"),
                      absl::Cord(info.SerializeAsString()));
  return status::ToGrpc(redirect);
}

void ZkService::FillHeader(v1::ResponseHeader* header) const {
  header->set_zxid(sm_->last_zxid());
  raft::RaftNode* node = node_.load();
  if (node != nullptr) header->set_member_id(node->Status().id);
}

absl::StatusOr<WriteResult> ZkService::Write(Command command) {
  raft::RaftNode* node = node_.load();
  if (node == nullptr) return absl::UnavailableError("starting");
  command.set_time_micros(absl::ToUnixMicros(clock::RealClock::Default()->Now()));
  auto waiter = std::make_shared<Waiter<absl::StatusOr<WriteResult>>>();
  ZkStateMachine* sm = sm_;
  node->Propose(command.SerializeAsString(), [waiter, sm](absl::StatusOr<uint64_t> index) {
    // Runs on the Raft loop right after the entry was applied.
    if (!index.ok()) {
      waiter->result = index.status();
    } else if (std::optional<WriteResult> r = sm->TakeResult(*index)) {
      waiter->result = std::move(*r);
    } else {
      waiter->result = absl::InternalError("the write's result was not recorded");
    }
    waiter->done.Notify();
  });
  if (!waiter->done.WaitForNotificationWithTimeout(timeout_)) {
    return absl::DeadlineExceededError(
        "the write was not committed in time; it may still be applied (outcome unknown)");
  }
  return std::move(waiter->result);
}

absl::Status ZkService::ReadBarrier(bool linearizable) {
  if (!linearizable) return absl::OkStatus();
  raft::RaftNode* node = node_.load();
  if (node == nullptr) return absl::UnavailableError("starting");
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
  if (IsEphemeral(request->mode())) return Unimplemented("ephemeral nodes (they need sessions)");
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
  for (const auto& op : request->ops()) {
    if (op.has_create() && IsEphemeral(op.create().mode())) {
      return Unimplemented("ephemeral nodes (they need sessions)");
    }
  }
  return RunWrite(
      [&](Command* c) { *c->mutable_multi() = *request; },
      [](WriteResult& r, v1::MultiResponse* out) { *out = std::move(r.multi); }, response);
}

grpc::Status ZkService::Exists(grpc::ServerContext*, const v1::ExistsRequest* request,
                               v1::ExistsResponse* response) {
  if (request->watch()) return Unimplemented("watches");
  absl::Status barrier = ReadBarrier(request->read_options().linearizable());
  if (!barrier.ok()) return Redirect(barrier);
  absl::StatusOr<std::optional<Stat>> stat = sm_->Exists(request->path());
  if (!stat.ok()) return status::ToGrpc(stat.status());
  if (!stat->has_value()) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "NO_NODE " + request->path());
  }
  ToProto(**stat, response->mutable_stat());
  FillHeader(response->mutable_header());
  return grpc::Status::OK;
}

grpc::Status ZkService::GetData(grpc::ServerContext*, const v1::GetDataRequest* request,
                                v1::GetDataResponse* response) {
  if (request->watch()) return Unimplemented("watches");
  absl::Status barrier = ReadBarrier(request->read_options().linearizable());
  if (!barrier.ok()) return Redirect(barrier);
  absl::StatusOr<NodeData> data = sm_->GetData(request->path());
  if (!data.ok()) return status::ToGrpc(data.status());
  response->set_data(std::move(data->data));
  ToProto(data->stat, response->mutable_stat());
  FillHeader(response->mutable_header());
  return grpc::Status::OK;
}

grpc::Status ZkService::GetChildren(grpc::ServerContext*, const v1::GetChildrenRequest* request,
                                    v1::GetChildrenResponse* response) {
  if (request->watch()) return Unimplemented("watches");
  absl::Status barrier = ReadBarrier(request->read_options().linearizable());
  if (!barrier.ok()) return Redirect(barrier);
  absl::StatusOr<ChildrenList> children = sm_->GetChildren(request->path());
  if (!children.ok()) return status::ToGrpc(children.status());
  for (std::string& c : children->children) response->add_children(std::move(c));
  ToProto(children->stat, response->mutable_stat());
  FillHeader(response->mutable_header());
  return grpc::Status::OK;
}

grpc::Status ZkService::Sync(grpc::ServerContext*, const v1::SyncRequest*,
                             v1::SyncResponse* response) {
  absl::Status barrier = ReadBarrier(true);
  if (!barrier.ok()) return Redirect(barrier);
  FillHeader(response->mutable_header());
  return grpc::Status::OK;
}

grpc::Status ZkService::CreateSession(grpc::ServerContext*, const v1::CreateSessionRequest*,
                                      v1::CreateSessionResponse*) {
  return Unimplemented("sessions");
}

}  // namespace dcos::zk
