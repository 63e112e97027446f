#pragma once

// ZkService: dcos.zk.v1.ZooKeeper over a RaftMember and the ZkStateMachine.
//
// Writes (Create, Delete, SetData, Multi) are validated, proposed to Raft on the leader and
// answered once applied; other members answer UNAVAILABLE naming the leader and its address.
// Reads are served from the local state (ZooKeeper's sequential consistency) or, with
// read_options.linearizable (and Sync), after a Raft ReadIndex. Every reply carries the zxid.
//
// Sessions: CreateSession (leader allocates the id, core/session_id.h, and draws the
// password: 16 bytes of OpenSSL's RAND_bytes, carried in the replicated entry), the Session
// stream (Attach, then Ping/Pong; pings go to the SessionKeeper), CloseSession. Ephemeral
// nodes belong to a live session and go when it is closed or expires. Attach, CloseSession,
// AddWatch and RemoveWatches must present the session's password (checked against this
// member's applied table, in constant time); a wrong one answers exactly like a session that
// is not live. Calls that only name a session (ephemeral creates, Multi, reads that leave a
// watch) carry no password: README.md "Session passwords" says why.
//
// Watches: reads with `watch` set (and a live session) register one-shot data / exists /
// child watches on this member; events go out on the session's stream, numbered, and every
// read reply carries the session's event number (watch_sequence), so a client can hold a reply
// until it has seen the events before it. AddWatch sets persistent (optionally recursive)
// watches; RemoveWatches removes watches (a *_WATCH_REMOVED event each). Watches live on the
// member the session's stream is attached to: when the stream ends they are dropped there,
// and the client re-registers them with SetWatches on its next stream (missed changes fire
// at once, core/rewatch.h). Attach waits until this member has applied the client's
// last_zxid_seen (or answers UNAVAILABLE), so a client never reads older state than it saw.
//
// Threads: writes, reads and Sync use gRPC's callback API: a write is proposed from the
// gRPC thread that read it and answered from the Raft loop once applied (no thread waits for
// it); a read is served at once on the gRPC thread, or, when it needs a read point
// (linearizable, or a watch for a session not known here yet), from the Raft loop when the
// point is reached. Raft answers every request within `request_timeout` (DEADLINE_EXCEEDED,
// outcome unknown: raft::NodeOptions::request_timeout, which the server sets to the same
// value). Until the node is set every call answers UNAVAILABLE with the reason given at
// construction ("starting", or that the member awaits a restore): an unstarted member has no
// state to read. The Session stream is a callback reactor too (session_stream.cc): it costs no
// thread while attached. CreateSession and the watch calls are synchronous handlers that wait
// on Raft callbacks with the same bounded wait.

#include <array>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "absl/time/time.h"
#include "libs/raft/raft_node.h"
#include "protos/zk/v1/zookeeper.grpc.pb.h"
#include "absl/synchronization/mutex.h"
#include "services/zk-ensemble/core/session_id.h"
#include "services/zk-ensemble/session_keeper.h"
#include "services/zk-ensemble/watch_hub.h"
#include "services/zk-ensemble/zk_state_machine.h"

namespace dcos::zk {

// The methods served with gRPC's callback API; the others are synchronous handlers.
using ZooKeeperCallbackMethods = v1::ZooKeeper::WithCallbackMethod_Create<
    v1::ZooKeeper::WithCallbackMethod_Delete<v1::ZooKeeper::WithCallbackMethod_SetData<
        v1::ZooKeeper::WithCallbackMethod_Multi<v1::ZooKeeper::WithCallbackMethod_CloseSession<
            v1::ZooKeeper::WithCallbackMethod_Exists<v1::ZooKeeper::WithCallbackMethod_GetData<
                v1::ZooKeeper::WithCallbackMethod_GetChildren<
                    v1::ZooKeeper::WithCallbackMethod_MultiRead<
                        v1::ZooKeeper::WithCallbackMethod_Sync<
                            v1::ZooKeeper::WithCallbackMethod_Session<
                                v1::ZooKeeper::WithCallbackMethod_Pipeline<
                                    v1::ZooKeeper::Service>>>>>>>>>>>>;

class ZkService final : public ZooKeeperCallbackMethods {
 public:
  // `not_started`: the message of the UNAVAILABLE answers until SetNode.
  ZkService(ZkStateMachine* state_machine, SessionKeeper* keeper, WatchHub* hub,
            const raft::AddressBook* addresses, absl::Duration request_timeout,
            TreeConfig limits, std::string not_started = "starting");

  // The node, once started; until then every call is UNAVAILABLE.
  void SetNode(raft::RaftNode* node) { node_.store(node); }
  // Ends every Session and Pipeline stream with UNAVAILABLE "shutting down" so their clients
  // move to another member at once (instead of when the server's shutdown grace runs out),
  // and any opened from now on. A Pipeline stream ends once its ops in flight are answered
  // (Raft bounds them); their results are not sent.
  void EndStreams();
  // Session streams attached to this member right now.
  uint64_t attached_sessions() const { return static_cast<uint64_t>(attached_.load()); }
  // Ops received and not yet answered (unary calls and pipelined ops); open Pipeline streams.
  int64_t outstanding_requests() const { return outstanding_.load(); }
  int64_t pipeline_streams() const { return pipelines_.load(); }
  // Registers dcos_zk_pipeline_op_seconds{op} (zk_metrics.h). Before the server starts;
  // without it pipelined ops are not timed.
  void SetMetrics(prometheus::Registry& registry);

  grpc::ServerUnaryReactor* Create(grpc::CallbackServerContext*, const v1::CreateRequest*,
      v1::CreateResponse*) override;
  grpc::ServerUnaryReactor* Delete(grpc::CallbackServerContext*, const v1::DeleteRequest*,
      v1::DeleteResponse*) override;
  grpc::ServerUnaryReactor* SetData(grpc::CallbackServerContext*, const v1::SetDataRequest*,
      v1::SetDataResponse*) override;
  grpc::ServerUnaryReactor* Multi(grpc::CallbackServerContext*, const v1::MultiRequest*,
      v1::MultiResponse*) override;
  grpc::ServerUnaryReactor* MultiRead(grpc::CallbackServerContext*, const v1::MultiReadRequest*,
      v1::MultiReadResponse*) override;
  grpc::ServerUnaryReactor* Exists(grpc::CallbackServerContext*, const v1::ExistsRequest*,
      v1::ExistsResponse*) override;
  grpc::ServerUnaryReactor* GetData(grpc::CallbackServerContext*, const v1::GetDataRequest*,
      v1::GetDataResponse*) override;
  grpc::ServerUnaryReactor* GetChildren(grpc::CallbackServerContext*, const v1::GetChildrenRequest*,
      v1::GetChildrenResponse*) override;
  grpc::ServerUnaryReactor* Sync(grpc::CallbackServerContext*, const v1::SyncRequest*,
      v1::SyncResponse*) override;
  grpc::Status CreateSession(grpc::ServerContext*, const v1::CreateSessionRequest*,
                             v1::CreateSessionResponse*) override;
  grpc::ServerUnaryReactor* CloseSession(grpc::CallbackServerContext*, const v1::CloseSessionRequest*,
      v1::CloseSessionResponse*) override;
  // The Session stream (session_stream.cc): a callback reactor, no thread per stream.
  grpc::ServerBidiReactor<v1::SessionRequest, v1::SessionResponse>* Session(
      grpc::CallbackServerContext*) override;
  // The Pipeline stream (pipeline_stream.cc): a callback reactor running each op as its own
  // RPC would, results in the order sent.
  grpc::ServerBidiReactor<v1::PipelineRequest, v1::PipelineResponse>* Pipeline(
      grpc::CallbackServerContext*) override;
  grpc::Status AddWatch(grpc::ServerContext*, const v1::AddWatchRequest* request,
                        v1::AddWatchResponse* response) override;
  grpc::Status RemoveWatches(grpc::ServerContext*, const v1::RemoveWatchesRequest* request,
                             v1::RemoveWatchesResponse* response) override;

 private:
  // Proposes `command`, stamped with this member's time; `done` runs on the Raft loop with
  // the applied result or the error (UNAVAILABLE naming the leader on a follower). An error
  // returned here: no node yet (`done` is not called).
  absl::Status ProposeCommand(internal::v1::Command command,
                              std::function<void(absl::StatusOr<WriteResult>)> done);
  // For synchronous handlers: propose now, wait later (CreateSession proposes under a lock
  // so that session ids enter the log in increasing order).
  struct Pending;
  absl::StatusOr<std::shared_ptr<Pending>> Propose(internal::v1::Command command);
  absl::StatusOr<WriteResult> Wait(const std::shared_ptr<Pending>& pending);
  // Where an operation's outcome goes: a unary call's reactor, or a Pipeline stream's slot.
  // Called exactly once, after the response is filled (when OK).
  using Finisher = std::function<void(grpc::Status)>;
  // Counts the call as outstanding until it finishes.
  Finisher FinishReactor(grpc::ServerUnaryReactor* reactor);
  // The operations, for their unary RPCs and for Pipeline: `request` and `response` stay
  // alive until `finish` ran, on this thread or later on the Raft loop.
  void StartCreate(const v1::CreateRequest& request, v1::CreateResponse* response, Finisher finish);
  void StartDelete(const v1::DeleteRequest& request, v1::DeleteResponse* response, Finisher finish);
  void StartSetData(const v1::SetDataRequest& request, v1::SetDataResponse* response,
                    Finisher finish);
  void StartMulti(const v1::MultiRequest& request, v1::MultiResponse* response, Finisher finish);
  void StartExists(const v1::ExistsRequest& request, v1::ExistsResponse* response, Finisher finish);
  void StartGetData(const v1::GetDataRequest& request, v1::GetDataResponse* response,
                    Finisher finish);
  void StartGetChildren(const v1::GetChildrenRequest& request, v1::GetChildrenResponse* response,
                        Finisher finish);
  // A unary call served by `start` (one of the Start* functions above), finishing its reactor.
  template <typename Request, typename Response>
  grpc::ServerUnaryReactor* Unary(grpc::CallbackServerContext* context,
                                  void (ZkService::*start)(const Request&, Response*, Finisher),
                                  const Request* request, Response* response);
  // Exists / GetData / GetChildren: `read(path, context)` asks the state machine, `fill` moves
  // its answer into the response; the header carries the read's zxid and watch sequence.
  template <typename Request, typename Response, typename Read, typename Fill>
  void StartNodeRead(const Request& request, Response* response, Finisher finish, Read read,
                     Fill fill);
  // Proposes `command` and finishes once it is applied (on the Raft loop): `take` moves the
  // result into the response. Redirects on a follower.
  template <typename Response, typename Take>
  void ProposeThen(internal::v1::Command command, Take take, Response* response, Finisher finish);
  // Serves a read: `serve` fills the response and returns the status, at once or (for a
  // linearizable read, or a watch for a session not known here yet) once a read point is
  // reached. A watch needs a live session.
  template <typename Serve>
  void ReadThen(bool linearizable, bool watch, int64_t session, Serve serve, Finisher finish);
  // `then` runs once this member reflects every write committed before the call (on the Raft
  // loop), or with the error.
  void AfterReadPoint(std::function<void(absl::Status)> then);
  // The header of a read reply: the zxid and watch sequence taken with the read.
  void FillReadHeader(int64_t zxid, uint64_t watch_sequence, v1::ResponseHeader* header) const;
  // OK when no watch is asked for, or the session is live (here, or after catching up with
  // the leader); the error otherwise.
  absl::Status CheckWatch(int64_t session_id, bool watch);
  // OK when `session_id` is live here (after catching up with the leader if it is not known
  // here yet) and `password` is its own. Otherwise SessionNotLive(session_id) — the same
  // answer for a wrong password as for a session that is gone or never was — or the
  // catching up's error (UNAVAILABLE, DEADLINE_EXCEEDED: unknown, the client retries).
  // Blocks for at most the catching up (request_timeout).
  absl::Status CheckSessionPassword(int64_t session_id, const std::string& password);
  // AddWatch's and RemoveWatches' checks: a live session, its password and a valid path.
  absl::Status CheckWatchRequest(int64_t session_id, const std::string& password,
                                 const std::string& path);
  // SESSION_EXPIRED: the one answer for a session that is not live here or was named with
  // the wrong password.
  static absl::Status SessionNotLive(int64_t session_id);
  // Waits for a linearizable read point when asked to.
  absl::Status ReadBarrier(bool linearizable);
  grpc::Status Redirect(const absl::Status& status) const;
  // OK once the node is set; UNAVAILABLE with `not_started_` before.
  absl::Status Started() const;
  void FillHeader(v1::ResponseHeader* header) const;

  class SessionStream;
  friend class SessionStream;
  class PipelineStream;
  friend class PipelineStream;
  // What outlives a Session or Pipeline stream for those who may reach it late (WatchHub's
  // listener, EndStreams): the stream, until it is done. One of the two is set.
  struct StreamMailbox {
    absl::Mutex mu;
    SessionStream* stream ABSL_GUARDED_BY(mu) = nullptr;
    PipelineStream* pipeline ABSL_GUARDED_BY(mu) = nullptr;
  };
  // PipelineStream::EndVia, for EndStreams (the class is pipeline_stream.cc's).
  static void EndPipelineStream(const std::shared_ptr<StreamMailbox>& mailbox,
                                const grpc::Status& status);
  // False once EndStreams ran: the new stream must end at once.
  bool AddStream(const std::shared_ptr<StreamMailbox>& mailbox);
  void RemoveStream(const std::shared_ptr<StreamMailbox>& mailbox);
  absl::Mutex streams_mu_;
  std::set<std::shared_ptr<StreamMailbox>> streams_ ABSL_GUARDED_BY(streams_mu_);
  bool streams_stopping_ ABSL_GUARDED_BY(streams_mu_) = false;

  ZkStateMachine* const sm_;
  SessionKeeper* const keeper_;
  WatchHub* const hub_;
  absl::Mutex id_mu_;
  std::unique_ptr<SessionIdAllocator> ids_ ABSL_GUARDED_BY(id_mu_);
  const raft::AddressBook* const addresses_;  // for redirects; not owned
  const absl::Duration timeout_;
  const TreeConfig limits_;
  const std::string not_started_;
  std::atomic<raft::RaftNode*> node_{nullptr};
  std::atomic<int64_t> attached_{0};
  std::atomic<int64_t> outstanding_{0};
  std::atomic<int64_t> pipelines_{0};
  // dcos_zk_pipeline_op_seconds by PipelineOp::op_case(); null without SetMetrics.
  std::array<prometheus::Histogram*, 8> pipeline_op_seconds_{};
};

}  // namespace dcos::zk
