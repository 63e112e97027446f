#include "services/master/services.h"

#include <thread>

#include "absl/strings/match.h"
#include "libs/status/grpc_status.h"
#include "services/master/core/proto_time.h"
#include "services/master/stream_pump.h"

namespace dcos::master {
namespace {

// FRAMEWORK_NOT_SUBSCRIBED / STREAM_ID_MISMATCH also travel as an ErrorInfo reason.
grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  absl::Status s = status;
  for (const char* reason : {"FRAMEWORK_NOT_SUBSCRIBED", "STREAM_ID_MISMATCH"}) {
    if (absl::StartsWith(status.message(), reason)) {
      common::v1::ErrorInfo info;
      info.set_reason(reason);
      info.set_domain("dcos-master");
      s.SetPayload(status::TypeUrl("dcos.common.v1.ErrorInfo"),
                   absl::Cord(info.SerializeAsString()));
    }
  }
  return status::ToGrpc(s);
}

}  // namespace

// ---------------- AgentChannel ----------------

grpc::Status AgentChannelService::Connect(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<v1::MasterMessage, v1::AgentMessage>* stream) {
  grpc::Status leader = leadership_->Check();
  if (!leader.ok()) return leader;
  v1::AgentMessage first;
  if (!stream->Read(&first)) return grpc::Status::OK;
  auto queue = std::make_shared<AgentQueue>();
  absl::StatusOr<std::string> id = driver()->ConnectAgent(first, queue);
  if (!id.ok()) {
    if (id.status().code() == absl::StatusCode::kFailedPrecondition) {
      // A gone agent: deliver the Shutdown the core queued, then end.
      while (std::optional<v1::MasterMessage> m = queue->Pop(absl::ZeroDuration())) {
        stream->Write(*m);
      }
    }
    return status::ToGrpc(id.status());
  }
  const std::string agent_id = *id;
  std::thread writer([&] {
    grpc::Status end = Pump(
        context, *queue, [&](const v1::MasterMessage& m) { return stream->Write(m); },
        absl::InfiniteDuration(), [] { return true; });
    (void)end;
    // The master ended the stream (or it broke): unblock the reader.
    context->TryCancel();
  });
  v1::AgentMessage message;
  while (stream->Read(&message)) {
    if (message.has_status_update()) {
      driver()->Post([agent_id, u = message.status_update()](MasterCore& core, absl::Time now) {
        core.StatusUpdate(agent_id, u, now);
      });
    } else if (message.has_pong()) {
      driver()->Post([agent_id, seq = message.pong().sequence()](MasterCore& core, absl::Time now) {
        core.AgentPong(agent_id, seq, now);
      });
    } else if (message.has_executor_exited()) {
      driver()->Post([agent_id, e = message.executor_exited()](MasterCore& core, absl::Time now) {
        core.ExecutorExited(agent_id, e, now);
      });
    }
  }
  driver()->AgentStreamEnded(agent_id, queue);
  queue->Close();
  writer.join();
  return queue->status();
}

// ---------------- Scheduler ----------------

grpc::Status SchedulerService::Subscribe(grpc::ServerContext* context,
                                         const v1::SubscribeRequest* request,
                                         grpc::ServerWriter<v1::Event>* writer) {
  grpc::Status leader = leadership_->Check();
  if (!leader.ok()) return leader;
  if (!request->has_framework_info()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "framework_info: required");
  }
  auto queue = std::make_shared<EventQueue>();
  absl::StatusOr<MasterCore::Subscription> s =
      driver()->SubscribeFramework(request->framework_info(), queue);
  if (!s.ok()) return ToGrpc(s.status());
  grpc::Status end = Pump(
      context, *queue, [&](const v1::Event& e) { return writer->Write(e); },
      absl::InfiniteDuration(), [] { return true; });
  driver()->FrameworkStreamEnded(*s);
  return end;
}

template <typename Request>
grpc::Status SchedulerService::Call(const Request& request,
                                    absl::Status (MasterCore::*method)(const Request&,
                                                                       absl::Time)) {
  grpc::Status leader = leadership_->Check();
  if (!leader.ok()) return leader;
  return ToGrpc(driver()->RunStatus(
      [&](MasterCore& core, absl::Time now) { return (core.*method)(request, now); }));
}

grpc::Status SchedulerService::Accept(grpc::ServerContext*, const v1::AcceptRequest* r,
                                      v1::AcceptResponse*) {
  return Call(*r, &MasterCore::Accept);
}
grpc::Status SchedulerService::Decline(grpc::ServerContext*, const v1::DeclineRequest* r,
                                       v1::DeclineResponse*) {
  return Call(*r, &MasterCore::Decline);
}
grpc::Status SchedulerService::Revive(grpc::ServerContext*, const v1::ReviveRequest* r,
                                      v1::ReviveResponse*) {
  return Call(*r, &MasterCore::Revive);
}
grpc::Status SchedulerService::Suppress(grpc::ServerContext*, const v1::SuppressRequest* r,
                                        v1::SuppressResponse*) {
  return Call(*r, &MasterCore::Suppress);
}
grpc::Status SchedulerService::Kill(grpc::ServerContext*, const v1::KillRequest* r,
                                    v1::KillResponse*) {
  return Call(*r, &MasterCore::Kill);
}
grpc::Status SchedulerService::Acknowledge(grpc::ServerContext*, const v1::AcknowledgeRequest* r,
                                           v1::AcknowledgeResponse*) {
  return Call(*r, &MasterCore::Acknowledge);
}
grpc::Status SchedulerService::Reconcile(grpc::ServerContext*, const v1::ReconcileRequest* r,
                                         v1::ReconcileResponse*) {
  return Call(*r, &MasterCore::Reconcile);
}
grpc::Status SchedulerService::Teardown(grpc::ServerContext*, const v1::TeardownRequest* r,
                                        v1::TeardownResponse*) {
  return Call(*r, &MasterCore::Teardown);
}

// ---------------- Operator ----------------

absl::StatusOr<v1::ClusterState> OperatorService::State() {
  return driver()->Run<v1::ClusterState>(
      [](MasterCore& core, absl::Time) { return core.State(); });
}

grpc::Status OperatorService::WithState(const std::function<void(v1::ClusterState&)>& fill) {
  grpc::Status leader = leadership_->Check();
  if (!leader.ok()) return leader;
  absl::StatusOr<v1::ClusterState> state = State();
  if (!state.ok()) return status::ToGrpc(state.status());
  fill(*state);
  return grpc::Status::OK;
}

grpc::Status OperatorService::GetState(grpc::ServerContext*, const v1::GetStateRequest*,
                                       v1::GetStateResponse* response) {
  return WithState([&](v1::ClusterState& s) { *response->mutable_state() = std::move(s); });
}

grpc::Status OperatorService::GetAgents(grpc::ServerContext*, const v1::GetAgentsRequest*,
                                        v1::GetAgentsResponse* response) {
  return WithState([&](v1::ClusterState& s) { response->mutable_agents()->Swap(s.mutable_agents()); });
}

grpc::Status OperatorService::GetFrameworks(grpc::ServerContext*, const v1::GetFrameworksRequest*,
                                            v1::GetFrameworksResponse* response) {
  return WithState([&](v1::ClusterState& s) {
    response->mutable_frameworks()->Swap(s.mutable_frameworks());
    response->mutable_completed_frameworks()->Swap(s.mutable_completed_frameworks());
  });
}

grpc::Status OperatorService::GetTasks(grpc::ServerContext*, const v1::GetTasksRequest*,
                                       v1::GetTasksResponse* response) {
  return WithState([&](v1::ClusterState& s) {
    response->mutable_tasks()->Swap(s.mutable_tasks());
    response->mutable_completed_tasks()->Swap(s.mutable_completed_tasks());
  });
}

grpc::Status OperatorService::GetRoles(grpc::ServerContext*, const v1::GetRolesRequest*,
                                       v1::GetRolesResponse* response) {
  return WithState([&](v1::ClusterState& s) { response->mutable_roles()->Swap(s.mutable_roles()); });
}

grpc::Status OperatorService::GetLeader(grpc::ServerContext*, const v1::GetLeaderRequest*,
                                        v1::GetLeaderResponse* response) {
  // Any master answers this one.
  *response->mutable_leader() = leadership_->Info();
  std::optional<common::v1::MasterInfo> leader = leadership_->leader();
  if (leader.has_value()) *response->mutable_leader_master_info() = *leader;
  *response->mutable_self() = leadership_->self();
  response->set_elected(leadership_->elected());
  if (response->elected()) ToProto(leadership_->elected_time(), response->mutable_elected_time());
  return grpc::Status::OK;
}

grpc::Status OperatorService::MarkAgentGone(grpc::ServerContext*,
                                            const v1::MarkAgentGoneRequest* request,
                                            v1::MarkAgentGoneResponse*) {
  grpc::Status leader = leadership_->Check();
  if (!leader.ok()) return leader;
  std::string id = request->agent_id().value();
  return status::ToGrpc(driver()->RunStatus(
      [&](MasterCore& core, absl::Time now) { return core.MarkAgentGone(id, now); }));
}

grpc::Status OperatorService::DrainAgent(grpc::ServerContext*, const v1::DrainAgentRequest* request,
                                         v1::DrainAgentResponse*) {
  grpc::Status leader = leadership_->Check();
  if (!leader.ok()) return leader;
  std::optional<absl::Duration> grace;
  if (request->has_max_grace_period()) grace = FromProto(request->max_grace_period());
  if (grace.has_value() && *grace < absl::ZeroDuration()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "max_grace_period: must be >= 0");
  }
  return status::ToGrpc(driver()->RunStatus([&](MasterCore& core, absl::Time now) {
    return core.DrainAgent(request->agent_id().value(), grace, request->mark_gone(), now);
  }));
}

grpc::Status OperatorService::ReactivateAgent(grpc::ServerContext*,
                                              const v1::ReactivateAgentRequest* request,
                                              v1::ReactivateAgentResponse*) {
  grpc::Status leader = leadership_->Check();
  if (!leader.ok()) return leader;
  return status::ToGrpc(driver()->RunStatus([&](MasterCore& core, absl::Time now) {
    return core.ReactivateAgent(request->agent_id().value(), now);
  }));
}

grpc::Status OperatorService::Subscribe(grpc::ServerContext* context,
                                        const v1::SubscribeOperatorRequest*,
                                        grpc::ServerWriter<v1::OperatorEvent>* writer) {
  grpc::Status leader = leadership_->Check();
  if (!leader.ok()) return leader;
  auto queue = std::make_shared<OperatorQueue>();
  absl::StatusOr<v1::ClusterState> state = driver()->SubscribeOperator(queue);
  if (!state.ok()) return status::ToGrpc(state.status());
  v1::OperatorEvent first;
  *first.mutable_subscribed()->mutable_state() = *std::move(state);
  ToProto(heartbeat_, first.mutable_subscribed()->mutable_heartbeat_interval());
  if (!writer->Write(first)) {
    queue->Close();
    return grpc::Status::OK;
  }
  grpc::Status end = Pump(
      context, *queue, [&](const v1::OperatorEvent& e) { return writer->Write(e); }, heartbeat_,
      [&] {
        v1::OperatorEvent beat;
        beat.mutable_heartbeat();
        return writer->Write(beat);
      });
  queue->Close();  // the driver forgets closed queues
  return end;
}

}  // namespace dcos::master
