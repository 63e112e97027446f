#include "libs/raft/transport_service.h"

#include <atomic>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
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

namespace {
class SendReactor;
}  // namespace

// The live Send streams, so Stop can end them. A stream's slot outlives it: Stop may reach a
// slot after its stream is done (then the slot is empty).
struct RaftTransportService::Streams {
  struct Slot {
    absl::Mutex mu;
    SendReactor* reactor ABSL_GUARDED_BY(mu) = nullptr;
  };
  absl::Mutex mu;
  bool stopping ABSL_GUARDED_BY(mu) = false;
  std::set<std::shared_ptr<Slot>> live ABSL_GUARDED_BY(mu);
};

RaftTransportService::RaftTransportService(Options options)
    : options_(std::move(options)), streams_(std::make_shared<Streams>()) {}

namespace {

using Streams = RaftTransportService::Streams;

grpc::Status Stopping() {
  return grpc::Status(grpc::StatusCode::UNAVAILABLE, "this member is stopping");
}

// One Send stream: reads an envelope, checks it, delivers its messages, reads the next.
// Deletes itself in OnDone. Reactions of one reactor never run concurrently.
class SendReactor final : public grpc::ServerReadReactor<Envelope> {
 public:
  SendReactor(const RaftTransportService::Options& options, std::string peer,
              std::shared_ptr<Streams> streams)
      : options_(options),
        peer_(std::move(peer)),
        streams_(std::move(streams)),
        slot_(std::make_shared<Streams::Slot>()) {
    {
      absl::MutexLock lock(&slot_->mu);
      slot_->reactor = this;
    }
    bool stopping;
    {
      absl::MutexLock lock(&streams_->mu);
      stopping = streams_->stopping;
      if (!stopping) streams_->live.insert(slot_);
    }
    if (stopping) {
      FinishOnce(Stopping());
      return;
    }
    StartRead(&envelope_);
  }

  // Finish, unless Stop or a reaction already did. True if this call finished the stream.
  bool FinishOnce(const grpc::Status& status) {
    if (finished_.exchange(true)) return false;
    Finish(status);
    return true;
  }
  // For Stop: claims the Finish (under the slot's lock) without calling it yet.
  bool ClaimFinish() { return !finished_.exchange(true); }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the sender closed the stream (or it broke, or Stop ended it)
      FinishOnce(grpc::Status::OK);
      return;
    }
    if (finished_.load()) return;  // Stop ended it: no more reads
    absl::Status status = CheckEnvelope(envelope_, options_.identity);
    if (status.ok() && stream_from_ != 0 && envelope_.from() != stream_from_) {
      status = absl::InvalidArgumentError(absl::StrCat("envelope from ", envelope_.from(),
                                                       " on a stream from ", stream_from_));
    }
    if (!status.ok()) {
      log::Warn("raft transport: refusing Send stream").Field("peer", peer_).Field("status", status);
      FinishOnce(status::ToGrpc(status));
      return;
    }
    stream_from_ = envelope_.from();
    for (Message& m : *envelope_.mutable_messages()) options_.sink->Receive(std::move(m));
    envelope_.Clear();
    StartRead(&envelope_);
  }

  void OnDone() override {
    {
      absl::MutexLock lock(&slot_->mu);
      slot_->reactor = nullptr;
    }
    {
      absl::MutexLock lock(&streams_->mu);
      streams_->live.erase(slot_);
    }
    delete this;
  }

 private:
  const RaftTransportService::Options& options_;
  const std::string peer_;
  const std::shared_ptr<Streams> streams_;
  const std::shared_ptr<Streams::Slot> slot_;
  std::atomic<bool> finished_{false};
  Envelope envelope_;
  uint64_t stream_from_ = 0;
};

}  // namespace

grpc::ServerReadReactor<Envelope>* RaftTransportService::Send(
    grpc::CallbackServerContext* context, ::dcos::raft::v1::SendResponse* response) {
  return new SendReactor(options_, context->peer(), streams_);
}

void RaftTransportService::Stop() {
  std::vector<std::shared_ptr<Streams::Slot>> live;
  {
    absl::MutexLock lock(&streams_->mu);
    streams_->stopping = true;
    live.assign(streams_->live.begin(), streams_->live.end());
  }
  for (const auto& slot : live) {
    SendReactor* reactor = nullptr;
    {
      absl::MutexLock lock(&slot->mu);
      if (slot->reactor != nullptr && slot->reactor->ClaimFinish()) reactor = slot->reactor;
    }
    // Claimed, so no reaction finishes it and it cannot be done (and deleted) before this.
    if (reactor != nullptr) reactor->Finish(Stopping());
  }
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
