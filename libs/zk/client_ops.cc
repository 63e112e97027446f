// ZkClient: the znode operations, each one request built here and sent through Invoke/Read.
// Reads with a Watcher leave a watch (ZkSession) once answered.

#include "absl/strings/str_cat.h"
#include "libs/zk/client.h"
#include "libs/zk/errors.h"

namespace dcos::zk::client {
namespace {

bool IsEphemeral(v1::CreateMode mode) {
  return mode == v1::CREATE_MODE_EPHEMERAL || mode == v1::CREATE_MODE_EPHEMERAL_SEQUENTIAL;
}

absl::Status NoSession(const std::string& path) {
  return absl::InvalidArgumentError(absl::StrCat(
      "BAD_ARGUMENTS ", path, ": ephemeral nodes need a session (ZkClient::Options::session)"));
}

absl::Status NoWatchWithoutSession(const std::string& path) {
  return absl::FailedPreconditionError(
      absl::StrCat(path, ": watches need a session (ZkClient::Options::session)"));
}

}  // namespace

absl::StatusOr<std::string> ZkClient::Create(const std::string& path, const std::string& data,
                                             v1::CreateMode mode) {
  absl::StatusOr<std::pair<std::string, v1::Stat>> created = CreateWithStat(path, data, mode);
  if (!created.ok()) return created.status();
  return std::move(created->first);
}

absl::StatusOr<std::pair<std::string, v1::Stat>> ZkClient::CreateWithStat(
    const std::string& path, const std::string& data, v1::CreateMode mode) {
  if (IsEphemeral(mode) && !session_) return NoSession(path);
  if (absl::Status usable = Usable(); !usable.ok()) return usable;
  v1::CreateRequest request;
  request.set_session_id(session_id());
  request.set_path(path);
  request.set_data(data);
  request.set_mode(mode);
  v1::CreateResponse response;
  Member* answered = nullptr;
  absl::Status status = Invoke(
      CallKind::kWrite, "Create",
      [&](v1::ZooKeeper::Stub* stub, grpc::ClientContext* context) {
        return stub->Create(context, request, &response);
      },
      &answered);
  if (!status.ok()) return Written(status);
  See(answered, response.header());
  return std::make_pair(std::move(*response.mutable_path()), response.stat());
}

absl::Status ZkClient::Delete(const std::string& path, int32_t version) {
  if (absl::Status usable = Usable(); !usable.ok()) return usable;
  v1::DeleteRequest request;
  request.set_session_id(session_id());
  request.set_path(path);
  if (version != -1) request.set_expected_version(version);
  v1::DeleteResponse response;
  Member* answered = nullptr;
  absl::Status status = Invoke(
      CallKind::kWrite, "Delete",
      [&](v1::ZooKeeper::Stub* stub, grpc::ClientContext* context) {
        return stub->Delete(context, request, &response);
      },
      &answered);
  if (status.ok()) See(answered, response.header());
  return Written(status);
}

absl::StatusOr<v1::Stat> ZkClient::SetData(const std::string& path, const std::string& data,
                                           int32_t version) {
  if (absl::Status usable = Usable(); !usable.ok()) return usable;
  v1::SetDataRequest request;
  request.set_session_id(session_id());
  request.set_path(path);
  request.set_data(data);
  if (version != -1) request.set_expected_version(version);
  v1::SetDataResponse response;
  Member* answered = nullptr;
  absl::Status status = Invoke(
      CallKind::kWrite, "SetData",
      [&](v1::ZooKeeper::Stub* stub, grpc::ClientContext* context) {
        return stub->SetData(context, request, &response);
      },
      &answered);
  if (!status.ok()) return Written(status);
  See(answered, response.header());
  return response.stat();
}

absl::StatusOr<v1::MultiResponse> ZkClient::Multi(const std::vector<v1::Op>& ops) {
  if (absl::Status usable = Usable(); !usable.ok()) return usable;
  v1::MultiRequest request;
  request.set_session_id(session_id());
  for (const v1::Op& op : ops) {
    if (op.has_create() && IsEphemeral(op.create().mode()) && !session_) {
      return NoSession(op.create().path());
    }
    *request.add_ops() = op;
  }
  v1::MultiResponse response;
  Member* answered = nullptr;
  absl::Status status = Invoke(
      CallKind::kWrite, "Multi",
      [&](v1::ZooKeeper::Stub* stub, grpc::ClientContext* context) {
        return stub->Multi(context, request, &response);
      },
      &answered);
  if (!status.ok()) return Written(status);
  See(answered, response.header());
  return response;
}

absl::StatusOr<std::optional<v1::Stat>> ZkClient::Exists(const std::string& path,
                                                         bool linearizable) {
  return ExistsAndWatch(path, Watcher(), linearizable);
}

absl::StatusOr<std::optional<v1::Stat>> ZkClient::ExistsAndWatch(const std::string& path,
                                                                 Watcher watcher,
                                                                 bool linearizable) {
  if (watcher && !session_) return NoWatchWithoutSession(path);
  v1::ExistsRequest request;
  request.set_session_id(session_id());
  request.set_path(path);
  request.set_watch(watcher != nullptr);
  v1::ExistsResponse response;
  ReadDone done;
  absl::Status status = Read(
      "Exists", linearizable,
      [&](v1::ZooKeeper::Stub* stub, grpc::ClientContext* context, bool strict) {
        request.mutable_read_options()->set_linearizable(strict);
        return stub->Exists(context, request, &response);
      },
      [&]() -> const v1::ResponseHeader& { return response.header(); }, &done);
  // The contract says a missing node is an OK reply without a stat; an older server answered
  // NOT_FOUND / NO_NODE (leaving no watch). Both mean "does not exist".
  if (ErrorCodeOf(status) == v1::ERROR_CODE_NO_NODE) return std::optional<v1::Stat>();
  if (!status.ok()) return status;
  if (watcher) {
    AddWatch(response.has_stat() ? WatchKind::kData : WatchKind::kExists, path, done,
             response.header(), std::move(watcher));
  }
  if (!response.has_stat()) return std::optional<v1::Stat>();
  return std::optional<v1::Stat>(response.stat());
}

absl::StatusOr<std::pair<std::string, v1::Stat>> ZkClient::GetData(const std::string& path,
                                                                   bool linearizable) {
  return GetDataAndWatch(path, Watcher(), linearizable);
}

absl::StatusOr<std::pair<std::string, v1::Stat>> ZkClient::GetDataAndWatch(
    const std::string& path, Watcher watcher, bool linearizable) {
  if (watcher && !session_) return NoWatchWithoutSession(path);
  v1::GetDataRequest request;
  request.set_session_id(session_id());
  request.set_path(path);
  request.set_watch(watcher != nullptr);
  v1::GetDataResponse response;
  ReadDone done;
  absl::Status status = Read(
      "GetData", linearizable,
      [&](v1::ZooKeeper::Stub* stub, grpc::ClientContext* context, bool strict) {
        request.mutable_read_options()->set_linearizable(strict);
        return stub->GetData(context, request, &response);
      },
      [&]() -> const v1::ResponseHeader& { return response.header(); }, &done);
  if (!status.ok()) return status;
  if (watcher) AddWatch(WatchKind::kData, path, done, response.header(), std::move(watcher));
  return std::make_pair(std::move(*response.mutable_data()), response.stat());
}

absl::StatusOr<std::vector<std::string>> ZkClient::GetChildren(const std::string& path,
                                                               bool linearizable) {
  return GetChildrenAndWatch(path, Watcher(), linearizable);
}

absl::StatusOr<std::vector<std::string>> ZkClient::GetChildrenAndWatch(
    const std::string& path, Watcher watcher, bool linearizable) {
  if (watcher && !session_) return NoWatchWithoutSession(path);
  v1::GetChildrenRequest request;
  request.set_session_id(session_id());
  request.set_path(path);
  request.set_watch(watcher != nullptr);
  v1::GetChildrenResponse response;
  ReadDone done;
  absl::Status status = Read(
      "GetChildren", linearizable,
      [&](v1::ZooKeeper::Stub* stub, grpc::ClientContext* context, bool strict) {
        request.mutable_read_options()->set_linearizable(strict);
        return stub->GetChildren(context, request, &response);
      },
      [&]() -> const v1::ResponseHeader& { return response.header(); }, &done);
  if (!status.ok()) return status;
  if (watcher) AddWatch(WatchKind::kChild, path, done, response.header(), std::move(watcher));
  return std::vector<std::string>(response.children().begin(), response.children().end());
}

absl::StatusOr<std::vector<v1::ReadResult>> ZkClient::MultiRead(
    const std::vector<v1::ReadOp>& ops, bool linearizable) {
  v1::MultiReadRequest request;
  request.mutable_ops()->Assign(ops.begin(), ops.end());
  v1::MultiReadResponse response;
  ReadDone done;
  absl::Status status = Read(
      "MultiRead", linearizable,
      [&](v1::ZooKeeper::Stub* stub, grpc::ClientContext* context, bool strict) {
        request.mutable_read_options()->set_linearizable(strict);
        return stub->MultiRead(context, request, &response);
      },
      [&]() -> const v1::ResponseHeader& { return response.header(); }, &done);
  if (!status.ok()) return status;
  return std::vector<v1::ReadResult>(std::make_move_iterator(response.mutable_results()->begin()),
                                     std::make_move_iterator(response.mutable_results()->end()));
}

absl::Status ZkClient::Sync() {
  if (absl::Status usable = Usable(); !usable.ok()) return usable;
  v1::SyncRequest request;
  request.set_session_id(session_id());
  request.set_path("/");
  v1::SyncResponse response;
  Member* answered = nullptr;
  absl::Status status = Invoke(
      CallKind::kRead, "Sync",
      [&](v1::ZooKeeper::Stub* stub, grpc::ClientContext* context) {
        return stub->Sync(context, request, &response);
      },
      &answered);
  if (status.ok()) See(answered, response.header());
  return status;
}

}  // namespace dcos::zk::client
