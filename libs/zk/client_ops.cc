// ZkClient: the znode operations, each one request built here and sent through Invoke/Read.

#include "absl/strings/str_cat.h"
#include "libs/zk/client.h"
#include "libs/zk/errors.h"

namespace dcos::zk::client {
namespace {

bool IsEphemeral(v1::CreateMode mode) {
  return mode == v1::CREATE_MODE_EPHEMERAL || mode == v1::CREATE_MODE_EPHEMERAL_SEQUENTIAL;
}

absl::Status NoSessions(const std::string& path) {
  return absl::UnimplementedError(
      absl::StrCat("UNIMPLEMENTED ", path,
                   ": ephemeral nodes need a session, and sessions are not supported yet"));
}

}  // namespace

absl::StatusOr<std::string> ZkClient::Create(const std::string& path, const std::string& data,
                                             v1::CreateMode mode) {
  if (IsEphemeral(mode)) return NoSessions(path);
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
  if (!status.ok()) return status;
  See(answered, response.header());
  return response.path();
}

absl::Status ZkClient::Delete(const std::string& path, int32_t version) {
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
  return status;
}

absl::StatusOr<v1::Stat> ZkClient::SetData(const std::string& path, const std::string& data,
                                           int32_t version) {
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
  if (!status.ok()) return status;
  See(answered, response.header());
  return response.stat();
}

absl::StatusOr<v1::MultiResponse> ZkClient::Multi(const std::vector<v1::Op>& ops) {
  v1::MultiRequest request;
  request.set_session_id(session_id());
  for (const v1::Op& op : ops) {
    if (op.has_create() && IsEphemeral(op.create().mode())) return NoSessions(op.create().path());
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
  if (!status.ok()) return status;
  See(answered, response.header());
  return response;
}

absl::StatusOr<std::optional<v1::Stat>> ZkClient::Exists(const std::string& path,
                                                         bool linearizable) {
  v1::ExistsRequest request;
  request.set_session_id(session_id());
  request.set_path(path);
  v1::ExistsResponse response;
  absl::Status status = Read(
      "Exists", linearizable,
      [&](v1::ZooKeeper::Stub* stub, grpc::ClientContext* context, bool strict) {
        request.mutable_read_options()->set_linearizable(strict);
        return stub->Exists(context, request, &response);
      },
      response.header());
  // The contract says a missing node is an OK reply without a stat; today's server answers
  // NOT_FOUND / NO_NODE. Both mean "does not exist".
  if (ErrorCodeOf(status) == v1::ERROR_CODE_NO_NODE) return std::optional<v1::Stat>();
  if (!status.ok()) return status;
  if (!response.has_stat()) return std::optional<v1::Stat>();
  return std::optional<v1::Stat>(response.stat());
}

absl::StatusOr<std::pair<std::string, v1::Stat>> ZkClient::GetData(const std::string& path,
                                                                   bool linearizable) {
  v1::GetDataRequest request;
  request.set_session_id(session_id());
  request.set_path(path);
  v1::GetDataResponse response;
  absl::Status status = Read(
      "GetData", linearizable,
      [&](v1::ZooKeeper::Stub* stub, grpc::ClientContext* context, bool strict) {
        request.mutable_read_options()->set_linearizable(strict);
        return stub->GetData(context, request, &response);
      },
      response.header());
  if (!status.ok()) return status;
  return std::make_pair(std::move(*response.mutable_data()), response.stat());
}

absl::StatusOr<std::vector<std::string>> ZkClient::GetChildren(const std::string& path,
                                                               bool linearizable) {
  v1::GetChildrenRequest request;
  request.set_session_id(session_id());
  request.set_path(path);
  v1::GetChildrenResponse response;
  absl::Status status = Read(
      "GetChildren", linearizable,
      [&](v1::ZooKeeper::Stub* stub, grpc::ClientContext* context, bool strict) {
        request.mutable_read_options()->set_linearizable(strict);
        return stub->GetChildren(context, request, &response);
      },
      response.header());
  if (!status.ok()) return status;
  return std::vector<std::string>(response.children().begin(), response.children().end());
}

absl::Status ZkClient::Sync() {
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
