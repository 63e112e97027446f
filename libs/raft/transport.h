#pragma once

// Transport: how a Raft member's messages reach its peers. Best effort: messages may be lost,
// duplicated or reordered (Raft tolerates all three); a snapshot send reports its outcome.
//
// Implementations: GrpcTransport (grpc_transport.h; dcos.raft.v1.RaftTransport streams between
// members) and the in-memory network of the tests.
//
// Thread-safety: every method may be called from any thread.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "protos/raft/v1/raft.pb.h"

namespace dcos::raft {

// What a transport delivers to its member (implemented by RaftNode). Thread-safe.
class MessageSink {
 public:
  virtual ~MessageSink() = default;
  // A message from a peer.
  virtual void Receive(::dcos::raft::v1::Message message) = 0;
  // A MsgSnap with the snapshot's data, complete and verified.
  virtual void ReceiveSnapshot(::dcos::raft::v1::Message message, std::string data) = 0;
  // Feedback for the sender: a peer could not be reached; a snapshot send ended.
  virtual void ReportUnreachable(uint64_t peer) = 0;
  virtual void ReportSnapshot(uint64_t peer, bool ok) = 0;
};

class Transport {
 public:
  virtual ~Transport() = default;

  // Queues messages for their peers (each message's `to`); returns at once. Messages to
  // unknown peers are dropped (and reported unreachable).
  virtual void Send(std::vector<::dcos::raft::v1::Message> messages) = 0;

  // Streams a snapshot to message.to(); the outcome is reported with
  // MessageSink::ReportSnapshot. `message` is the MsgSnap carrying the metadata.
  virtual void SendSnapshot(::dcos::raft::v1::Message message, std::string data) = 0;

  // Sets or replaces a peer's address (membership changes).
  virtual void SetPeer(uint64_t id, const std::string& address) = 0;
  virtual void RemovePeer(uint64_t id) = 0;
};

}  // namespace dcos::raft
