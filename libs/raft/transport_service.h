#pragma once

// RaftTransportService: the receiving half of GrpcTransport, the dcos.raft.v1.RaftTransport
// gRPC service. Send streams deliver each message to MessageSink::Receive in order;
// SendSnapshot streams are assembled, bounded and verified (snapshot_chunks.h) before
// MessageSink::ReceiveSnapshot.
//
// Send is served by a callback reactor (gRPC's callback API): each envelope is handed to the
// sink on the gRPC thread that read it, with no hop to a handler thread (latency), and the
// next read starts only after Receive returns (flow control reaches the sender). So
// MessageSink::Receive must not block: post the message to the Raft loop and return.
// SendSnapshot stays a synchronous handler on gRPC's sync thread pool, where
// ReceiveSnapshot may take its time (persisting the snapshot).
//
// Lifetime: the sink must outlive the service, and the service must outlive the gRPC server
// it is registered on (ServiceRuntime::AddService). Thread-safety: gRPC calls the handlers
// concurrently from its threads; the service holds no mutable state (each stream's state lives
// in its reactor or on its handler's stack), so the only requirement is that the sink is
// thread-safe, as MessageSink promises.

#include <cstdint>
#include <functional>
#include <memory>

#include "absl/status/status.h"
#include "libs/raft/snapshot_chunks.h"
#include "libs/raft/transport.h"
#include "protos/raft/v1/transport.grpc.pb.h"

namespace dcos::raft {

// Checks one envelope against this member's identity before any of its messages is
// delivered. Errors: FAILED_PRECONDITION (cluster id or `to` is not ours, `from` is no peer),
// INVALID_ARGUMENT (from = 0, a message whose from/to differ from the envelope's, or a message
// type that never crosses the wire on a Send stream: unspecified, MsgSnap, MsgSnapStatus).
absl::Status CheckEnvelope(const ::dcos::raft::v1::Envelope& envelope,
                           const ReceiverIdentity& identity);

class RaftTransportService final
    : public ::dcos::raft::v1::RaftTransport::WithCallbackMethod_Send<
          ::dcos::raft::v1::RaftTransport::Service> {
 public:
  struct Options {
    // This ensemble and member; `is_peer` null accepts any sender id.
    ReceiverIdentity identity;
    // Not owned; must outlive the service.
    MessageSink* sink = nullptr;
    // Largest snapshot accepted (declared total_bytes), bytes.
    uint64_t max_snapshot_bytes = uint64_t{1} << 30;
  };

  explicit RaftTransportService(Options options);

  // Ends with FAILED_PRECONDITION / INVALID_ARGUMENT as CheckEnvelope says (the messages of the
  // offending envelope are not delivered); OK when the sender closes the stream.
  grpc::ServerReadReactor<::dcos::raft::v1::Envelope>* Send(
      grpc::CallbackServerContext* context, ::dcos::raft::v1::SendResponse* response) override;

  // Errors as SnapshotAssembler::Add; OK only after ReceiveSnapshot returned.
  grpc::Status SendSnapshot(grpc::ServerContext* context,
                            grpc::ServerReader<::dcos::raft::v1::SnapshotChunk>* reader,
                            ::dcos::raft::v1::SendSnapshotResponse* response) override;

  // The member is stopping: ends every Send stream with UNAVAILABLE, and any opened from now
  // on at once. (Peers keep their streams open for good: left alone, they would hold the
  // server's shutdown for its whole grace; ended, the peers learn at once that this member
  // is going, and its followers elect another leader without waiting out a timeout.)
  void Stop();

  // Shared with the Send streams (transport_service.cc).
  struct Streams;

 private:
  const Options options_;
  const std::shared_ptr<Streams> streams_;
};

}  // namespace dcos::raft
