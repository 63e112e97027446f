#include "libs/raft/transport_service.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/log/log.h"
#include "libs/status/grpc_status.h"

namespace dcos::raft {

using ::dcos::raft::v1::Envelope;
using ::dcos::raft::v1::Message;
using ::dcos::raft::v1::SnapshotChunk;

absl::Status CheckEnvelope(const Envelope& envelope, const ReceiverIdentity& identity) {
  if (envelope.cluster_id() != identity.cluster_id) {
    return absl::FailedPreconditionError(absl::StrCat(
        "envelope for cluster ", envelope.cluster_id(), ", this is cluster ", identity.cluster_id));
  }
  if (envelope.to() != identity.self) {
    return absl::FailedPreconditionError(
        absl::StrCat("envelope for member ", envelope.to(), ", this is member ", identity.self));
  }
  if (envelope.from() == 0) return absl::InvalidArgumentError("envelope without a sender");
  if (identity.is_peer && !identity.is_peer(envelope.from())) {
    return absl::FailedPreconditionError(
        absl::StrCat("envelope from unknown member ", envelope.from()));
  }
  for (const Message& m : envelope.messages()) {
    if (m.from() != envelope.from() || m.to() != envelope.to()) {
      return absl::InvalidArgumentError(absl::StrCat("message from ", m.from(), " to ", m.to(),
                                                     " in an envelope from ", envelope.from(),
                                                     " to ", envelope.to()));
    }
    switch (m.type()) {
      case ::dcos::raft::v1::MESSAGE_TYPE_UNSPECIFIED:
      case ::dcos::raft::v1::MESSAGE_TYPE_SNAP:
      case ::dcos::raft::v1::MESSAGE_TYPE_SNAP_STATUS:
        return absl::InvalidArgumentError(
            absl::StrCat("message type ", ::dcos::raft::v1::MessageType_Name(m.type()),
                         " is not sent on a Send stream"));
      default:
        break;
    }
  }
  return absl::OkStatus();
}

RaftTransportService::RaftTransportService(Options options) : options_(std::move(options)) {}

grpc::Status RaftTransportService::Send(grpc::ServerContext* context,
                                        grpc::ServerReader<Envelope>* reader,
                                        ::dcos::raft::v1::SendResponse* response) {
  Envelope envelope;
  uint64_t stream_from = 0;
  while (reader->Read(&envelope)) {
    absl::Status status = CheckEnvelope(envelope, options_.identity);
    if (status.ok() && stream_from != 0 && envelope.from() != stream_from) {
      status = absl::InvalidArgumentError(absl::StrCat(
          "envelope from ", envelope.from(), " on a stream from ", stream_from));
    }
    if (!status.ok()) {
      log::Warn("raft transport: refusing Send stream")
          .Field("peer", context->peer())
          .Field("status", status);
      return status::ToGrpc(status);
    }
    stream_from = envelope.from();
    for (Message& m : *envelope.mutable_messages()) options_.sink->Receive(std::move(m));
  }
  return grpc::Status::OK;
}

grpc::Status RaftTransportService::SendSnapshot(grpc::ServerContext* context,
                                                grpc::ServerReader<SnapshotChunk>* reader,
                                                ::dcos::raft::v1::SendSnapshotResponse* response) {
  SnapshotAssembler assembler(options_.identity, options_.max_snapshot_bytes);
  SnapshotChunk chunk;
  while (reader->Read(&chunk)) {
    absl::Status status = assembler.Add(std::move(chunk));
    if (!status.ok()) {
      log::Warn("raft transport: refusing snapshot")
          .Field("peer", context->peer())
          .Field("status", status);
      return status::ToGrpc(status);
    }
  }
  if (context->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
  absl::Status status = assembler.Finish();
  if (!status.ok()) return status::ToGrpc(status);
  log::Info("raft transport: snapshot received")
      .Field("from", assembler.message().from())
      .Field("index", assembler.message().snapshot().index())
      .Field("bytes", assembler.data().size());
  options_.sink->ReceiveSnapshot(std::move(assembler.message()), std::move(assembler.data()));
  return grpc::Status::OK;
}

}  // namespace dcos::raft
