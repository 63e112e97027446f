#pragma once

// The master's gRPC services over the MasterDriver: AgentChannel (agents' streams),
// Scheduler (the v1 scheduler API) and Operator. Each checks leadership first (UNAVAILABLE +
// LeaderInfo elsewhere), validates what is cheap to validate, and leaves every decision to
// the core through the driver.
//
// The streams (AgentChannel.Connect, Scheduler.Subscribe, Operator.Subscribe) run on gRPC's
// callback API and cost no thread: each is a reactor (services.cc) whose reads are posted
// straight to the driver's loop and whose writes are driven by its StreamQueue (one write in
// flight, the next started by the completion of the last; stream_queue.h), so one master holds
// tens of thousands of streams. The unary calls stay on the synchronous API (each blocks a
// server thread for one loop step).

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "protos/master/v1/agent_channel.grpc.pb.h"
#include "protos/master/v1/operator.grpc.pb.h"
#include "protos/master/v1/scheduler.grpc.pb.h"
#include "services/master/leadership.h"
#include "services/master/master_driver.h"

namespace dcos::master {

// Where the services find the driver: set once this master leads (a standby has none), before
// leadership is announced, so a call that passed the leadership check finds it.
class DriverSlot {
 public:
  void Set(MasterDriver* driver) { driver_.store(driver); }
  MasterDriver* Get() const { return driver_.load(); }

 private:
  std::atomic<MasterDriver*> driver_{nullptr};
};

class AgentChannelService final : public v1::AgentChannel::CallbackService {
 public:
  AgentChannelService(const DriverSlot* driver, const Leadership* leadership)
      : driver_(driver), leadership_(leadership) {}
  grpc::ServerBidiReactor<v1::AgentMessage, v1::MasterMessage>* Connect(
      grpc::CallbackServerContext* context) override;

 private:
  MasterDriver* driver() const { return driver_->Get(); }

  const DriverSlot* const driver_;
  const Leadership* const leadership_;
};

class SchedulerService final
    : public v1::Scheduler::WithCallbackMethod_Subscribe<v1::Scheduler::Service> {
 public:
  SchedulerService(const DriverSlot* driver, const Leadership* leadership)
      : driver_(driver), leadership_(leadership) {}
  grpc::ServerWriteReactor<v1::Event>* Subscribe(grpc::CallbackServerContext* context,
                                                 const v1::SubscribeRequest* request) override;
  grpc::Status Accept(grpc::ServerContext*, const v1::AcceptRequest*, v1::AcceptResponse*) override;
  grpc::Status Decline(grpc::ServerContext*, const v1::DeclineRequest*,
                       v1::DeclineResponse*) override;
  grpc::Status Revive(grpc::ServerContext*, const v1::ReviveRequest*, v1::ReviveResponse*) override;
  grpc::Status Suppress(grpc::ServerContext*, const v1::SuppressRequest*,
                        v1::SuppressResponse*) override;
  grpc::Status Kill(grpc::ServerContext*, const v1::KillRequest*, v1::KillResponse*) override;
  grpc::Status Acknowledge(grpc::ServerContext*, const v1::AcknowledgeRequest*,
                           v1::AcknowledgeResponse*) override;
  grpc::Status Reconcile(grpc::ServerContext*, const v1::ReconcileRequest*,
                         v1::ReconcileResponse*) override;
  grpc::Status Teardown(grpc::ServerContext*, const v1::TeardownRequest*,
                        v1::TeardownResponse*) override;

 private:
  template <typename Request>
  grpc::Status Call(const Request& request,
                    absl::Status (MasterCore::*method)(const Request&, absl::Time));

  MasterDriver* driver() const { return driver_->Get(); }

  const DriverSlot* const driver_;
  const Leadership* const leadership_;
};

class OperatorService final
    : public v1::Operator::WithCallbackMethod_Subscribe<v1::Operator::Service> {
 public:
  // Mesos-named figures for GetMetrics, sorted by name (MasterMetrics::MesosSnapshot), from
  // the leader's counts taken now (nullopt on a standby).
  using MetricsFn = std::function<std::vector<std::pair<std::string, double>>(
      const std::optional<MasterCore::Stats>&)>;
  OperatorService(const DriverSlot* driver, const Leadership* leadership, MetricsFn metrics)
      : driver_(driver), leadership_(leadership), metrics_(std::move(metrics)) {}
  grpc::Status GetState(grpc::ServerContext*, const v1::GetStateRequest*,
                        v1::GetStateResponse*) override;
  grpc::Status GetAgents(grpc::ServerContext*, const v1::GetAgentsRequest*,
                         v1::GetAgentsResponse*) override;
  grpc::Status GetFrameworks(grpc::ServerContext*, const v1::GetFrameworksRequest*,
                             v1::GetFrameworksResponse*) override;
  grpc::Status GetTasks(grpc::ServerContext*, const v1::GetTasksRequest*,
                        v1::GetTasksResponse*) override;
  grpc::Status GetRoles(grpc::ServerContext*, const v1::GetRolesRequest*,
                        v1::GetRolesResponse*) override;
  grpc::Status GetLeader(grpc::ServerContext*, const v1::GetLeaderRequest*,
                         v1::GetLeaderResponse*) override;
  // Any master answers (never redirects).
  grpc::Status GetMetrics(grpc::ServerContext*, const v1::GetMetricsRequest*,
                          v1::GetMetricsResponse*) override;
  grpc::Status MarkAgentGone(grpc::ServerContext*, const v1::MarkAgentGoneRequest*,
                             v1::MarkAgentGoneResponse*) override;
  grpc::Status DrainAgent(grpc::ServerContext*, const v1::DrainAgentRequest*,
                          v1::DrainAgentResponse*) override;
  grpc::Status DeactivateAgent(grpc::ServerContext*, const v1::DeactivateAgentRequest*,
                               v1::DeactivateAgentResponse*) override;
  grpc::Status ReactivateAgent(grpc::ServerContext*, const v1::ReactivateAgentRequest*,
                               v1::ReactivateAgentResponse*) override;
  // Leader-only; an update is durable in the registry before it is answered.
  grpc::Status UpdateWeights(grpc::ServerContext*, const v1::UpdateWeightsRequest*,
                             v1::UpdateWeightsResponse*) override;
  grpc::Status GetWeights(grpc::ServerContext*, const v1::GetWeightsRequest*,
                          v1::GetWeightsResponse*) override;
  grpc::Status UpdateQuota(grpc::ServerContext*, const v1::UpdateQuotaRequest*,
                           v1::UpdateQuotaResponse*) override;
  grpc::Status GetQuota(grpc::ServerContext*, const v1::GetQuotaRequest*,
                        v1::GetQuotaResponse*) override;
  // SUBSCRIBED with the state, then every change and a HEARTBEAT every
  // DriverOptions::operator_heartbeat.
  grpc::ServerWriteReactor<v1::OperatorEvent>* Subscribe(
      grpc::CallbackServerContext* context, const v1::SubscribeOperatorRequest*) override;

 private:
  absl::StatusOr<v1::ClusterState> State();
  // The leadership check, the state, then `fill` with it.
  grpc::Status WithState(const std::function<void(v1::ClusterState&)>& fill);

  MasterDriver* driver() const { return driver_->Get(); }

  const DriverSlot* const driver_;
  const Leadership* const leadership_;
  const MetricsFn metrics_;
};

}  // namespace dcos::master
