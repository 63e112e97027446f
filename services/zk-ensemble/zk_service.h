#pragma once

// ZkService: dcos.zk.v1.ZooKeeper over a RaftMember and the ZkStateMachine.
//
// Writes (Create, Delete, SetData, Multi) are validated, proposed to Raft on the leader and
// answered once applied; other members answer UNAVAILABLE naming the leader and its address.
// Reads are served from the local state (ZooKeeper's sequential consistency) or, with
// read_options.linearizable (and Sync), after a Raft ReadIndex. Every reply carries the zxid.
//
// Not yet implemented (UNIMPLEMENTED with a clear message): sessions, ephemeral nodes, watches.
//
// Thread-safety: gRPC calls the handlers concurrently; they wait on Raft callbacks with a
// bounded wait (DEADLINE_EXCEEDED after `request_timeout`).

#include <atomic>
#include <map>
#include <string>

#include "absl/time/time.h"
#include "libs/raft/raft_node.h"
#include "protos/zk/v1/zookeeper.grpc.pb.h"
#include "services/zk-ensemble/zk_state_machine.h"

namespace dcos::zk {

class ZkService final : public dcos::zk::v1::ZooKeeper::Service {
 public:
  ZkService(ZkStateMachine* state_machine, std::map<uint64_t, std::string> peers,
            absl::Duration request_timeout, TreeConfig limits);

  // The node, once started; until then every call is UNAVAILABLE.
  void SetNode(raft::RaftNode* node) { node_.store(node); }

  grpc::Status Create(grpc::ServerContext*, const v1::CreateRequest*, v1::CreateResponse*) override;
  grpc::Status Delete(grpc::ServerContext*, const v1::DeleteRequest*, v1::DeleteResponse*) override;
  grpc::Status SetData(grpc::ServerContext*, const v1::SetDataRequest*,
                       v1::SetDataResponse*) override;
  grpc::Status Multi(grpc::ServerContext*, const v1::MultiRequest*, v1::MultiResponse*) override;
  grpc::Status Exists(grpc::ServerContext*, const v1::ExistsRequest*, v1::ExistsResponse*) override;
  grpc::Status GetData(grpc::ServerContext*, const v1::GetDataRequest*,
                       v1::GetDataResponse*) override;
  grpc::Status GetChildren(grpc::ServerContext*, const v1::GetChildrenRequest*,
                           v1::GetChildrenResponse*) override;
  grpc::Status Sync(grpc::ServerContext*, const v1::SyncRequest*, v1::SyncResponse*) override;
  grpc::Status CreateSession(grpc::ServerContext*, const v1::CreateSessionRequest*,
                             v1::CreateSessionResponse*) override;

 private:
  // Proposes `command` and waits for its result. UNAVAILABLE (with the leader) on a follower.
  absl::StatusOr<WriteResult> Write(internal::v1::Command command);
  template <typename Response, typename Fill, typename Take>
  grpc::Status RunWrite(Fill fill, Take take, Response* response);
  // Waits for a linearizable read point when asked to.
  absl::Status ReadBarrier(bool linearizable);
  grpc::Status Redirect(const absl::Status& status) const;
  void FillHeader(v1::ResponseHeader* header) const;

  ZkStateMachine* const sm_;
  const std::map<uint64_t, std::string> peers_;
  const absl::Duration timeout_;
  const TreeConfig limits_;
  std::atomic<raft::RaftNode*> node_{nullptr};
};

}  // namespace dcos::zk
