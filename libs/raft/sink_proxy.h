#pragma once

// SinkProxy: a MessageSink that forwards to another one set later. The transport (and its
// server half) must exist before the RaftNode that is their sink, and the node needs the
// transport to start: build the transport on a SinkProxy, start the node, then Set(node).
// Messages that arrive before Set are dropped (Raft retransmits).
//
// Thread-safe: the target is an atomic pointer; it must outlive the proxy's use.

#include <atomic>
#include <string>

#include "libs/raft/transport.h"

namespace dcos::raft {

class SinkProxy final : public MessageSink {
 public:
  void Set(MessageSink* target) { target_.store(target); }

  void Receive(::dcos::raft::v1::Message m) override {
    if (auto* t = target_.load()) t->Receive(std::move(m));
  }
  void ReceiveSnapshot(::dcos::raft::v1::Message m, std::string data) override {
    if (auto* t = target_.load()) t->ReceiveSnapshot(std::move(m), std::move(data));
  }
  void ReportUnreachable(uint64_t peer) override {
    if (auto* t = target_.load()) t->ReportUnreachable(peer);
  }
  void ReportSnapshot(uint64_t peer, bool ok) override {
    if (auto* t = target_.load()) t->ReportSnapshot(peer, ok);
  }

 private:
  std::atomic<MessageSink*> target_{nullptr};
};

}  // namespace dcos::raft
