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

namespace {

// One Send stream: reads an envelope, checks it, delivers its messages, reads the next.
// Deletes itself in OnDone. Reactions of one reactor never run concurrently.
class SendReactor final : public grpc::ServerReadReactor<Envelope> {
 public:
  SendReactor(const RaftTransportService::Options& options, std::string peer)
      : options_(options), peer_(std::move(peer)) {
    StartRead(&envelope_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the sender closed the stream (or it broke)
      Finish(grpc::Status::OK);
      return;
    }
    absl::Status status = CheckEnvelope(envelope_, options_.identity);
    if (status.ok() && stream_from_ != 0 && envelope_.from() != stream_from_) {
      status = absl::InvalidArgumentError(absl::StrCat("envelope from ", envelope_.from(),
                                                       " on a stream from ", stream_from_));
    }
    if (!status.ok()) {
      log::Warn("raft transport: refusing Send stream").Field("peer", peer_).Field("status", status);
      Finish(status::ToGrpc(status));
      return;
    }
    stream_from_ = envelope_.from();
    for (Message& m : *envelope_.mutable_messages()) options_.sink->Receive(std::move(m));
    envelope_.Clear();
    StartRead(&envelope_);
  }

  void OnDone() override { delete this; }

 private:
  const RaftTransportService::Options& options_;
  const std::string peer_;
  Envelope envelope_;
  uint64_t stream_from_ = 0;
};

}  // namespace

grpc::ServerReadReactor<Envelope>* RaftTransportService::Send(
    grpc::CallbackServerContext* context, ::dcos::raft::v1::SendResponse* response) {
  return new SendReactor(options_, context->peer());
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
