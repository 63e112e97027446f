#include "services/master/metrics.h"

#include "libs/tasks/task_states.h"
#include "services/master/mesos_metrics.h"

namespace dcos::master {

MasterMetrics::MasterMetrics(prometheus::Registry& r, absl::Time started)
    : agents_(prometheus::BuildGauge()
                  .Name("dcos_master_agents")
                  .Help("Agents by state: active, disconnected, unreachable, recovered, draining")
                  .Register(r)),
      frameworks_(prometheus::BuildGauge()
                      .Name("dcos_master_frameworks")
                      .Help("Frameworks by state: connected, disconnected, completed")
                      .Register(r)),
      tasks_(prometheus::BuildGauge()
                 .Name("dcos_master_tasks")
                 .Help("Active tasks by state (staging, running, ...), and completed ones kept")
                 .Register(r)),
      resources_(prometheus::BuildGauge()
                     .Name("dcos_master_resources")
                     .Help("cpus, mem (MiB) and disk (MiB): total of active agents, used by "
                           "tasks, offered")
                     .Register(r)),
      elected_(&prometheus::BuildGauge()
                    .Name("dcos_master_elected")
                    .Help("1 when this master leads")
                    .Register(r)
                    .Add({})),
      offers_(&prometheus::BuildGauge()
                   .Name("dcos_master_outstanding_offers")
                   .Help("Offers sent and not yet used, declined or rescinded")
                   .Register(r)
                   .Add({})),
      queued_(&prometheus::BuildGauge()
                   .Name("dcos_master_event_queue_messages")
                   .Help("Calls and messages waiting for the master's loop")
                   .Register(r)
                   .Add({})),
      allocation_(&prometheus::BuildHistogram()
                       .Name("dcos_master_allocation_run_seconds")
                       .Help("Time of one allocation cycle")
                       .Register(r)
                       .Add({}, prometheus::Histogram::BucketBoundaries{
                                    0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5,
                                    1, 2.5})),
      started_(started) {}

void MasterMetrics::ObserveAllocation(double seconds) {
  allocation_->Observe(seconds);
  absl::MutexLock lock(&mu_);
  ++allocation_runs_;
  last_allocation_seconds_ = seconds;
}

std::vector<std::pair<std::string, double>> MasterMetrics::MesosSnapshot(
    absl::Time now, const std::optional<MasterCore::Stats>& stats) const {
  MesosMetricsInput in;
  in.uptime = now - started_;
  in.stats = stats;
  {
    absl::MutexLock lock(&mu_);
    in.event_queue_messages = queued_messages_;
    in.allocation_runs = allocation_runs_;
    in.last_allocation_seconds = last_allocation_seconds_;
  }
  return MesosMetrics(in);
}

void MasterMetrics::Update(const MasterCore::Stats& s, size_t queued, bool elected) {
  {
    absl::MutexLock lock(&mu_);
    queued_messages_ = queued;
  }
  elected_->Set(elected ? 1 : 0);
  offers_->Set(static_cast<double>(s.outstanding_offers));
  queued_->Set(static_cast<double>(queued));
  agents_.Add({{"state", "active"}}).Set(static_cast<double>(s.agents_active));
  agents_.Add({{"state", "disconnected"}}).Set(static_cast<double>(s.agents_disconnected));
  agents_.Add({{"state", "unreachable"}}).Set(static_cast<double>(s.agents_unreachable));
  agents_.Add({{"state", "recovered"}}).Set(static_cast<double>(s.agents_recovered));
  agents_.Add({{"state", "draining"}}).Set(static_cast<double>(s.agents_draining));
  frameworks_.Add({{"state", "connected"}}).Set(static_cast<double>(s.frameworks_connected));
  frameworks_.Add({{"state", "disconnected"}}).Set(static_cast<double>(s.frameworks_disconnected));
  frameworks_.Add({{"state", "completed"}}).Set(static_cast<double>(s.frameworks_completed));
  for (int state = common::v1::TASK_STAGING; state <= common::v1::TASK_UNKNOWN; ++state) {
    auto st = static_cast<common::v1::TaskState>(state);
    auto it = s.tasks.find(st);
    tasks_.Add({{"state", tasks::LowerName(st)}}).Set(it == s.tasks.end() ? 0 : static_cast<double>(it->second));
  }
  tasks_.Add({{"state", "completed"}}).Set(static_cast<double>(s.tasks_completed));
  auto set = [&](const char* resource, double total, double used, double offered) {
    resources_.Add({{"resource", resource}, {"kind", "total"}}).Set(total);
    resources_.Add({{"resource", resource}, {"kind", "used"}}).Set(used);
    resources_.Add({{"resource", resource}, {"kind", "offered"}}).Set(offered);
  };
  set("cpus", s.cpus_total, s.cpus_used, s.cpus_offered);
  set("mem", s.mem_total, s.mem_used, s.mem_offered);
  set("disk", s.disk_total, s.disk_used, s.disk_offered);
}

}  // namespace dcos::master
