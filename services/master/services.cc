#include "services/master/services.h"

#include "absl/strings/match.h"
#include "libs/status/grpc_status.h"
#include "services/master/core/proto_time.h"

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

// ---------------- Stream reactors ----------------

// A stream refused before it started (not the leader, bad request).
template <typename Base>
class Refusal final : public Base {
 public:
  explicit Refusal(grpc::Status status) { this->Finish(std::move(status)); }
  void OnDone() override { delete this; }
};

// AgentChannel.Connect: the first message goes to the driver (ConnectAgent); once the agent
// is attached every later message is posted to the loop as it is read, and the stream's
// StreamQueue writes what the loop queues. Lifetime: owned by gRPC until OnDone, which deletes
// it. The queue is attached (and so can end the call) only once the driver has answered the
// first message, so the reactor outlives the driver's callback.
class AgentStreamReactor final
    : public grpc::ServerBidiReactor<v1::AgentMessage, v1::MasterMessage>,
      public AgentQueue::Sink {
 public:
  AgentStreamReactor(grpc::CallbackServerContext* context, MasterDriver* driver)
      : context_(context), driver_(driver), queue_(std::make_shared<AgentQueue>()) {
    StartRead(&message_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      if (connected_) {
        driver_->AgentStreamEnded(agent_id_, queue_);
      } else if (!first_read_) {
        // The driver answers the first message and then attaches (or ends) the stream.
        return;
      }
      queue_->Close();  // ends the call once what is queued was written
      if (first_read_) queue_->Attach(this);
      return;
    }
    if (first_read_) {
      first_read_ = false;
      driver_->ConnectAgent(std::move(message_), queue_,
                            [this](absl::StatusOr<std::string> id) { OnConnected(std::move(id)); });
      return;
    }
    Forward(message_);
    StartRead(&message_);
  }
  void OnWriteDone(bool ok) override { queue_->Written(ok); }
  void OnCancel() override {
    queue_->Close(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled"));
  }
  void OnDone() override {
    queue_->Detach();
    delete this;
  }

  // AgentQueue::Sink
  void Write(const v1::MasterMessage& m) override { StartWrite(&m); }
  void End(const grpc::Status& status) override { Finish(status); }
  void Cut() override { context_->TryCancel(); }

 private:
  // The loop (or, when the driver is stopping, the caller of ConnectAgent).
  void OnConnected(absl::StatusOr<std::string> id) {
    if (id.ok()) {
      agent_id_ = *std::move(id);
      connected_ = true;
      StartRead(&message_);
    } else {
      // A gone agent's queue already holds its Shutdown and was closed OK by the core.
      queue_->Close(status::ToGrpc(id.status()));
    }
    queue_->Attach(this);
  }

  void Forward(const v1::AgentMessage& message) {
    if (message.has_status_update()) {
      driver_->Post([agent_id = agent_id_, u = message.status_update()](MasterCore& core,
                                                                        absl::Time now) {
        core.StatusUpdate(agent_id, u, now);
      });
    } else if (message.has_pong()) {
      driver_->Post([agent_id = agent_id_, seq = message.pong().sequence()](MasterCore& core,
                                                                            absl::Time now) {
        core.AgentPong(agent_id, seq, now);
      });
    } else if (message.has_executor_exited()) {
      driver_->Post([agent_id = agent_id_, e = message.executor_exited()](MasterCore& core,
                                                                          absl::Time now) {
        core.ExecutorExited(agent_id, e, now);
      });
    }
  }

  grpc::CallbackServerContext* const context_;
  MasterDriver* const driver_;
  const std::shared_ptr<AgentQueue> queue_;
  v1::AgentMessage message_;
  // Reactions that touch these are ordered by the reads: one read is in flight at a time.
  bool first_read_ = true;
  bool connected_ = false;
  std::string agent_id_;
};

// A server stream written from a StreamQueue the driver fills (Scheduler.Subscribe,
// Operator.Subscribe). `ended` runs in OnDone. Lifetime as AgentStreamReactor: the queue is
// attached by whoever knows the stream may start (after the driver accepted it).
template <typename Event>
class QueueWriteReactor final : public grpc::ServerWriteReactor<Event>,
                                public StreamQueue<Event>::Sink {
 public:
  QueueWriteReactor(grpc::CallbackServerContext* context, std::function<void()> ended)
      : context_(context), queue_(std::make_shared<StreamQueue<Event>>()),
        ended_(std::move(ended)) {}

  const std::shared_ptr<StreamQueue<Event>>& queue() const { return queue_; }
  void set_ended(std::function<void()> ended) { ended_ = std::move(ended); }

  void OnWriteDone(bool ok) override { queue_->Written(ok); }
  void OnCancel() override {
    queue_->Close(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled"));
  }
  void OnDone() override {
    queue_->Detach();
    queue_->Close();  // the driver forgets closed queues
    if (ended_) ended_();
    delete this;
  }

  void Write(const Event& e) override { this->StartWrite(&e); }
  void End(const grpc::Status& status) override { this->Finish(status); }
  void Cut() override { context_->TryCancel(); }

 private:
  grpc::CallbackServerContext* const context_;
  const std::shared_ptr<StreamQueue<Event>> queue_;
  std::function<void()> ended_;
};

// ---------------- AgentChannel ----------------

grpc::ServerBidiReactor<v1::AgentMessage, v1::MasterMessage>* AgentChannelService::Connect(
    grpc::CallbackServerContext* context) {
  // A master that is recovering its registry takes the stream too: the first message waits
  // in the driver's queue until it leads.
  grpc::Status leader = leadership_->CheckStream();
  if (!leader.ok()) return new Refusal<grpc::ServerBidiReactor<v1::AgentMessage, v1::MasterMessage>>(leader);
  return new AgentStreamReactor(context, driver());
}

// ---------------- Scheduler ----------------

grpc::ServerWriteReactor<v1::Event>* SchedulerService::Subscribe(
    grpc::CallbackServerContext* context, const v1::SubscribeRequest* request) {
  // Taken while recovering too, as agents' streams: SUBSCRIBED comes once the master leads.
  grpc::Status leader = leadership_->CheckStream();
  if (!leader.ok()) return new Refusal<grpc::ServerWriteReactor<v1::Event>>(leader);
  if (!request->has_framework_info()) {
    return new Refusal<grpc::ServerWriteReactor<v1::Event>>(
        grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "framework_info: required"));
  }
  MasterDriver* driver = this->driver();
  auto* reactor = new QueueWriteReactor<v1::Event>(context, nullptr);
  driver->SubscribeFramework(
      request->framework_info(), reactor->queue(),
      [reactor, driver](absl::StatusOr<MasterCore::Subscription> s) {
        if (s.ok()) {
          reactor->set_ended([driver, s = *s] { driver->FrameworkStreamEnded(s); });
        } else {
          reactor->queue()->Close(ToGrpc(s.status()));
        }
        reactor->queue()->Attach(reactor);
      });
  return reactor;
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

grpc::Status OperatorService::GetMetrics(grpc::ServerContext*, const v1::GetMetricsRequest*,
                                         v1::GetMetricsResponse* response) {
  // The leader's counts as they are now (not as of the last tick): a script that changes the
  // cluster and then reads the figures sees its change.
  std::optional<MasterCore::Stats> now;
  if (leadership_->elected()) {
    absl::StatusOr<MasterCore::Stats> counted = driver()->Run<MasterCore::Stats>(
        [](MasterCore& core, absl::Time) { return core.GetStats(); });
    if (counted.ok()) now = *std::move(counted);
  }
  for (auto& [name, value] : metrics_(now)) {
    v1::Metric* m = response->add_metrics();
    m->set_name(std::move(name));
    m->set_value(value);
  }
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

grpc::Status OperatorService::DeactivateAgent(grpc::ServerContext*,
                                              const v1::DeactivateAgentRequest* request,
                                              v1::DeactivateAgentResponse*) {
  grpc::Status leader = leadership_->Check();
  if (!leader.ok()) return leader;
  return status::ToGrpc(driver()->RunStatus([&](MasterCore& core, absl::Time now) {
    return core.DeactivateAgent(request->agent_id().value(), now);
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

grpc::Status OperatorService::UpdateWeights(grpc::ServerContext*,
                                            const v1::UpdateWeightsRequest* request,
                                            v1::UpdateWeightsResponse*) {
  grpc::Status leader = leadership_->Check();
  if (!leader.ok()) return leader;
  return status::ToGrpc(driver()->RunStatus([&](MasterCore& core, absl::Time now) {
    return core.UpdateWeights(*request, now);
  }));
}

grpc::Status OperatorService::GetWeights(grpc::ServerContext*, const v1::GetWeightsRequest*,
                                         v1::GetWeightsResponse* response) {
  grpc::Status leader = leadership_->Check();
  if (!leader.ok()) return leader;
  absl::StatusOr<v1::RolePolicy> policy = driver()->Run<v1::RolePolicy>(
      [](MasterCore& core, absl::Time) { return core.policy(); });
  if (!policy.ok()) return status::ToGrpc(policy.status());
  response->mutable_weights()->Swap(policy->mutable_weights());
  return grpc::Status::OK;
}

grpc::Status OperatorService::UpdateQuota(grpc::ServerContext*,
                                          const v1::UpdateQuotaRequest* request,
                                          v1::UpdateQuotaResponse*) {
  grpc::Status leader = leadership_->Check();
  if (!leader.ok()) return leader;
  return status::ToGrpc(driver()->RunStatus([&](MasterCore& core, absl::Time now) {
    return core.UpdateQuota(*request, now);
  }));
}

grpc::Status OperatorService::GetQuota(grpc::ServerContext*, const v1::GetQuotaRequest*,
                                       v1::GetQuotaResponse* response) {
  grpc::Status leader = leadership_->Check();
  if (!leader.ok()) return leader;
  absl::StatusOr<v1::RolePolicy> policy = driver()->Run<v1::RolePolicy>(
      [](MasterCore& core, absl::Time) { return core.policy(); });
  if (!policy.ok()) return status::ToGrpc(policy.status());
  response->mutable_configs()->Swap(policy->mutable_quotas());
  return grpc::Status::OK;
}

grpc::ServerWriteReactor<v1::OperatorEvent>* OperatorService::Subscribe(
    grpc::CallbackServerContext* context, const v1::SubscribeOperatorRequest*) {
  grpc::Status leader = leadership_->Check();
  if (!leader.ok()) return new Refusal<grpc::ServerWriteReactor<v1::OperatorEvent>>(leader);
  auto* reactor = new QueueWriteReactor<v1::OperatorEvent>(context, nullptr);
  driver()->SubscribeOperator(reactor->queue());
  reactor->queue()->Attach(reactor);
  return reactor;
}

}  // namespace dcos::master
